package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/examples/order"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

// model builds a one-process BPMN document in Baton's own dialect (Camunda's namespace declared
// too, as prefix camunda) from flow-node and flow XML,
// and optional root elements (errors, messages) placed before the process.
func model(key, body string, roots ...string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:baton="https://github.com/batonhq/baton/schema/bpmn"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
` + strings.Join(roots, "\n") + `
  <process id="` + key + `" isExecutable="true">
` + body + `
  </process>
</definitions>`)
}

// straight is start -> A (task type typ, with attrs) -> end.
func straight(key, typ, attrs string) []byte {
	return model(key, `
    <startEvent id="Start"/>
    <sequenceFlow id="f1" sourceRef="Start" targetRef="A"/>
    <serviceTask id="A" baton:type="`+typ+`" `+attrs+`/>
    <sequenceFlow id="f2" sourceRef="A" targetRef="End"/>
    <endEvent id="End"/>`)
}

// deployed connects a client in a fresh environment and deploys doc.
func deployed(t *testing.T, doc []byte, tweak func(*baton.Config)) (*batontest.Env, *baton.Client) {
	t.Helper()
	env := batontest.New(t)
	cfg := env.Config()
	if tweak != nil {
		tweak(&cfg)
	}
	c := env.Client(cfg)
	if _, err := c.DeployBytes(context.Background(), "test.bpmn", doc); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return env, c
}

func show(t *testing.T, c *baton.Client, id string) *baton.InstanceView {
	t.Helper()
	v, err := c.Instance(context.Background(), id)
	if err != nil {
		t.Fatalf("instance %s: %v", id, err)
	}
	return v
}

func waitStatus(t *testing.T, c *baton.Client, id, status string) *baton.InstanceView {
	t.Helper()
	var last string
	batontest.Eventually(t, 30*time.Second, func() bool {
		v, err := c.Instance(context.Background(), id)
		if err == nil {
			last = v.Status
		}
		return err == nil && v.Status == status
	}, "instance %s never reached %s (last %q)", id, status, last)
	return show(t, c, id)
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

func TestDelegateFailingAfterAsyncBeforeLeavesTheBoundaryCommittedWithAnIncident(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, straight("p", "flaky", `baton:asyncBefore="true"`), nil)
	var calls atomic.Int64
	c.Register("flaky", baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		calls.Add(1)
		tk.SetVar("touched", true) // must never be stored: the attempt fails
		return errors.New("payment provider down")
	}))
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	// The async-before boundary is committed before any worker runs: the caller gets a
	// running instance whose token waits for the job at A.
	v := show(t, c, res.InstanceID)
	if v.Status != engine.StatusRunning || len(v.Tokens) != 1 || v.Tokens[0].ActivityID != "A" || v.Tokens[0].State != "waiting-job" {
		t.Fatalf("after start: status %s tokens %+v, want running with one token waiting at A", v.Status, v.Tokens)
	}
	batontest.RunWorker(t, c, baton.WorkerConfig{})
	v = waitStatus(t, c, res.InstanceID, engine.StatusIncident)
	if got := calls.Load(); got != 3 {
		t.Errorf("delegate ran %d times, want 3 (default attempts)", got)
	}
	if len(v.Incidents) != 1 || v.Incidents[0].ActivityID != "A" || v.Incidents[0].Attempts != 3 ||
		!strings.Contains(v.Incidents[0].Error, "payment provider down") {
		t.Fatalf("incidents = %+v, want one at A after 3 attempts naming the error", v.Incidents)
	}
	// Still exactly the state committed at the boundary: version 1, nothing of A applied.
	if v.Version != 1 || count(v.History, engine.EventActivityStart, "A") != 0 || v.Variables["touched"] != nil {
		t.Errorf("state moved past the boundary: version %d history %+v vars %v", v.Version, v.History, v.Variables)
	}
	if len(v.Tokens) != 1 || v.Tokens[0].ActivityID != "A" {
		t.Errorf("the token must stay at A: %+v", v.Tokens)
	}
}

func TestSynchronousStartWhoseFirstDelegateFailsStoresNothing(t *testing.T) {
	t.Parallel()
	env, c := deployed(t, straight("p", "boom", ""), nil)
	c.Register("boom", baton.DelegateFunc(func(context.Context, *baton.Task) error { return errors.New("boom") }))
	_, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p", Variables: map[string]any{"x": 1}})
	var de *engine.DelegateError
	if !errors.As(err, &de) || de.Activity != "A" {
		t.Fatalf("start error = %v, want a DelegateError at A", err)
	}
	keys, err := env.Redis().Keys(context.Background(), env.Prefix+"inst:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("a failed synchronous start stored %v", keys)
	}
}

func TestDuplicateDeliveryToTwoWorkersCommitsOnce(t *testing.T) {
	t.Parallel()
	env, c1 := deployed(t, straight("p", "count", `baton:asyncBefore="true"`), nil)
	cfg2 := env.Config()
	cfg2.Engine.Owner = "second-worker"
	c2 := env.Client(cfg2)
	var calls atomic.Int64
	entered := make(chan struct{}, 2)
	release := make(chan struct{})
	d := baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		calls.Add(1)
		entered <- struct{}{}
		<-release
		n, _ := tk.Var("count").(int64)
		tk.SetVar("count", n+1)
		return nil
	})
	c1.Register("count", d)
	c2.Register("count", d)
	res, err := c1.Start(context.Background(), baton.StartRequest{ProcessKey: "p", Variables: map[string]any{"count": int64(0)}})
	if err != nil {
		t.Fatal(err)
	}
	// Force a duplicate: the same job published again under another message id.
	v := show(t, c1, res.InstanceID)
	snap, err := c1.Engine().Store().Load(context.Background(), res.InstanceID)
	if err != nil || len(v.Jobs) != 1 {
		t.Fatalf("want one outstanding job: %v %+v", err, v.Jobs)
	}
	jobID := v.Jobs[0].ID
	if err := c1.Engine().Queue().Publish(context.Background(), queue.Message{Subject: queue.JobSubject("count"),
		MsgID: jobID + "-dup", Data: snap.Jobs[jobID]}); err != nil {
		t.Fatal(err)
	}
	batontest.RunWorker(t, c1, baton.WorkerConfig{})
	batontest.RunWorker(t, c2, baton.WorkerConfig{})
	<-entered
	close(release)
	v = waitStatus(t, c1, res.InstanceID, engine.StatusCompleted)
	commits := c1.Engine().Stats().Commits.Load() + c2.Engine().Stats().Commits.Load()
	if commits != 1 || v.Version != 2 {
		t.Errorf("commits = %d, version = %d; want exactly one commit (version 2)", commits, v.Version)
	}
	if v.Variables["count"] != int64(1) || count(v.History, engine.EventActivityEnd, "A") != 1 {
		t.Errorf("result applied more than once: count=%v history=%+v", v.Variables["count"], v.History)
	}
	// Both deliveries must be settled: the duplicate is acked once Redis says STALE.
	batontest.Eventually(t, 15*time.Second, func() bool {
		info, err := c1.Engine().Queue().JetStream().Stream(context.Background(), queue.JobsStream)
		return err == nil && info.CachedInfo().State.Msgs == 0
	}, "job messages left in the work queue")
	t.Logf("delegate calls: %d (at least once; the duplicate is refused at claim while leased)", calls.Load())
}

func TestLeaseTakeoverFencesTheSlowWorkersCommit(t *testing.T) {
	t.Parallel()
	short := func(c *baton.Config) { c.Engine.LeaseDuration = 300 * time.Millisecond }
	env, slow := deployed(t, straight("p", "who", `baton:asyncBefore="true"`), short)
	cfg := env.Config()
	short(&cfg)
	cfg.Engine.Owner = "fast"
	fast := env.Client(cfg)
	release := make(chan struct{})
	slow.Register("who", baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		<-release
		tk.SetVar("by", "slow")
		return nil
	}))
	fast.Register("who", baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		tk.SetVar("by", "fast")
		return nil
	}))
	ctx := context.Background()
	res, err := slow.Start(ctx, baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := slow.Engine().Store().Load(ctx, res.InstanceID)
	var j *job.Job
	for _, env := range snap.Jobs {
		j, _ = job.Decode(env)
	}
	slowLease, err := slow.Engine().Claim(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	slowDone := make(chan engine.Result, 1)
	go func() {
		r, err := slow.Engine().Execute(ctx, slowLease)
		if err != nil {
			t.Errorf("slow execute: %v", err)
		}
		slowDone <- r
	}()
	// The slow worker never renews: once its lease expires the fast one takes the job over.
	var fastLease *engine.Lease
	batontest.Eventually(t, 10*time.Second, func() bool {
		var err error
		fastLease, err = fast.Engine().Claim(ctx, j)
		var le *store.LeasedError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("claim: %v", err)
		}
		return err == nil
	}, "the expired lease was never taken over")
	if fastLease.Fence <= slowLease.Fence {
		t.Fatalf("takeover fence %d must exceed %d", fastLease.Fence, slowLease.Fence)
	}
	// The slow worker finishes while the newer lease is live: its stale fence is refused.
	close(release)
	if r := <-slowDone; r.Outcome != engine.Fenced {
		t.Fatalf("slow worker's outcome = %v, want fenced", r.Outcome)
	}
	r, err := fast.Engine().Execute(ctx, fastLease)
	if err != nil || r.Outcome != engine.Committed {
		t.Fatalf("fast execute = %v, %v; want committed", r.Outcome, err)
	}
	v := show(t, fast, res.InstanceID)
	if v.Status != engine.StatusCompleted || v.Version != 2 || v.Variables["by"] != "fast" {
		t.Fatalf("status %s version %d by=%v; want completed at version 2 with the fast worker's result", v.Status, v.Version, v.Variables["by"])
	}
}

func TestConflictAtParallelJoinReappliesWithoutRunningTheDelegateAgain(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f1" sourceRef="Start" targetRef="Fork"/>
    <parallelGateway id="Fork"/>
    <sequenceFlow id="f2" sourceRef="Fork" targetRef="X"/>
    <sequenceFlow id="f3" sourceRef="Fork" targetRef="Y"/>
    <serviceTask id="X" baton:type="x" baton:asyncBefore="true" baton:exclusive="false"/>
    <serviceTask id="Y" baton:type="y" baton:asyncBefore="true" baton:exclusive="false"/>
    <sequenceFlow id="f4" sourceRef="X" targetRef="Join"/>
    <sequenceFlow id="f5" sourceRef="Y" targetRef="Join"/>
    <parallelGateway id="Join"/>
    <sequenceFlow id="f6" sourceRef="Join" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	var xCalls, yCalls atomic.Int64
	var both sync.WaitGroup
	both.Add(2)
	barrier := func(calls *atomic.Int64, name string) baton.DelegateFunc {
		return func(ctx context.Context, tk *baton.Task) error {
			if calls.Add(1) == 1 {
				both.Done()
			}
			both.Wait() // both claimed at the same version: one commit must conflict
			tk.SetVar(name, "done")
			return nil
		}
	}
	c.Register("x", barrier(&xCalls, "x"))
	c.Register("y", barrier(&yCalls, "y"))
	batontest.RunWorker(t, c, baton.WorkerConfig{})
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	v := waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if got := c.Engine().Stats().Conflicts.Load(); got < 1 {
		t.Errorf("conflicts = %d; the test must provoke one", got)
	}
	if xCalls.Load() != 1 || yCalls.Load() != 1 {
		t.Errorf("delegate calls x=%d y=%d, want 1 each: a conflict must not re-run a delegate", xCalls.Load(), yCalls.Load())
	}
	if v.Variables["x"] != "done" || v.Variables["y"] != "done" {
		t.Errorf("both results must be applied: %v", v.Variables)
	}
	if count(v.History, engine.EventActivityStart, "Join") != 1 || count(v.History, engine.EventActivityEnd, "End") != 1 {
		t.Errorf("the join must fire once: %+v", v.History)
	}
	if v.Version != 3 {
		t.Errorf("version = %d, want 3 (start, X, Y)", v.Version)
	}
}

func TestCrashBetweenCommitAndPublishIsRepairedByTheReconciler(t *testing.T) {
	t.Parallel()
	var crashed atomic.Bool
	_, c := deployed(t, order.BPMN, func(cfg *baton.Config) {
		cfg.Engine.CrashAfterCommit = func(_ string, jobs []*job.Job) bool {
			// The Validate step creates the Charge and Reserve jobs: lose them once.
			return len(jobs) == 2 && crashed.CompareAndSwap(false, true)
		}
	})
	order.Register(c)
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, Reconciler: true})
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: order.ProcessKey})
	if err != nil {
		t.Fatal(err)
	}
	v := waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if !crashed.Load() {
		t.Fatal("the crash was never injected")
	}
	if got := c.Engine().Stats().Republished.Load(); got < 2 {
		t.Errorf("reconciler republished %d jobs, want the 2 lost ones", got)
	}
	if count(v.History, engine.EventActivityEnd, "Charge") != 1 || count(v.History, engine.EventActivityEnd, "Reserve") != 1 {
		t.Errorf("each lost job must run exactly once: %+v", v.History)
	}
}

func TestStartWithTheSameInstanceIDRunsOnce(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, straight("p", "once", ""), nil)
	var calls atomic.Int64
	c.Register("once", baton.DelegateFunc(func(context.Context, *baton.Task) error { calls.Add(1); return nil }))
	id := engine.DerivedInstanceID("p", "msg-1")
	for i := 0; i < 2; i++ {
		res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p", InstanceID: id})
		if err != nil {
			t.Fatal(err)
		}
		if res.InstanceID != id || res.Created != (i == 0) {
			t.Fatalf("start %d: %+v", i, res)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("delegate ran %d times for one instance", calls.Load())
	}
}

func TestParallelJoinWaitsForEveryIncomingFlow(t *testing.T) {
	t.Parallel()
	// Two tokens reach the join over the same flow (through the merge M) before the third
	// arrives over the other: the join must wait for a token on each of its incoming flows.
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Fork"/>
    <parallelGateway id="Fork"/>
    <sequenceFlow id="fa" sourceRef="Fork" targetRef="M"/>
    <sequenceFlow id="fb" sourceRef="Fork" targetRef="M"/>
    <sequenceFlow id="fc" sourceRef="Fork" targetRef="T"/>
    <exclusiveGateway id="M"/>
    <sequenceFlow id="fm" sourceRef="M" targetRef="Join"/>
    <task id="T"/>
    <sequenceFlow id="ft" sourceRef="T" targetRef="Join"/>
    <parallelGateway id="Join"/>
    <sequenceFlow id="fe" sourceRef="Join" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	v := show(t, c, res.InstanceID)
	pos := map[string]int{}
	for i, e := range v.History {
		pos[e.Type+":"+e.Activity] = i
	}
	if count(v.History, engine.EventActivityStart, "Join") != 1 {
		t.Fatalf("the join fired %d times, want once: %+v", count(v.History, engine.EventActivityStart, "Join"), v.History)
	}
	if pos[engine.EventActivityStart+":Join"] < pos[engine.EventActivityEnd+":T"] {
		t.Errorf("the join fired before a token came over T's flow: %+v", v.History)
	}
	// The second token over M's flow waits for another one over T's flow, as BPMN says.
	if len(v.Tokens) != 1 || v.Tokens[0].ActivityID != "Join" || v.Tokens[0].State != "waiting-join" {
		t.Errorf("tokens = %+v, want the extra token waiting at the join", v.Tokens)
	}
}
