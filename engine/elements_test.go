package engine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

// started runs a model to its first commit with the given variables and returns the instance.
func started(t *testing.T, c *baton.Client, vars map[string]any) *baton.InstanceView {
	t.Helper()
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p", Variables: vars})
	if err != nil {
		t.Fatal(err)
	}
	return show(t, c, res.InstanceID)
}

func TestTerminateEndEventEndsTheInstanceAndCancelsItsJobs(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Fork"/>
    <parallelGateway id="Fork"/>
    <sequenceFlow id="f1" sourceRef="Fork" targetRef="Slow"/>
    <sequenceFlow id="f2" sourceRef="Fork" targetRef="Kill"/>
    <serviceTask id="Slow" baton:type="slow" baton:asyncBefore="true"/>
    <sequenceFlow id="f3" sourceRef="Slow" targetRef="End"/>
    <endEvent id="End"/>
    <serviceTask id="Kill" baton:type="kill" baton:asyncBefore="true"/>
    <sequenceFlow id="f4" sourceRef="Kill" targetRef="Stop"/>
    <endEvent id="Stop"><terminateEventDefinition/></endEvent>`)
	_, c := deployed(t, doc, nil)
	var slow atomic.Int64
	c.Register("slow", baton.DelegateFunc(func(context.Context, *baton.Task) error { slow.Add(1); return nil }))
	c.Register("kill", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	v := started(t, c, nil)
	if len(v.Jobs) != 2 {
		t.Fatalf("want the two branch jobs, got %+v", v.Jobs)
	}
	// Run only the terminating branch: the other branch's job must leave in the same commit.
	batontestRunTypes(t, c, "kill")
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	if len(v.Jobs) != 0 || len(v.Tokens) != 0 {
		t.Fatalf("after terminate: jobs %+v tokens %+v, want none", v.Jobs, v.Tokens)
	}
	// Its message is still on NATS: a worker for it must find the job gone and only ack.
	batontestRunTypes(t, c, "slow")
	batontest.Eventually(t, 10*time.Second, func() bool {
		s, err := c.Engine().Queue().JetStream().Stream(context.Background(), queue.JobsStream)
		return err == nil && s.CachedInfo().State.Msgs == 0
	}, "the cancelled job's message was never settled")
	if slow.Load() != 0 {
		t.Errorf("the cancelled branch ran %d times", slow.Load())
	}
}

func TestInclusiveGatewayJoinsOnlyTheBranchesThatCanArrive(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Split"/>
    <inclusiveGateway id="Split" default="fc"/>
    <sequenceFlow id="fa" sourceRef="Split" targetRef="A"><conditionExpression>${a}</conditionExpression></sequenceFlow>
    <sequenceFlow id="fb" sourceRef="Split" targetRef="B"><conditionExpression>${b}</conditionExpression></sequenceFlow>
    <sequenceFlow id="fc" sourceRef="Split" targetRef="C"/>
    <serviceTask id="A" baton:type="a" baton:asyncBefore="true"/>
    <serviceTask id="B" baton:type="b" baton:asyncBefore="true"/>
    <serviceTask id="C" baton:type="c"/>
    <sequenceFlow id="fa2" sourceRef="A" targetRef="Merge"/>
    <sequenceFlow id="fb2" sourceRef="B" targetRef="Merge"/>
    <sequenceFlow id="fc2" sourceRef="C" targetRef="Merge"/>
    <inclusiveGateway id="Merge"/>
    <sequenceFlow id="fe" sourceRef="Merge" targetRef="End"/>
    <endEvent id="End"/>`)
	for _, tc := range []struct {
		name       string
		vars       map[string]any
		ran        string
		wantBranch []string
	}{
		{"both conditions true", map[string]any{"a": true, "b": true}, "AB", []string{"A", "B"}},
		{"one condition true", map[string]any{"a": false, "b": true}, "B", []string{"B"}},
		{"none true takes the default", map[string]any{"a": false, "b": false}, "C", []string{"C"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c := deployed(t, doc, nil)
			for _, typ := range []string{"a", "b", "c"} {
				c.Register(typ, baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
			}
			batontestRunTypes(t, c, "a", "b", "c")
			v := started(t, c, tc.vars)
			v = waitStatus(t, c, v.ID, engine.StatusCompleted)
			for _, b := range []string{"A", "B", "C"} {
				want := 0
				for _, w := range tc.wantBranch {
					if w == b {
						want = 1
					}
				}
				if got := count(v.History, engine.EventActivityEnd, b); got != want {
					t.Errorf("%s ran %d times, want %d", b, got, want)
				}
			}
			if count(v.History, engine.EventActivityStart, "Merge") != 1 || count(v.History, engine.EventActivityEnd, "End") != 1 {
				t.Errorf("the inclusive join must fire once: %+v", v.History)
			}
		})
	}
}

