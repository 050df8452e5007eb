package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newSignalCommand(g *globals) *cobra.Command {
	var (
		vars   []string
		output string
	)
	cmd := &cobra.Command{
		Use:   "signal SIGNAL_NAME",
		Short: "Broadcast a signal to every instance waiting for it",
		Long: `Signal broadcasts SIGNAL_NAME (the name of a <signal>) to every signal catch event, signal
boundary event and event-based gateway waiting for it, with the --var variables. A signal is not
kept: an instance that starts waiting later does not receive it. Signal throw and end events in
a process broadcast the same way.`,
		Example: `  baton signal product-recalled --var sku=A-17`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			variables, err := parseVars(vars)
			if err != nil {
				return err
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				res, err := c.Signal(cmd.Context(), args[0], variables)
				if err != nil {
					return err
				}
				if output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"instances": res.Instances})
				}
				if len(res.Instances) == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "signal %s reached no waiting instance\n", args[0])
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "signal %s reached %s\n", args[0], strings.Join(res.Instances, ", "))
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&vars, "var", nil, "variable as name=value (repeatable); JSON values are decoded")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}
