package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
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

func TestAListenerWhoseDelegateIsMissingFailsNamingItsType(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="A"/>
    <serviceTask id="A" baton:type="work" baton:asyncBefore="true">
      <extensionElements><camunda:executionListener event="end" class="com.acme.Audit"/></extensionElements>
    </serviceTask>
    <sequenceFlow id="f1" sourceRef="A" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, func(cfg *baton.Config) { cfg.Engine.MaxAttempts = 1 })
	c.Register("work", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	batontestRunTypes(t, c, "work")
	v := waitStatus(t, c, started(t, c, nil).ID, engine.StatusIncident)
	if len(v.Incidents) != 1 || !strings.Contains(v.Incidents[0].Error, `"com.acme.Audit"`) ||
		!strings.Contains(v.Incidents[0].Error, "no delegate registered") {
		t.Fatalf("incidents %+v: want one naming the listener's task type", v.Incidents)
	}
}
