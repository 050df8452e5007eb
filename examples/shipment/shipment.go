// Package shipment is Baton's example of the BPMN a modeller produces beyond service tasks:
// a Camunda 7 model whose "Ship each parcel" call activity starts one "parcel" instance per
// parcel (parallel multi-instance), with input/output mappings on both sides, an execution
// listener that collects the tracking numbers, and an error boundary event that catches the
// BPMN error a child throws when no carrier takes a parcel. `baton dev --example shipment`
// runs it.
package shipment

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/batonhq/baton/engine"
)

// BPMN holds both processes (keys "shipment" and "parcel"), as Camunda Modeler saves a
// collaboration of two pools.
//
//go:embed shipment.bpmn
var BPMN []byte

// Process keys of the model.
const (
	ProcessKey = "shipment"
	ParcelKey  = "parcel"
)

// Task types: the service tasks' and the listener's camunda:class.
const (
	TypeValidate       = "shipment.validate"
	TypeRecordTracking = "shipment.recordTracking"
	TypeNotify         = "shipment.notify"
	TypeEscalate       = "shipment.escalate"
	TypeBook           = "parcel.book"
)

// MaxWeightKg is the heaviest parcel a carrier takes; a heavier one ends its parcel instance
// with the BPMN error NO_CARRIER, which the shipment catches and escalates.
const MaxWeightKg = 30

// Registrar is anything delegates can be registered with: *baton.Client, *engine.Engine.
type Registrar interface {
	Register(taskType string, d engine.Delegate)
}

// Register registers the example's delegates.
func Register(r Registrar) {
	r.Register(TypeValidate, engine.DelegateFunc(validate))
	r.Register(TypeRecordTracking, engine.DelegateFunc(recordTracking))
	r.Register(TypeNotify, engine.DelegateFunc(notify))
	r.Register(TypeEscalate, engine.DelegateFunc(escalate))
	r.Register(TypeBook, engine.DelegateFunc(book))
}

// Variables returns start variables for shipment n: three parcels, and every 50th shipment
// has one too heavy for any carrier.
func Variables(n int) map[string]any {
	parcels := make([]any, 3)
	for i := range parcels {
		weight := int64(1 + (n+i*7)%12)
		if n%50 == 49 && i == 2 {
			weight = MaxWeightKg + 10
		}
		parcels[i] = map[string]any{"id": fmt.Sprintf("S%d-P%d", n, i+1), "weightKg": weight}
	}
	return map[string]any{"parcels": parcels}
}

// validate sees parcelCount, a local variable of its input mapping; its local "ok" leaves
// only through the output mapping, as "validated".
func validate(_ context.Context, t *engine.Task) error {
	n, _ := t.Var("parcelCount").(int64)
	t.SetLocalVar("ok", n > 0)
	return nil
}

// book runs in a parcel instance. weightKg is its input mapping; its local "tracking" becomes
// the parcel's trackingNo through the output mapping.
func book(_ context.Context, t *engine.Task) error {
	w, _ := t.Var("weightKg").(int64)
	if w > MaxWeightKg {
		return engine.NewBPMNError("NO_CARRIER", fmt.Sprintf("no carrier takes %d kg", w))
	}
	parcel, _ := t.Var("parcel").(map[string]any)
	// A real booking would send t.JobID as its idempotency key: it is the same on every
	// attempt, so a retry after a crash books once.
	t.SetLocalVar("tracking", fmt.Sprintf("TRK-%v", parcel["id"]))
	return nil
}

// recordTracking is the call activity's end listener: it runs once per parcel, after the
// child's trackingNo came back, and appends it to the shipment's list.
func recordTracking(_ context.Context, t *engine.Task) error {
	list, _ := t.Var("trackingNumbers").([]any)
	t.SetVar("trackingNumbers", append(list, t.Var("trackingNo")))
	return nil
}

func notify(_ context.Context, t *engine.Task) error {
	t.SetVar("notified", true)
	return nil
}

func escalate(_ context.Context, t *engine.Task) error {
	t.SetVar("escalated", t.Var("problem"))
	return nil
}
