package engine

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/queue"
)

// Dead letters. A message that can never be processed is kept in BATON_DEAD with its reason
// (queue.DeadLetter). When it carried a job of a live instance, the job raises an incident, so
// the instance shows it and waits for an operator rather than keeping a silent hole: retrying
// the incident publishes the job again from the outbox, which is the authority on its content.

// DeadLetterRecord is one dead-lettered message.
type DeadLetterRecord = queue.DeadLetterRecord

// ErrNoDeadLetter means no dead letter has the given sequence.
var ErrNoDeadLetter = queue.ErrNoDeadLetter

// JobDeadLettered raises an incident on the job whose message (Nats-Msg-Id msgID, the job id
// with an optional #suffix) was dead-lettered for reason, if the job is still outstanding. It
// reports whether it raised one.
func (e *Engine) JobDeadLettered(ctx context.Context, msgID, reason string) bool {
	jobID, _, _ := strings.Cut(msgID, "#")
	if strings.Count(jobID, ":") != 2 {
		return false // no job id: nothing to attach it to
	}
	inc, _ := json.Marshal(incident{Job: jobID, Error: "the job's message was dead-lettered: " + reason, Attempts: 1,
		Time: time.Now().UnixMilli()})
	raised, err := e.store.RaiseIncident(context.WithoutCancel(ctx), jobID, inc)
	if err != nil {
		e.log.Warn("raising the incident of a dead-lettered job failed", zap.String("job", jobID), zap.Error(err))
		return false
	}
	if raised {
		e.stats.Incidents.Add(1)
		e.indexIncident(ctx, jobID)
		e.log.Warn("a dead-lettered job raised an incident", zap.String("job", jobID), zap.String("reason", reason))
	}
	return raised
}

// DeadLetters lists up to limit dead letters after sequence after, oldest first, and the
// sequence to continue after (0: no more).
func (e *Engine) DeadLetters(ctx context.Context, after uint64, limit int) ([]DeadLetterRecord, uint64, error) {
	if limit <= 0 {
		limit = 100
	}
	return e.queue.DeadLetters(ctx, after, limit)
}

// DeadLetter returns dead letter seq.
func (e *Engine) DeadLetter(ctx context.Context, seq uint64) (DeadLetterRecord, error) {
	return e.queue.DeadLetterBySeq(ctx, seq)
}

// RequeueDeadLetter publishes dead letter seq again to its original subject and deletes it.
func (e *Engine) RequeueDeadLetter(ctx context.Context, seq uint64) (DeadLetterRecord, error) {
	r, err := e.queue.RequeueDeadLetter(ctx, seq)
	if err == nil {
		e.log.Info("dead letter requeued", zap.Uint64("seq", seq), zap.String("subject", r.Subject))
	}
	return r, err
}

// DeleteDeadLetter deletes dead letter seq.
func (e *Engine) DeleteDeadLetter(ctx context.Context, seq uint64) error {
	err := e.queue.DeleteDeadLetter(ctx, seq)
	if err == nil {
		e.log.Info("dead letter deleted", zap.Uint64("seq", seq))
	}
	return err
}
