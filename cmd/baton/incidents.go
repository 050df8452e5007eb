package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/pkg/baton"
)

func newIncidentsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "incidents",
		Aliases: []string{"incident"},
		Short:   "List open incidents and retry them",
		Long: `A job whose retries ran out, or that failed in a way no retry fixes (an uncaught BPMN error, an
expression that does not evaluate, a delegate's FailNow, a missing definition), raises an
incident: it waits for an operator and its instance shows status "incident". List them, fix the
cause (a deployment, a downstream system, or the data with --var), and retry them.`,
	}
	cmd.AddCommand(newIncidentsListCommand(g), newIncidentsRetryCommand(g))
	return cmd
}

func newIncidentsListCommand(g *globals) *cobra.Command {
	var (
		f      baton.IncidentFilter
		output string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List open incidents, oldest first",
		Long: `List prints the open incidents that match every given filter: the job, its instance and
process, the activity and task type where it failed, the attempts and the error. With -o json it
prints an array of incidents with jobId, instanceId, processKey, definitionVersion, businessKey,
activityId, taskType, tokenId, error, attempts and time (Unix milliseconds).`,
		Example: `  baton incidents list
  baton incidents list --process invoice --activity Charge -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				list, err := c.Incidents(cmd.Context(), f)
				if err != nil {
					return err
				}
				if output == "json" {
					if list == nil {
						list = []baton.OpenIncident{}
					}
					return printJSON(cmd.OutOrStdout(), list)
				}
				if len(list) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "no open incidents")
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "JOB\tINSTANCE\tPROCESS\tACTIVITY\tTASK TYPE\tATTEMPTS\tRAISED\tERROR")
				for _, in := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", in.JobID, in.InstanceID, in.ProcessKey, in.ActivityID, dash(in.TaskType),
						in.Attempts, time.UnixMilli(in.Time).UTC().Format(time.RFC3339), firstLine(in.Error))
				}
				return w.Flush()
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.ProcessKey, "process", "", "only incidents of this process key")
	fl.StringVar(&f.InstanceID, "instance", "", "only incidents of this instance")
	fl.StringVar(&f.ActivityID, "activity", "", "only incidents at this activity")
	fl.StringVar(&f.TaskType, "type", "", "only incidents of this task type")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

func newIncidentsRetryCommand(g *globals) *cobra.Command {
	var (
		req    baton.RetryRequest
		vars   []string
		output string
	)
	cmd := &cobra.Command{
		Use:     "retry JOB_ID",
		Aliases: []string{"resolve"},
		Short:   "Resolve an incident: run its job again, with fresh retries and optional variables",
		Long: `Retry resolves the incident of JOB_ID (as "baton incidents list" shows it): it sets the --var
variables on the instance (where each is defined, else at process level), gives the job
--retries attempts (default: as many as its retry policy gives) and runs it again. The instance
returns to status "running" once it has no other incident. A job that is no longer in incident
fails with "the job has no open incident".`,
		Example: `  baton incidents retry 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70:4:0
  baton incidents retry 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70:4:0 --retries 1 --var iban=DE89370400440532013000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			variables, err := parseVars(vars)
			if err != nil {
				return err
			}
			req.JobID, req.Variables = args[0], variables
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				err := c.RetryIncident(cmd.Context(), req)
				if errors.Is(err, baton.ErrNoIncident) {
					return fmt.Errorf("%w (list the open ones with: baton incidents list)", err)
				}
				if err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), map[string]any{"jobId": req.JobID, "resolved": true})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "incident of %s resolved; the job runs again\n", req.JobID)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&req.Retries, "retries", 0, "attempts the job gets (default: its retry policy's)")
	fl.StringArrayVar(&vars, "var", nil, "variable as name=value (repeatable); JSON values are decoded")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
