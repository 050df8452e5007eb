package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
)

// Retry policies. A failed attempt is retried by the policy of the activity where it failed
// (the DelegateError's activity, else the job's): its failedJobRetryTimeCycle, else Zeebe's
// retries, else the process's failedJobRetryTimeCycle, else the engine's default (MaxAttempts
// attempts, RetryDelay doubling up to MaxRetryDelay, with RetryJitter). A delegate may override
// the wait (RetryAfter) or ask for an incident at once (FailNow). Errors that fail the same way
// on every attempt (an uncaught BPMN error, an expression that does not evaluate, a missing
// definition) raise an incident at once.

// RetryAfterError is a delegate's failure that asks to be retried after After instead of the
// retry policy's wait. The attempt counts: the policy's attempts still end in an incident.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns an error for a delegate to return: the attempt failed with err and runs
// again after d, whatever the retry policy says.
func RetryAfter(d time.Duration, err error) error { return &RetryAfterError{After: d, Err: err} }

// FailNowError is a delegate's failure that must not be retried: it raises an incident at once.
type FailNowError struct{ Err error }

func (e *FailNowError) Error() string { return fmt.Sprintf("%v (not retried)", e.Err) }

func (e *FailNowError) Unwrap() error { return e.Err }

// FailNow returns an error for a delegate to return: the attempt failed with err, and retrying
// would not help (bad data, a refused request), so the job raises an incident at once.
func FailNow(err error) error { return &FailNowError{Err: err} }

// errExpression marks an expression that did not evaluate: a condition, a mapping, a timer, a
// correlation key. It fails the same way every attempt.
var errExpression = errors.New("expression error")

// expressionError is an expression's error, marked as errExpression with its text unchanged.
type expressionError struct{ err error }

func (e *expressionError) Error() string        { return e.err.Error() }
func (e *expressionError) Unwrap() error        { return e.err }
func (e *expressionError) Is(target error) bool { return target == errExpression }

// expressionFailed marks err (nil stays nil) as an expression that did not evaluate.
func expressionFailed(err error) error {
	if err == nil {
		return nil
	}
	return &expressionError{err: err}
}

// retryPlan is what a failed attempt leads to: the attempts the job has in all (0: none more,
// whatever an operator gave it), and the wait before the next one.
type retryPlan struct {
	attempts int
	delay    time.Duration
}

// planRetry decides how the failed attempt n (1 for the first) of the job in l is retried.
func (e *Engine) planRetry(ctx context.Context, l *Lease, cause error, n int) retryPlan {
	policy := e.retryPolicy(ctx, l, cause)
	plan := retryPlan{attempts: policy.Attempts}
	if d, ok := policy.Delay(n); ok {
		plan.delay = d
	} else {
		plan.delay = e.backoff(n)
	}
	var after *RetryAfterError
	if errors.As(cause, &after) {
		plan.delay = max(after.After, 0)
	}
	var now *FailNowError
	if errors.As(cause, &now) || errors.Is(cause, errUncaught) || errors.Is(cause, errExpression) || errors.Is(cause, errDecode) ||
		errors.Is(cause, store.ErrNotFound) {
		plan.attempts = 0 // an incident now, whatever retries an operator gave
	}
	return plan
}

// backoff is the engine's default wait after failed attempt n: RetryDelay doubling per attempt,
// at most MaxRetryDelay, spread by RetryJitter either way so that jobs failing together do not
// come back together.
func (e *Engine) backoff(n int) time.Duration {
	d := min(e.cfg.RetryDelay<<min(max(n-1, 0), 30), e.cfg.MaxRetryDelay)
	if j := e.cfg.RetryJitter; j > 0 {
		d = time.Duration(float64(d) * (1 + j*(2*rand.Float64()-1)))
	}
	return min(d, e.cfg.MaxRetryDelay)
}

// retryPolicy finds the policy of the activity where the attempt failed.
func (e *Engine) retryPolicy(ctx context.Context, l *Lease, cause error) *model.RetryPolicy {
	fallback := &model.RetryPolicy{Attempts: e.cfg.MaxAttempts}
	st, err := DecodeState(l.state)
	if err != nil {
		return fallback
	}
	def, err := e.Definition(ctx, st.ProcessKey, st.DefinitionVersion)
	if err != nil {
		return fallback
	}
	activity := l.Job.Activity
	var de *DelegateError
	if errors.As(cause, &de) && de.Activity != "" {
		activity = de.Activity
	}
	if n := def.Nodes[activity]; n != nil {
		if n.RetryCycle != "" {
			if p, err := model.ParseRetryCycle(n.RetryCycle); err == nil {
				return p
			}
		}
		if n.Retries > 0 {
			return &model.RetryPolicy{Attempts: n.Retries}
		}
	}
	if def.RetryCycle != "" {
		if p, err := model.ParseRetryCycle(def.RetryCycle); err == nil {
			return p
		}
	}
	return fallback
}
