package engine

import (
	"context"
	"errors"
	"sort"

	"github.com/batonhq/baton/engine/store"
)

// OutstandingJob is one job that exists in an outbox: waiting on its subject, running under a
// lease, waiting for a completion (kind "wait"), or in incident.
type OutstandingJob struct {
	JobView
	InstanceID string `json:"instanceId"`
	ProcessKey string `json:"processKey"`
}

// JobFilter narrows Jobs; empty fields match everything.
type JobFilter struct {
	TaskType   string
	ProcessKey string
	InstanceID string
	ActivityID string
	// Incident lists only jobs in incident; Leased only jobs running now.
	Incident, Leased bool
	// Limit caps the result. Default 100; at most 1000.
	Limit int
}

// Jobs lists outstanding jobs matching f: those the reconciler watches (the due index) and those
// in incident, sorted by id (so by instance).
func (e *Engine) Jobs(ctx context.Context, f JobFilter) ([]OutstandingJob, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	var ids []string
	if f.InstanceID == "" {
		// The due index also holds jobs consumed in the last OverdueAfter (the reconciler drops
		// them when it looks): read deep enough to see past them.
		due, err := e.store.DueJobs(ctx, 10000)
		if err != nil {
			return nil, err
		}
		inc, err := e.store.IncidentIndex(ctx)
		if err != nil {
			return nil, err
		}
		ids = append(due, inc...)
	}
	instances := map[string]bool{}
	if f.InstanceID != "" {
		instances[f.InstanceID] = true
	}
	for _, id := range ids {
		instances[store.InstanceOfJob(id)] = true
	}
	var out []OutstandingJob
	for in := range instances {
		v, err := e.Instance(ctx, in)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if v.Archived || (f.ProcessKey != "" && v.ProcessKey != f.ProcessKey) {
			continue
		}
		for _, j := range v.Jobs {
			if (f.TaskType != "" && j.TaskType != f.TaskType) || (f.ActivityID != "" && j.ActivityID != f.ActivityID) ||
				(f.Incident && !j.Incident) || (f.Leased && !j.Leased) {
				continue
			}
			out = append(out, OutstandingJob{JobView: j, InstanceID: v.ID, ProcessKey: v.ProcessKey})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}
