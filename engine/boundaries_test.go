package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

// reviewModel is a user task Review with a timer boundary event (interrupting unless
// cancelActivity is false) that leads to the service task Remind.
func reviewModel(cancelActivity string) []byte {
	return reviewModelTimer(cancelActivity, `<timeDuration>PT1S</timeDuration>`)
}

// reviewModelTimer is reviewModel with the boundary's timer.
func reviewModelTimer(cancelActivity, timer string) []byte {
	return model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Review"/>
    <userTask id="Review" camunda:candidateGroups="sales"/>
    <sequenceFlow id="f1" sourceRef="Review" targetRef="Done"/>
    <endEvent id="Done"/>
    <boundaryEvent id="Late" attachedToRef="Review" cancelActivity="`+cancelActivity+`">
      <timerEventDefinition>`+timer+`</timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="f2" sourceRef="Late" targetRef="Remind"/>
    <serviceTask id="Remind" baton:type="remind"/>
    <sequenceFlow id="f3" sourceRef="Remind" targetRef="Reminded"/>
    <endEvent id="Reminded"/>`)
}

func TestAnInterruptingTimerBoundaryCancelsItsUserTask(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, reviewModel("true"), nil)
	var reminders atomic.Int64
	c.Register("remind", baton.DelegateFunc(func(context.Context, *baton.Task) error { reminders.Add(1); return nil }))
	batontestRunTypes(t, c, "remind")
	v := started(t, c, nil)
	tasks, err := c.Tasks(context.Background(), baton.TaskFilter{InstanceID: v.ID})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks: %+v %v", tasks, err)
	}
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	if reminders.Load() != 1 || count(v.History, engine.EventActivityCancel, "Review") != 1 || count(v.History, engine.EventActivityEnd, "Reminded") != 1 {
		t.Fatalf("reminders %d history %+v: want Review cancelled by the timer", reminders.Load(), v.History)
	}
	if _, err := c.Complete(context.Background(), baton.CompleteRequest{TaskID: tasks[0].ID}); !errors.Is(err, baton.ErrNotWaiting) {
		t.Fatalf("completing the interrupted task: %v, want ErrNotWaiting", err)
	}
	if left, _ := c.Tasks(context.Background(), baton.TaskFilter{}); len(left) != 0 {
		t.Fatalf("the interrupted task is still listed: %+v", left)
	}
}

func TestANonInterruptingTimerBoundaryLeavesItsTaskRunning(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, reviewModel("false"), nil)
	var reminders atomic.Int64
	c.Register("remind", baton.DelegateFunc(func(context.Context, *baton.Task) error { reminders.Add(1); return nil }))
	batontestRunTypes(t, c, "remind")
	v := started(t, c, nil)
	v = waitFor(t, c, v.ID, func(v *baton.InstanceView) bool { return count(v.History, engine.EventActivityEnd, "Reminded") == 1 },
		"the reminder never ran")
	if v.Status != engine.StatusRunning || len(v.Tokens) != 1 || v.Tokens[0].ActivityID != "Review" {
		t.Fatalf("after the reminder: %s tokens %+v, want Review still open", v.Status, v.Tokens)
	}
	tasks, err := c.Tasks(context.Background(), baton.TaskFilter{InstanceID: v.ID})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks: %+v %v", tasks, err)
	}
	if _, err := c.Complete(context.Background(), baton.CompleteRequest{TaskID: tasks[0].ID}); err != nil {
		t.Fatal(err)
	}
	v = show(t, c, v.ID)
	if v.Status != engine.StatusCompleted || reminders.Load() != 1 || count(v.History, engine.EventActivityEnd, "Done") != 1 {
		t.Fatalf("status %s reminders %d history %+v", v.Status, reminders.Load(), v.History)
	}
}

func TestANonInterruptingTimerCycleFiresAsOftenAsItRepeats(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, reviewModelTimer("false", `<timeCycle>R2/PT1S</timeCycle>`), nil)
	var reminders atomic.Int64
	c.Register("remind", baton.DelegateFunc(func(context.Context, *baton.Task) error { reminders.Add(1); return nil }))
	batontestRunTypes(t, c, "remind")
	v := started(t, c, nil)
	// R2: it fires twice, a second apart, and then the task has no timer left.
	v = waitFor(t, c, v.ID, func(v *baton.InstanceView) bool {
		return count(v.History, engine.EventActivityEnd, "Reminded") == 2 && len(v.Jobs) == 1
	}, "the cycle did not fire twice and stop")
	var fired []int64
	for _, e := range v.History {
		if e.Type == engine.EventActivityStart && e.Activity == "Late" {
			fired = append(fired, e.Time)
		}
	}
	if len(fired) != 2 || fired[1]-fired[0] < 900 || v.Jobs[0].Kind != "wait" || reminders.Load() != 2 {
		t.Fatalf("fired at %v, jobs %+v, reminders %d: want two firings 1s apart and only the task left", fired, v.Jobs, reminders.Load())
	}
}

func TestACronTimerBoundaryFiresUntilItsTaskIsCompleted(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, reviewModelTimer("false", `<timeCycle>* * * * * ?</timeCycle>`), nil)
	c.Register("remind", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	batontestRunTypes(t, c, "remind")
	v := started(t, c, nil)
	waitFor(t, c, v.ID, func(v *baton.InstanceView) bool { return count(v.History, engine.EventActivityEnd, "Reminded") >= 2 },
		"the cron cycle did not fire every second")
	tasks, err := c.Tasks(context.Background(), baton.TaskFilter{InstanceID: v.ID})
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks: %+v %v", tasks, err)
	}
	if _, err := c.Complete(context.Background(), baton.CompleteRequest{TaskID: tasks[0].ID}); err != nil {
		t.Fatal(err)
	}
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	if len(v.Jobs) != 0 {
		t.Fatalf("jobs left after the task completed: %+v; want its timer cancelled", v.Jobs)
	}
}

func TestAMessageBoundaryInterruptsARunningDelegateWhoseResultIsFencedOff(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Ship"/>
    <serviceTask id="Ship" baton:type="ship" baton:asyncBefore="true"/>
    <sequenceFlow id="f1" sourceRef="Ship" targetRef="Shipped"/>
    <endEvent id="Shipped"/>
    <boundaryEvent id="Cancel" attachedToRef="Ship"><messageEventDefinition messageRef="M"/></boundaryEvent>
    <sequenceFlow id="f2" sourceRef="Cancel" targetRef="Cancelled"/>
    <endEvent id="Cancelled"/>`, `<message id="M" name="order-cancelled"/>`)
	_, c := deployed(t, doc, nil)
	running, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Int64
	c.Register("ship", baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		close(running)
		<-release
		tk.SetVar("shipped", true)
		finished.Add(1)
		return nil
	}))
	batontestRunTypes(t, c, "ship")
	id := startKeyed(t, c, "o-1")
	<-running
	res, err := c.Correlate(context.Background(), baton.CorrelateRequest{Name: "order-cancelled", CorrelationKey: "o-1", TTL: -1})
	if err != nil || len(res.Instances) != 1 {
		t.Fatalf("correlate while the delegate runs: %+v %v", res, err)
	}
	v := show(t, c, id)
	if v.Status != engine.StatusCompleted || count(v.History, engine.EventActivityEnd, "Cancelled") != 1 {
		t.Fatalf("after the message: %s %+v", v.Status, v.History)
	}
	close(release)
	batontest.Eventually(t, 10*time.Second, func() bool { return finished.Load() == 1 }, "the delegate never returned")
	// Its commit is refused: the job went with the interruption.
	batontest.Eventually(t, 10*time.Second, func() bool {
		return c.Engine().Stats().Stale.Load()+c.Engine().Stats().Fenced.Load() > 0
	}, "the delegate's result was not refused")
	v = show(t, c, id)
	if v.Variables["shipped"] != nil || count(v.History, engine.EventActivityEnd, "Shipped") != 0 {
		t.Fatalf("the interrupted delegate's result was applied: %v %+v", v.Variables, v.History)
	}
}
