package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newTimersCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "timers",
		Short: "List the scheduled timer start events",
		Long: `Timers lists the timer start events that will start instances: for each process key, the
version whose timer start events are scheduled (deploying a newer version replaces them), the
event, how often it fired, and when it fires next. A server's reconciler fires them: with no
server running, nothing starts, and a timer that came due meanwhile fires once when one starts.`,
		Example: `  baton timers
  baton timers -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				timers, err := c.StartTimers(cmd.Context())
				if err != nil {
					return err
				}
				if output == "json" {
					out := make([]map[string]any, 0, len(timers))
					for _, t := range timers {
						out = append(out, map[string]any{"processKey": t.ProcessKey, "version": t.Version, "event": t.Event,
							"fired": t.Fired, "due": t.Due.UTC().Format(time.RFC3339Nano)})
					}
					return printJSON(cmd.OutOrStdout(), map[string]any{"timers": out})
				}
				if len(timers) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "no timer start events are scheduled")
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "PROCESS\tVERSION\tEVENT\tFIRED\tNEXT")
				for _, t := range timers {
					fmt.Fprintf(w, "%s\t%d\t%s\t%d\t%s\n", t.ProcessKey, t.Version, t.Event, t.Fired, t.Due.UTC().Format(time.RFC3339))
				}
				return w.Flush()
			})
		},
	}
	outputFlag(cmd, &output, "table", "json")
	return cmd
}
