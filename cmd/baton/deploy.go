package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/engine/bpmn"
	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/pkg/baton"
)

func newDeployCommand(g *globals) *cobra.Command {
	var (
		output  string
		explain bool
		dryRun  bool
	)
	cmd := &cobra.Command{
		Use:   "deploy FILE.bpmn [FILE.bpmn...]",
		Short: "Deploy BPMN models as new process definition versions",
		Long: `Deploy parses each BPMN 2.0 file and stores every executable process in it as the next
version of its process key. Deploying content that is already deployed is a no-op and keeps
the version. A model with problems deploys nothing: each problem is listed with file:line and
the element id. All files are parsed before anything is stored.

--explain prints each process's transaction segments: which activities run together between
two commits, which job (task type) starts each segment, which delegates it calls, and where it
commits. --dry-run parses and explains without connecting or storing anything.`,
		Example: `  baton deploy examples/order/order.bpmn
  baton deploy --explain --dry-run examples/order/order.bpmn
  baton deploy --redis redis://redis:6379 models/*.bpmn -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
			parsed, err := parseFiles(args)
			if err != nil {
				return err
			}
			if dryRun {
				return printExplain(cmd.OutOrStdout(), parsed, output)
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				rows, err := deploy(cmd, c, parsed)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				if output == "json" {
					doc := map[string]any{"deployed": rows}
					if explain {
						doc["processes"] = explained(parsed)
					}
					return printJSON(out, doc)
				}
				for _, r := range rows {
					state := "deployed"
					if r.Unchanged {
						state = "unchanged"
					}
					fmt.Fprintf(out, "%s\t%s version %d (%s)\n", r.File, r.Key, r.Version, state)
				}
				if explain {
					return printExplain(out, parsed, output)
				}
				return nil
			})
		},
	}
	outputFlag(cmd, &output, "table", "json")
	cmd.Flags().BoolVar(&explain, "explain", false, "print each process's transaction segments")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "parse and explain only; store nothing (implies --explain)")
	return cmd
}

// parsedFile is one file's processes.
type parsedFile struct {
	file string
	defs []*model.Definition
}

// parseFiles parses every file first, so a bad file stops the deploy before anything is stored.
func parseFiles(files []string) ([]parsedFile, error) {
	out := make([]parsedFile, 0, len(files))
	for _, f := range files {
		defs, err := bpmn.ParseFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, parsedFile{file: f, defs: defs})
	}
	return out, nil
}

// deployedRow is one deployed process.
type deployedRow struct {
	File      string `json:"file"`
	Key       string `json:"processKey"`
	Version   int    `json:"version"`
	Unchanged bool   `json:"unchanged"`
}

// deploy deploys the parsed files: directly the definitions parsed here, or through the API
// each file again (the server parses it too).
func deploy(cmd *cobra.Command, c backend, parsed []parsedFile) ([]deployedRow, error) {
	rows := []deployedRow{}
	for _, p := range parsed {
		var (
			deps []baton.Deployed
			err  error
		)
		if direct, ok := c.(*baton.Client); ok {
			deps, err = direct.Engine().Deploy(cmd.Context(), p.defs)
		} else {
			deps, err = c.DeployFile(cmd.Context(), p.file)
		}
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			rows = append(rows, deployedRow{File: p.file, Key: d.Key, Version: d.Version, Unchanged: d.Unchanged})
		}
	}
	return rows, nil
}

// explainedProcess is one process's segments, for JSON output.
type explainedProcess struct {
	File     string          `json:"file"`
	Key      string          `json:"processKey"`
	Segments []model.Segment `json:"segments"`
}

func explained(parsed []parsedFile) []explainedProcess {
	var all []explainedProcess
	for _, p := range parsed {
		for _, d := range p.defs {
			all = append(all, explainedProcess{File: p.file, Key: d.Key, Segments: model.Segments(d)})
		}
	}
	return all
}

// printExplain prints the transaction segments of every parsed process.
func printExplain(out io.Writer, parsed []parsedFile, output string) error {
	if output == "json" {
		return printJSON(out, map[string]any{"processes": explained(parsed)})
	}
	for _, p := range parsed {
		for _, d := range p.defs {
			segs := model.Segments(d)
			fmt.Fprintf(out, "\n%s (%s): %d transaction segments\n", d.Key, p.file, len(segs))
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "  SEGMENT\tJOB ON\tRUNS\tCALLS\tCOMMITS AT")
			for _, s := range segs {
				job := s.JobType
				switch {
				case job == "" && strings.HasPrefix(s.Entry, "complete "):
					job = "(the caller of complete or correlate)"
				case job == "" && strings.HasPrefix(s.Entry, "event ") && d.Nodes[strings.TrimPrefix(s.Entry, "event ")].EventType == "timer":
					job = "(a server's reconciler, when the timer is due)"
				case job == "" && strings.HasPrefix(s.Entry, "event "):
					job = "(the caller of correlate or signal)"
				case job == "" && strings.HasPrefix(s.Entry, "fire "):
					job = "(the caller of correlate or signal)"
				case job == "":
					job = "(the caller of start)"
				}
				fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", s.Entry, job, strings.Join(s.Activities, ", "),
					orDash(strings.Join(s.TaskTypes, ", ")), orDash(strings.Join(s.Ends, ", ")))
			}
			_ = w.Flush()
		}
	}
	fmt.Fprintln(out, "\nA service task whose delegate the running process lacks is a commit point too (decided at run time).")
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
