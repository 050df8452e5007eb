package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

// payModel is Start -> Pay (task type "pay") -> Done, with an error boundary on Pay for code
// DECLINED leading to Declined, and a catch-all boundary leading to Failed.
var payModel = model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Pay"/>
    <serviceTask id="Pay" baton:type="pay"/>
    <sequenceFlow id="f1" sourceRef="Pay" targetRef="Done"/>
    <endEvent id="Done"/>
    <boundaryEvent id="OnDeclined" attachedToRef="Pay">
      <errorEventDefinition errorRef="Err_Declined" camunda:errorCodeVariable="code" camunda:errorMessageVariable="why"
        xmlns:camunda="http://camunda.org/schema/1.0/bpmn"/>
    </boundaryEvent>
    <sequenceFlow id="f2" sourceRef="OnDeclined" targetRef="Declined"/>
    <endEvent id="Declined"/>
    <boundaryEvent id="OnAnyError" attachedToRef="Pay"><errorEventDefinition/></boundaryEvent>
    <sequenceFlow id="f3" sourceRef="OnAnyError" targetRef="Failed"/>
    <endEvent id="Failed"/>`, `<error id="Err_Declined" errorCode="DECLINED"/>`)

func TestErrorBoundaryEventsCatchBPMNErrorsByCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, code, end string
	}{
		{"a matching code wins", "DECLINED", "Declined"},
		{"another code goes to the catch-all", "LIMIT", "Failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c := deployed(t, payModel, nil)
			var calls atomic.Int64
			c.Register("pay", baton.DelegateFunc(func(context.Context, *baton.Task) error {
				calls.Add(1)
				return baton.NewBPMNError(tc.code, "card says no")
			}))
			v := started(t, c, nil)
			if v.Status != engine.StatusCompleted || count(v.History, engine.EventActivityEnd, tc.end) != 1 {
				t.Fatalf("status %s history %+v, want completed through %s", v.Status, v.History, tc.end)
			}
			if count(v.History, engine.EventActivityEnd, "Pay") != 0 || count(v.History, engine.EventActivityCancel, "Pay") != 1 {
				t.Errorf("Pay must be cancelled by the error, not ended: %+v", v.History)
			}
			if tc.end == "Declined" && (v.Variables["code"] != "DECLINED" || v.Variables["why"] != "card says no") {
				t.Errorf("error variables: %v", v.Variables)
			}
			if calls.Load() != 1 {
				t.Errorf("a BPMN error is not a failure: the delegate ran %d times, want once", calls.Load())
			}
		})
	}
}

func TestUncaughtBPMNErrorIsAnIncidentAtOnce(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, straight("p", "pay", `baton:asyncBefore="true"`), nil)
	var calls atomic.Int64
	c.Register("pay", baton.DelegateFunc(func(context.Context, *baton.Task) error {
		calls.Add(1)
		return baton.NewBPMNError("DECLINED", "nobody catches this")
	}))
	batontestRunTypes(t, c, "pay")
	v := waitStatus(t, c, started(t, c, nil).ID, engine.StatusIncident)
	if calls.Load() != 1 || len(v.Incidents) != 1 || v.Incidents[0].Attempts != 1 ||
		!strings.Contains(v.Incidents[0].Error, "uncaught BPMN error") {
		t.Fatalf("calls %d incidents %+v: want one incident after the single attempt", calls.Load(), v.Incidents)
	}
}

func TestScriptTasksWriteTheirResult(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Total"/>
    <scriptTask id="Total" scriptFormat="expr" camunda:resultVariable="total" xmlns:camunda="http://camunda.org/schema/1.0/bpmn">
      <script>price * quantity</script>
    </scriptTask>
    <sequenceFlow id="f1" sourceRef="Total" targetRef="Label"/>
    <scriptTask id="Label" scriptFormat="javascript" camunda:resultVariable="label" xmlns:camunda="http://camunda.org/schema/1.0/bpmn">
      <script><![CDATA[
        execution.setVariable("big", total > 100);
        var parts = [customer.name, String(total)];
        parts.join(": ");
      ]]></script>
    </scriptTask>
    <sequenceFlow id="f2" sourceRef="Label" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	v := started(t, c, map[string]any{"price": 25, "quantity": 6, "customer": map[string]any{"name": "ada"}})
	if v.Status != engine.StatusCompleted {
		t.Fatalf("status %s", v.Status)
	}
	if v.Variables["total"] != int64(150) || v.Variables["label"] != "ada: 150" || v.Variables["big"] != true {
		t.Fatalf("variables %v", v.Variables)
	}
}

func TestARunawayScriptIsInterruptedIntoAnIncident(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Spin"/>
    <scriptTask id="Spin" scriptFormat="javascript" baton:asyncBefore="true"><script>while (true) {}</script></scriptTask>
    <sequenceFlow id="f1" sourceRef="Spin" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, func(cfg *baton.Config) { cfg.Engine.ScriptTimeout = 50 * time.Millisecond })
	batontestRunTypes(t, c)
	v := waitStatus(t, c, started(t, c, nil).ID, engine.StatusIncident)
	if len(v.Incidents) != 1 || !strings.Contains(v.Incidents[0].Error, "timed out") {
		t.Fatalf("incidents %+v, want a timed-out script", v.Incidents)
	}
}

func TestCamundaDelegateExpressionsAndExpressionsRun(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Charge"/>
    <serviceTask id="Charge" camunda:delegateExpression="${chargeDelegate}" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"/>
    <sequenceFlow id="f1" sourceRef="Charge" targetRef="Double"/>
    <serviceTask id="Double" camunda:expression="${amount * 2}" camunda:resultVariable="doubled" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"/>
    <sequenceFlow id="f2" sourceRef="Double" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	c.Register("chargeDelegate", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		tk.SetVar("charged", true)
		return nil
	}))
	v := started(t, c, map[string]any{"amount": 21})
	if v.Status != engine.StatusCompleted || v.Variables["charged"] != true || v.Variables["doubled"] != int64(42) {
		t.Fatalf("status %s vars %v", v.Status, v.Variables)
	}
}

func TestACyclicScriptValueFailsTheStepInsteadOfTheProcess(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Loop"/>
    <scriptTask id="Loop" scriptFormat="javascript" baton:asyncBefore="true">
      <script>var a = {}; a.self = a; execution.setVariable("a", a);</script>
    </scriptTask>
    <sequenceFlow id="f1" sourceRef="Loop" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	batontestRunTypes(t, c)
	v := waitStatus(t, c, started(t, c, nil).ID, engine.StatusIncident)
	if len(v.Incidents) != 1 || !strings.Contains(v.Incidents[0].Error, "contains itself") {
		t.Fatalf("incidents %+v, want one naming the cyclic variable", v.Incidents)
	}
}
