package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

// callDoc holds two processes: "p" calls "child" at Call (with the given extension elements,
// and extra flow elements of p) and the child runs Work (task type "work",
// with workAttrs).
func callDoc(callExt, workAttrs string, extra ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:baton="https://github.com/batonhq/baton/schema/bpmn"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <error id="E" errorCode="NOPE"/>
  <process id="p" isExecutable="true">
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Call"/>
    <callActivity id="Call" calledElement="child">
      <extensionElements>` + callExt + `</extensionElements>
    </callActivity>
    <sequenceFlow id="f1" sourceRef="Call" targetRef="After"/>
    <task id="After"/>
    <sequenceFlow id="f2" sourceRef="After" targetRef="End"/>
    <endEvent id="End"/>
    ` + strings.Join(extra, "\n") + `
  </process>
  <process id="child" isExecutable="true">
    <startEvent id="ChildStart"/>
    <sequenceFlow id="c0" sourceRef="ChildStart" targetRef="Work"/>
    <serviceTask id="Work" baton:type="work" ` + workAttrs + `/>
    <sequenceFlow id="c1" sourceRef="Work" targetRef="ChildEnd"/>
    <endEvent id="ChildEnd"/>
  </process>
</definitions>`)
}

// double is the child's delegate: out = in * 2.
func double(calls *atomic.Int64) baton.Delegate {
	return baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		calls.Add(1)
		n, _ := tk.Var("in").(int64)
		tk.SetVar("out", n*2)
		return nil
	})
}

func TestCallActivityRunsTheChildAndResumesTheParentOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, workAttrs string }{
		{"a child that completes when it starts", ""},
		{"a child that waits at an async boundary", `baton:asyncBefore="true"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c := deployed(t, callDoc(`<camunda:in source="x" target="in"/><camunda:out source="out" target="result"/>`,
				tc.workAttrs), nil)
			var calls atomic.Int64
			c.Register("work", double(&calls))
			v := started(t, c, map[string]any{"x": 21, "secret": "stays home"})
			// Committed: the parent's token waits for the Call job that starts the child.
			if len(v.Tokens) != 1 || v.Tokens[0].ActivityID != "Call" || len(v.Jobs) != 1 || v.Jobs[0].Kind != "call" {
				t.Fatalf("after start: tokens %+v jobs %+v", v.Tokens, v.Jobs)
			}
			batontestRunTypes(t, c, "work")
			child := engine.ChildInstanceID("child", v.Jobs[0].ID)
			v = waitStatus(t, c, v.ID, engine.StatusCompleted)
			if v.Variables["result"] != int64(42) || count(v.History, engine.EventActivityStart, "After") != 1 ||
				count(v.History, engine.EventActivityEnd, "Call") != 1 {
				t.Fatalf("parent variables %v history %+v: want result 42 and After run once", v.Variables, v.History)
			}
			cv := waitStatus(t, c, child, engine.StatusCompleted)
			if cv.ProcessKey != "child" || cv.Variables["in"] != int64(21) || cv.Variables["secret"] != nil || len(cv.Jobs) != 0 {
				t.Fatalf("child %+v: want only the mapped variable, completed with its return job consumed", cv)
			}
			if calls.Load() != 1 {
				t.Errorf("the child's delegate ran %d times, want once", calls.Load())
			}
		})
	}
}

