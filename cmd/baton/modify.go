package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

func newModifyCommand(g *globals) *cobra.Command {
	var (
		cancel, before, after, move, vars []string
		output                            string
	)
	cmd := &cobra.Command{
		Use:   "modify INSTANCE_ID",
		Short: "Cancel, start and move tokens of a running instance, atomically",
		Long: `Modify changes where a running instance's tokens are, in one commit at its current version:
nothing is applied when any instruction fails. Instructions apply in this order: --var, then
--cancel, --move, --start-before and --start-after, each in the order given.

  --cancel TOKEN            cancel a token and what runs inside it
  --move TOKEN:ACTIVITY     cancel a token and start one before ACTIVITY
  --start-before ACTIVITY   start a token that arrives at ACTIVITY (its async markers apply)
  --start-after ACTIVITY    start a token that leaves ACTIVITY along its flows

Token ids are listed by "baton instance show". A token started inside a subprocess joins its
running scope. As in Camunda, a subprocess whose last token is cancelled (or reaches an end
event) ends, and its token continues after it. The started tokens run in this command up to
their next commit, without delegates: a service task becomes a job for the workers.`,
		Example: `  baton modify 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70 --move t3:Review
  baton modify 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70 --cancel t5 --start-before Ship --var express=true`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			variables, err := parseVars(vars)
			if err != nil {
				return err
			}
			req := baton.ModifyRequest{InstanceID: args[0], Variables: variables}
			for _, tok := range cancel {
				req.Instructions = append(req.Instructions, baton.Instruction{Kind: engine.ModifyCancel, TokenID: tok})
			}
			for _, m := range move {
				tok, act, ok := strings.Cut(m, ":")
				if !ok || tok == "" || act == "" {
					return fmt.Errorf("--move %q: want TOKEN:ACTIVITY", m)
				}
				req.Instructions = append(req.Instructions, baton.Instruction{Kind: engine.ModifyMove, TokenID: tok, ActivityID: act})
			}
			for _, a := range before {
				req.Instructions = append(req.Instructions, baton.Instruction{Kind: engine.ModifyStartBefore, ActivityID: a})
			}
			for _, a := range after {
				req.Instructions = append(req.Instructions, baton.Instruction{Kind: engine.ModifyStartAfter, ActivityID: a})
			}
			if len(req.Instructions) == 0 && len(variables) == 0 {
				return errors.New("give at least one of --cancel, --move, --start-before, --start-after or --var")
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				res, err := c.Modify(cmd.Context(), req)
				if baton.IsNotFound(err) {
					return fmt.Errorf("no instance %q", args[0])
				}
				if err != nil {
					return err
				}
				if output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"id": args[0], "status": res.Status, "version": res.Version})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "modified %s: %s at version %d\n", args[0], res.Status, res.Version)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&cancel, "cancel", nil, "token to cancel (repeatable)")
	fl.StringArrayVar(&move, "move", nil, "TOKEN:ACTIVITY to move (repeatable)")
	fl.StringArrayVar(&before, "start-before", nil, "activity to start a token before (repeatable)")
	fl.StringArrayVar(&after, "start-after", nil, "activity to start a token after (repeatable)")
	fl.StringArrayVar(&vars, "var", nil, "variable as name=value, set on the process first (repeatable)")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}
