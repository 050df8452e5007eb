package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/queue"
)

// Incidents: a job whose retries ran out (or that failed in a way no retry fixes) waits for an
// operator, and its instance shows status "incident". Incidents lists them across instances;
// RetryIncident resolves one, optionally with new retries and variables, and runs the job again.

// OpenIncident is one open incident, with the instance it belongs to.
type OpenIncident struct {
	IncidentView
	InstanceID        string `json:"instanceId"`
	ProcessKey        string `json:"processKey"`
	DefinitionVersion int    `json:"definitionVersion"`
	BusinessKey       string `json:"businessKey,omitempty"`
}

// IncidentFilter narrows Incidents; empty fields match everything.
type IncidentFilter struct {
	ProcessKey string
	InstanceID string
	ActivityID string
	TaskType   string
}

// ErrNoIncident means the job has no open incident: it was resolved, its instance moved on, or
// the id names no job.
var ErrNoIncident = store.ErrNoIncident

// indexIncident records jobID in the incident index; a failure is logged (Incidents repairs
// what it finds stale, and the reconciler re-adds what is missing).
func (e *Engine) indexIncident(ctx context.Context, jobID string) {
	if err := e.store.IndexIncident(context.WithoutCancel(ctx), jobID, time.Now()); err != nil {
		e.log.Warn("indexing an incident failed; the reconciler will", zap.String("job", jobID), zap.Error(err))
	}
}

// Incidents lists the open incidents matching f, oldest first. Index entries whose incident is
// gone (resolved, or its instance cancelled) are dropped on the way.
func (e *Engine) Incidents(ctx context.Context, f IncidentFilter) ([]OpenIncident, error) {
	ids, err := e.store.IncidentIndex(ctx)
	if err != nil {
		return nil, err
	}
	byInstance := map[string][]string{}
	var order []string
	for _, id := range ids {
		in := store.InstanceOfJob(id)
		if f.InstanceID != "" && in != f.InstanceID {
			continue
		}
		if _, ok := byInstance[in]; !ok {
			order = append(order, in)
		}
		byInstance[in] = append(byInstance[in], id)
	}
	var out []OpenIncident
	var stale []string
	for _, in := range order {
		snap, err := e.store.Load(ctx, in)
		if errors.Is(err, store.ErrNotFound) {
			stale = append(stale, byInstance[in]...)
			continue
		}
		if err != nil {
			return nil, err
		}
		st, err := DecodeState(snap.State)
		if err != nil {
			return nil, err
		}
		views := incidentViews(snap)
		for _, id := range byInstance[in] {
			v, ok := views[id]
			if !ok {
				stale = append(stale, id)
				continue
			}
			if (f.ProcessKey != "" && st.ProcessKey != f.ProcessKey) || (f.ActivityID != "" && v.ActivityID != f.ActivityID) ||
				(f.TaskType != "" && v.TaskType != f.TaskType) {
				continue
			}
			out = append(out, OpenIncident{IncidentView: v, InstanceID: in, ProcessKey: st.ProcessKey,
				DefinitionVersion: st.DefinitionVersion, BusinessKey: st.BusinessKey})
		}
	}
	if len(stale) > 0 {
		_ = e.store.UnindexIncident(ctx, stale...)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Time < out[b].Time })
	return out, nil
}

// incidentViews reads the incidents of an instance snapshot, by job id.
func incidentViews(snap *store.Snapshot) map[string]IncidentView {
	out := make(map[string]IncidentView, len(snap.Incidents))
	for id, raw := range snap.Incidents {
		var in incident
		if json.Unmarshal([]byte(raw), &in) != nil {
			continue
		}
		// An incident raised inside Redis (a lease that kept expiring) names only its job: the
		// rest comes from the job's envelope.
		if j, err := job.Decode(snap.Jobs[id]); err == nil && in.Activity == "" {
			in.Activity, in.TaskType, in.Token = j.Activity, j.Type, j.Token
		}
		out[id] = IncidentView{JobID: id, ActivityID: in.Activity, TaskType: in.TaskType, TokenID: in.Token,
			Error: in.Error, Attempts: in.Attempts, Time: in.Time}
	}
	return out
}

// RetryRequest resolves an incident.
type RetryRequest struct {
	// JobID is the job whose incident to resolve (IncidentView.JobID).
	JobID string
	// Retries is how many attempts the job gets; 0: as many as its retry policy gives.
	Retries int
	// Variables, when set, are set on the instance (where defined, else at process level) before
	// the job runs again: the fix for data that made it fail.
	Variables map[string]any
}

// RetryIncident resolves the incident of req.JobID: it sets req.Variables, clears the incident
// and the job's failure count, and offers the job again (a wait job waits for its completion
// again). It returns an error wrapping ErrNoIncident when the job has none.
func (e *Engine) RetryIncident(ctx context.Context, req RetryRequest) error {
	if req.JobID == "" {
		return errors.New("retry: jobId is required")
	}
	if req.Retries < 0 {
		return fmt.Errorf("retry %s: retries %d: want 0 (the retry policy's) or more", req.JobID, req.Retries)
	}
	instance := store.InstanceOfJob(req.JobID)
	snap, err := e.store.Load(ctx, instance)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("retry %s: %w", req.JobID, ErrNoIncident)
	}
	if err != nil {
		return err
	}
	if _, ok := snap.Incidents[req.JobID]; !ok {
		return fmt.Errorf("retry %s: %w", req.JobID, ErrNoIncident)
	}
	// Variables first: a crash after them leaves the incident open with the fixed data, and a
	// second retry finishes the job.
	if len(req.Variables) > 0 {
		if err := e.SetVariables(ctx, SetVariablesRequest{InstanceID: instance, Variables: req.Variables}); err != nil {
			return fmt.Errorf("retry %s: %w", req.JobID, err)
		}
	}
	// The reconciler looks at the job again should this process die before it is published
	// (first: an incident's job is out of its index).
	if err := e.store.Schedule(ctx, req.JobID, time.Now().Add(e.cfg.OverdueAfter)); err != nil {
		return fmt.Errorf("retry %s: %w", req.JobID, err)
	}
	env, err := e.store.Resolve(ctx, req.JobID, req.Retries)
	if err != nil {
		return err
	}
	_ = e.store.UnindexIncident(ctx, req.JobID)
	e.log.Info("incident resolved; the job runs again", zap.String("job", req.JobID), zap.Int("retries", req.Retries))
	j, err := job.Decode(env)
	if err != nil {
		return err
	}
	msgID := fmt.Sprintf("%s#i%d", j.ID, time.Now().UnixNano())
	switch {
	case j.Kind == job.Wait && j.External:
		return e.offerExternal(ctx, j, msgID, time.Time{})
	case j.Kind == job.Wait:
		return nil // a completion ends it
	}
	return e.queue.Publish(ctx, queue.Message{Subject: jobSubject(j), MsgID: msgID, Data: env})
}
