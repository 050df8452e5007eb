package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/pkg/baton"
)

func newStartCommand(g *globals) *cobra.Command {
	var (
		vars        []string
		businessKey string
		version     int
		output      string
	)
	cmd := &cobra.Command{
		Use:   "start PROCESS_KEY",
		Short: "Start a process instance",
		Long: `Start creates an instance of the latest (or --version) deployment of PROCESS_KEY and prints
its id. The command runs no delegates itself: the instance advances up to its first service
task, commits, and publishes that task's job for the workers.

--var name=value sets a variable; the value is read as JSON when it parses (42, 4.2, true,
"text", {"a":1}, [1,2]) and as a plain string otherwise.

Instances can also be started by publishing a start message to baton.start.<processKey>.`,
		Example: `  baton start order --var amount=150 --var customer=ada --business-key order-4711
  nats pub baton.start.order '{"variables":{"amount":150}}' -H Content-Type:application/json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			variables, err := parseVars(vars)
			if err != nil {
				return err
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				res, err := c.Start(cmd.Context(), baton.StartRequest{ProcessKey: args[0], Version: version,
					BusinessKey: businessKey, Variables: variables})
				if err != nil {
					return err
				}
				if output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"id": res.InstanceID,
						"processKey": args[0], "definitionVersion": res.DefinitionVersion, "status": res.Status})
				}
				fmt.Fprintln(cmd.OutOrStdout(), res.InstanceID)
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&vars, "var", nil, "variable as name=value (repeatable); JSON values are decoded")
	cmd.Flags().StringVar(&businessKey, "business-key", "", "business key of the instance")
	cmd.Flags().IntVar(&version, "version", 0, "definition version (default: latest)")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

// parseVars reads --var name=value flags.
func parseVars(flags []string) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range flags {
		name, raw, ok := strings.Cut(f, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("--var %q: want name=value", f)
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil || dec.More() {
			v = raw // not JSON: the text itself
		}
		// Numbers stay json.Number here, exact; the engine makes them int64 or float64.
		out[strings.TrimSpace(name)] = v
	}
	return out, nil
}
