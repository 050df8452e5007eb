package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/pkg/baton"
)

func newJobsCommand(g *globals) *cobra.Command {
	var (
		f      baton.JobFilter
		output string
	)
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List outstanding jobs: waiting, running, waiting for a completion, or in incident",
		Long: `Jobs lists the jobs that exist in the instances' outboxes and match every given filter: waiting
on their task type's subject, running under a lease, waiting for a completion (kind "wait": user
tasks, messages, external tasks, waiting delegates) or in incident. With -o json it prints
{"jobs": [...]}, each with id, instanceId, processKey, taskType, kind, activityId, tokenId,
exclusive, attempts, leased and incident. It reads the reconciler's due index and the incident
index, so it sees every job the reconciler watches.`,
		Example: `  baton jobs --type order.charge --leased
  baton jobs --process order --incident -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Limit < 1 || f.Limit > 1000 {
				return fmt.Errorf("--limit %d: want 1 to 1000", f.Limit)
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				list, err := c.Jobs(cmd.Context(), f)
				if err != nil {
					return err
				}
				if output == "json" {
					if list == nil {
						list = []baton.OutstandingJob{}
					}
					return printJSON(cmd.OutOrStdout(), map[string]any{"jobs": list})
				}
				if len(list) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "no jobs match")
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "JOB\tPROCESS\tTASK TYPE\tKIND\tACTIVITY\tATTEMPTS\tSTATE")
				for _, j := range list {
					state := "waiting"
					switch {
					case j.Incident:
						state = "incident"
					case j.Leased:
						state = "running"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", j.ID, j.ProcessKey, j.TaskType, j.Kind, j.ActivityID, j.Attempts, state)
				}
				return w.Flush()
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.TaskType, "type", "", "only jobs of this task type")
	fl.StringVar(&f.ProcessKey, "process", "", "only jobs of this process key")
	fl.StringVar(&f.InstanceID, "instance", "", "only jobs of this instance")
	fl.StringVar(&f.ActivityID, "activity", "", "only jobs at this activity")
	fl.BoolVar(&f.Incident, "incident", false, "only jobs in incident")
	fl.BoolVar(&f.Leased, "leased", false, "only jobs running now")
	fl.IntVar(&f.Limit, "limit", 100, "at most this many (1 to 1000)")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}
