package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/queue"
)

// handleMessage correlates a message from baton.msg.<name>. Its id is the Nats-Msg-Id (else its
// stream sequence), so a redelivered message is dropped once it has been correlated.
// Malformed messages, and messages that reach several instances without asking for all, are
// dead-lettered with the reason; a message nobody waits for is buffered for its TTL.
func (w *Worker) handleMessage(ctx context.Context, msg jetstream.Msg) {
	name, err := queue.MessageNameOf(msg.Subject())
	if err != nil {
		w.deadLetter(ctx, msg, err.Error())
		return
	}
	body, ttl, err := engine.DecodeMessageBody(msg.Data(), msg.Headers().Get("Content-Type"))
	if err != nil {
		w.deadLetter(ctx, msg, fmt.Sprintf("subject %s: %v", msg.Subject(), err))
		return
	}
	id, _, err := messageID(msg)
	if err != nil {
		w.deadLetter(ctx, msg, err.Error())
		return
	}
	res, err := w.eng.Correlate(ctx, engine.CorrelateRequest{Name: name, CorrelationKey: body.CorrelationKey,
		Variables: body.Variables, MessageID: id, All: body.All, TTL: ttl})
	switch {
	case err == nil:
		_ = msg.Ack()
		w.log.Debug("message correlated", zap.String("message", name), zap.String("id", id),
			zap.Int("instances", len(res.Instances)), zap.Bool("buffered", res.Buffered), zap.Bool("duplicate", res.Duplicate))
	case errors.Is(err, engine.ErrAmbiguous), errors.Is(err, engine.ErrNoSubscription), errors.Is(err, engine.ErrIncident):
		w.deadLetter(ctx, msg, err.Error())
	case errors.Is(err, engine.ErrSuspended):
		// It waits for the activation, on the stream.
		w.log.Debug("message for a suspended instance; redelivering later", zap.String("message", name))
		_ = msg.NakWithDelay(suspendedRetry)
	default:
		w.log.Warn("correlating a message failed; redelivering", zap.String("message", name), zap.Error(err))
		_ = msg.NakWithDelay(time.Second)
	}
}
