package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/queue"
)

// External tasks: service tasks whose work is done by workers in any language, over NATS only
// (docs/external-workers.md). The token waits for a Wait job, like a user task; after the commit
// the task is offered on baton.ext.task.<topic>.<taskId> as JSON. An external worker takes it from the
// durable consumer ext-<topic>, whose ack wait is its lock (extended by acknowledging progress),
// and answers on baton.ext.cmd.complete, .fail or .bpmnError; a server applies the answer
// exactly once (Complete), and a duplicate answer finds nothing waiting.

// ExternalTask is the JSON offered on baton.ext.task.<topic>.<taskId>.
type ExternalTask struct {
	TaskID      string         `json:"taskId"`
	Topic       string         `json:"topic"`
	InstanceID  string         `json:"instanceId"`
	ProcessKey  string         `json:"processKey,omitempty"`
	ActivityID  string         `json:"activityId"`
	BusinessKey string         `json:"businessKey,omitempty"`
	Attempt     int            `json:"attempt"`
	Variables   map[string]any `json:"variables"`
}

// ExternalCommand is what an external worker sends on baton.ext.cmd.<command> (complete, fail
// or bpmnError), as JSON or msgpack with these field names. Unknown fields are errors.
type ExternalCommand struct {
	TaskID string `msgpack:"taskId" json:"taskId"`
	// Variables are set when the task completes, or with a BPMN error.
	Variables map[string]any `msgpack:"variables,omitempty" json:"variables,omitempty"`
	// Error describes a failure (fail) or the BPMN error's message (bpmnError).
	Error string `msgpack:"error,omitempty" json:"error,omitempty"`
	// Code is the BPMN error code (bpmnError).
	Code string `msgpack:"code,omitempty" json:"code,omitempty"`
	// RetryAfter (fail) is a Go duration ("30s") before the task is offered again; default the
	// engine's doubling retry delay.
	RetryAfter string `msgpack:"retryAfter,omitempty" json:"retryAfter,omitempty"`
	// NoRetry (fail) raises an incident at once.
	NoRetry bool `msgpack:"noRetry,omitempty" json:"noRetry,omitempty"`
}

// DecodeExternalCommand parses an external worker's command: JSON by default or with
// Content-Type application/json, msgpack with Content-Type application/msgpack. Unknown fields
// are errors; numbers in variables become int64 or float64.
func DecodeExternalCommand(data []byte, contentType string) (*ExternalCommand, error) {
	var cmd ExternalCommand
	if err := decodeBody(data, contentType, "external command", true, &cmd); err != nil {
		return nil, err
	}
	cmd.Variables = normalizeVariables(cmd.Variables)
	return &cmd, nil
}

// isExternal reports whether service task n is an external task.
func (e *Engine) isExternal(n *model.Node) bool {
	return n.Kind == model.ServiceTask && (n.External || slices.Contains(e.cfg.ExternalTaskTypes, n.TaskType))
}

// createExternal leaves t waiting at external task n, to be offered with the variables it sees.
func (r *runner) createExternal(t *Token, n *model.Node) {
	j := r.boundaryOn(t, n, job.Wait, n.TaskType)
	j.External = true
	j.Vars = deepCopy(r.vars(t)).(map[string]any)
}

// externalTaskMessage builds the message that offers external task j (at, when set, a retry).
func (e *Engine) externalTaskMessage(ctx context.Context, j *job.Job, msgID string, at time.Time) (queue.Message, error) {
	if _, ok := e.extTopics.Load(j.Type); !ok {
		if _, err := e.queue.ExtTasks(ctx, j.Type); err != nil {
			return queue.Message{}, err
		}
		e.extTopics.Store(j.Type, true)
	}
	vars := j.Vars
	if vars == nil {
		vars = map[string]any{}
	}
	task := ExternalTask{TaskID: j.ID, Topic: j.Type, InstanceID: j.Instance, ActivityID: j.Activity, Attempt: 1, Variables: vars}
	if snap, err := e.store.Load(ctx, j.Instance); err == nil {
		task.ProcessKey, task.BusinessKey = snap.ProcessKey, snap.BusinessKey
		task.Attempt += snap.Attempts[j.ID]
	}
	b, err := json.Marshal(task)
	if err != nil {
		return queue.Message{}, fmt.Errorf("external task %s: %w", j.ID, err)
	}
	m := queue.Message{Subject: queue.ExtTaskSubject(j.Type, j.ID), MsgID: msgID, Data: b, At: at}
	m.Header = map[string][]string{"Content-Type": {"application/json"}}
	return m, nil
}

// offerExternal offers external task j again (a retry, or the reconciler's re-offer).
func (e *Engine) offerExternal(ctx context.Context, j *job.Job, msgID string, at time.Time) error {
	m, err := e.externalTaskMessage(ctx, j, msgID, at)
	if err != nil {
		return err
	}
	return e.queue.Publish(ctx, m)
}

// FailExternal records a failed attempt of external task taskID: it is offered again after
// retryAfter (0: the engine's doubling delay), or raises an incident when its attempts are
// exhausted or noRetry is set.
func (e *Engine) FailExternal(ctx context.Context, taskID, reason string, retryAfter time.Duration, noRetry bool) (Outcome, error) {
	j, err := e.findWait(ctx, CompleteRequest{TaskID: taskID})
	if err != nil {
		return 0, err
	}
	if !j.External {
		return 0, fmt.Errorf("fail %s: not an external task", taskID)
	}
	l, err := e.Claim(ctx, j)
	switch {
	case errors.Is(err, store.ErrStale):
		return 0, fmt.Errorf("fail %s: %w", taskID, ErrNotWaiting)
	case errors.Is(err, store.ErrIncident):
		return 0, fmt.Errorf("fail %s: %w", taskID, ErrIncident)
	case err != nil:
		return 0, fmt.Errorf("fail %s: %w", taskID, err)
	}
	var werr error = errors.New(reason)
	if noRetry {
		werr = FailNow(werr) // the worker says retrying will not help
	}
	cause := error(&DelegateError{Activity: j.Activity, TaskType: j.Type, Err: werr})
	res, err := e.fail(ctx, l, cause)
	if err != nil {
		return 0, err
	}
	if res.Outcome == Retry {
		delay := res.RetryAfter
		if retryAfter > 0 {
			delay = retryAfter
		}
		snap, _ := e.store.Load(ctx, j.Instance)
		attempts := 0
		if snap != nil {
			attempts = snap.Attempts[j.ID]
		}
		if err := e.offerExternal(ctx, j, fmt.Sprintf("%s#a%d", j.ID, attempts), time.Now().Add(delay)); err != nil {
			e.log.Warn("re-offering a failed external task failed; the reconciler will", zap.String("task", taskID), zap.Error(err))
		}
	}
	return res.Outcome, nil
}