func TestCallActivityUnderRacingWorkersAppliesEachChildOnce(t *testing.T) {
	t.Parallel()
	env, c := deployed(t, callDoc(`<camunda:in source="x" target="in"/><camunda:out source="out" target="result"/>`, ""), nil)
	var calls atomic.Int64
	c.Register("work", double(&calls))
	// A second client with its own owner races the first for every job: a child that completes
	// when it starts publishes its Return job before its parent has committed the Call.
	cfg := env.Config()
	cfg.Engine.Owner = "rival"
	rival := env.Client(cfg)
	rival.Register("work", double(&calls))
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p", Variables: map[string]any{"x": i}})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = res.InstanceID
	}
	batontestRunTypes(t, c, "work")
	batontestRunTypes(t, rival, "work")
	for i, id := range ids {
		v := waitStatus(t, c, id, engine.StatusCompleted)
		if v.Variables["result"] != int64(2*i) || count(v.History, engine.EventActivityStart, "After") != 1 ||
			count(v.History, engine.EventActivityEnd, "Call") != 1 {
			t.Fatalf("instance %d: variables %v history %+v: want result %d and the call applied once", i, v.Variables, v.History, 2*i)
		}
	}
	if calls.Load() != n {
		t.Errorf("child delegates ran %d times for %d children", calls.Load(), n)
	}
}

func TestABPMNErrorUncaughtInTheChildIsThrownAtTheCallActivity(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, callDoc("", `baton:asyncBefore="true"`,
		`<boundaryEvent id="OnNope" attachedToRef="Call"><errorEventDefinition errorRef="E"/></boundaryEvent>
    <sequenceFlow id="f3" sourceRef="OnNope" targetRef="Rejected"/>
    <endEvent id="Rejected"/>`), nil)
	c.Register("work", baton.DelegateFunc(func(context.Context, *baton.Task) error {
		return baton.NewBPMNError("NOPE", "the child refuses")
	}))
	v := started(t, c, nil)
	child := engine.ChildInstanceID("child", v.Jobs[0].ID)
	batontestRunTypes(t, c, "work")
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	if count(v.History, engine.EventActivityEnd, "Rejected") != 1 || count(v.History, engine.EventActivityCancel, "Call") != 1 ||
		count(v.History, engine.EventActivityStart, "After") != 0 {
		t.Fatalf("parent history %+v: want Call cancelled by the error and the instance ended at Rejected", v.History)
	}
	cv := waitStatus(t, c, child, engine.StatusCompleted)
	if count(cv.History, engine.EventActivityCancel, "Work") != 1 || len(cv.Incidents) != 0 {
		t.Fatalf("child %+v: want it ended by the error without an incident", cv)
	}
}

// childProcess is a child process whose script sets out to the given expr value.
func childProcess(out string) string {
	return `
  <process id="child" isExecutable="true">
    <startEvent id="ChildStart"/>
    <sequenceFlow id="c0" sourceRef="ChildStart" targetRef="Set"/>
    <scriptTask id="Set" scriptFormat="expr" camunda:resultVariable="out"><script>` + out + `</script></scriptTask>
    <sequenceFlow id="c1" sourceRef="Set" targetRef="ChildEnd"/>
    <endEvent id="ChildEnd"/>
  </process>`
}

