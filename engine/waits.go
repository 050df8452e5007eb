package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
)

// Wait states that a command ends: a user task, and a delegate that returned ErrWait. The token
// waits for a Wait job: a job in the outbox like any other, except that it is never published.
// A completion claims it and commits like a worker would, so the commit protocol makes it
// exactly once: a second completion of the same wait finds the job consumed (ErrNotWaiting).

// ErrWait is what a delegate returns to park its token at the task instead of completing it:
// the work goes on outside the engine (seed 004's queue-signal pattern). Variables the delegate
// set are kept. A later Complete carrying the delegate's Task.JobID and Task.FenceToken (and
// its Task.TokenID when several tasks of one step wait) resumes the token exactly once.
var ErrWait = errors.New("the task waits for a completion")

// ErrIncident means the wait has an open incident (an earlier completion's step failed until
// its retries ran out): the completion is refused until an operator resolves it.
var ErrIncident = errors.New("the wait has an open incident")

// ErrNotWaiting means nothing waits for the completion: it was completed already (a
// duplicate), its token moved on (cancelled, interrupted), or the ids name no wait.
var ErrNotWaiting = errors.New("nothing waits for this completion")

// park leaves t waiting at n for a completion of the delegate call this step made.
func (r *runner) park(t *Token, n *model.Node) {
	j := r.boundaryOn(t, n, job.Wait, n.TaskType)
	j.For, j.Fence = r.jobID, r.fence
}

// CompleteRequest completes a wait: a user task by TaskID, or a delegate that returned ErrWait
// by the JobID and FenceToken its Task carried (and ActivityID when several tasks parked in the
// same step).
type CompleteRequest struct {
	// TaskID is a user task's id (its wait job's id, as Tasks lists it).
	TaskID string
	// JobID and FenceToken are a waiting delegate's Task.JobID and Task.FenceToken.
	JobID      string
	FenceToken int64
	// ActivityID narrows JobID to one activity, and TokenID (the delegate's Task.TokenID) to one
	// execution, such as one inner instance of a parallel multi-instance activity; both optional.
	ActivityID string
	TokenID    string
	// Variables are set as the task completes: where they are defined, else on the process.
	Variables map[string]any
	// Error, when set, ends the task with this BPMN error instead: an error boundary event of
	// the activity (or an enclosing one) catches it, else it raises an incident.
	Error *BPMNError
}

// CompleteResult says what a completion did.
type CompleteResult struct {
	InstanceID string
	// TaskID is the wait job that was completed.
	TaskID string
	// Status is the instance's status after the step.
	Status string
}

