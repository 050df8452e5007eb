package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/pkg/baton"
)

// scopeFlags are the flags that name a suspension scope.
func scopeFlags(cmd *cobra.Command, s *baton.Scope) {
	fl := cmd.Flags()
	fl.StringVar(&s.ProcessKey, "process", "", "a process key: every version (or --version's), or --activity's jobs")
	fl.IntVar(&s.Version, "version", 0, "with --process: only this version")
	fl.StringVar(&s.ActivityID, "activity", "", "with --process: only this activity's jobs (a job definition)")
	fl.StringVar(&s.InstanceID, "instance", "", "one instance")
	fl.StringVar(&s.TaskType, "type", "", "a task type: workers stop fetching its jobs (pause)")
}

func newSuspendCommand(g *globals) *cobra.Command {
	var (
		s      baton.Scope
		output string
	)
	cmd := &cobra.Command{
		Use:   "suspend",
		Short: "Suspend a process definition, an activity's jobs, an instance, or a task type",
		Long: `Suspend stops work until "baton activate" with the same flags:
  --process KEY [--version N]      new starts are refused; the instances' jobs are parked
  --process KEY --activity ID      that activity's jobs are parked (Camunda's job definition)
  --instance ID                    its jobs are parked and its waits refuse completions
  --type TASK_TYPE                 workers stop fetching the type's jobs (they wait on its consumer)
A parked job is acknowledged on NATS and kept in Redis; activating publishes it again, and it runs
once. Process, activity and task-type suspensions reach every engine within a second.`,
		Example: `  baton suspend --process invoice
  baton suspend --process invoice --activity Charge
  baton suspend --instance 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70
  baton suspend --type invoice.archive`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				if err := c.Suspend(cmd.Context(), s); err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), map[string]any{"suspended": s})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s suspended\n", s)
				return nil
			})
		},
	}
	scopeFlags(cmd, &s)
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

func newActivateCommand(g *globals) *cobra.Command {
	var (
		s      baton.Scope
		output string
	)
	cmd := &cobra.Command{
		Use:   "activate",
		Short: "End a suspension and run its parked jobs",
		Long: `Activate ends the suspension that "baton suspend" with the same flags started, and publishes the
parked jobs again (a job still suspended by another scope is parked again).`,
		Example: `  baton activate --process invoice
  baton activate --type invoice.archive`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				n, err := c.Activate(cmd.Context(), s)
				if err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), map[string]any{"activated": s, "republished": n})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s activated; parked jobs published again: %d\n", s, n)
				return nil
			})
		},
	}
	scopeFlags(cmd, &s)
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

func newSuspensionsCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "suspensions",
		Short: "List the suspended processes, activities and task types",
		Long: `Suspensions lists what "baton suspend" suspended, except instances (an instance shows
"suspended": true in "baton instance show").`,
		Example: `  baton suspensions -o json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				list, err := c.Suspensions(cmd.Context())
				if err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), map[string]any{"suspensions": list})
				}
				if len(list) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "nothing is suspended")
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "SUSPENDED\tSINCE")
				for _, s := range list {
					fmt.Fprintf(w, "%s\t%s\n", s.Scope, s.Since.Format(time.RFC3339))
				}
				return w.Flush()
			})
		},
	}
	outputFlag(cmd, &output, "table", "json")
	return cmd
}
