package engine

import (
	"context"
	"testing"
	"time"

	"github.com/batonhq/baton/engine/bpmn"
)

func TestATimerStartEventWhoseServerDiedAfterStartingItsInstanceStartsItOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := internalEngine(t)
	defs, err := bpmn.Parse("tick.bpmn", []byte(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="Tick"><timerEventDefinition><timeDate>2020-01-01T00:00:00Z</timeDate></timerEventDefinition></startEvent>
    <sequenceFlow id="f0" sourceRef="Tick" targetRef="End"/>
    <endEvent id="End"/>
  </process>
</definitions>`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Deploy(ctx, defs); err != nil {
		t.Fatal(err)
	}
	// A server took the due timer and started its instance, then died before advancing the
	// schedule.
	taken, err := e.store.TakeStartTimers(ctx, time.Now(), 10, 0)
	if err != nil || len(taken) != 1 {
		t.Fatalf("taken %+v %v", taken, err)
	}
	id := TimerStartInstanceID("p", 1, "Tick", 1)
	if _, err := e.Start(ctx, StartRequest{ProcessKey: "p", Version: 1, startAt: "Tick", InstanceID: id}); err != nil {
		t.Fatal(err)
	}
	// The next server to look fires it again: the same instance, nothing new, and the date
	// timer's schedule ends.
	if n, err := e.FireStartTimers(ctx, time.Now(), 10); err != nil || n != 1 {
		t.Fatalf("fired %d %v", n, err)
	}
	v, err := e.Instance(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	starts := 0
	for _, ev := range v.History {
		if ev.Type == EventActivityStart && ev.Activity == "Tick" {
			starts++
		}
	}
	if v.Status != StatusCompleted || starts != 1 {
		t.Fatalf("instance %s: status %s, Tick started %d times; want once", id, v.Status, starts)
	}
	if left, err := e.StartTimers(ctx); err != nil || len(left) != 0 {
		t.Fatalf("schedule left: %+v %v", left, err)
	}
	if n, err := e.FireStartTimers(ctx, time.Now(), 10); err != nil || n != 0 {
		t.Fatalf("fired again: %d %v", n, err)
	}
}
