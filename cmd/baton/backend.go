package main

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/api"
	"github.com/batonhq/baton/pkg/baton"
)

// backend is what the commands work with: a direct client of NATS and Redis (*baton.Client),
// or the HTTP API of a server (--api, *api.Client). Both do the same operations.
type backend interface {
	DeployFile(ctx context.Context, path string) ([]baton.Deployed, error)
	Start(ctx context.Context, req baton.StartRequest) (baton.StartResult, error)
	Instance(ctx context.Context, id string) (*baton.InstanceView, error)
	Instances(ctx context.Context, f baton.InstanceFilter) ([]baton.InstanceSummary, error)
	Cancel(ctx context.Context, id string) (baton.CancelResult, error)
	Modify(ctx context.Context, req baton.ModifyRequest) (baton.ModifyResult, error)
	Variables(ctx context.Context, instanceID, tokenID string) (map[string]any, error)
	SetVariables(ctx context.Context, req baton.SetVariablesRequest) error
	VariableHistory(ctx context.Context, instanceID, name string) ([]baton.HistoryEvent, error)
	Tasks(ctx context.Context, f baton.TaskFilter) ([]baton.TaskView, error)
	ClaimTask(ctx context.Context, taskID, user string) error
	UnclaimTask(ctx context.Context, taskID string) error
	Complete(ctx context.Context, req baton.CompleteRequest) (baton.CompleteResult, error)
	Correlate(ctx context.Context, req baton.CorrelateRequest) (baton.CorrelateResult, error)
	Signal(ctx context.Context, name string, vars map[string]any) (baton.SignalResult, error)
	Jobs(ctx context.Context, f baton.JobFilter) ([]baton.OutstandingJob, error)
	Incidents(ctx context.Context, f baton.IncidentFilter) ([]baton.OpenIncident, error)
	RetryIncident(ctx context.Context, req baton.RetryRequest) error
	StartTimers(ctx context.Context) ([]baton.StartTimer, error)
	DeadLetters(ctx context.Context, after uint64, limit int) ([]baton.DeadLetterRecord, uint64, error)
	DeadLetter(ctx context.Context, seq uint64) (baton.DeadLetterRecord, error)
	RequeueDeadLetter(ctx context.Context, seq uint64) (baton.DeadLetterRecord, error)
	DeleteDeadLetter(ctx context.Context, seq uint64) error
	Suspend(ctx context.Context, s baton.Scope) error
	Activate(ctx context.Context, s baton.Scope) (int, error)
	Suspensions(ctx context.Context) ([]baton.Suspension, error)
}

var (
	_ backend = (*baton.Client)(nil)
	_ backend = (*api.Client)(nil)
)

// withClient checks --output against formats, opens the backend (the API with --api, else NATS
// and Redis), runs f and closes it.
func (g *globals) withClient(cmd *cobra.Command, output string, formats []string, f func(backend) error) error {
	if err := checkOutput(output, formats...); err != nil {
		return err
	}
	if url := g.apiURL(); url != "" {
		token := g.token
		if token == "" {
			token = os.Getenv("BATON_API_TOKEN")
		}
		c, err := api.NewClient(url, token)
		if err != nil {
			return err
		}
		return f(c)
	}
	c, _, err := g.connect(cmd.Context())
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

// apiURL is --api, else BATON_API_URL.
func (g *globals) apiURL() string {
	if g.api != "" {
		return g.api
	}
	return os.Getenv("BATON_API_URL")
}
