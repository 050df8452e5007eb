package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batonhq/baton/pkg/baton"
)

func newDeadLettersCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "dead-letters",
		Aliases: []string{"dead"},
		Short:   "List, inspect, requeue and delete dead-lettered messages",
		Long: `A message that can never be processed (it does not decode, it names no deployed process, a
start failed on every attempt, an external worker's answer is malformed) is dead-lettered: kept
in the stream BATON_DEAD for 30 days with its reason, original subject and message id, and taken
off its consumer. A dead-lettered job of a live instance also raises an incident on that job, so
the instance shows it; retrying the incident publishes the job again from Redis.

Each dead letter is named by its sequence (SEQ) in BATON_DEAD. Requeue publishes it again to its
original subject (after the cause is fixed: a deployment, say); delete drops it.`,
	}
	cmd.AddCommand(newDeadListCommand(g), newDeadShowCommand(g), newDeadRequeueCommand(g), newDeadDeleteCommand(g))
	return cmd
}

func newDeadListCommand(g *globals) *cobra.Command {
	var (
		after  uint64
		limit  int
		output string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List dead letters, oldest first",
		Long: `List prints up to --limit dead letters after sequence --after: sequence, time, original subject
and reason. With -o json it prints {"deadLetters": [...], "next": N}: each with seq, subject,
reason, msgId, time, data (base64) and header; next continues the listing with --after N (0: no
more).`,
		Example: `  baton dead-letters list
  baton dead-letters list --after 200 --limit 50 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > 1000 {
				return fmt.Errorf("--limit %d: want 1 to 1000", limit)
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				list, next, err := c.DeadLetters(cmd.Context(), after, limit)
				if err != nil {
					return err
				}
				if output == "json" {
					if list == nil {
						list = []baton.DeadLetterRecord{}
					}
					return printJSON(cmd.OutOrStdout(), map[string]any{"deadLetters": list, "next": next})
				}
				if len(list) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "no dead letters")
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "SEQ\tTIME\tSUBJECT\tREASON")
				for _, d := range list {
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", d.Seq, d.Time.Format(time.RFC3339), d.Subject, firstLine(d.Reason))
				}
				if err := w.Flush(); err != nil {
					return err
				}
				if next != 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "more: baton dead-letters list --after %d\n", next)
				}
				return nil
			})
		},
	}
	cmd.Flags().Uint64Var(&after, "after", 0, "list the dead letters after this sequence")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many (1 to 1000)")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

// parseSeq reads the SEQ argument.
func parseSeq(arg string) (uint64, error) {
	seq, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || seq == 0 {
		return 0, fmt.Errorf("SEQ %q: want the dead letter's sequence, a positive number (baton dead-letters list shows it)", arg)
	}
	return seq, nil
}

func newDeadShowCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "show SEQ",
		Short: "Show one dead letter: its reason, headers and body",
		Long: `Show prints a dead letter's subject, message id, time, reason and headers, and its body:
decoded from msgpack or JSON when it is either, as text when it is text, else in hex.`,
		Example: `  baton dead-letters show 17`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := parseSeq(args[0])
			if err != nil {
				return err
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				d, err := c.DeadLetter(cmd.Context(), seq)
				if err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), d)
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "seq      %d\nsubject  %s\nmsg id   %s\ntime     %s\nreason   %s\n", d.Seq, d.Subject, dash(d.MsgID),
					d.Time.Format(time.RFC3339), d.Reason)
				for k, v := range d.Header {
					fmt.Fprintf(out, "header   %s: %v\n", k, v)
				}
				fmt.Fprintf(out, "body     %s\n", readableBody(d.Data))
				return nil
			})
		},
	}
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

// readableBody renders a message body for people: msgpack or JSON as JSON, text as text, else
// hex.
func readableBody(b []byte) string {
	var v any
	if json.Valid(b) {
		return string(b)
	}
	rd := bytes.NewReader(b)
	dec := msgpack.NewDecoder(rd)
	dec.UseLooseInterfaceDecoding(true)
	if err := dec.Decode(&v); err == nil && rd.Len() == 0 { // one msgpack value, all of it
		if j, err := json.Marshal(v); err == nil {
			return "(msgpack) " + string(j)
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return fmt.Sprintf("(%d bytes) %x", len(b), b)
}

func newDeadRequeueCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "requeue SEQ",
		Short: "Publish a dead letter again to its original subject, and delete it",
		Long: `Requeue publishes dead letter SEQ to the subject it was first published on, with its original
headers and a new message id (<original>#requeued-<SEQ>), then deletes it. Fix the cause first:
a message dead-lettered because it names no deployed process needs the deployment.`,
		Example: `  baton dead-letters requeue 17`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := parseSeq(args[0])
			if err != nil {
				return err
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				d, err := c.RequeueDeadLetter(cmd.Context(), seq)
				if err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), map[string]any{"seq": seq, "subject": d.Subject, "requeued": true})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "dead letter %d published again to %s\n", seq, d.Subject)
				return nil
			})
		},
	}
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

func newDeadDeleteCommand(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "delete SEQ",
		Short:   "Delete a dead letter",
		Example: `  baton dead-letters delete 17`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := parseSeq(args[0])
			if err != nil {
				return err
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				if err := c.DeleteDeadLetter(cmd.Context(), seq); err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), map[string]any{"seq": seq, "deleted": true})
				}
				fmt.Fprintf(cmd.OutOrStdout(), "dead letter %d deleted\n", seq)
				return nil
			})
		},
	}
	outputFlag(cmd, &output, "table", "json")
	return cmd
}
