package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/attribute"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/store"
)

// Lease is a claimed job: the worker holds it until it executes, releases or loses it.
type Lease struct {
	Job     *job.Job
	Fence   int64
	Expires time.Time
	// Attempt counts attempts of this job, from 1.
	Attempt int

	version int64
	state   []byte
	// completion holds the variables of a completion that claimed a Wait job, and thrown the
	// BPMN error it ends the wait with, if any.
	completion map[string]any
	thrown     *BPMNError
}

// Claim leases j for this engine's owner. It returns store.ErrStale (the job is done: ack its
// message), store.ErrIncident (it waits for an operator: ack), or a *store.LeasedError (another
// claim holds it or another exclusive job of the instance runs: redeliver later).
func (e *Engine) Claim(ctx context.Context, j *job.Job) (*Lease, error) {
	c, err := e.store.Claim(ctx, store.ClaimRequest{Instance: j.Instance, Job: j.ID, Owner: e.cfg.Owner,
		Exclusive: j.Exclusive, Lease: e.cfg.LeaseDuration, MaxExpiries: e.cfg.MaxAttempts})
	if errors.Is(err, store.ErrIncident) {
		e.indexIncident(ctx, j.ID) // raised by this claim (a lease that kept expiring), or earlier
	}
	if err != nil {
		return nil, err
	}
	if c.TookOver {
		e.leaseRecovered(j)
	}
	return &Lease{Job: j, Fence: c.Fence, Expires: c.Expires, Attempt: c.Attempts + 1, version: c.Version, state: c.State}, nil
}

// Renew extends l by the lease duration. It returns store.ErrFenced or store.ErrStale when the
// lease is no longer ours; the running step's result will then be discarded at commit.
func (e *Engine) Renew(ctx context.Context, l *Lease) error {
	exp, err := e.store.Renew(ctx, l.Job.Instance, l.Job.ID, l.Fence, l.Job.Exclusive, e.cfg.LeaseDuration)
	if err != nil {
		return err
	}
	l.Expires = exp
	return nil
}

// Release gives l back without counting an attempt, so another worker can take it at once.
func (e *Engine) Release(ctx context.Context, l *Lease) error {
	return e.store.Release(ctx, l.Job.Instance, l.Job.ID, l.Fence)
}

// Outcome is how executing a leased job ended.
type Outcome int

const (
	// Committed: the step committed (or had already); ack the message.
	Committed Outcome = iota + 1
	// Retry: the attempt failed and the job runs again after Result.RetryAfter.
	Retry
	// Incident: retries are exhausted; the job waits for an operator. Ack the message.
	Incident
	// Fenced: another claim took the job over; this result was discarded. Do not ack on this
	// belief: redeliver and let Redis decide.
	Fenced
	// Stale: the job was consumed by another commit; ack.
	Stale
	// Released: the context ended (shutdown) and the lease was given back; redeliver now.
	Released
	// Parked: the job's process definition or activity is suspended; the lease was given back
	// and the job parked. Ack the message: activation publishes the job again.
	Parked
)

func (o Outcome) String() string {
	return [...]string{"unknown", "committed", "retry", "incident", "fenced", "stale", "released", "parked"}[o]
}

// Result is what Execute did.
type Result struct {
	Outcome Outcome
	// RetryAfter is set with Retry.
	RetryAfter time.Duration
	// Err is the step's failure with Retry and Incident.
	Err error
	// Version is the instance version after a commit.
	Version int64
}

