package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

// recallDoc: "catch" waits at a signal catch event; "guarded" waits at a user task with an
// interrupting signal boundary event; "thrower" throws the signal from an intermediate throw
// event.
var recallDoc = []byte(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="d" targetNamespace="t">
  <signal id="S" name="product-recalled"/>
  <process id="catch" isExecutable="true">
    <startEvent id="s1"/>
    <sequenceFlow id="a0" sourceRef="s1" targetRef="Recalled"/>
    <intermediateCatchEvent id="Recalled"><signalEventDefinition signalRef="S"/></intermediateCatchEvent>
    <sequenceFlow id="a1" sourceRef="Recalled" targetRef="e1"/>
    <endEvent id="e1"/>
  </process>
  <process id="guarded" isExecutable="true">
    <startEvent id="s2"/>
    <sequenceFlow id="b0" sourceRef="s2" targetRef="Pack"/>
    <userTask id="Pack" camunda:candidateGroups="warehouse"/>
    <sequenceFlow id="b1" sourceRef="Pack" targetRef="e2"/>
    <endEvent id="e2"/>
    <boundaryEvent id="Stop" attachedToRef="Pack"><signalEventDefinition signalRef="S"/></boundaryEvent>
    <sequenceFlow id="b2" sourceRef="Stop" targetRef="Stopped"/>
    <endEvent id="Stopped"/>
  </process>
  <process id="thrower" isExecutable="true">
    <startEvent id="s3"/>
    <sequenceFlow id="c0" sourceRef="s3" targetRef="Recall"/>
    <intermediateThrowEvent id="Recall"><signalEventDefinition signalRef="S"/></intermediateThrowEvent>
    <sequenceFlow id="c1" sourceRef="Recall" targetRef="e3"/>
    <endEvent id="e3"/>
  </process>
</definitions>`)

func TestASignalThrownByAProcessReachesEveryWaitingInstance(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, recallDoc, nil)
	ctx := context.Background()
	start := func(key string) string {
		res, err := c.Start(ctx, baton.StartRequest{ProcessKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return res.InstanceID
	}
	catch, guarded := start("catch"), start("guarded")
	batontestRunTypes(t, c)
	start("thrower")
	if v := waitStatus(t, c, catch, engine.StatusCompleted); count(v.History, engine.EventActivityEnd, "Recalled") != 1 {
		t.Fatalf("catch: %+v", v.History)
	}
	v := waitStatus(t, c, guarded, engine.StatusCompleted)
	if count(v.History, engine.EventActivityCancel, "Pack") != 1 || count(v.History, engine.EventActivityEnd, "Stopped") != 1 {
		t.Fatalf("guarded: %+v", v.History)
	}
	// A signal is not kept: a later instance waits.
	late := start("catch")
	if v := show(t, c, late); v.Status != engine.StatusRunning {
		t.Fatalf("a late instance received an old signal: %s", v.Status)
	}
	res, err := c.Signal(ctx, "product-recalled", map[string]any{"sku": "A-17"})
	if err != nil || len(res.Instances) != 1 || res.Instances[0] != late {
		t.Fatalf("signal by API: %+v %v", res, err)
	}
	if v := show(t, c, late); v.Status != engine.StatusCompleted || v.Variables["sku"] != "A-17" {
		t.Fatalf("late instance: %s %v", v.Status, v.Variables)
	}
}

func TestMessageAndSignalStartEventsStartInstances(t *testing.T) {
	t.Parallel()
	doc := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <message id="M" name="order-placed"/>
  <signal id="S" name="stock-check"/>
  <process id="orders" isExecutable="true">
    <startEvent id="Placed"><messageEventDefinition messageRef="M"/></startEvent>
    <sequenceFlow id="a0" sourceRef="Placed" targetRef="e1"/>
    <endEvent id="e1"/>
  </process>
  <process id="audit" isExecutable="true">
    <startEvent id="Manual"/>
    <sequenceFlow id="b0" sourceRef="Manual" targetRef="e2"/>
    <startEvent id="OnCheck"><signalEventDefinition signalRef="S"/></startEvent>
    <sequenceFlow id="b1" sourceRef="OnCheck" targetRef="e2"/>
    <endEvent id="e2"/>
  </process>
</definitions>`)
	_, c := deployed(t, doc, nil)
	ctx := context.Background()
	msg := baton.CorrelateRequest{Name: "order-placed", CorrelationKey: "o-7", MessageID: "m-7", Variables: map[string]any{"n": 1}}
	res, err := c.Correlate(ctx, msg)
	if err != nil || len(res.Instances) != 1 {
		t.Fatalf("message start: %+v %v", res, err)
	}
	v := show(t, c, res.Instances[0])
	if v.ProcessKey != "orders" || v.BusinessKey != "o-7" || v.Variables["n"] != int64(1) || v.Status != engine.StatusCompleted ||
		count(v.History, engine.EventActivityEnd, "Placed") != 1 {
		t.Fatalf("instance from the message: %+v", v)
	}
	if again, err := c.Correlate(ctx, msg); err != nil || !again.Duplicate {
		t.Fatalf("the same message again: %+v %v, want a duplicate", again, err)
	}
	if _, err := c.Start(ctx, baton.StartRequest{ProcessKey: "orders"}); err == nil || !strings.Contains(err.Error(), "no none start event") {
		t.Fatalf("a plain start of a message-started process: %v", err)
	}
	sig, err := c.Signal(ctx, "stock-check", nil)
	if err != nil || len(sig.Instances) != 1 {
		t.Fatalf("signal start: %+v %v", sig, err)
	}
	if v := show(t, c, sig.Instances[0]); v.ProcessKey != "audit" || count(v.History, engine.EventActivityEnd, "OnCheck") != 1 {
		t.Fatalf("instance from the signal: %+v", v)
	}
	// The process's none start event still starts it too.
	if res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "audit"}); err != nil || res.Status != engine.StatusCompleted {
		t.Fatalf("none start of audit: %+v %v", res, err)
	}
}

func TestASignalThrownJustBeforeATerminateEndIsStillBroadcast(t *testing.T) {
	t.Parallel()
	doc := []byte(strings.Replace(string(recallDoc), `<endEvent id="e3"/>`, `<endEvent id="e3"><terminateEventDefinition/></endEvent>`, 1))
	_, c := deployed(t, doc, nil)
	ctx := context.Background()
	catch, err := c.Start(ctx, baton.StartRequest{ProcessKey: "catch"})
	if err != nil {
		t.Fatal(err)
	}
	batontestRunTypes(t, c)
	if _, err := c.Start(ctx, baton.StartRequest{ProcessKey: "thrower"}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, catch.InstanceID, engine.StatusCompleted)
}
