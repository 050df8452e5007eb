package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

// suspendSetup deploys a process whose Work task (type "work", async before) counts its runs,
// and registers its delegate. run starts a worker for it.
func suspendSetup(t *testing.T) (c *baton.Client, runs *atomic.Int64, run func()) {
	t.Helper()
	_, c = deployed(t, straight("p", "work", `baton:asyncBefore="true"`), nil)
	runs = &atomic.Int64{}
	c.Register("work", baton.DelegateFunc(func(context.Context, *baton.Task) error { runs.Add(1); return nil }))
	return c, runs, func() { batontestRunTypes(t, c, "work") }
}

// waitParked waits until as many jobs as ids are parked.
func waitParked(t *testing.T, c *baton.Client, ids ...string) {
	t.Helper()
	batontest.Eventually(t, 30*time.Second, func() bool {
		parked, err := c.Engine().Store().Parked(context.Background())
		return err == nil && len(parked) == len(ids)
	}, "the jobs were not parked")
}

func TestASuspendedInstanceParksItsJobAndRunsItOnceWhenActivated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, runs, run := suspendSetup(t)
	// The start publishes the job; the instance is suspended before any worker runs.
	res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p", InstanceID: "s-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Suspend(ctx, baton.Scope{InstanceID: res.InstanceID}); err != nil {
		t.Fatal(err)
	}
	v, _ := c.Instance(ctx, res.InstanceID)
	if !v.Suspended {
		t.Fatalf("instance %+v: want suspended", v)
	}
	run()
	waitParked(t, c, res.InstanceID)
	if runs.Load() != 0 {
		t.Fatalf("the job of a suspended instance ran")
	}
	if n, err := c.Activate(ctx, baton.Scope{InstanceID: res.InstanceID}); err != nil || n != 1 {
		t.Fatalf("activate: %d republished, %v", n, err)
	}
	waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if runs.Load() != 1 {
		t.Fatalf("ran %d times", runs.Load())
	}
}

func TestASuspendedProcessRefusesStartsAndParksJobsUntilActivated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, runs, run := suspendSetup(t)
	run()
	if err := c.Suspend(ctx, baton.Scope{ProcessKey: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p"}); !errors.Is(err, baton.ErrSuspended) {
		t.Fatalf("start of a suspended process: %v, want ErrSuspended", err)
	}
	list, err := c.Suspensions(ctx)
	if err != nil || len(list) != 1 || list[0].ProcessKey != "p" {
		t.Fatalf("suspensions %+v %v", list, err)
	}
	// An activity suspension parks a running instance's job.
	if _, err := c.Activate(ctx, baton.Scope{ProcessKey: "p"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Suspend(ctx, baton.Scope{ProcessKey: "p", ActivityID: "A"}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 3 {
		res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.InstanceID)
	}
	waitParked(t, c, ids...)
	if runs.Load() != 0 {
		t.Fatalf("a parked job ran: %d", runs.Load())
	}
	n, err := c.Activate(ctx, baton.Scope{ProcessKey: "p", ActivityID: "A"})
	if err != nil || n != 3 {
		t.Fatalf("activate: %d republished, %v", n, err)
	}
	for _, id := range ids {
		waitStatus(t, c, id, engine.StatusCompleted)
	}
	if runs.Load() != 3 {
		t.Fatalf("ran %d times, want once each", runs.Load())
	}
}

func TestAPausedTaskTypeIsNotFetchedUntilResumed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, runs, run := suspendSetup(t)
	run()
	if err := c.Suspend(ctx, baton.Scope{TaskType: "work"}); err != nil {
		t.Fatal(err)
	}
	// The worker's loop sees the pause within a second; starts after that wait on the consumer.
	quiet := time.Now().Add(2 * engine.SuspensionRefresh)
	batontest.Eventually(t, 10*time.Second, func() bool { return time.Now().After(quiet) }, "time stood still")
	res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := c.Engine().Queue().JobConsumer(ctx, "work")
	if err != nil {
		t.Fatal(err)
	}
	batontest.Eventually(t, 10*time.Second, func() bool {
		info, err := cons.Info(ctx)
		return err == nil && info.NumPending == 1
	}, "the job is not waiting on the consumer")
	if runs.Load() != 0 {
		t.Fatalf("a job of a paused type ran")
	}
	if _, err := c.Activate(ctx, baton.Scope{TaskType: "work"}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if runs.Load() != 1 {
		t.Fatalf("ran %d times", runs.Load())
	}
}

func TestSuspendNamesWhatIsWrongWithTheScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := deployed(t, straight("p", "work", ""), nil)
	for _, s := range []baton.Scope{{}, {ProcessKey: "p", InstanceID: "x"}, {Version: 2}, {ProcessKey: "p", Version: 1, ActivityID: "A"}} {
		if err := c.Suspend(ctx, s); !baton.IsScopeError(err) {
			t.Errorf("suspend %+v: %v, want a scope error", s, err)
		}
	}
	if err := c.Suspend(ctx, baton.Scope{ProcessKey: "nope"}); !baton.IsNotFound(err) {
		t.Errorf("suspend an unknown process: %v", err)
	}
	if err := c.Suspend(ctx, baton.Scope{InstanceID: "nope"}); !baton.IsNotFound(err) {
		t.Errorf("suspend an unknown instance: %v", err)
	}
}

func TestJobsListsWaitingAndParkedJobsWithFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _ := suspendSetup(t)
	var ids []string
	for range 3 {
		res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.InstanceID)
	}
	// No worker runs: the three jobs wait on their subject.
	all, err := c.Jobs(ctx, baton.JobFilter{TaskType: "work"})
	if err != nil || len(all) != 3 || all[0].Kind != "before" || all[0].ActivityID != "A" || all[0].Leased {
		t.Fatalf("jobs %+v %v", all, err)
	}
	one, _ := c.Jobs(ctx, baton.JobFilter{InstanceID: ids[1]})
	none, _ := c.Jobs(ctx, baton.JobFilter{TaskType: "other"})
	limited, _ := c.Jobs(ctx, baton.JobFilter{Limit: 2})
	if len(one) != 1 || one[0].InstanceID != ids[1] || len(none) != 0 || len(limited) != 2 {
		t.Fatalf("by instance %+v, other type %+v, limited %d", one, none, len(limited))
	}
}

