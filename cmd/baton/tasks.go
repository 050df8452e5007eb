package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/pkg/baton"
)

func newTasksCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "tasks",
		Aliases: []string{"task"},
		Short:   "List, claim, unclaim and complete user tasks",
		Long: `A user task's token waits until somebody completes the task. These commands work on the open
tasks of every instance: list them with filters, claim one for a user (nobody else can claim it
then), give it back, and complete it with variables. A completion applies exactly once: the
same completion again is refused ("nothing waits for this completion").`,
	}
	cmd.AddCommand(newTasksListCommand(g), newTasksClaimCommand(g), newTasksUnclaimCommand(g), newTasksCompleteCommand(g))
	return cmd
}

func newTasksListCommand(g *globals) *cobra.Command {
	var (
		f         baton.TaskFilter
		dueBefore string
		output    string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List open user tasks, by priority, then due date, then age",
		Long: `List prints the open user tasks that match every given filter. --candidate-user and --group
list the unassigned tasks offered to that user (as a candidate user, or through a group) or to
those groups. With -o json it prints an array of tasks with id, instanceId, processKey,
activityId, name, assignee, candidateUsers, candidateGroups, formKey, due, followUp, priority and
created.`,
		Example: `  baton tasks list --assignee ann
  baton tasks list --candidate-user bob --group sales -o json
  baton tasks list --process invoice --due-before 2026-12-01T00:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dueBefore != "" {
				t, err := time.Parse(time.RFC3339, dueBefore)
				if err != nil {
					return fmt.Errorf("--due-before %q: want an RFC 3339 time such as 2026-12-01T00:00:00Z", dueBefore)
				}
				f.DueBefore = t
			}
			return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
				tasks, err := c.Tasks(cmd.Context(), f)
				if err != nil {
					return err
				}
				if output == "json" {
					return printJSON(cmd.OutOrStdout(), tasks)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				defer w.Flush()
				fmt.Fprintln(w, "ID\tPROCESS\tACTIVITY\tNAME\tASSIGNEE\tCANDIDATES\tDUE\tPRIORITY")
				for _, t := range tasks {
					due := "-"
					if t.Due != nil {
						due = t.Due.Format(time.RFC3339)
					}
					cands := strings.Join(append(append([]string{}, t.CandidateUsers...), groupNames(t.CandidateGroups)...), ",")
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", t.ID, t.ProcessKey, t.ActivityID, dash(t.Name),
						dash(t.Assignee), dash(cands), due, t.Priority)
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Assignee, "assignee", "", "tasks assigned to this user")
	fl.StringVar(&f.CandidateUser, "candidate-user", "", "unassigned tasks this user may claim")
	fl.StringSliceVar(&f.CandidateGroups, "group", nil, "unassigned tasks offered to these groups (repeatable)")
	fl.BoolVar(&f.Unassigned, "unassigned", false, "only tasks nobody holds")
	fl.StringVar(&f.ProcessKey, "process", "", "tasks of this process key")
	fl.StringVar(&f.InstanceID, "instance", "", "tasks of this instance")
	fl.StringVar(&dueBefore, "due-before", "", "tasks due before this RFC 3339 time")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

func groupNames(groups []string) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = "group:" + g
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newTasksClaimCommand(g *globals) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:     "claim TASK_ID",
		Short:   "Assign an open user task to a user",
		Long:    `Claim assigns the task to --user. It fails when somebody else holds the task; unclaim it first.`,
		Example: `  baton tasks claim 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70:3:0 --user ann`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(user) == "" {
				return errors.New("--user is required")
			}
			return g.withClient(cmd, "table", []string{"table"}, func(c backend) error {
				if err := c.ClaimTask(cmd.Context(), args[0], user); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "task %s claimed by %s\n", args[0], user)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the user who takes the task (required)")
	return cmd
}

func newTasksUnclaimCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "unclaim TASK_ID",
		Short:   "Take the assignee off an open user task",
		Example: `  baton tasks unclaim 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70:3:0`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withClient(cmd, "table", []string{"table"}, func(c backend) error {
				if err := c.UnclaimTask(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "task %s is unassigned\n", args[0])
				return nil
			})
		},
	}
}

func newTasksCompleteCommand(g *globals) *cobra.Command {
	var (
		vars   []string
		output string
	)
	cmd := &cobra.Command{
		Use:   "complete TASK_ID",
		Short: "Complete a user task with variables",
		Long: `Complete ends the task and continues its instance up to its next commit (this command runs no
delegates: a following service task becomes a job for the workers). --var name=value sets a
variable (JSON values are decoded) where it is defined, else on the process. Completing a task
twice applies once; the second completion fails with "nothing waits for this completion".`,
		Example: `  baton tasks complete 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70:3:0 --var approved=true`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComplete(cmd, g, output, vars, baton.CompleteRequest{TaskID: args[0]})
		},
	}
	cmd.Flags().StringArrayVar(&vars, "var", nil, "variable as name=value (repeatable); JSON values are decoded")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

// newCompleteCommand completes a delegate that returned baton.ErrWait.
func newCompleteCommand(g *globals) *cobra.Command {
	var (
		req    baton.CompleteRequest
		vars   []string
		output string
	)
	cmd := &cobra.Command{
		Use:   "complete",
		Short: "Complete a task whose delegate returned ErrWait, by its job id and fencing token",
		Long: `A delegate that returns baton.ErrWait parks its token at the task; the work goes on outside
the engine. Complete resumes it with the job id and fencing token the delegate's Task carried
(and --token, or --activity, when several tasks of one step wait under the same job). It applies exactly
once: a second completion, or one with another attempt's fencing token, fails with "nothing
waits for this completion". User tasks are completed with "baton tasks complete".`,
		Example: `  baton complete --job 3f2c9a0e5b7d4c1e8f6a2b3c4d5e6f70:2:0 --fence 4 --var receipt=r-17`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.JobID == "" {
				return errors.New("--job is required")
			}
			return runComplete(cmd, g, output, vars, req)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.JobID, "job", "", "the waiting delegate's job id (Task.JobID)")
	fl.Int64Var(&req.FenceToken, "fence", 0, "the waiting delegate's fencing token (Task.FenceToken)")
	fl.StringVar(&req.ActivityID, "activity", "", "the activity, when several tasks wait under the job")
	fl.StringVar(&req.TokenID, "token", "", "the waiting delegate's token (Task.TokenID), when several tasks of one activity wait under the job")
	fl.StringArrayVar(&vars, "var", nil, "variable as name=value (repeatable); JSON values are decoded")
	outputFlag(cmd, &output, "table", "json")
	return cmd
}

func runComplete(cmd *cobra.Command, g *globals, output string, vars []string, req baton.CompleteRequest) error {
	variables, err := parseVars(vars)
	if err != nil {
		return err
	}
	req.Variables = variables
	return g.withClient(cmd, output, []string{"table", "json"}, func(c backend) error {
		res, err := c.Complete(cmd.Context(), req)
		if err != nil {
			return err
		}
		if output == "json" {
			return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"instanceId": res.InstanceID,
				"taskId": res.TaskID, "status": res.Status})
		}
		fmt.Fprintf(cmd.OutOrStdout(), "completed %s; instance %s is %s\n", res.TaskID, res.InstanceID, res.Status)
		return nil
	})
}
