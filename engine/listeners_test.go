package engine_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

func TestExecutionListenersRunAsDelegatesAtStartEndAndTake(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="A"/>
    <serviceTask id="A" baton:type="work">
      <extensionElements>
        <camunda:executionListener event="start" class="audit"/>
        <camunda:executionListener event="end" delegateExpression="${audit}"/>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="f1" sourceRef="A" targetRef="B">
      <extensionElements><camunda:executionListener event="take" class="audit"/></extensionElements>
    </sequenceFlow>
    <task id="B"/>
    <sequenceFlow id="f2" sourceRef="B" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	var mu sync.Mutex
	var order []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, s)
	}
	c.Register("audit", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		note(tk.ListenerEvent + "@" + tk.ActivityID)
		if tk.ListenerEvent == "start" {
			tk.SetVar("startedBy", "listener")
		}
		return nil
	}))
	c.Register("work", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		note("work sees " + tk.Var("startedBy").(string))
		return nil
	}))
	v := started(t, c, nil)
	if v.Status != engine.StatusCompleted {
		t.Fatalf("status %s", v.Status)
	}
	want := "start@A,work sees listener,end@A,take@A"
	if got := strings.Join(order, ","); got != want {
		t.Fatalf("listener order %q, want %q", got, want)
	}
}

func TestAnEndListenerServedElsewhereMakesTheActivityEndAJobOfItsType(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="A"/>
    <serviceTask id="A" baton:type="work" baton:asyncBefore="true">
      <extensionElements><camunda:executionListener event="end" class="com.acme.Audit"/></extensionElements>
    </serviceTask>
    <sequenceFlow id="f1" sourceRef="A" targetRef="End"/>
    <endEvent id="End"/>`)
	env, c := deployed(t, doc, nil)
	var work, audit atomic.Int64
	c.Register("work", baton.DelegateFunc(func(context.Context, *baton.Task) error { work.Add(1); return nil }))
	batontestRunTypes(t, c, "work")
	id := started(t, c, nil).ID
	// The worker of "work" lacks the listener: A's end waits for a job on its type.
	var v *baton.InstanceView
	batontest.Eventually(t, 30*time.Second, func() bool {
		v = show(t, c, id)
		return len(v.Jobs) == 1 && v.Jobs[0].Kind == "end" && v.Jobs[0].TaskType == "com.acme.Audit"
	}, "A's end never became a job of the listener's type")
	if v.Status != engine.StatusRunning || len(v.Incidents) != 0 || count(v.History, engine.EventActivityEnd, "A") != 0 {
		t.Fatalf("status %s incidents %+v history %+v: want A waiting to end, no incident", v.Status, v.Incidents, v.History)
	}
	// A worker of the listener's type ends it.
	auditor := env.Client(env.Config())
	auditor.Register("com.acme.Audit", baton.DelegateFunc(func(context.Context, *baton.Task) error { audit.Add(1); return nil }))
	batontestRunTypes(t, auditor, "com.acme.Audit")
	waitStatus(t, c, id, engine.StatusCompleted)
	if work.Load() != 1 || audit.Load() != 1 {
		t.Fatalf("work ran %d times, the listener %d; want once each", work.Load(), audit.Load())
	}
}

func TestAnAsyncNodeWithStartListenersIsAJobOfTheListenersType(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="A"/>
    <task id="A" baton:asyncBefore="true">
      <extensionElements><camunda:executionListener event="start" class="audit"/></extensionElements>
    </task>
    <sequenceFlow id="f1" sourceRef="A" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	var audit atomic.Int64
	c.Register("audit", baton.DelegateFunc(func(context.Context, *baton.Task) error { audit.Add(1); return nil }))
	v := started(t, c, nil)
	if len(v.Jobs) != 1 || v.Jobs[0].TaskType != "audit" {
		t.Fatalf("jobs %+v: want A's job on the listener's type, whose workers can start A", v.Jobs)
	}
	batontestRunTypes(t, c, "audit")
	waitStatus(t, c, v.ID, engine.StatusCompleted)
	if audit.Load() != 1 {
		t.Fatalf("the listener ran %d times, want once", audit.Load())
	}
}

func TestStartListenersRunWhereTheTokenArrivesAndEndListenersWhereTheyAreServed(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="A"/>
    <task id="A">
      <extensionElements>
        <camunda:executionListener event="start" class="here"/>
        <camunda:executionListener event="end" class="elsewhere"/>
      </extensionElements>
    </task>
    <sequenceFlow id="f1" sourceRef="A" targetRef="End"/>
    <endEvent id="End"/>`)
	env, c := deployed(t, doc, nil)
	var here, elsewhere atomic.Int64
	c.Register("here", baton.DelegateFunc(func(context.Context, *baton.Task) error { here.Add(1); return nil }))
	v := started(t, c, nil)
	if here.Load() != 1 || len(v.Jobs) != 1 || v.Jobs[0].Kind != "end" || v.Jobs[0].TaskType != "elsewhere" {
		t.Fatalf("start listener ran %d times, jobs %+v: want it run by the starter and A's end a job on its end listener's type",
			here.Load(), v.Jobs)
	}
	other := env.Client(env.Config())
	other.Register("elsewhere", baton.DelegateFunc(func(context.Context, *baton.Task) error { elsewhere.Add(1); return nil }))
	batontestRunTypes(t, other, "elsewhere")
	waitStatus(t, c, v.ID, engine.StatusCompleted)
	if here.Load() != 1 || elsewhere.Load() != 1 {
		t.Fatalf("listeners ran %d and %d times, want once each", here.Load(), elsewhere.Load())
	}
}
