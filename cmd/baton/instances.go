package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/pkg/baton"
)

func newInstancesCommand(g *globals) *cobra.Command {
	var (
		f             baton.InstanceFilter
		after, before string
		output        string
	)
	cmd := &cobra.Command{
		Use:   "instances",
		Short: "List instances, newest first, filtered by process, status, business key and start time",
		Long: `Instances lists the instances that match every given filter, newest first: running ones,
ended ones, and archived ones (ended more than the server's --retain-ended ago: only their
record is left, until --retain-archive). With -o json it prints {"instances": [...]}, each with
id, processKey, definitionVersion, businessKey, status, started, ended, suspended and archived.`,
		Example: `  baton instances --process order --status incident
  baton instances --business-key o-1017
  baton instances --started-after 2026-11-20T00:00:00Z --limit 500 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, p := range []struct {
				flag, v string
				to      *time.Time
			}{{"--started-after", after, &f.StartedAfter}, {"--started-before", before, &f.StartedBefore}} {
				if p.v == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, p.v)
				if err != nil {
					return fmt.Errorf("%s %q: want an RFC 3339 time such as 2026-11-20T00:00:00Z", p.flag, p.v)
				}
				*p.to = t
			}
			switch f.Status {
			case "", "running", "incident", "completed", "cancelled":
			default:
				return fmt.Errorf("--status %q: want running, incident, completed or cancelled", f.Status)
			}
			if f.Limit < 1 || f.Limit > 1000 {
				return fmt.Errorf("--limit %d: want 1 to 1000", f.Limit)
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				list, err := c.Instances(cmd.Context(), f)
				if err != nil {
					return err
				}
				if output == "json" {
					if list == nil {
						list = []baton.InstanceSummary{}
					}
					return printJSON(cmd.OutOrStdout(), map[string]any{"instances": list})
				}
				if len(list) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "no instances match")
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tPROCESS\tVERSION\tBUSINESS KEY\tSTATUS\tSTARTED\tENDED")
				for _, in := range list {
					status := in.Status
					if in.Suspended {
						status += " (suspended)"
					}
					if in.Archived {
						status += " (archived)"
					}
					ended := "-"
					if in.Ended != nil {
						ended = in.Ended.Format(time.RFC3339)
					}
					fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", in.ID, in.ProcessKey, in.DefinitionVersion, dash(in.BusinessKey),
						status, in.Started.Format(time.RFC3339), ended)
				}
				return w.Flush()
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.ProcessKey, "process", "", "only instances of this process key")
	fl.StringVar(&f.Status, "status", "", "only instances with this status: running, incident, completed or cancelled")
	fl.StringVar(&f.BusinessKey, "business-key", "", "only instances with this business key")
	fl.StringVar(&after, "started-after", "", "only instances started at or after this RFC 3339 time")
	fl.StringVar(&before, "started-before", "", "only instances started at or before this RFC 3339 time")
	fl.IntVar(&f.Limit, "limit", 100, "at most this many (1 to 1000)")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}
