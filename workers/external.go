package workers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/queue"
)

// handleExtCommand applies an external worker's answer from baton.ext.cmd.<command>: complete,
// fail or bpmnError (docs/external-workers.md). An answer for a task that is no longer waiting
// (a duplicate, or the task was interrupted) is dropped; a malformed one is dead-lettered.
func (w *Worker) handleExtCommand(ctx context.Context, msg jetstream.Msg) {
	command := strings.TrimPrefix(msg.Subject(), queue.ExtCommandPrefix)
	cmd, err := engine.DecodeExternalCommand(msg.Data(), msg.Headers().Get("Content-Type"))
	if err != nil {
		w.deadLetter(ctx, msg, fmt.Sprintf("subject %s: %v", msg.Subject(), err))
		return
	}
	if cmd.TaskID == "" {
		w.deadLetter(ctx, msg, fmt.Sprintf("subject %s: field taskId is required", msg.Subject()))
		return
	}
	vars := cmd.Variables
	switch command {
	case "complete":
		_, err = w.eng.Complete(ctx, engine.CompleteRequest{TaskID: cmd.TaskID, Variables: vars})
	case "bpmnError":
		if cmd.Code == "" {
			w.deadLetter(ctx, msg, fmt.Sprintf("subject %s: field code is required", msg.Subject()))
			return
		}
		_, err = w.eng.Complete(ctx, engine.CompleteRequest{TaskID: cmd.TaskID, Variables: vars,
			Error: &engine.BPMNError{Code: cmd.Code, Message: cmd.Error}})
	case "fail":
		var after time.Duration
		if cmd.RetryAfter != "" {
			if after, err = time.ParseDuration(cmd.RetryAfter); err != nil {
				w.deadLetter(ctx, msg, fmt.Sprintf("subject %s: field retryAfter: %q is not a duration such as 30s", msg.Subject(), cmd.RetryAfter))
				return
			}
		}
		_, err = w.eng.FailExternal(ctx, cmd.TaskID, cmd.Error, after, cmd.NoRetry)
	default:
		w.deadLetter(ctx, msg, fmt.Sprintf("subject %s: unknown command %q; use complete, fail or bpmnError", msg.Subject(), command))
		return
	}
	switch {
	case err == nil, errors.Is(err, engine.ErrNotWaiting):
		_ = msg.Ack()
	case errors.Is(err, engine.ErrIncident):
		w.deadLetter(ctx, msg, err.Error())
	default:
		w.log.Warn("applying an external task command failed; redelivering", zap.String("command", command),
			zap.String("task", cmd.TaskID), zap.Error(err))
		_ = msg.NakWithDelay(time.Second)
	}
}
