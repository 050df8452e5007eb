package engine

import (
	"context"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
)

// Observer is told about committed steps. Implementations must be fast and safe for concurrent
// use.
type Observer interface {
	// JobCommitted is called after the step that consumed j committed and published; latency
	// runs from the step that created j (millisecond resolution) to now.
	JobCommitted(j *job.Job, latency time.Duration)
}

// ExecutionObserver, when the Config.Observer implements it too, is told how each executed job
// ended and how long its execution took (claim to outcome, delegates included).
type ExecutionObserver interface {
	JobExecuted(j *job.Job, outcome Outcome, took time.Duration)
}

// Stats are counters of what the engine did since it was created.
type Stats struct {
	Commits   atomic.Int64
	Conflicts atomic.Int64
	// Fenced counts results refused because another claim had taken the job over.
	Fenced atomic.Int64
	// NotDurable counts commits Redis applied but did not confirm as durable as
	// Config.Durability asks (store.ErrNotDurable): their jobs wait for the reconciler.
	NotDurable         atomic.Int64
	Stale              atomic.Int64
	Retries            atomic.Int64
	Incidents          atomic.Int64
	ImplicitBoundaries atomic.Int64
	Republished        atomic.Int64
	PublishFailures    atomic.Int64
	DelegateCalls      atomic.Int64
	// LeaseRecoveries counts claims that took over an expired lease (its worker died or hung).
	LeaseRecoveries atomic.Int64
}

// TypeStats are counters of the jobs of one task type this engine executed.
type TypeStats struct {
	// Started counts executions begun (after a successful claim).
	Started atomic.Int64
	// Completed counts executions whose step committed.
	Completed atomic.Int64
	// Failed counts executions whose attempt failed; each is Retried or raised an incident.
	Failed    atomic.Int64
	Retried   atomic.Int64
	Incidents atomic.Int64
	// LeaseRecoveries counts claims that took over an expired lease.
	LeaseRecoveries atomic.Int64
}

// typeStats returns the counters of taskType, created on first use.
func (e *Engine) typeStats(taskType string) *TypeStats {
	if ts, ok := e.types.Load(taskType); ok {
		return ts.(*TypeStats)
	}
	ts, _ := e.types.LoadOrStore(taskType, &TypeStats{})
	return ts.(*TypeStats)
}

// TypeStats returns the per-task-type counters so far, by task type.
func (e *Engine) TypeStats() map[string]*TypeStats {
	out := map[string]*TypeStats{}
	e.types.Range(func(k, v any) bool {
		out[k.(string)] = v.(*TypeStats)
		return true
	})
	return out
}

// leaseRecovered records that a claim of j took over an expired lease.
func (e *Engine) leaseRecovered(j *job.Job) {
	e.stats.LeaseRecoveries.Add(1)
	e.typeStats(j.Type).LeaseRecoveries.Add(1)
	e.log.Warn("recovered an expired lease: the worker that held the job died or hung; the job runs again",
		zap.String("instance", j.Instance), zap.String("job", j.ID), zap.String("taskType", j.Type), zap.String("activity", j.Activity))
}

// Execute runs the step that l's job continues, commits it, and publishes the jobs it created.
// On a version conflict it reloads the instance and re-applies the step: delegates that already
// ran are not called again; their recorded results are applied to the fresh state.
func (e *Engine) Execute(ctx context.Context, l *Lease) (Result, error) {
	ts := e.typeStats(l.Job.Type)
	ts.Started.Add(1)
	began := time.Now()
	ctx, span := e.tracer.Start(ctx, "job", trace.WithSpanKind(trace.SpanKindConsumer))
	if span.IsRecording() { // names and attributes cost allocations: only for a real tracer
		span.SetName("job " + l.Job.Type)
		span.SetAttributes(append(jobAttributes(l.Job), attribute.Int("baton.attempt", l.Attempt))...)
	}
	res, err := e.execute(ctx, l)
	spanErr := err
	if err == nil {
		span.SetAttributes(attribute.String("baton.outcome", res.Outcome.String()))
		spanErr = res.Err // a failed attempt
	}
	endSpan(span, spanErr)
	switch {
	case err != nil:
	case res.Outcome == Committed:
		ts.Completed.Add(1)
	case res.Outcome == Retry:
		ts.Failed.Add(1)
		ts.Retried.Add(1)
	case res.Outcome == Incident:
		ts.Failed.Add(1)
		ts.Incidents.Add(1)
	}
	if o, ok := e.cfg.Observer.(ExecutionObserver); ok && err == nil {
		o.JobExecuted(l.Job, res.Outcome, time.Since(began))
	}
	return res, err
}
