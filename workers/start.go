package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/queue"
)

// handleStart creates an instance from a start message. The instance id is derived from the
// message's Nats-Msg-Id (or, without one, its stream sequence), so a redelivered or duplicated
// message finds the instance it already created and runs nothing again. Malformed messages and
// unknown processes are dead-lettered; a start whose synchronous part fails is retried and then
// dead-lettered with the error.
func (w *Worker) handleStart(ctx context.Context, msg jetstream.Msg) {
	key, err := queue.ProcessKeyOf(msg.Subject())
	if err != nil {
		w.deadLetter(ctx, msg, err.Error())
		return
	}
	sm, err := engine.DecodeStartMessage(msg.Data(), msg.Headers().Get("Content-Type"))
	if err != nil {
		w.deadLetter(ctx, msg, fmt.Sprintf("subject %s: %v", msg.Subject(), err))
		return
	}
	idem, md, err := messageID(msg)
	if err != nil {
		w.deadLetter(ctx, msg, err.Error())
		return
	}
	req := engine.StartRequest{ProcessKey: key, Version: sm.Version, BusinessKey: sm.BusinessKey,
		Variables: sm.Variables, InstanceID: engine.DerivedInstanceID(key, idem),
		TimerStartEvent: msg.Headers().Get(engine.HeaderTimerStartEvent)}
	// A publisher's traceparent header makes the instance's trace continue the publisher's.
	res, err := w.eng.Start(engine.ExtractTrace(ctx, msg.Headers()), req)
	var de *engine.DelegateError
	switch {
	case err == nil:
		_ = msg.Ack()
		if res.Created {
			w.log.Debug("instance started from message", zap.String("instance", res.InstanceID), zap.String("process", key))
		}
	case errors.Is(err, engine.ErrUnknownProcess):
		w.deadLetter(ctx, msg, err.Error())
	case errors.Is(err, engine.ErrSuspended):
		// The process is suspended: the start waits on the stream until it is activated.
		w.log.Debug("start of a suspended process; redelivering later", zap.String("process", key))
		_ = msg.NakWithDelay(suspendedRetry)
	case errors.As(err, &de):
		if int(md.NumDelivered) >= w.cfg.MaxStartAttempts {
			w.deadLetter(ctx, msg, fmt.Sprintf("start failed %d times: %v", md.NumDelivered, err))
			return
		}
		w.log.Info("start failed; will retry", zap.String("process", key), zap.Error(err))
		_ = msg.NakWithDelay(w.eng.Config().RetryDelay << min(md.NumDelivered-1, 10))
	default:
		w.log.Warn("start failed; redelivering", zap.String("process", key), zap.Error(err))
		_ = msg.NakWithDelay(time.Second)
	}
}

// suspendedRetry is how long a start or message for something suspended waits before it is
// delivered again.
const suspendedRetry = 10 * time.Second

func (w *Worker) deadLetter(ctx context.Context, msg jetstream.Msg, reason string) {
	if err := w.q.DeadLetter(ctx, msg, reason); err != nil {
		w.log.Error("dead-lettering failed; redelivering", zap.String("subject", msg.Subject()), zap.Error(err))
		_ = msg.NakWithDelay(time.Second)
	}
}

// messageID is a message's identity: the original's Nats-Msg-Id for a requeued dead letter, else
// its Nats-Msg-Id, else its stream sequence, stable across redeliveries (the timestamp keeps it
// unique when the stream is recreated and its sequence starts again at 1).
func messageID(msg jetstream.Msg) (string, *jetstream.MsgMetadata, error) {
	md, err := msg.Metadata()
	if err != nil {
		return "", nil, fmt.Errorf("not a JetStream message: %w", err)
	}
	if id := msg.Headers().Get(queue.HeaderOriginalMsgID); id != "" {
		return id, md, nil // a requeued dead letter: the original's identity
	}
	if id := msg.Headers().Get(nats.MsgIdHdr); id != "" {
		return id, md, nil
	}
	return fmt.Sprintf("seq:%d@%d", md.Sequence.Stream, md.Timestamp.UnixNano()), md, nil
}