// Complete ends a wait and runs the step that follows, exactly once: a duplicate returns an
// error wrapping ErrNotWaiting. It waits (until ctx ends) while another job of the instance
// holds it.
func (e *Engine) Complete(ctx context.Context, req CompleteRequest) (CompleteResult, error) {
	vars := make(map[string]any, len(req.Variables))
	for k, v := range req.Variables {
		if err := checkDepth(k, v); err != nil {
			return CompleteResult{}, fmt.Errorf("complete: variables: %w", err)
		}
		vars[k] = normalizeNumber(deepCopy(v))
	}
	j, err := e.findWait(ctx, req)
	if err != nil {
		return CompleteResult{}, err
	}
	for {
		l, err := e.Claim(ctx, j)
		var leased *store.LeasedError
		switch {
		case errors.Is(err, store.ErrStale):
			return CompleteResult{}, fmt.Errorf("complete %s: %w", j.ID, ErrNotWaiting)
		case errors.Is(err, store.ErrIncident):
			// An earlier completion failed until it raised an incident: an operator decides.
			return CompleteResult{}, fmt.Errorf("complete %s: %w", j.ID, ErrIncident)
		case errors.Is(err, ErrSuspended):
			return CompleteResult{}, fmt.Errorf("complete %s: %w", j.ID, err)
		case errors.As(err, &leased):
			// Another job of the instance (or another completion) holds it: wait our turn.
			select {
			case <-ctx.Done():
				return CompleteResult{}, fmt.Errorf("complete %s: %w", j.ID, ctx.Err())
			case <-time.After(max(leased.RetryAfter, 10*time.Millisecond)):
			}
			continue
		case err != nil:
			return CompleteResult{}, fmt.Errorf("complete %s: %w", j.ID, err)
		}
		l.completion, l.thrown = vars, req.Error
		res, err := e.Execute(ctx, l)
		if err != nil {
			return CompleteResult{}, fmt.Errorf("complete %s: %w", j.ID, err)
		}
		switch res.Outcome {
		case Committed:
			if j.User != nil {
				_ = e.store.UnindexTasks(context.WithoutCancel(ctx), j.ID)
			}
			snap, err := e.store.Load(ctx, j.Instance)
			status := ""
			if err == nil {
				status = snap.Status
			}
			return CompleteResult{InstanceID: j.Instance, TaskID: j.ID, Status: status}, nil
		case Stale:
			return CompleteResult{}, fmt.Errorf("complete %s: %w", j.ID, ErrNotWaiting)
		case Parked:
			return CompleteResult{}, fmt.Errorf("complete %s: its process or activity is %w", j.ID, ErrSuspended)
		default:
			return CompleteResult{}, fmt.Errorf("complete %s: %s: %v", j.ID, res.Outcome, res.Err)
		}
	}
}

// findWait returns the wait job a completion names.
func (e *Engine) findWait(ctx context.Context, req CompleteRequest) (*job.Job, error) {
	instance := ""
	switch {
	case req.TaskID != "":
		instance = store.InstanceOfJob(req.TaskID)
	case req.JobID != "":
		instance = store.InstanceOfJob(strings.TrimPrefix(req.JobID, "start:"))
	default:
		return nil, errors.New("complete: give a task id, or the job id and fencing token of a waiting delegate")
	}
	snap, err := e.store.Load(ctx, instance)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("instance %s: %w", instance, ErrNotWaiting)
	}
	if err != nil {
		return nil, err
	}
	if req.TaskID != "" {
		env, ok := snap.Jobs[req.TaskID]
		if !ok {
			return nil, fmt.Errorf("task %s: %w", req.TaskID, ErrNotWaiting)
		}
		j, err := job.Decode(env)
		if err != nil || j.Kind != job.Wait {
			return nil, fmt.Errorf("task %s: it is a job, not a wait: %w", req.TaskID, ErrNotWaiting)
		}
		return j, nil
	}
	var found []*job.Job
	for _, env := range snap.Jobs {
		j, err := job.Decode(env)
		if err != nil || j.Kind != job.Wait || j.For != req.JobID || (req.ActivityID != "" && j.Activity != req.ActivityID) ||
			(req.TokenID != "" && j.Token != req.TokenID) {
			continue
		}
		if j.Fence != req.FenceToken {
			return nil, fmt.Errorf("complete job %s: fencing token %d is not the waiting attempt's (%d): %w",
				req.JobID, req.FenceToken, j.Fence, ErrNotWaiting)
		}
		found = append(found, j)
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("complete job %s: %w", req.JobID, ErrNotWaiting)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("complete job %s: %d tasks wait under it; give the activity id or the token id (Task.TokenID)", req.JobID, len(found))
}

// resumeWait completes the wait t is parked at: the completion's variables are set and the
// activity ends.
func (r *runner) resumeWait(t *Token, vars map[string]any) {
	for k, v := range vars {
		r.setVar(t, k, v)
	}
	r.push(opEnd, t, "")
}

// throwAtWait ends the wait t is parked at with BPMN error be, after setting vars.
func (r *runner) throwAtWait(t *Token, vars map[string]any, be *BPMNError) error {
	for k, v := range vars {
		r.setVar(t, k, v)
	}
	return r.throwBPMNError(t, r.def.Nodes[t.Activity], be)
}