// execute is Execute without its counting.
func (e *Engine) execute(ctx context.Context, l *Lease) (Result, error) {
	j := l.Job
	switch {
	case j.Kind == job.Return:
		return e.executeReturn(ctx, l)
	case j.Kind == job.Signal:
		return e.executeSignal(ctx, l)
	case j.Kind == job.Wait && l.completion == nil:
		// Only a completion ends a wait; a wait job that reached a worker is given back.
		if _, err := e.release(l); err != nil {
			return Result{}, err
		}
		return Result{Outcome: Released}, nil
	}
	recorded := map[string]callResult{}
	version, blob := l.version, l.state
	for attempt := 0; ; attempt++ {
		st, err := DecodeState(blob)
		if err != nil {
			return e.fail(ctx, l, fmt.Errorf("%w: %v", errDecode, err))
		}
		if attempt == 0 && e.definitionSuspended(ctx, st.ProcessKey, st.DefinitionVersion, j.Activity) {
			if _, err := e.release(l); err != nil {
				return Result{}, err
			}
			if l.completion == nil {
				e.park(ctx, j)
			}
			return Result{Outcome: Parked}, nil
		}
		def, err := e.Definition(ctx, st.ProcessKey, st.DefinitionVersion)
		if err != nil {
			if isDeterministic(err) {
				// A missing or unreadable definition fails the same way every time: count the
				// attempt so it ends in an incident rather than a redelivery loop.
				return e.fail(ctx, l, err)
			}
			return Result{}, err
		}
		now := time.Now()
		r := &runner{ctx: ctx, eng: e, def: def, st: st, now: now.UnixMilli(), jobID: j.ID, fence: l.Fence,
			tries: l.Attempt, recorded: recorded, seen: map[string]int{}}
		r.thrown = l.thrown
		if err := r.resume(j, l.completion); err != nil {
			e.stats.DelegateCalls.Add(int64(r.calls))
			if ctx.Err() != nil {
				return e.release(l)
			}
			if errors.Is(err, ErrSuspended) && l.completion == nil {
				// A call activity's child process is suspended: the Call job waits parked
				// until an activation, like the child's own jobs.
				if _, rerr := e.release(l); rerr != nil {
					return Result{}, rerr
				}
				child := ""
				if n := def.Nodes[j.Activity]; n != nil && n.Call != nil {
					child = n.Call.ProcessKey
				}
				e.park(ctx, j, child)
				return Result{Outcome: Parked}, nil
			}
			if errors.Is(err, errTransient) {
				// Redis or NATS failed under the step (starting a child): not the model's
				// fault, so no attempt is counted. The job runs again.
				if _, rerr := e.release(l); rerr != nil {
					return Result{}, fmt.Errorf("%w (and releasing the job: %v)", err, rerr)
				}
				return Result{}, err
			}
			return e.fail(ctx, l, err)
		}
		e.stats.DelegateCalls.Add(int64(r.calls))
		status, err := r.finish()
		if err != nil {
			return e.fail(ctx, l, err)
		}
		r.assignJobIDs(version + 1)
		entries, envs, newBlob, hist, err := e.encodeStep(r, st)
		if err != nil {
			// Unencodable variables (a func, a channel) fail the same way every time.
			return e.fail(ctx, l, &DelegateError{Activity: j.Activity, TaskType: j.Type, Err: err})
		}
		// The commit must not be abandoned half-way by a cancelled context: its outcome decides
		// whether the message is acked.
		cctx := context.WithoutCancel(ctx)
		_, cspan := e.tracer.Start(cctx, "commit")
		if cspan.IsRecording() {
			cspan.SetAttributes(attribute.Int64("baton.expected_version", version), attribute.Int("baton.new_jobs", len(entries)))
		}
		ver, _, err := e.store.Commit(cctx, store.Step{Instance: j.Instance, Job: j.ID, Fence: l.Fence,
			ExpectedVersion: version, State: newBlob, Status: status, History: hist, NewJobs: entries, Cancel: r.cancel})
		endSpan(cspan, err)
		var conflict *store.ConflictError
		switch {
		case err == nil:
			e.stats.Commits.Add(1)
			e.publish(cctx, r.jobs, envs)
			e.unindexCancelled(cctx, r.cancel)
			e.cancelChildren(cctx, r.children)
			if e.cfg.Observer != nil {
				e.cfg.Observer.JobCommitted(j, time.Since(time.UnixMilli(j.Created)))
			}
			return Result{Outcome: Committed, Version: ver}, nil
		case errors.As(err, &conflict):
			e.stats.Conflicts.Add(1)
			if attempt >= e.cfg.MaxConflictRetries {
				return Result{}, fmt.Errorf("job %s: gave up after %d version conflicts", j.ID, attempt+1)
			}
			e.log.Debug("version conflict; re-applying the step", zap.String("job", j.ID),
				zap.String("instance", j.Instance), zap.Int64("expected", version), zap.Int64("current", conflict.Current))
			snap, lerr := e.store.Load(cctx, j.Instance)
			if lerr != nil {
				return Result{}, lerr
			}
			version, blob = snap.Version, snap.State
		case errors.Is(err, store.ErrFenced):
			e.stats.Fenced.Add(1)
			return Result{Outcome: Fenced}, nil
		case errors.Is(err, store.ErrNotDurable):
			e.stats.NotDurable.Add(1)
			// Applied on the master but not confirmed by the replicas or the AOF: its jobs are
			// not published and its message is not acked on it. The redelivery finds the job
			// consumed (STALE), and the reconciler publishes the outbox once it is overdue.
			e.log.Warn("step committed on the Redis master but not confirmed durable; its jobs wait for the reconciler",
				zap.String("instance", j.Instance), zap.String("job", j.ID), zap.Error(err))
			return Result{}, err
		default:
			// STALE, or a transport error: the commit's reply may have been lost after it was
			// applied. The step's job ids are deterministic, so the outbox tells.
			committed, rerr := e.resolveUncertainCommit(cctx, j, l.Fence, r.jobs, envs)
			if rerr != nil {
				return Result{}, fmt.Errorf("%w (and resolving its outcome: %v)", err, rerr)
			}
			if committed {
				e.stats.Commits.Add(1)
				return Result{Outcome: Committed}, nil
			}
			if errors.Is(err, store.ErrStale) {
				e.stats.Stale.Add(1)
				if j.Kind == job.Call {
					// The job was consumed meanwhile (the parent was cancelled or interrupted)
					// after this step started the child: nobody waits for the child now.
					if t := r.st.token(j.Token); t != nil && t.Child != "" {
						e.cancelChildren(cctx, []string{t.Child})
					}
				}
				return Result{Outcome: Stale}, nil
			}
			return Result{}, err
		}
	}
}