func TestInclusiveJoinFiresWhenTheOtherBranchEndsElsewhere(t *testing.T) {
	t.Parallel()
	// Branch X reaches the join; branch Y turns away to its own end event. The join must not
	// wait for Y any more once Y can no longer arrive.
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Split"/>
    <inclusiveGateway id="Split"/>
    <sequenceFlow id="fx" sourceRef="Split" targetRef="X"/>
    <sequenceFlow id="fy" sourceRef="Split" targetRef="Y"/>
    <task id="X"/>
    <sequenceFlow id="fx2" sourceRef="X" targetRef="Merge"/>
    <serviceTask id="Y" baton:type="y" baton:asyncBefore="true"/>
    <sequenceFlow id="fy2" sourceRef="Y" targetRef="Choice"/>
    <exclusiveGateway id="Choice" default="fout"/>
    <sequenceFlow id="fback" sourceRef="Choice" targetRef="Merge"><conditionExpression>${rejoin}</conditionExpression></sequenceFlow>
    <sequenceFlow id="fout" sourceRef="Choice" targetRef="Away"/>
    <endEvent id="Away"/>
    <inclusiveGateway id="Merge"/>
    <sequenceFlow id="fe" sourceRef="Merge" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	c.Register("y", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	v := started(t, c, map[string]any{"rejoin": false})
	if count(v.History, engine.EventActivityStart, "Merge") != 0 {
		t.Fatalf("the join fired while Y could still arrive: %+v", v.History)
	}
	batontestRunTypes(t, c, "y")
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	if count(v.History, engine.EventActivityEnd, "End") != 1 || count(v.History, engine.EventActivityEnd, "Away") != 1 {
		t.Fatalf("both ends must be reached once: %+v", v.History)
	}
}

func TestBatonAsyncExpressionDecidesPerInstance(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Work"/>
    <serviceTask id="Work" baton:type="work" baton:async="${size &gt; 100}"/>
    <sequenceFlow id="f1" sourceRef="Work" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	c.Register("work", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	small := started(t, c, map[string]any{"size": 5})
	if small.Status != engine.StatusCompleted {
		t.Errorf("a small job runs synchronously in the caller: status %s", small.Status)
	}
	big := started(t, c, map[string]any{"size": 500})
	if big.Status != engine.StatusRunning || len(big.Jobs) != 1 || big.Jobs[0].ActivityID != "Work" {
		t.Fatalf("a big job commits before Work: status %s jobs %+v", big.Status, big.Jobs)
	}
	batontestRunTypes(t, c, "work")
	waitStatus(t, c, big.ID, engine.StatusCompleted)
}

func TestSendAndBusinessRuleTasksCallDelegatesAndThrowEventsPassThrough(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Notify"/>
    <sendTask id="Notify" baton:type="mail"/>
    <sequenceFlow id="f1" sourceRef="Notify" targetRef="Reached"/>
    <intermediateThrowEvent id="Reached"/>
    <sequenceFlow id="f2" sourceRef="Reached" targetRef="Score"/>
    <businessRuleTask id="Score" baton:type="score"/>
    <sequenceFlow id="f3" sourceRef="Score" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	c.Register("mail", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error { tk.SetVar("mailed", true); return nil }))
	c.Register("score", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error { tk.SetVar("score", 7); return nil }))
	v := started(t, c, nil)
	if v.Status != engine.StatusCompleted || v.Variables["mailed"] != true || v.Variables["score"] != int64(7) {
		t.Fatalf("status %s vars %v", v.Status, v.Variables)
	}
	if count(v.History, engine.EventActivityEnd, "Reached") != 1 {
		t.Errorf("the throw event must be passed: %+v", v.History)
	}
}

// batontestRunTypes runs a worker for the given task types (and the engine type) until the
// test ends.
func batontestRunTypes(t *testing.T, c *baton.Client, types ...string) {
	t.Helper()
	batontest.RunWorker(t, c, baton.WorkerConfig{TaskTypes: types, ServeEngineType: true})
}
