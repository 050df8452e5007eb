package workers

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/store"
)

// handleJob runs one job message: claim, execute with lease renewal, then ack or redeliver as
// Redis decided. What happens if the process dies at each point:
//   - before the claim: the message is redelivered after AckWait.
//   - during the delegate: the lease expires, the message is redelivered, the next claim takes
//     the job over with a new fencing token, and this attempt's result can never commit.
//   - between commit and publish: the new jobs are in the outbox; the reconciler republishes them.
//   - between publish and ack: the message is redelivered; the claim answers STALE and it is acked.
func (w *Worker) handleJob(ctx context.Context, taskType string, msg jetstream.Msg) {
	j, err := job.Decode(msg.Data())
	if errors.Is(err, job.ErrNewerSchema) {
		// A newer build wrote it (rolling upgrade): not poison. A newer worker will take it.
		w.log.Warn("job of a newer schema; leaving it for a newer worker", zap.String("taskType", taskType), zap.Error(err))
		_ = msg.NakWithDelay(30 * time.Second)
		return
	}
	if err != nil {
		// The incident first: a crash before the dead letter redelivers the message, which
		// does both again (the incident is raised once).
		w.eng.JobDeadLettered(ctx, msg.Headers().Get(nats.MsgIdHdr), err.Error())
		if derr := w.q.DeadLetter(ctx, msg, err.Error()); derr != nil {
			w.log.Error("dead-lettering a malformed job failed", zap.String("taskType", taskType), zap.Error(derr))
			_ = msg.NakWithDelay(time.Second)
		}
		return
	}
	if early := engine.TimerEarly(j, time.Now()); early > 0 {
		// A timer delivered before it is due (published at once when under a second away, or
		// republished): give it back until then, without claiming it.
		_ = msg.NakWithDelay(early)
		return
	}
	// The job's spans continue the trace of the step that published it.
	ctx = engine.ExtractTrace(ctx, msg.Headers())
	// Fields are built only when something is logged: zap's With encodes them eagerly, which
	// costs more than a claim on the hot path.
	log := jobLogger{w.log, j}
	lease, err := w.eng.Claim(ctx, j)
	var leased *store.LeasedError
	switch {
	case err == nil:
	case errors.Is(err, store.ErrStale), errors.Is(err, store.ErrIncident):
		_ = msg.Ack()
		return
	case errors.Is(err, store.ErrSuspended):
		// Its instance is suspended: park it; activation publishes it again.
		w.eng.Park(ctx, j)
		_ = msg.Ack()
		return
	case errors.As(err, &leased):
		_ = msg.NakWithDelay(redeliveryDelay(msg, leased))
		return
	default:
		log.warn("claim failed", zap.Error(err))
		_ = msg.NakWithDelay(time.Second)
		return
	}

	stop := w.keepAlive(ctx, lease, msg, log)
	res, err := w.eng.Execute(ctx, lease)
	stop()
	if err != nil {
		// Give the lease back, so the redelivery need not wait for it to expire (and the
		// instance's other exclusive jobs are not held up). The release is fence-checked: if
		// the commit did happen after all, it answers STALE and changes nothing.
		if rerr := w.eng.Release(context.WithoutCancel(ctx), lease); rerr != nil && !errors.Is(rerr, store.ErrStale) && !errors.Is(rerr, store.ErrFenced) {
			log.warn("releasing the lease after a failed execution failed", zap.Error(rerr))
		}
		log.warn("job execution failed before commit; redelivering", zap.Error(err))
		_ = msg.NakWithDelay(time.Second)
		return
	}
	switch res.Outcome {
	case engine.Committed, engine.Stale, engine.Incident, engine.Parked:
		_ = msg.Ack()
	case engine.Retry:
		_ = msg.NakWithDelay(res.RetryAfter)
	case engine.Fenced:
		// Another claim owns the job now. Never ack on that belief: redeliver and let Redis
		// answer STALE once the owner has committed.
		log.info("lease was taken over; result discarded")
		_ = msg.NakWithDelay(time.Second)
	case engine.Released:
		_ = msg.Nak()
	}
}

// keepAlive renews the lease in Redis and tells NATS the message is in progress, every third of
// the lease, until the returned stop is called. A timer, not a goroutine, waits between
// renewals: most jobs finish long before the first one.
func (w *Worker) keepAlive(ctx context.Context, l *engine.Lease, msg jetstream.Msg, log jobLogger) (stop func()) {
	every := w.eng.Config().LeaseDuration / 3
	var mu sync.Mutex // serialises a running renewal with stop
	stopped := false
	var t *time.Timer
	// Assigned under mu: the callback, which re-arms t, waits for the assignment.
	mu.Lock()
	defer mu.Unlock()
	t = time.AfterFunc(every, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if err := w.eng.Renew(ctx, l); err != nil {
			if errors.Is(err, store.ErrFenced) || errors.Is(err, store.ErrStale) {
				log.warn("lease lost while the delegate runs; its result will be discarded", zap.Error(err))
				return
			}
			log.warn("lease renewal failed", zap.Error(err))
		}
		_ = msg.InProgress()
		t.Reset(every)
	})
	return func() {
		t.Stop()
		mu.Lock()
		stopped = true
		mu.Unlock()
	}
}

// jobLogger logs with a job's fields, built only when a line is written.
type jobLogger struct {
	log *zap.Logger
	j   *job.Job
}

func (l jobLogger) fields(extra []zap.Field) []zap.Field {
	return append([]zap.Field{zap.String("instance", l.j.Instance), zap.String("job", l.j.ID),
		zap.String("taskType", l.j.Type), zap.String("activity", l.j.Activity)}, extra...)
}

func (l jobLogger) warn(msg string, extra ...zap.Field) { l.log.Warn(msg, l.fields(extra)...) }
func (l jobLogger) info(msg string, extra ...zap.Field) { l.log.Info(msg, l.fields(extra)...) }

// redeliveryDelay is how long a message that could not be claimed waits. A duplicate of a job
// another worker runs waits for that lease to end. A job blocked by another exclusive job of the
// same instance usually waits milliseconds, so it backs off from 10ms, doubling per delivery.
func redeliveryDelay(msg jetstream.Msg, le *store.LeasedError) time.Duration {
	if !le.Busy {
		return le.RetryAfter + 50*time.Millisecond
	}
	d := 10 * time.Millisecond
	if md, err := msg.Metadata(); err == nil {
		d <<= min(md.NumDelivered, 8)
	}
	return min(d, le.RetryAfter+10*time.Millisecond, 2*time.Second)
}
