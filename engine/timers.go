package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
)

// Timers. A token at an intermediate timer catch event (or an event-based gateway with a timer)
// waits for a Timer job due when the timer fires. The job is in the outbox like any other and is
// published as a JetStream message schedule that delivers it at its due time; the reconciler
// looks at it OverdueAfter past its due time, so a timer whose message was lost, or that came
// due while no server ran, fires once late rather than never. Firing is the job's commit, so it
// happens exactly once.

// timerSpec evaluates the timer of event n for token t: its EventRef, "duration:<ISO 8601
// duration>", "date:<ISO 8601 date-time>" or "cycle:<R[n]/[start/]duration or cron>" (see
// model.ParseTimer), each possibly an expression (${...} or =...) whose value is the text or a
// time.
func (r *runner) timerSpec(t *Token, n *model.Node) (*model.Timer, error) {
	kind, text, _ := strings.Cut(n.EventRef, ":")
	text = strings.TrimSpace(text)
	if e := model.NormalizeExpression(text); e != text || strings.HasPrefix(text, "${") || strings.HasPrefix(text, "#{") {
		p, err := expr.Compile(e, expr.AllowUndefinedVariables())
		if err != nil {
			return nil, fmt.Errorf("timer %s %q: %w", kind, text, expressionFailed(err))
		}
		v, err := expr.Run(p, r.vars(t))
		if err != nil {
			return nil, fmt.Errorf("timer %s %q: %w", kind, text, expressionFailed(err))
		}
		if tm, ok := v.(time.Time); ok && kind == "date" {
			return &model.Timer{Kind: kind, At: tm}, nil
		}
		text = fmt.Sprint(v)
		spec, err := model.ParseTimer(kind, text)
		return spec, expressionFailed(err) // the expression's value is no timer
	}
	return model.ParseTimer(kind, text)
}

// timerDue returns when the timer of event n, armed now for token t, fires first.
func (r *runner) timerDue(t *Token, n *model.Node) (int64, error) {
	spec, err := r.timerSpec(t, n)
	if err != nil {
		return 0, err
	}
	return spec.First(time.UnixMilli(r.now)).UnixMilli(), nil
}

// rearmCycle arms a non-interrupting timer boundary b of t's activity again after its Timer job
// j fired, when b is a cycle with occurrences left (R3/PT10M fires three times; a cron cycle
// until the activity ends).
func (r *runner) rearmCycle(t *Token, b *model.Node, j *job.Job) error {
	spec, err := r.timerSpec(t, b)
	if err != nil {
		return &DelegateError{Activity: b.ID, Err: err}
	}
	next, ok := spec.Next(time.UnixMilli(j.Due), time.UnixMilli(r.now), j.Rep+1)
	if !ok {
		return nil
	}
	r.jobs = append(r.jobs, &job.Job{Instance: r.st.ID, Type: r.def.EngineType, Kind: job.Timer, Token: t.ID,
		Activity: b.ID, Created: r.now, Due: next.UnixMilli(), Rep: j.Rep + 1})
	return nil
}

// createTimer leaves t waiting at timer catch event n until it fires.
func (r *runner) createTimer(t *Token, n *model.Node) error {
	due, err := r.timerDue(t, n)
	if err != nil {
		return &DelegateError{Activity: n.ID, Err: err}
	}
	r.boundaryOn(t, n, job.Timer, r.def.EngineType).Due = due
	return nil
}

// TimerEarly reports how long before its due time a Timer job was delivered (0: due). A worker
// gives such a job back for that long without claiming it.
func TimerEarly(j *job.Job, now time.Time) time.Duration {
	if j.Kind != job.Timer {
		return 0
	}
	return max(time.UnixMilli(j.Due).Sub(now), 0)
}
