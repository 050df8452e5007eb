package workers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

const receiveModel = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <message id="M" name="payment-received"/>
  <process id="pay" isExecutable="true">
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Paid"/>
    <receiveTask id="Paid" messageRef="M"/>
    <sequenceFlow id="f1" sourceRef="Paid" targetRef="End"/>
    <endEvent id="End"/>
  </process>
</definitions>`

// jsonMessage is a message on baton.msg.<name> with a JSON body and a message id.
func jsonMessage(name, id, body string) *nats.Msg {
	m := nats.NewMsg(queue.MessageSubject(name))
	m.Header.Set("Content-Type", "application/json")
	if id != "" {
		m.Header.Set(nats.MsgIdHdr, id)
	}
	m.Data = []byte(body)
	return m
}

func TestMessagesPublishedOnNATSAreCorrelatedOnceEvenWhenEarly(t *testing.T) {
	t.Parallel()
	_, c := setup(t, nil)
	ctx := context.Background()
	if _, err := c.DeployBytes(ctx, "pay.bpmn", []byte(receiveModel)); err != nil {
		t.Fatal(err)
	}
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, Messages: true})
	start := func(key string) string {
		res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "pay", BusinessKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return res.InstanceID
	}
	// A waiting instance gets its message, published twice with one id.
	waiting := start("o-1")
	for i := 0; i < 2; i++ {
		publish(t, c, jsonMessage("payment-received", "pay-1", `{"correlationKey":"o-1","variables":{"amount":12}}`))
	}
	v := waitStatus(t, c, waiting, engine.StatusCompleted)
	if v.Variables["amount"] != int64(12) || count(v.History, engine.EventActivityEnd, "Paid") != 1 {
		t.Fatalf("variables %v history %+v", v.Variables, v.History)
	}
	// A message that arrives before its instance waits is kept, then taken.
	publish(t, c, jsonMessage("payment-received", "pay-2", `{"correlationKey":"o-2","variables":{"amount":3}}`))
	batontest.Eventually(t, 30*time.Second, func() bool {
		n, err := c.Engine().Store().Client().Exists(ctx, c.Engine().Store().Prefix()+"msg:{payment-received}:buf:o-2").Result()
		return err == nil && n == 1
	}, "the early message was never buffered")
	early := start("o-2")
	if v := waitStatus(t, c, early, engine.StatusCompleted); v.Variables["amount"] != int64(3) {
		t.Fatalf("the early message's variables: %v", v.Variables)
	}
	// A malformed message is dead-lettered with its reason.
	publish(t, c, jsonMessage("payment-received", "bad-1", `{"correlationKey":"o-3","colour":"red"}`))
	batontest.Eventually(t, 30*time.Second, func() bool {
		s, err := c.Engine().Queue().JetStream().Stream(ctx, queue.DeadStream)
		if err != nil {
			return false
		}
		m, err := s.GetLastMsgForSubject(ctx, queue.DeadPrefix+">")
		return err == nil && m.Header.Get(queue.HeaderDeadSubject) == queue.MessageSubject("payment-received") &&
			strings.Contains(m.Header.Get(queue.HeaderDeadReason), "colour")
	}, "the malformed message was not dead-lettered naming its field")
}

func count(h []engine.HistoryEvent, typ, activity string) int {
	n := 0
	for _, e := range h {
		if e.Type == typ && e.Activity == activity {
			n++
		}
	}
	return n
}
