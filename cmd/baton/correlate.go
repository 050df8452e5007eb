package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/pkg/baton"
)

func newCorrelateCommand(g *globals) *cobra.Command {
	var (
		req    baton.CorrelateRequest
		vars   []string
		ttl    time.Duration
		output string
	)
	cmd := &cobra.Command{
		Use:   "correlate MESSAGE_NAME",
		Short: "Deliver a message to the instances that wait for it",
		Long: `Correlate delivers the message MESSAGE_NAME (the name of a <message>) to the receive tasks and
message catch events that wait for it with the same correlation key: the value of their
correlation key expression (Zeebe's zeebe:subscription), else their instance's business key.

It reaches exactly one waiting instance, or every one with --all; several waiting without --all
is an error. When none waits, the message is kept for --ttl and taken by the first instance that
starts waiting for it (--ttl 0 refuses instead). --id makes a redelivery harmless: a message id
that was correlated before is dropped.

Messages can also be published to baton.msg.<messageName> (baton server correlates them; the
Nats-Msg-Id header is the message id), with a msgpack or JSON body:
{"correlationKey": "...", "variables": {...}, "all": false, "ttl": "1h"}.`,
		Example: `  baton correlate payment-received --key order-4711 --var amount=150 --id pay-991
  nats pub baton.msg.payment-received '{"correlationKey":"order-4711"}' -H Content-Type:application/json -H Nats-Msg-Id:pay-991`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			variables, err := parseVars(vars)
			if err != nil {
				return err
			}
			if strings.TrimSpace(args[0]) == "" {
				return errors.New("MESSAGE_NAME is empty")
			}
			req.Name, req.Variables = args[0], variables
			switch {
			case ttl < 0:
				return fmt.Errorf("--ttl %s: want a duration of zero or more", ttl)
			case ttl == 0:
				req.TTL = -1
			default:
				req.TTL = ttl
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				res, err := c.Correlate(cmd.Context(), req)
				if err != nil {
					return err
				}
				if output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"messageId": res.MessageID,
						"instances": res.Instances, "buffered": res.Buffered, "duplicate": res.Duplicate})
				}
				out := cmd.OutOrStdout()
				switch {
				case res.Duplicate:
					fmt.Fprintf(out, "message %s was correlated before; nothing done\n", res.MessageID)
				case res.Buffered:
					fmt.Fprintf(out, "no instance waits; message %s is kept for %s\n", res.MessageID, req.TTL)
				default:
					fmt.Fprintf(out, "message %s correlated to %s\n", res.MessageID, strings.Join(res.Instances, ", "))
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.CorrelationKey, "key", "", "correlation key")
	fl.StringArrayVar(&vars, "var", nil, "variable as name=value (repeatable); JSON values are decoded")
	fl.StringVar(&req.MessageID, "id", "", "message id; a second message with the same id is dropped (default: random)")
	fl.BoolVar(&req.All, "all", false, "correlate to every waiting instance")
	fl.DurationVar(&ttl, "ttl", time.Hour, "how long the message waits for an instance when none waits; 0: do not wait")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}
