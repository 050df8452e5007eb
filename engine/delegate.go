package engine

import (
	"context"
	"fmt"
)

// Delegate is the code behind a service task's task type. Execute may run more than once for
// the same activity (at-least-once): use Task.JobID and Task.FenceToken as idempotency keys for
// side effects. Returning an error fails the attempt; the job is retried and, when retries are
// exhausted, raises an incident. A delegate's result is applied exactly once.
type Delegate interface {
	Execute(ctx context.Context, t *Task) error
}

// DelegateFunc adapts a function to Delegate.
type DelegateFunc func(ctx context.Context, t *Task) error

// Execute calls f.
func (f DelegateFunc) Execute(ctx context.Context, t *Task) error { return f(ctx, t) }

// Task is what a delegate sees of the activity it runs: identity, idempotency keys and
// variables. It is valid only during Execute.
type Task struct {
	// JobID is the id of the job whose step runs the delegate; for a synchronous start, which has
	// no job, it is "start:<instanceId>". It is the same on every attempt of the step: use it as
	// the idempotency key of side effects.
	JobID string
	// FenceToken is the claim's fencing token (0 for a synchronous start). The instance's
	// counter grows with every claim of any of its jobs, so a downstream system that stores the
	// highest token it saw can reject writes from a superseded attempt.
	FenceToken int64
	// Attempt counts attempts of this job from 1.
	Attempt     int
	InstanceID  string
	ProcessKey  string
	BusinessKey string
	// ActivityID is the activity the delegate runs at; for a take listener, the flow's source.
	ActivityID string
	// TokenID is the execution (token) the delegate runs on; each inner instance of a
	// multi-instance activity has its own. A completion of a delegate that returned ErrWait may
	// carry it to name the wait when several wait under one job.
	TokenID  string
	TaskType string
	// ListenerEvent is "start", "end" or "take" when the delegate runs as an execution
	// listener, and empty when it is a service task's own delegate.
	ListenerEvent string

	vars  map[string]any
	set   map[string]any
	local map[string]any
}

// Var returns a copy of a process variable, or nil when it is not set. Changing the copy
// changes nothing; SetVar does.
func (t *Task) Var(name string) any {
	if v, ok := t.local[name]; ok {
		return deepCopy(v)
	}
	if v, ok := t.set[name]; ok {
		return deepCopy(v)
	}
	return deepCopy(t.vars[name])
}

// Vars returns a copy of all process variables, including those set by this delegate so far.
func (t *Task) Vars() map[string]any {
	out := make(map[string]any, len(t.vars)+len(t.set))
	for k, v := range t.vars {
		out[k] = deepCopy(v)
	}
	for k, v := range t.set {
		out[k] = deepCopy(v)
	}
	for k, v := range t.local {
		out[k] = deepCopy(v)
	}
	return out
}

// deepCopy copies maps and slices of a variable, so that a delegate cannot change the state
// except through SetVar, whose values are what a replayed step re-applies.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case []byte:
		return append([]byte(nil), x...)
	}
	return v
}

// SetVar sets a variable. It takes effect when the step commits, in the scope where the
// variable is already defined (the activity's, a subprocess's, ...), else in the process
// instance's, as Camunda's setVariable does.
func (t *Task) SetVar(name string, value any) {
	if t.set == nil {
		t.set = map[string]any{}
	}
	t.set[name] = value
}

// SetLocalVar sets a variable in the activity's own scope: the scope its input mappings opened,
// else the enclosing subprocess's or multi-instance inner instance's, else the process's. It
// takes effect when the step commits, and the variable goes when that scope ends.
func (t *Task) SetLocalVar(name string, value any) {
	if t.local == nil {
		t.local = map[string]any{}
	}
	t.local[name] = value
}

// DelegateError is a failure inside a step: a delegate's error, a panic, or an expression that
// could not be evaluated. Activity names where it happened.
type DelegateError struct {
	Activity string
	TaskType string
	Err      error
}

func (e *DelegateError) Error() string {
	if e.TaskType != "" {
		return fmt.Sprintf("activity %q (task type %q): %v", e.Activity, e.TaskType, e.Err)
	}
	return fmt.Sprintf("activity %q: %v", e.Activity, e.Err)
}

func (e *DelegateError) Unwrap() error { return e.Err }
