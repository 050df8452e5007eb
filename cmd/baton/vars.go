package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/pkg/baton"
)

func newVarsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "vars",
		Aliases: []string{"variables"},
		Short:   "Read and set an instance's variables, and list their changes",
	}
	var (
		token, name, output string
		vars                []string
	)
	get := &cobra.Command{
		Use:   "get INSTANCE_ID",
		Short: "Print the process's variables, or those a token sees (--token)",
		Long: `Get prints the instance's process variables; with --token, the variables that token sees: its
scopes' (input mappings, subprocess, multi-instance) over the process's. Token ids are listed by
"baton instance show".`,
		Example: `  baton vars get 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70 -o json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				v, err := c.Variables(cmd.Context(), args[0], token)
				if baton.IsNotFound(err) {
					return fmt.Errorf("no instance %q", args[0])
				}
				if err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), v)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				defer w.Flush()
				for _, k := range sortedNames(v) {
					b, _ := json.Marshal(v[k])
					fmt.Fprintf(w, "%s\t%s\n", k, b)
				}
				return nil
			})
		},
	}
	get.Flags().StringVar(&token, "token", "", "the token whose view to print")
	outputFlag(get, &output, "table", "json")

	set := &cobra.Command{
		Use:   "set INSTANCE_ID --var name=value...",
		Short: "Set variables of a running instance in one commit",
		Long: `Set sets the --var variables (JSON values are decoded) in one commit: where each is defined,
else on the process; with --token, in that token's nearest scope. The changes appear in
"baton vars history". An ended instance is refused.`,
		Example: `  baton vars set 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70 --var amount=120 --var approved=true`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(vars) == 0 {
				return errors.New("give at least one --var name=value")
			}
			variables, err := parseVars(vars)
			if err != nil {
				return err
			}
			return g.withClient(cmd, "table", []string{"table"}, func(c backend) error {
				err := c.SetVariables(cmd.Context(), baton.SetVariablesRequest{InstanceID: args[0], TokenID: token, Variables: variables})
				if baton.IsNotFound(err) {
					return fmt.Errorf("no instance %q", args[0])
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "set %d variables of %s\n", len(variables), args[0])
				return nil
			})
		},
	}
	set.Flags().StringVar(&token, "token", "", "set in this token's nearest scope")
	set.Flags().StringArrayVar(&vars, "var", nil, "variable as name=value (repeatable); JSON values are decoded")

	var histOutput string
	history := &cobra.Command{
		Use:   "history INSTANCE_ID",
		Short: "List the instance's variable changes, oldest first",
		Long: `History lists every variable change the instance recorded: by delegates, scripts, mappings,
completions, messages and "baton vars set", oldest first, with the activity that made it and the
scope's token (empty: the process). --name keeps one variable's.`,
		Example: `  baton vars history 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70 --name amount`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd, histOutput, []string{"table", "json"}, func(c backend) error {
				h, err := c.VariableHistory(cmd.Context(), args[0], name)
				if baton.IsNotFound(err) {
					return fmt.Errorf("no instance %q", args[0])
				}
				if err != nil {
					return err
				}
				if histOutput == "json" {
					return printJSON(cmd.OutOrStdout(), h)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				defer w.Flush()
				fmt.Fprintln(w, "TIME\tVARIABLE\tVALUE\tACTIVITY\tSCOPE")
				for _, e := range h {
					b, _ := json.Marshal(e.Value)
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", time.UnixMilli(e.Time).UTC().Format("15:04:05.000"), e.Variable, b,
						dash(e.Activity), dash(e.Token))
				}
				return nil
			})
		},
	}
	history.Flags().StringVar(&name, "name", "", "only this variable's changes")
	outputFlag(history, &histOutput, "table", "json")
	cmd.AddCommand(get, set, history)
	return cmd
}
