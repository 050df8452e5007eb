package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
)

// Signals. A signal catch (intermediate event, boundary event, or a target of an event-based
// gateway) waits like a message catch, subscribed under SignalName with no correlation key. A
// signal is broadcast to every subscription and never buffered: who does not wait when it is
// thrown does not receive it, as in BPMN. A signal throw or end event adds a Signal job to the
// thrower's commit; that job broadcasts, so a thrower killed after its commit still signals.

// SignalName is the subscription name of signal name, kept apart from message names.
func SignalName(name string) string { return "signal:" + name }

// SignalResult says what a signal reached.
type SignalResult struct {
	// Instances lists the instances whose waits the signal completed.
	Instances []string
}

// Signal broadcasts signal name, with vars, to every instance waiting for it.
func (e *Engine) Signal(ctx context.Context, name string, vars map[string]any) (SignalResult, error) {
	return e.signal(ctx, name, vars, NewInstanceID())
}

// signal broadcasts under id: a broadcast run again with the same id (a Signal job's retry)
// reaches no wait twice and starts no instance twice.
func (e *Engine) signal(ctx context.Context, name string, vars map[string]any, id string) (SignalResult, error) {
	if name == "" {
		return SignalResult{}, errors.New("signal: a signal name is required")
	}
	res, err := e.Correlate(ctx, CorrelateRequest{Name: SignalName(name), Variables: vars, All: true, TTL: -1, MessageID: id})
	if err != nil && !errors.Is(err, ErrNoSubscription) {
		return SignalResult{}, fmt.Errorf("signal %q: %w", name, err)
	}
	// Signal start events fire on every broadcast, whoever else waits (the same id: an instance
	// Correlate started already is not started again).
	started, err := e.startByEvent(ctx, SignalName(name), "", id, vars)
	if err != nil {
		return SignalResult{Instances: res.Instances}, fmt.Errorf("signal %q: %w", name, err)
	}
	for _, s := range started {
		if !slices.Contains(res.Instances, s) {
			res.Instances = append(res.Instances, s)
		}
	}
	return SignalResult{Instances: res.Instances}, nil
}

// throwSignal adds the Signal job of signal throw or end event n, reached by t.
func (r *runner) throwSignal(t *Token, n *model.Node) {
	r.jobs = append(r.jobs, &job.Job{Instance: r.st.ID, Type: r.def.EngineType, Kind: job.Signal, Token: t.ID,
		Activity: n.ID, Exclusive: false, Created: r.now, Msg: &job.MessageSub{Name: n.EventRef}})
}

// executeSignal runs a Signal job: it broadcasts the signal under the job's id, then leaves the
// outbox. Killed in between, it broadcasts again under the same id: waits it completed are gone,
// and the instances its start events started are not started again.
func (e *Engine) executeSignal(ctx context.Context, l *Lease) (Result, error) {
	if _, err := e.signal(ctx, l.Job.Msg.Name, nil, l.Job.ID); err != nil {
		if ctx.Err() != nil {
			return e.release(l)
		}
		return Result{}, err
	}
	return e.consume(context.WithoutCancel(ctx), l)
}