// encodeStep encodes what a step commits: its new jobs, the state and its history events.
func (e *Engine) encodeStep(r *runner, st *State) ([]store.NewJob, [][]byte, []byte, []byte, error) {
	entries, envs, err := e.outboxEntries(r.jobs)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	blob, err := EncodeState(st)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	hist, err := EncodeHistory(r.events)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return entries, envs, blob, hist, nil
}

// resolveUncertainCommit finds out whether this step's commit was applied although its reply
// was lost or came back STALE (a client retry after the first try had committed and another job
// had committed since). The commit removed the consumed job from the outbox and added the step's
// jobs in one step, so: if the consumed job is still outstanding, nothing was committed; if it is
// gone, the step committed when the instance's last commit is this job and fence, or when the
// outbox holds envelopes byte-equal to the step's own (job ids alone are not enough: they are
// unique per committed version, and another step may have committed that version). Those jobs
// are published again (same Nats-Msg-Id, so JetStream drops copies).
func (e *Engine) resolveUncertainCommit(ctx context.Context, j *job.Job, fence int64, jobs []*job.Job, envs [][]byte) (bool, error) {
	// With Durability, what the outbox shows must be durable before it is acted on: a lost
	// reply may have hidden a shortfall.
	if err := e.store.WaitDurable(ctx); err != nil {
		e.stats.NotDurable.Add(1)
		return false, err
	}
	ids := make([]string, 0, len(jobs)+1)
	ids = append(ids, j.ID)
	for _, nj := range jobs {
		ids = append(ids, nj.ID)
	}
	outbox, err := e.store.Outbox(ctx, j.Instance, ids)
	if err != nil {
		return false, err
	}
	if _, outstanding := outbox[j.ID]; outstanding {
		return false, nil
	}
	var pj []*job.Job
	var pe [][]byte
	for i, nj := range jobs {
		if stored, ok := outbox[nj.ID]; ok && bytes.Equal(stored, envs[i]) {
			pj, pe = append(pj, nj), append(pe, envs[i])
		}
	}
	if len(pj) == 0 {
		lj, lf, err := e.store.LastCommit(ctx, j.Instance)
		// Committed, with every job it created consumed already; or consumed by another claim.
		return err == nil && lj == j.ID && lf == fence, err
	}
	e.log.Info("commit reply was lost but the commit was applied; publishing its jobs",
		zap.String("instance", j.Instance), zap.String("job", j.ID), zap.Int("jobs", len(pj)))
	e.publish(ctx, pj, pe)
	return true, nil
}

// isDeterministic reports whether an error would recur on every attempt (and so must count
// towards an incident), as opposed to a transient infrastructure failure.
func isDeterministic(err error) bool {
	var de *DelegateError
	return errors.Is(err, store.ErrNotFound) || errors.As(err, &de) || errors.Is(err, errDecode)
}

