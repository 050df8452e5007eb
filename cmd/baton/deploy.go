package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/pkg/baton"
)

func newDeployCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "deploy FILE.bpmn [FILE.bpmn...]",
		Short: "Deploy BPMN models as new process definition versions",
		Long: `Deploy parses each BPMN 2.0 file and stores every executable process in it as the next
version of its process key. Deploying content that is already deployed is a no-op and keeps
the version. A model with problems deploys nothing: each problem is listed with file:line and
the element id.`,
		Example: `  baton deploy examples/order/order.bpmn
  baton deploy --redis redis://redis:6379 models/*.bpmn -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd, output, []string{"table", "json"}, func(c *baton.Client) error {
				return deploy(cmd, c, args, output)
			})
		},
	}
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

func deploy(cmd *cobra.Command, c *baton.Client, args []string, output string) error {
	type row struct {
		File      string `json:"file"`
		Key       string `json:"processKey"`
		Version   int    `json:"version"`
		Unchanged bool   `json:"unchanged"`
	}
	var rows []row
	for _, f := range args {
		deps, err := c.DeployFile(cmd.Context(), f)
		if err != nil {
			return err
		}
		for _, d := range deps {
			rows = append(rows, row{File: f, Key: d.Key, Version: d.Version, Unchanged: d.Unchanged})
		}
	}
	if output == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	for _, r := range rows {
		state := "deployed"
		if r.Unchanged {
			state = "unchanged"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s version %d (%s)\n", r.File, r.Key, r.Version, state)
	}
	return nil
}
