package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

func newInstanceCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "instance",
		Short: "Inspect and cancel process instances",
	}
	var output string
	show := &cobra.Command{
		Use:   "show INSTANCE_ID",
		Short: "Show an instance: status, version, variables, tokens, jobs, incidents and history",
		Long: `Show prints one instance. With -o json it prints id, processKey, definitionVersion, status
(running, completed, incident or cancelled), version, variables, tokens (with activityId), jobs,
incidents and history (activity start and end events in commit order).`,
		Example: `  baton instance show 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70 -o json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				v, err := c.Instance(cmd.Context(), args[0])
				if baton.IsNotFound(err) {
					return fmt.Errorf("no instance %q", args[0])
				}
				if err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), v)
				}
				printInstance(cmd, v)
				return nil
			})
		},
	}
	outputFlag(show, &output, "table", "json")
	cmd.AddCommand(show, newInstanceCancelCommand(g))
	return cmd
}

func newInstanceCancelCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "cancel INSTANCE_ID",
		Short: "Cancel a running instance and the instances its call activities started",
		Long: `Cancel removes every token of the instance and every outstanding job in one commit (a worker
running one of those jobs finds it gone, and its result is discarded); the instances its call
activities started are cancelled first. The status becomes "cancelled". Cancelling an instance
that has ended changes nothing. An instance a call activity started is refused: cancel its
parent.`,
		Example: `  baton instance cancel 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				res, err := c.Cancel(cmd.Context(), args[0])
				if baton.IsNotFound(err) {
					return fmt.Errorf("no instance %q", args[0])
				}
				if err != nil {
					return err
				}
				if output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"id": args[0],
						"status": res.Status, "cancelled": res.Cancelled})
				}
				if len(res.Cancelled) == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "instance %s had ended (%s); nothing to cancel\n", args[0], res.Status)
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "cancelled %s\n", strings.Join(res.Cancelled, ", "))
				return nil
			})
		},
	}
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

func printInstance(cmd *cobra.Command, v *baton.InstanceView) {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	defer w.Flush()
	status := v.Status
	if v.Suspended {
		status += " (suspended)"
	}
	if v.Archived {
		status += " (archived: only its record is left)"
	}
	fmt.Fprintf(w, "ID\t%s\nPROCESS\t%s version %d\nSTATUS\t%s\nVERSION\t%d\n", v.ID, v.ProcessKey, v.DefinitionVersion, status, v.Version)
	if v.BusinessKey != "" {
		fmt.Fprintf(w, "BUSINESS KEY\t%s\n", v.BusinessKey)
	}
	fmt.Fprintf(w, "STARTED\t%s\n", v.Started.Format(time.RFC3339Nano))
	if v.Ended != nil {
		fmt.Fprintf(w, "ENDED\t%s\n", v.Ended.Format(time.RFC3339Nano))
	}
	fmt.Fprintln(w, "\nVARIABLES")
	for _, k := range sortedNames(v.Variables) {
		b, _ := json.Marshal(v.Variables[k])
		fmt.Fprintf(w, "  %s\t%s\n", k, b)
	}
	fmt.Fprintln(w, "\nTOKENS")
	for _, t := range v.Tokens {
		detail := t.JobID
		if t.ChildID != "" {
			detail = "child " + t.ChildID
		}
		if t.Loop != "" {
			detail = strings.TrimSpace("multi-instance " + t.Loop + " " + detail)
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", t.ID, t.ActivityID, t.State, detail)
		for _, k := range sortedNames(t.Variables) {
			b, _ := json.Marshal(t.Variables[k])
			fmt.Fprintf(w, "  \t  local %s\t%s\n", k, b)
		}
	}
	fmt.Fprintln(w, "\nJOBS")
	for _, j := range v.Jobs {
		fmt.Fprintf(w, "  %s\t%s\t%s %s\tattempts %d\tleased %v\tincident %v\n", j.ID, j.TaskType, j.Kind, j.ActivityID, j.Attempts, j.Leased, j.Incident)
	}
	if len(v.Incidents) > 0 {
		fmt.Fprintln(w, "\nINCIDENTS")
		for _, i := range v.Incidents {
			fmt.Fprintf(w, "  %s\t%s\tattempts %d\t%s\n", i.ActivityID, i.JobID, i.Attempts, i.Error)
		}
	}
	fmt.Fprintln(w, "\nHISTORY")
	for _, e := range v.History {
		what := e.Activity
		if e.Type == engine.EventVariableSet {
			b, _ := json.Marshal(e.Value)
			what = fmt.Sprintf("%s = %s (at %s)", e.Variable, b, dash(e.Activity))
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", time.UnixMilli(e.Time).UTC().Format("15:04:05.000"), e.Type, what, e.Token)
	}
}

func sortedNames(vars map[string]any) []string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