// resume continues the job's token at its boundary.
func (r *runner) resume(j *job.Job, completion map[string]any) error {
	t := r.st.token(j.Token)
	fires := j.Kind == job.Wait && completion != nil || j.Kind == job.Timer
	if t != nil && t.Wait == WaitEvents && slices.Contains(t.Events, j.ID) && fires {
		return r.eventOccurred(t, j, completion)
	}
	if t != nil && t.Armed && slices.Contains(t.Boundaries, j.ID) && fires {
		return r.boundaryFired(t, j, completion)
	}
	if t == nil || t.Activity != j.Activity || t.Wait != WaitJob || t.Job != j.ID {
		return fmt.Errorf("job %s does not match the instance state: token %s is not waiting for it at %s",
			j.ID, j.Token, j.Activity)
	}
	t.Wait, t.Job = "", ""
	switch j.Kind {
	case job.Before:
		r.push(opStart, t, "")
	case job.After:
		r.push(opLeave, t, "")
	case job.Call:
		if err := r.startChild(t, r.def.Nodes[t.Activity], j); err != nil {
			return err
		}
	case job.Wait, job.Timer:
		if r.thrown != nil {
			if err := r.throwAtWait(t, completion, r.thrown); err != nil {
				return err
			}
			break
		}
		r.resumeWait(t, completion) // a timer fires: the catch event ends
	case job.End:
		r.resumedEnd, r.resumedEndAt = t, t.Activity
		if n := r.def.Nodes[t.Activity]; t.Result != nil || t.Thrown != nil {
			if err := r.childReturned(t, n); err != nil {
				return err
			}
		} else {
			r.push(opEnd, t, "")
		}
	}
	return r.run()
}

func (e *Engine) release(l *Lease) (Result, error) {
	if err := e.Release(context.Background(), l); err != nil && !errors.Is(err, store.ErrFenced) && !errors.Is(err, store.ErrStale) {
		return Result{}, err
	}
	return Result{Outcome: Released}, nil
}

// incident is the JSON stored with an incident.
type incident struct {
	Activity string `json:"activityId"`
	TaskType string `json:"taskType,omitempty"`
	Job      string `json:"jobId"`
	Token    string `json:"tokenId"`
	Error    string `json:"error"`
	Attempts int    `json:"attempts"`
	Time     int64  `json:"time"`
}

// fail records a failed attempt: a retry after the wait its retry policy gives, or an incident
// once the policy's attempts have failed (planRetry).
func (e *Engine) fail(ctx context.Context, l *Lease, cause error) (Result, error) {
	j := l.Job
	taskType := ""
	var de *DelegateError
	if errors.As(cause, &de) {
		taskType = de.TaskType
	}
	inc, _ := json.Marshal(incident{Activity: j.Activity, TaskType: taskType, Job: j.ID, Token: j.Token,
		Error: cause.Error(), Attempts: l.Attempt, Time: time.Now().UnixMilli()})
	plan := e.planRetry(ctx, l, cause, l.Attempt)
	delay := plan.delay
	res, err := e.store.Fail(context.WithoutCancel(ctx), j.Instance, j.ID, l.Fence, plan.attempts, inc,
		time.Now().Add(delay+e.cfg.OverdueAfter))
	switch {
	case errors.Is(err, store.ErrFenced):
		e.stats.Fenced.Add(1)
		return Result{Outcome: Fenced}, nil
	case errors.Is(err, store.ErrStale):
		e.stats.Stale.Add(1)
		return Result{Outcome: Stale}, nil
	case err != nil:
		return Result{}, err
	}
	fields := []zap.Field{zap.String("instance", j.Instance), zap.String("job", j.ID), zap.String("taskType", j.Type),
		zap.String("activity", j.Activity), zap.Int("attempt", res.Attempts), zap.Error(cause)}
	if res.Incident {
		e.stats.Incidents.Add(1)
		e.indexIncident(ctx, j.ID)
		e.log.Warn("retries exhausted; incident raised", fields...)
		return Result{Outcome: Incident, Err: cause}, nil
	}
	e.stats.Retries.Add(1)
	e.log.Info("job failed; will retry", append(fields, zap.Duration("retryAfter", delay))...)
	return Result{Outcome: Retry, RetryAfter: delay, Err: cause}, nil
}