// bindingDoc is a document of the given processes.
func bindingDoc(processes ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="d" targetNamespace="t">` + strings.Join(processes, "\n") + `
</definitions>`)
}

func TestCallActivityBindingsChooseTheCalledVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, attrs string
		want        string
	}{
		{"latest", ``, "v3"},
		{"a fixed version", `camunda:calledElementBinding="version" camunda:calledElementVersion="1"`, "v1"},
		{"the caller's deployment", `camunda:calledElementBinding="deployment"`, "v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parent := `
  <process id="p" isExecutable="true">
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Call"/>
    <callActivity id="Call" calledElement="child" ` + tc.attrs + `>
      <extensionElements><camunda:out variables="all"/></extensionElements>
    </callActivity>
    <sequenceFlow id="f1" sourceRef="Call" targetRef="End"/>
    <endEvent id="End"/>
  </process>`
			// Version 1 of the child alone, version 2 deployed with the parent, version 3 alone.
			_, c := deployed(t, bindingDoc(childProcess(`"v1"`)), nil)
			ctx := context.Background()
			for i, doc := range [][]byte{bindingDoc(parent, childProcess(`"v2"`)), bindingDoc(childProcess(`"v3"`))} {
				if _, err := c.DeployBytes(ctx, fmt.Sprintf("file%d.bpmn", i+2), doc); err != nil {
					t.Fatal(err)
				}
			}
			v := started(t, c, nil)
			batontestRunTypes(t, c)
			v = waitStatus(t, c, v.ID, engine.StatusCompleted)
			if v.Variables["out"] != tc.want {
				t.Fatalf("out = %v, want %s from the bound version", v.Variables["out"], tc.want)
			}
		})
	}
}

func TestMultiInstanceCallActivityStartsOneChildPerElement(t *testing.T) {
	t.Parallel()
	// callDoc's child, and (below) a new version of p that calls it once per element.
	_, c := deployed(t, callDoc("", ""), nil)
	var calls atomic.Int64
	c.Register("work", double(&calls))
	parent := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Call"/>
    <callActivity id="Call" calledElement="child">
      <extensionElements><camunda:in source="item" target="in"/></extensionElements>
      <multiInstanceLoopCharacteristics camunda:collection="${items}" camunda:elementVariable="item"/>
    </callActivity>
    <sequenceFlow id="f1" sourceRef="Call" targetRef="End"/>
    <endEvent id="End"/>`)
	if _, err := c.DeployBytes(context.Background(), "parent.bpmn", parent); err != nil {
		t.Fatal(err)
	}
	v := started(t, c, map[string]any{"items": []any{1, 2, 3, 4}})
	if len(v.Jobs) != 4 {
		t.Fatalf("after start: jobs %+v, want one Call job per element", v.Jobs)
	}
	batontestRunTypes(t, c, "work")
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	if calls.Load() != 4 || count(v.History, engine.EventActivityEnd, "Call") != 4 ||
		count(v.History, engine.EventActivityEnd, "Call#multiInstanceBody") != 1 {
		t.Fatalf("calls %d history %+v: want four children and one body", calls.Load(), v.History)
	}
}

func TestAllVariablesCrossingAMultiInstanceCallLeaveItsCountersAlone(t *testing.T) {
	t.Parallel()
	// Each child gets every variable, the body's counters included, and gives every one back.
	_, c := deployed(t, callDoc("", `baton:asyncBefore="true"`), nil)
	var calls atomic.Int64
	// The children finish only once all three have started: each got the counters as they were
	// before any child returned.
	all := make(chan struct{})
	var once sync.Once
	c.Register("work", baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		if calls.Add(1) >= 3 {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-ctx.Done():
			return ctx.Err()
		}
		tk.SetVar("out", int64(10))
		return nil
	}))
	parent := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Call"/>
    <callActivity id="Call" calledElement="child">
      <extensionElements><camunda:in variables="all"/><camunda:out variables="all"/></extensionElements>
      <multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics>
    </callActivity>
    <sequenceFlow id="f1" sourceRef="Call" targetRef="End"/>
    <endEvent id="End"/>`)
	if _, err := c.DeployBytes(context.Background(), "parent.bpmn", parent); err != nil {
		t.Fatal(err)
	}
	v := started(t, c, map[string]any{"in": 5})
	batontestRunTypes(t, c, "work")
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	if calls.Load() != 3 || v.Variables["out"] != int64(10) || v.Variables["nrOfInstances"] != nil {
		t.Fatalf("calls %d variables %v: want three children, their out, and no counters left", calls.Load(), v.Variables)
	}
}

func TestCallOutputsSeeTheChildsBusinessKey(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, callDoc(`<camunda:in businessKey="${'CHILD-' + execution.processBusinessKey}"/>
      <camunda:out sourceExpression="${execution.processBusinessKey}" target="childKey"/>`, ""), nil)
	var calls atomic.Int64
	c.Register("work", double(&calls))
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p", BusinessKey: "PARENT"})
	if err != nil {
		t.Fatal(err)
	}
	batontestRunTypes(t, c, "work")
	v := waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if v.Variables["childKey"] != "CHILD-PARENT" {
		t.Fatalf("childKey = %v, want the child's business key CHILD-PARENT", v.Variables["childKey"])
	}
}
