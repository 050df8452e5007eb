package engine_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

// miModel is Start -> A (task type "item", multi-instance with loop, the given attributes and
// children) -> End.
func miModel(loopAttrs, loopBody, taskAttrs string) []byte {
	return model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="A"/>
    <serviceTask id="A" baton:type="item" `+taskAttrs+`>
      <multiInstanceLoopCharacteristics `+loopAttrs+`>`+loopBody+`</multiInstanceLoopCharacteristics>
    </serviceTask>
    <sequenceFlow id="f1" sourceRef="A" targetRef="End"/>
    <endEvent id="End"/>`)
}

func TestParallelMultiInstanceRunsOncePerElement(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, miModel(`camunda:collection="${orders}" camunda:elementVariable="order"`, "", ""), nil)
	var mu sync.Mutex
	var seen []string
	c.Register("item", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%v#%v/%v", tk.Var("order"), tk.Var("loopCounter"), tk.Var("nrOfInstances")))
		return nil
	}))
	v := started(t, c, map[string]any{"orders": []any{"a", "b", "c"}})
	if v.Status != engine.StatusCompleted {
		t.Fatalf("status %s tokens %+v", v.Status, v.Tokens)
	}
	sort.Strings(seen)
	if got := strings.Join(seen, " "); got != "a#0/3 b#1/3 c#2/3" {
		t.Fatalf("inner instances saw %q", got)
	}
	if count(v.History, engine.EventActivityStart, "A#multiInstanceBody") != 1 ||
		count(v.History, engine.EventActivityEnd, "A") != 3 {
		t.Errorf("history %+v: want one body and three inner instances", v.History)
	}
	for _, name := range []string{"order", "loopCounter", "nrOfInstances"} {
		if _, ok := v.Variables[name]; ok {
			t.Errorf("multi-instance variable %q leaked into the process: %v", name, v.Variables)
		}
	}
}

func TestSequentialMultiInstanceCommitsEachInnerInstanceInTurn(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, miModel(`isSequential="true" camunda:asyncBefore="true"`,
		`<loopCardinality>${n}</loopCardinality>`, ""), nil)
	var running, overlap atomic.Int64
	c.Register("item", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		if running.Add(1) > 1 {
			overlap.Add(1)
		}
		defer running.Add(-1)
		return nil
	}))
	v := started(t, c, map[string]any{"n": 3})
	// The first commit: the body waits with its counters; one inner instance waits for its job.
	var body, inner *engine.TokenView
	for i := range v.Tokens {
		switch v.Tokens[i].Loop {
		case "body":
			body = &v.Tokens[i]
		case "inner":
			inner = &v.Tokens[i]
		}
	}
	if len(v.Tokens) != 2 || body == nil || inner == nil || inner.State != "waiting-job" ||
		body.Variables["nrOfInstances"] != int64(3) || body.Variables["nrOfCompletedInstances"] != int64(0) ||
		inner.Variables["loopCounter"] != int64(0) {
		t.Fatalf("after start: tokens %+v", v.Tokens)
	}
	batontestRunTypes(t, c, "item")
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	if overlap.Load() != 0 || count(v.History, engine.EventActivityEnd, "A") != 3 {
		t.Fatalf("overlaps %d, history %+v: want three inner instances one after another", overlap.Load(), v.History)
	}
}

func TestCompletionConditionEndsTheBodyAndCancelsTheRest(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, miModel(`camunda:asyncBefore="true"`,
		`<loopCardinality>5</loopCardinality><completionCondition>${nrOfCompletedInstances >= 2}</completionCondition>`, ""), nil)
	var calls atomic.Int64
	c.Register("item", baton.DelegateFunc(func(context.Context, *baton.Task) error {
		calls.Add(1)
		return nil
	}))
	v := started(t, c, nil)
	if len(v.Jobs) != 5 {
		t.Fatalf("after start: %d jobs, want one per inner instance", len(v.Jobs))
	}
	batontestRunTypes(t, c, "item")
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	// Inner jobs are exclusive: the second completion cancels the other three in its commit.
	if calls.Load() != 2 || count(v.History, engine.EventActivityEnd, "A") != 2 || len(v.Jobs) != 0 {
		t.Fatalf("calls %d jobs %+v history %+v: want two inner instances and the rest cancelled", calls.Load(), v.Jobs, v.History)
	}
}

func TestAnErrorInOneInnerInstanceLeavesThroughTheBoundaryOfTheWholeActivity(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Sub"/>
    <subProcess id="Sub">
      <multiInstanceLoopCharacteristics camunda:collection="items" camunda:elementVariable="item"/>
      <startEvent id="SubStart"/>
      <sequenceFlow id="s0" sourceRef="SubStart" targetRef="Check"/>
      <serviceTask id="Check" baton:type="check"/>
      <sequenceFlow id="s1" sourceRef="Check" targetRef="SubEnd"/>
      <endEvent id="SubEnd"/>
    </subProcess>
    <sequenceFlow id="f1" sourceRef="Sub" targetRef="Done"/>
    <endEvent id="Done"/>
    <boundaryEvent id="OnBad" attachedToRef="Sub"><errorEventDefinition/></boundaryEvent>
    <sequenceFlow id="f2" sourceRef="OnBad" targetRef="Rejected"/>
    <endEvent id="Rejected"/>`)
	_, c := deployed(t, doc, nil)
	c.Register("check", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		if tk.Var("item") == "bad" {
			return baton.NewBPMNError("BAD", "bad item")
		}
		return nil
	}))
	v := started(t, c, map[string]any{"items": []any{"ok", "bad", "ok"}})
	if v.Status != engine.StatusCompleted || count(v.History, engine.EventActivityEnd, "Rejected") != 1 ||
		count(v.History, engine.EventActivityEnd, "Done") != 0 || len(v.Tokens) != 0 {
		t.Fatalf("status %s tokens %+v history %+v: want the body cancelled and the instance ended at Rejected",
			v.Status, v.Tokens, v.History)
	}
}

func TestEmptyCollectionSkipsTheActivity(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, miModel(`camunda:collection="${items}" camunda:elementVariable="item"`, "", ""), nil)
	var calls atomic.Int64
	c.Register("item", baton.DelegateFunc(func(context.Context, *baton.Task) error { calls.Add(1); return nil }))
	v := started(t, c, map[string]any{"items": []any{}})
	if v.Status != engine.StatusCompleted || calls.Load() != 0 || count(v.History, engine.EventActivityEnd, "A#multiInstanceBody") != 1 {
		t.Fatalf("status %s calls %d history %+v", v.Status, calls.Load(), v.History)
	}
}
