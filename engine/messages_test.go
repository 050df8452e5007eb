package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

// paymentModel waits for the message "payment-received" at a receive task, correlated by the
// instance's business key, then ends.
var paymentModel = model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Paid"/>
    <receiveTask id="Paid" messageRef="Msg_Paid"/>
    <sequenceFlow id="f1" sourceRef="Paid" targetRef="End"/>
    <endEvent id="End"/>`, `<message id="Msg_Paid" name="payment-received"/>`)

func startKeyed(t *testing.T, c *baton.Client, key string) string {
	t.Helper()
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p", BusinessKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return res.InstanceID
}

func TestAMessageCorrelatesOnceAndOneThatArrivesFirstWaits(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, paymentModel, nil)
	ctx := context.Background()
	id := startKeyed(t, c, "order-1")
	if v := show(t, c, id); len(v.Jobs) != 1 || v.Jobs[0].Kind != "wait" || v.Tokens[0].ActivityID != "Paid" {
		t.Fatalf("the instance does not wait at Paid: %+v", v)
	}
	msg := baton.CorrelateRequest{Name: "payment-received", CorrelationKey: "order-1", MessageID: "m-1",
		Variables: map[string]any{"amount": 5}}
	res, err := c.Correlate(ctx, msg)
	if err != nil || len(res.Instances) != 1 || res.Instances[0] != id {
		t.Fatalf("correlate: %+v %v", res, err)
	}
	v := show(t, c, id)
	if v.Status != engine.StatusCompleted || v.Variables["amount"] != int64(5) || count(v.History, engine.EventActivityEnd, "Paid") != 1 {
		t.Fatalf("after the message: %s %v %+v", v.Status, v.Variables, v.History)
	}
	// The same message again (a redelivery) is dropped.
	if res, err := c.Correlate(ctx, msg); err != nil || !res.Duplicate || len(res.Instances) != 0 {
		t.Fatalf("duplicate: %+v %v", res, err)
	}
	// A message for an instance that does not wait yet is kept, and taken when it subscribes.
	early := baton.CorrelateRequest{Name: "payment-received", CorrelationKey: "order-2", MessageID: "m-2",
		Variables: map[string]any{"amount": 7}}
	if res, err := c.Correlate(ctx, early); err != nil || !res.Buffered {
		t.Fatalf("early message: %+v %v, want buffered", res, err)
	}
	if res, err := c.Correlate(ctx, early); err != nil || !res.Buffered {
		t.Fatalf("the early message again: %+v %v, want still one buffered copy", res, err)
	}
	second := startKeyed(t, c, "order-2")
	v = show(t, c, second)
	if v.Status != engine.StatusCompleted || v.Variables["amount"] != int64(7) {
		t.Fatalf("the instance that subscribed after its message: %s %v", v.Status, v.Variables)
	}
	// The buffered copy was used up: a third instance with the same key waits.
	third := startKeyed(t, c, "order-2")
	if v := show(t, c, third); v.Status != engine.StatusRunning {
		t.Fatalf("a buffered message was delivered twice: %s", v.Status)
	}
	if res, err := c.Correlate(ctx, early); err != nil || !res.Duplicate {
		t.Fatalf("the early message after it was correlated: %+v %v, want a duplicate", res, err)
	}
}

func TestAMessageForSeveralWaitingInstancesNeedsAll(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, paymentModel, nil)
	ctx := context.Background()
	a, b := startKeyed(t, c, "batch"), startKeyed(t, c, "batch")
	msg := baton.CorrelateRequest{Name: "payment-received", CorrelationKey: "batch"}
	if _, err := c.Correlate(ctx, msg); !errors.Is(err, baton.ErrAmbiguous) {
		t.Fatalf("correlate to two: %v, want ErrAmbiguous", err)
	}
	msg.All = true
	res, err := c.Correlate(ctx, msg)
	if err != nil || len(res.Instances) != 2 {
		t.Fatalf("correlate to all: %+v %v", res, err)
	}
	for _, id := range []string{a, b} {
		if v := show(t, c, id); v.Status != engine.StatusCompleted {
			t.Fatalf("instance %s: %s", id, v.Status)
		}
	}
	if _, err := c.Correlate(ctx, baton.CorrelateRequest{Name: "payment-received", CorrelationKey: "nobody", TTL: -1}); !errors.Is(err, baton.ErrNoSubscription) {
		t.Fatalf("a message nobody waits for, without buffering: %v, want ErrNoSubscription", err)
	}
}

func TestAZeebeCorrelationKeyIsEvaluatedWhenTheTokenStartsWaiting(t *testing.T) {
	t.Parallel()
	doc := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  id="d" targetNamespace="t">
  <bpmn:message id="Msg_Shipped" name="order-shipped">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=order.id" /></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="Start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="Start" targetRef="Shipped"/>
    <bpmn:intermediateCatchEvent id="Shipped">
      <bpmn:messageEventDefinition messageRef="Msg_Shipped"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Shipped" targetRef="End"/>
    <bpmn:endEvent id="End"/>
  </bpmn:process>
</bpmn:definitions>`)
	_, c := deployed(t, doc, nil)
	ctx := context.Background()
	res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p", Variables: map[string]any{"order": map[string]any{"id": "A-17"}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Correlate(ctx, baton.CorrelateRequest{Name: "order-shipped", CorrelationKey: "A-17", TTL: -1})
	if err != nil || len(got.Instances) != 1 || got.Instances[0] != res.InstanceID {
		t.Fatalf("correlate by the evaluated key: %+v %v", got, err)
	}
}

