package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

// timerStartModel starts at timer start event Tick with the given cycle, and ends.
func timerStartModel(key, timer string) []byte {
	return model(key, `
    <startEvent id="Tick"><timerEventDefinition>`+timer+`</timerEventDefinition></startEvent>
    <sequenceFlow id="f0" sourceRef="Tick" targetRef="End"/>
    <endEvent id="End"/>`)
}

// runReconciler runs a server's reconciler, looking every 100ms, and its start messages.
func runReconciler(t *testing.T, c *baton.Client) {
	t.Helper()
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, Reconciler: true, StartMessages: true,
		ReconcilerConfig: engine.ReconcilerConfig{Interval: 100 * time.Millisecond}})
}

func startTimers(t *testing.T, c *baton.Client) []engine.StartTimer {
	t.Helper()
	all, err := c.Engine().StartTimers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestATimerStartEventStartsOneInstancePerOccurrenceAndThenStops(t *testing.T) {
	t.Parallel()
	deployedAt := time.Now()
	_, c := deployed(t, timerStartModel("p", `<timeCycle>R2/PT1S</timeCycle>`), nil)
	if s := startTimers(t, c); len(s) != 1 || s[0].ProcessKey != "p" || s[0].Event != "Tick" || s[0].Fired != 0 {
		t.Fatalf("scheduled after deploy: %+v", s)
	}
	runReconciler(t, c)
	var started []time.Time
	for n := 1; n <= 2; n++ {
		v := waitStatus(t, c, engine.TimerStartInstanceID("p", 1, "Tick", n), engine.StatusCompleted)
		started = append(started, time.UnixMilli(v.History[0].Time))
	}
	if started[0].Sub(deployedAt) < time.Second || started[1].Sub(started[0]) < 900*time.Millisecond {
		t.Fatalf("started %v after the deploy, then %v later; want 1s each", started[0].Sub(deployedAt), started[1].Sub(started[0]))
	}
	// R2: after the second occurrence the schedule is gone, so there is never a third.
	batontest.Eventually(t, 10*time.Second, func() bool { return len(startTimers(t, c)) == 0 }, "the schedule outlived its two occurrences: %+v", startTimers(t, c))
	if _, err := c.Instance(context.Background(), engine.TimerStartInstanceID("p", 1, "Tick", 3)); err == nil {
		t.Fatal("a third instance started")
	}
}

func TestDeployingANewVersionReplacesTheTimerStartSchedule(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := deployed(t, timerStartModel("p", `<timeCycle>0 0 9 ? * MON-FRI</timeCycle>`), nil)
	first := startTimers(t, c)
	// The same content again keeps the schedule as it is.
	if _, err := c.DeployBytes(ctx, "test.bpmn", timerStartModel("p", `<timeCycle>0 0 9 ? * MON-FRI</timeCycle>`)); err != nil {
		t.Fatal(err)
	}
	if again := startTimers(t, c); len(again) != 1 || again[0] != first[0] {
		t.Fatalf("redeploying the same content changed the schedule: %+v, was %+v", again, first)
	}
	if _, err := c.DeployBytes(ctx, "test.bpmn", timerStartModel("p", `<timeDuration>PT1S</timeDuration>`)); err != nil {
		t.Fatal(err)
	}
	if s := startTimers(t, c); len(s) != 1 || s[0].Version != 2 {
		t.Fatalf("after deploying version 2: %+v, want only version 2's", s)
	}
	runReconciler(t, c)
	waitStatus(t, c, engine.TimerStartInstanceID("p", 2, "Tick", 1), engine.StatusCompleted)
	// A version without a timer start event ends the key's schedule.
	_, c2 := deployed(t, timerStartModel("q", `<timeCycle>R/PT1H</timeCycle>`), nil)
	if _, err := c2.DeployBytes(ctx, "test.bpmn", model("q", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="End"/>
    <endEvent id="End"/>`)); err != nil {
		t.Fatal(err)
	}
	if s := startTimers(t, c2); len(s) != 0 {
		t.Fatalf("a version without a timer start event left a schedule: %+v", s)
	}
}

func TestATimerStartEventThatCameDueWhileNoServerRanStartsOnceWhenOneStarts(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, timerStartModel("p", `<timeCycle>R/PT1S</timeCycle>`), nil)
	// Three occurrences pass with no server running.
	quiet := time.Now().Add(3500 * time.Millisecond)
	batontest.Eventually(t, 10*time.Second, func() bool { return time.Now().After(quiet) }, "time stood still")
	runReconciler(t, c)
	waitStatus(t, c, engine.TimerStartInstanceID("p", 1, "Tick", 1), engine.StatusCompleted)
	s := startTimers(t, c)
	if len(s) != 1 || s[0].Fired != 1 || !s[0].Due.After(time.Now().Add(-time.Second)) {
		t.Fatalf("after catching up: %+v; want one late start, then the next occurrence after now", s)
	}
}

func TestRedeployingTheSameContentDoesNotArmAFinishedTimerStartAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	doc := timerStartModel("p", `<timeDuration>PT1S</timeDuration>`)
	_, c := deployed(t, doc, nil)
	runReconciler(t, c)
	id := engine.TimerStartInstanceID("p", 1, "Tick", 1)
	waitStatus(t, c, id, engine.StatusCompleted)
	batontest.Eventually(t, 10*time.Second, func() bool { return len(startTimers(t, c)) == 0 }, "the schedule did not end")
	// Archived since, then the same content deployed again (a release pipeline does that).
	if n, err := c.Engine().RetainOnce(ctx, engine.RetentionConfig{RetainFor: time.Millisecond, ArchiveFor: time.Hour}, time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("archived %d (%v)", n, err)
	}
	if _, err := c.DeployBytes(ctx, "test.bpmn", doc); err != nil {
		t.Fatal(err)
	}
	if s := startTimers(t, c); len(s) != 0 {
		t.Fatalf("the finished timer start event is scheduled again: %+v", s)
	}
	if v, err := c.Instance(ctx, id); err != nil || !v.Archived {
		t.Fatalf("the instance %+v %v: want it archived, not started again", v, err)
	}
}
