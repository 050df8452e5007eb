package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/batonhq/baton/engine/bpmn"
	"github.com/batonhq/baton/engine/job"
)

const replayDoc = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="d" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Fork"/>
    <parallelGateway id="Fork"/>
    <sequenceFlow id="f1" sourceRef="Fork" targetRef="M"/>
    <sequenceFlow id="f2" sourceRef="Fork" targetRef="B"/>
    <serviceTask id="M" camunda:class="item" camunda:asyncBefore="true" camunda:exclusive="false">
      <multiInstanceLoopCharacteristics camunda:collection="${items}" camunda:elementVariable="item"/>
    </serviceTask>
    <serviceTask id="B" camunda:class="replace" camunda:asyncBefore="true" camunda:exclusive="false"/>
    <sequenceFlow id="f3" sourceRef="M" targetRef="Join"/>
    <sequenceFlow id="f4" sourceRef="B" targetRef="Join"/>
    <parallelGateway id="Join"/>
    <sequenceFlow id="f5" sourceRef="Join" targetRef="End"/>
    <endEvent id="End"/>
  </process>
</definitions>`

// A step replayed after a version conflict re-applies recorded delegate results by call site
// and occurrence. A multi-instance activity calls one site many times, and the replay may
// evaluate its collection anew: a result must only go to the inner instance it came from.
func TestReplayAfterAConflictRunsInnerInstancesWhoseElementChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := internalEngine(t)
	defs, err := bpmn.Parse("replay.bpmn", []byte(replayDoc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Deploy(ctx, defs); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var saw []string
	e.Register("item", DelegateFunc(func(_ context.Context, tk *Task) error {
		mu.Lock()
		defer mu.Unlock()
		saw = append(saw, fmt.Sprint(tk.Var("item")))
		tk.SetVar("did_"+fmt.Sprint(tk.Var("item")), true)
		return nil
	}))
	e.Register("replace", DelegateFunc(func(_ context.Context, tk *Task) error {
		tk.SetVar("items", []any{"c", "d"})
		return nil
	}))
	res, err := e.Start(ctx, StartRequest{ProcessKey: "p", Variables: map[string]any{"items": []any{"a", "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := e.store.Load(ctx, res.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	leases := map[string]*Lease{}
	for _, env := range snap.Jobs {
		j, err := job.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		if leases[j.Activity], err = e.Claim(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	// B commits first; M's step, computed on items [a b], then conflicts and is replayed on
	// items [c d].
	execute(t, e, leases["B"])
	execute(t, e, leases["M"])
	sort.Strings(saw)
	if got := strings.Join(saw, " "); got != "a b c d" {
		t.Fatalf("the delegate saw %q, want a and b, then c and d on the replay", got)
	}
	v, err := e.Instance(ctx, res.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != StatusCompleted || v.Variables["did_c"] != true || v.Variables["did_d"] != true ||
		v.Variables["did_a"] != nil || v.Variables["did_b"] != nil {
		t.Fatalf("status %s variables %v: want the results of c and d only", v.Status, v.Variables)
	}
}
