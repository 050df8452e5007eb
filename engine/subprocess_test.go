package engine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

func TestSubprocessRunsItsScopeThenContinues(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Sub"/>
    <subProcess id="Sub" baton:asyncAfter="true">
      <startEvent id="SubStart"/>
      <sequenceFlow id="s0" sourceRef="SubStart" targetRef="Inner"/>
      <serviceTask id="Inner" baton:type="inner" baton:asyncBefore="true"/>
      <sequenceFlow id="s1" sourceRef="Inner" targetRef="Nested"/>
      <subProcess id="Nested">
        <startEvent id="NestedStart"/>
        <sequenceFlow id="n0" sourceRef="NestedStart" targetRef="Deep"/>
        <task id="Deep"/>
        <sequenceFlow id="n1" sourceRef="Deep" targetRef="NestedEnd"/>
        <endEvent id="NestedEnd"/>
      </subProcess>
      <sequenceFlow id="s2" sourceRef="Nested" targetRef="SubEnd"/>
      <endEvent id="SubEnd"/>
    </subProcess>
    <sequenceFlow id="f1" sourceRef="Sub" targetRef="After"/>
    <task id="After"/>
    <sequenceFlow id="f2" sourceRef="After" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	c.Register("inner", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	v := started(t, c, nil)
	// Committed inside the scope: the subprocess's token waits for its child at Inner.
	if len(v.Tokens) != 2 || len(v.Jobs) != 1 || v.Jobs[0].ActivityID != "Inner" {
		t.Fatalf("after start: tokens %+v jobs %+v", v.Tokens, v.Jobs)
	}
	batontestRunTypes(t, c, "inner")
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	pos := map[string]int{}
	for i, e := range v.History {
		pos[e.Type+":"+e.Activity] = i
	}
	order := []string{"activityStart:Sub", "activityEnd:Inner", "activityStart:Nested", "activityEnd:Deep",
		"activityEnd:Nested", "activityEnd:SubEnd", "activityEnd:Sub", "activityStart:After", "activityEnd:End"}
	for i := 1; i < len(order); i++ {
		a, okA := pos[order[i-1]]
		b, okB := pos[order[i]]
		if !okA || !okB || a > b {
			t.Fatalf("history must have %s before %s: %+v", order[i-1], order[i], v.History)
		}
	}
	if v.Version != 3 {
		t.Errorf("version %d, want 3: start, the Inner job, the async-after job of Sub", v.Version)
	}
}

// guarded is a subprocess with two branches (Risky and Other, both async) and an error boundary
// on the subprocess that leads to Handled.
var guarded = model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Sub"/>
    <subProcess id="Sub">
      <startEvent id="SubStart"/>
      <sequenceFlow id="s0" sourceRef="SubStart" targetRef="Fork"/>
      <parallelGateway id="Fork"/>
      <sequenceFlow id="s1" sourceRef="Fork" targetRef="Risky"/>
      <sequenceFlow id="s2" sourceRef="Fork" targetRef="Other"/>
      <serviceTask id="Risky" baton:type="risky" baton:asyncBefore="true"/>
      <serviceTask id="Other" baton:type="other" baton:asyncBefore="true"/>
      <sequenceFlow id="s3" sourceRef="Risky" targetRef="Check"/>
      <exclusiveGateway id="Check" default="s5"/>
      <sequenceFlow id="s4" sourceRef="Check" targetRef="Fail"><conditionExpression>${failed}</conditionExpression></sequenceFlow>
      <sequenceFlow id="s5" sourceRef="Check" targetRef="Fine"/>
      <endEvent id="Fail"><errorEventDefinition errorRef="Err"/></endEvent>
      <endEvent id="Fine"/>
      <sequenceFlow id="s6" sourceRef="Other" targetRef="OtherEnd"/>
      <endEvent id="OtherEnd"/>
    </subProcess>
    <sequenceFlow id="f1" sourceRef="Sub" targetRef="End"/>
    <endEvent id="End"/>
    <boundaryEvent id="Caught" attachedToRef="Sub"><errorEventDefinition errorRef="Err"/></boundaryEvent>
    <sequenceFlow id="f2" sourceRef="Caught" targetRef="Handled"/>
    <endEvent id="Handled"/>`, `<error id="Err" errorCode="BROKEN"/>`)

func TestErrorsInsideASubprocessAreCaughtOnItAndCancelItsOtherWork(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		risky baton.DelegateFunc
		vars  map[string]any
	}{
		{"a delegate's BPMN error", func(context.Context, *baton.Task) error { return baton.NewBPMNError("BROKEN", "") },
			map[string]any{"failed": false}},
		{"an error end event", func(context.Context, *baton.Task) error { return nil }, map[string]any{"failed": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c := deployed(t, guarded, nil)
			var other atomic.Int64
			c.Register("risky", tc.risky)
			c.Register("other", baton.DelegateFunc(func(context.Context, *baton.Task) error { other.Add(1); return nil }))
			v := started(t, c, tc.vars)
			batontestRunTypes(t, c, "risky") // Other's job waits: the error must cancel it
			v = waitStatus(t, c, v.ID, engine.StatusCompleted)
			if count(v.History, engine.EventActivityEnd, "Handled") != 1 || count(v.History, engine.EventActivityEnd, "End") != 0 {
				t.Fatalf("must leave through the boundary: %+v", v.History)
			}
			if count(v.History, engine.EventActivityCancel, "Sub") != 1 || len(v.Jobs) != 0 || len(v.Tokens) != 0 {
				t.Fatalf("the subprocess and its pending job must be cancelled: jobs %+v tokens %+v", v.Jobs, v.Tokens)
			}
			batontestRunTypes(t, c, "other")
			batontest.Eventually(t, 10*time.Second, func() bool {
				s, err := c.Engine().Queue().JetStream().Stream(context.Background(), queue.JobsStream)
				return err == nil && s.CachedInfo().State.Msgs == 0
			}, "the cancelled job's message was never settled")
			if other.Load() != 0 {
				t.Errorf("the cancelled branch ran %d times", other.Load())
			}
		})
	}
}

func TestTerminateInsideASubprocessEndsOnlyTheSubprocess(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Sub"/>
    <subProcess id="Sub">
      <startEvent id="SubStart"/>
      <sequenceFlow id="s0" sourceRef="SubStart" targetRef="Fork"/>
      <parallelGateway id="Fork"/>
      <sequenceFlow id="s1" sourceRef="Fork" targetRef="Wait"/>
      <sequenceFlow id="s2" sourceRef="Fork" targetRef="Stop"/>
      <serviceTask id="Wait" baton:type="wait" baton:asyncBefore="true"/>
      <sequenceFlow id="s3" sourceRef="Wait" targetRef="WaitEnd"/>
      <endEvent id="WaitEnd"/>
      <endEvent id="Stop"><terminateEventDefinition/></endEvent>
    </subProcess>
    <sequenceFlow id="f1" sourceRef="Sub" targetRef="Next"/>
    <task id="Next"/>
    <sequenceFlow id="f2" sourceRef="Next" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	v := started(t, c, nil)
	if v.Status != engine.StatusCompleted || len(v.Jobs) != 0 {
		t.Fatalf("status %s jobs %+v: the terminate must end the subprocess (and its Wait job) and the process go on", v.Status, v.Jobs)
	}
	if count(v.History, engine.EventActivityEnd, "Next") != 1 || count(v.History, engine.EventActivityEnd, "End") != 1 {
		t.Errorf("the process must continue after the subprocess: %+v", v.History)
	}
}

func TestJoinsInsideTwoRunsOfASubprocessDoNotMixTheirTokens(t *testing.T) {
	t.Parallel()
	// Sub is entered twice (from Fork directly and after T); inside, a parallel join waits for
	// A's token and the direct one. Each run's join must wait for its own tokens only.
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Fork"/>
    <parallelGateway id="Fork"/>
    <sequenceFlow id="f1" sourceRef="Fork" targetRef="Sub"/>
    <sequenceFlow id="f2" sourceRef="Fork" targetRef="T"/>
    <serviceTask id="T" baton:type="t" baton:asyncBefore="true"/>
    <sequenceFlow id="f3" sourceRef="T" targetRef="Sub"/>
    <subProcess id="Sub">
      <startEvent id="SubStart"/>
      <sequenceFlow id="s0" sourceRef="SubStart" targetRef="F2"/>
      <parallelGateway id="F2"/>
      <sequenceFlow id="s1" sourceRef="F2" targetRef="A"/>
      <sequenceFlow id="s2" sourceRef="F2" targetRef="J"/>
      <serviceTask id="A" baton:type="a" baton:asyncBefore="true"/>
      <sequenceFlow id="s3" sourceRef="A" targetRef="J"/>
      <parallelGateway id="J"/>
      <sequenceFlow id="s4" sourceRef="J" targetRef="SubEnd"/>
      <endEvent id="SubEnd"/>
    </subProcess>
    <sequenceFlow id="f4" sourceRef="Sub" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	for _, typ := range []string{"t", "a"} {
		c.Register(typ, baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	}
	ctx := context.Background()
	v := started(t, c, nil)
	// runJob claims and executes the outstanding job at activity, choosing the newest one when
	// there are several (the second run's).
	runJob := func(activity string, newest bool) {
		t.Helper()
		snap, err := c.Engine().Store().Load(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		var pick *job.Job
		for _, env := range snap.Jobs {
			j, err := job.Decode(env)
			if err != nil || j.Activity != activity {
				continue
			}
			if pick == nil || (newest == (j.Created > pick.Created || j.ID > pick.ID)) {
				pick = j
			}
		}
		if pick == nil {
			t.Fatalf("no job at %s", activity)
		}
		l, err := c.Engine().Claim(ctx, pick)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := c.Engine().Execute(ctx, l); err != nil || r.Outcome != engine.Committed {
			t.Fatalf("job at %s: %v %v", activity, r.Outcome, err)
		}
	}
	runJob("T", true)  // the second run of Sub starts; its A job is now outstanding too
	runJob("A", true)  // the second run's A
	runJob("A", false) // the first run's A
	v = show(t, c, v.ID)
	if v.Status != engine.StatusCompleted || count(v.History, engine.EventActivityEnd, "Sub") != 2 {
		t.Fatalf("status %s tokens %+v; both runs of Sub must end: %+v", v.Status, v.Tokens, v.History)
	}
}
