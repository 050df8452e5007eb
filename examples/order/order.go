// Package order is Baton's example process: an order that is validated, then charged and
// reserved in parallel, checked for fraud when large, and shipped. Every service task is async
// before; stock reservation is async after as well. `baton dev` runs it, and it shows how to
// write delegates with the SDK.
package order

import (
	"context"
	_ "embed"
	"time"

	"github.com/batonhq/baton/engine"
)

// BPMN is the process model (process key "order").
//
//go:embed order.bpmn
var BPMN []byte

// ProcessKey is the id of the process in BPMN.
const ProcessKey = "order"

// Task types of the process's service tasks (their camunda:class).
const (
	TypeValidate   = "order.validate"
	TypeCharge     = "order.charge"
	TypeReserve    = "order.reserve"
	TypeFraudCheck = "order.fraudCheck"
	TypeShip       = "order.ship"
)

// Registrar is anything delegates can be registered with: *baton.Client, *engine.Engine.
type Registrar interface {
	Register(taskType string, d engine.Delegate)
}

// Register registers the example delegates. They read "amount" (default 50) and honour
// "simulateLatencyMs", a pause that stands in for a remote call (see simulateLatency).
func Register(r Registrar) {
	r.Register(TypeValidate, engine.DelegateFunc(validate))
	r.Register(TypeCharge, engine.DelegateFunc(charge))
	r.Register(TypeReserve, engine.DelegateFunc(reserve))
	r.Register(TypeFraudCheck, engine.DelegateFunc(fraudCheck))
	r.Register(TypeShip, engine.DelegateFunc(ship))
}

func validate(ctx context.Context, t *engine.Task) error {
	if err := simulateLatency(ctx, t); err != nil {
		return err
	}
	if t.Var("amount") == nil {
		t.SetVar("amount", 50)
	}
	t.SetVar("valid", true)
	return nil
}

func charge(ctx context.Context, t *engine.Task) error {
	if err := simulateLatency(ctx, t); err != nil {
		return err
	}
	// The job id is the same on every attempt of this step: an idempotency key for the payment
	// provider, so a re-run after a crash does not charge twice.
	t.SetVar("chargeId", "ch-"+t.JobID)
	return nil
}

func reserve(ctx context.Context, t *engine.Task) error {
	if err := simulateLatency(ctx, t); err != nil {
		return err
	}
	t.SetVar("reserved", true)
	return nil
}

func fraudCheck(ctx context.Context, t *engine.Task) error {
	if err := simulateLatency(ctx, t); err != nil {
		return err
	}
	t.SetVar("fraudChecked", true)
	return nil
}

func ship(ctx context.Context, t *engine.Task) error {
	if err := simulateLatency(ctx, t); err != nil {
		return err
	}
	t.SetVar("shipped", true)
	return nil
}

// simulateLatency pauses for "simulateLatencyMs": a number for every task, or a map from
// activity id to a number for some.
func simulateLatency(ctx context.Context, t *engine.Task) error {
	v := t.Var("simulateLatencyMs")
	if m, ok := v.(map[string]any); ok {
		v = m[t.ActivityID]
	}
	ms := toInt(v)
	if ms <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return nil
	}
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}