func TestAJobParkedOnAStaleViewRunsWhenNothingSuspendsIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, runs, run := suspendSetup(t)
	res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.Engine().Store().Load(ctx, res.InstanceID)
	if err != nil || len(snap.Jobs) != 1 {
		t.Fatalf("outbox %v %v", snap, err)
	}
	var j *job.Job
	for _, env := range snap.Jobs {
		if j, err = job.Decode(env); err != nil {
			t.Fatal(err)
		}
	}
	run()
	// A worker whose view of the suspensions is a second old parks the job after the
	// activation: parking checks again, and publishes it.
	c.Engine().Park(ctx, j)
	waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if parked, _ := c.Engine().Store().Parked(ctx); len(parked) != 0 || runs.Load() != 1 {
		t.Fatalf("parked %v, runs %d", parked, runs.Load())
	}
}

func TestACallActivityIntoASuspendedProcessWaitsForItsActivation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := deployed(t, model("parent", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Call"/>
    <callActivity id="Call" calledElement="child"/>
    <sequenceFlow id="f1" sourceRef="Call" targetRef="End"/>
    <endEvent id="End"/>`), nil)
	if _, err := c.DeployBytes(ctx, "child.bpmn", model("child", `
    <startEvent id="S"/>
    <sequenceFlow id="c0" sourceRef="S" targetRef="E"/>
    <endEvent id="E"/>`)); err != nil {
		t.Fatal(err)
	}
	batontestRunTypes(t, c)
	if err := c.Suspend(ctx, baton.Scope{ProcessKey: "child"}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "parent"})
	if err != nil {
		t.Fatal(err)
	}
	waitParked(t, c, res.InstanceID)
	if v, _ := c.Instance(ctx, res.InstanceID); v.Status != engine.StatusRunning || len(v.Incidents) != 0 {
		t.Fatalf("parent %+v: want it waiting, without an incident", v)
	}
	// Parked, it stays parked: it is not published again and again while the child's process
	// is suspended.
	before := c.Engine().TypeStats()["_engine"].Started.Load()
	quiet := time.Now().Add(time.Second)
	batontest.Eventually(t, 10*time.Second, func() bool { return time.Now().After(quiet) }, "time stood still")
	if n := c.Engine().TypeStats()["_engine"].Started.Load() - before; n > 2 {
		t.Fatalf("the parked Call job ran %d more times in a second", n)
	}
	if _, err := c.Activate(ctx, baton.Scope{ProcessKey: "child"}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
}

func TestACancelledInstanceIsNoLongerSuspended(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _ := suspendSetup(t)
	res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Suspend(ctx, baton.Scope{InstanceID: res.InstanceID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cancel(ctx, res.InstanceID); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Instance(ctx, res.InstanceID); err != nil || v.Status != engine.StatusCancelled || v.Suspended {
		t.Fatalf("instance %+v %v", v, err)
	}
}