func TestTheFirstEventAfterAnEventBasedGatewayWinsAndTheOthersAreCancelled(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Which"/>
    <eventBasedGateway id="Which"/>
    <sequenceFlow id="f1" sourceRef="Which" targetRef="Paid"/>
    <sequenceFlow id="f2" sourceRef="Which" targetRef="Cancelled"/>
    <intermediateCatchEvent id="Paid"><messageEventDefinition messageRef="M_Paid"/></intermediateCatchEvent>
    <receiveTask id="Cancelled" messageRef="M_Cancel"/>
    <sequenceFlow id="f3" sourceRef="Paid" targetRef="Shipped"/>
    <sequenceFlow id="f4" sourceRef="Cancelled" targetRef="Refunded"/>
    <endEvent id="Shipped"/>
    <endEvent id="Refunded"/>`, `<message id="M_Paid" name="paid"/>`, `<message id="M_Cancel" name="cancelled"/>`)
	_, c := deployed(t, doc, nil)
	ctx := context.Background()
	id := startKeyed(t, c, "o-1")
	v := show(t, c, id)
	if len(v.Tokens) != 1 || v.Tokens[0].State != "waiting-events" || len(v.Jobs) != 2 {
		t.Fatalf("at the gateway: tokens %+v jobs %+v", v.Tokens, v.Jobs)
	}
	res, err := c.Correlate(ctx, baton.CorrelateRequest{Name: "cancelled", CorrelationKey: "o-1", TTL: -1,
		Variables: map[string]any{"reason": "changed mind"}})
	if err != nil || len(res.Instances) != 1 {
		t.Fatalf("cancelled: %+v %v", res, err)
	}
	v = show(t, c, id)
	if v.Status != engine.StatusCompleted || len(v.Jobs) != 0 || v.Variables["reason"] != "changed mind" ||
		count(v.History, engine.EventActivityEnd, "Refunded") != 1 || count(v.History, engine.EventActivityStart, "Paid") != 0 {
		t.Fatalf("after the first event: %s jobs %+v variables %v history %+v", v.Status, v.Jobs, v.Variables, v.History)
	}
	// The other event's wait went with the commit: its message now finds nobody.
	if _, err := c.Correlate(ctx, baton.CorrelateRequest{Name: "paid", CorrelationKey: "o-1", TTL: -1}); !errors.Is(err, baton.ErrNoSubscription) {
		t.Fatalf("the losing event's message: %v, want ErrNoSubscription", err)
	}
}
