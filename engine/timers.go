package engine

import (
	"fmt"
	"strconv"
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

// timerDue evaluates the timer of catch event n for token t: "duration:<ISO 8601 duration>",
// "date:<ISO 8601 date-time>" or "cycle:R[n]/<duration>" (its first occurrence), each possibly an
// expression (${...} or =...) whose value is the text.
func (r *runner) timerDue(t *Token, n *model.Node) (int64, error) {
	kind, text, _ := strings.Cut(n.EventRef, ":")
	text = strings.TrimSpace(text)
	if e := model.NormalizeExpression(text); e != text || strings.HasPrefix(text, "${") || strings.HasPrefix(text, "#{") {
		p, err := expr.Compile(e, expr.AllowUndefinedVariables())
		if err != nil {
			return 0, fmt.Errorf("timer %s %q: %w", kind, text, err)
		}
		v, err := expr.Run(p, r.vars(t))
		if err != nil {
			return 0, fmt.Errorf("timer %s %q: %w", kind, text, err)
		}
		if tm, ok := v.(time.Time); ok {
			return tm.UnixMilli(), nil
		}
		text = fmt.Sprint(v)
	}
	now := time.UnixMilli(r.now)
	switch kind {
	case "date":
		return dateMillis(text)
	case "duration":
		d, err := isoDuration(text)
		if err != nil {
			return 0, err
		}
		return now.Add(d).UnixMilli(), nil
	case "cycle":
		d, err := cycleInterval(text)
		if err != nil {
			return 0, err
		}
		return now.Add(d).UnixMilli(), nil
	}
	return 0, fmt.Errorf("timer %q: want a timeDate, timeDuration or timeCycle", n.EventRef)
}

// cycleInterval reads an ISO 8601 repeating interval "R[n]/<duration>" and returns its
// duration. Cron cycles are refused.
func cycleInterval(s string) (time.Duration, error) {
	rep, dur, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || !strings.HasPrefix(strings.ToUpper(rep), "R") {
		return 0, fmt.Errorf("timer cycle %q: want an ISO 8601 repeating interval such as R3/PT10M (cron cycles are not supported)", s)
	}
	if n := rep[1:]; n != "" {
		if _, err := strconv.Atoi(n); err != nil {
			return 0, fmt.Errorf("timer cycle %q: %q is not a repeat count", s, rep)
		}
	}
	return isoDuration(dur)
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
