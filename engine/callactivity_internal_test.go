package engine

import (
	"context"
	"sort"
	"sync/atomic"
	"testing"

	"github.com/batonhq/baton/engine/bpmn"
	"github.com/batonhq/baton/engine/job"
)

// Crash tests of the call-activity bridge: a worker killed between the two instances' commits.

const bridgeDoc = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:baton="https://github.com/batonhq/baton/schema/bpmn"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Call"/>
    <callActivity id="Call" calledElement="child">
      <extensionElements><camunda:out source="out" target="result"/></extensionElements>
    </callActivity>
    <sequenceFlow id="f1" sourceRef="Call" targetRef="After"/>
    <task id="After"/>
    <sequenceFlow id="f2" sourceRef="After" targetRef="End"/>
    <endEvent id="End"/>
  </process>
  <process id="child" isExecutable="true">
    <startEvent id="ChildStart"/>
    <sequenceFlow id="c0" sourceRef="ChildStart" targetRef="Work"/>
    <serviceTask id="Work" baton:type="work"/>
    <sequenceFlow id="c1" sourceRef="Work" targetRef="ChildEnd"/>
    <endEvent id="ChildEnd"/>
  </process>
</definitions>`

// bridge deploys bridgeDoc on a fresh engine whose "work" delegate counts its calls, and starts
// a parent: it waits for its Call job.
func bridge(t *testing.T) (*Engine, *atomic.Int64, string) {
	t.Helper()
	ctx := context.Background()
	e := internalEngine(t)
	defs, err := bpmn.Parse("bridge.bpmn", []byte(bridgeDoc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Deploy(ctx, defs); err != nil {
		t.Fatal(err)
	}
	calls := &atomic.Int64{}
	e.Register("work", DelegateFunc(func(_ context.Context, tk *Task) error {
		calls.Add(1)
		tk.SetVar("out", "done")
		return nil
	}))
	res, err := e.Start(ctx, StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	return e, calls, res.InstanceID
}

// onlyJob claims the one outstanding job of instance id, checking its kind.
func onlyJob(t *testing.T, e *Engine, id string, kind job.Kind) *Lease {
	t.Helper()
	ctx := context.Background()
	snap, err := e.store.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(snap.Jobs))
	for jid := range snap.Jobs {
		ids = append(ids, jid)
	}
	sort.Strings(ids)
	if len(ids) != 1 {
		t.Fatalf("instance %s has jobs %v, want one", id, ids)
	}
	j, err := job.Decode(snap.Jobs[ids[0]])
	if err != nil || j.Kind != kind {
		t.Fatalf("job %s: %v kind %v, want %v", ids[0], err, j.Kind, kind)
	}
	l, err := e.Claim(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func execute(t *testing.T, e *Engine, l *Lease) {
	t.Helper()
	res, err := e.Execute(context.Background(), l)
	if err != nil || res.Outcome != Committed {
		t.Fatalf("execute %s: %v %v, want committed", l.Job.ID, res.Outcome, err)
	}
}

func afterRuns(t *testing.T, e *Engine, id string) (runs int, v *InstanceView) {
	t.Helper()
	v, err := e.Instance(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range v.History {
		if ev.Type == EventActivityStart && ev.Activity == "After" {
			runs++
		}
	}
	return runs, v
}

func TestCallJobKilledAfterStartingTheChildStartsItOnceOnItsRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, calls, parent := bridge(t)
	l := onlyJob(t, e, parent, job.Call)
	// The first attempt started the child (running its first step) and was killed before the
	// parent's commit: its lease is given up.
	child := ChildInstanceID("child", l.Job.ID)
	if _, err := e.Start(ctx, StartRequest{ProcessKey: "child", InstanceID: child,
		caller: &Caller{Instance: parent, Token: l.Job.Token, Activity: "Call", Job: l.Job.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Release(ctx, l); err != nil {
		t.Fatal(err)
	}
	execute(t, e, onlyJob(t, e, parent, job.Call))
	if calls.Load() != 1 {
		t.Fatalf("the child's delegate ran %d times, want once: the retry must find the child", calls.Load())
	}
	execute(t, e, onlyJob(t, e, child, job.Return))
	execute(t, e, onlyJob(t, e, parent, job.End))
	if runs, v := afterRuns(t, e, parent); runs != 1 || v.Status != StatusCompleted || v.Variables["result"] != "done" {
		t.Fatalf("parent: After ran %d times, status %s, variables %v", runs, v.Status, v.Variables)
	}
}

func TestReturnJobKilledAfterApplyingToTheParentOnlyConsumesOnItsRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e, _, parent := bridge(t)
	call := onlyJob(t, e, parent, job.Call)
	child := ChildInstanceID("child", call.Job.ID)
	execute(t, e, call)
	// The first attempt applied the child to the parent and was killed before consuming the
	// job in the child.
	l := onlyJob(t, e, child, job.Return)
	if res, err := e.applyReturn(ctx, l); res != nil || err != nil {
		t.Fatalf("apply: %v %v", res, err)
	}
	if err := e.Release(ctx, l); err != nil {
		t.Fatal(err)
	}
	execute(t, e, onlyJob(t, e, child, job.Return))
	// The parent holds one End job: the retry applied nothing again.
	execute(t, e, onlyJob(t, e, parent, job.End))
	runs, v := afterRuns(t, e, parent)
	if runs != 1 || v.Status != StatusCompleted {
		t.Fatalf("parent: After ran %d times, status %s; want the child applied once", runs, v.Status)
	}
	if cv, err := e.Instance(ctx, child); err != nil || len(cv.Jobs) != 0 || cv.Status != StatusCompleted {
		t.Fatalf("child %+v %v: want completed with its Return job consumed", cv, err)
	}
}
