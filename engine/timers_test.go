package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

// timerModel waits at a timer catch event for dur, then ends.
func timerModel(dur string) []byte {
	return model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Wait"/>
    <intermediateCatchEvent id="Wait"><timerEventDefinition><timeDuration>`+dur+`</timeDuration></timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow id="f1" sourceRef="Wait" targetRef="End"/>
    <endEvent id="End"/>`)
}

func TestATimerCatchFiresOnceAtItsTime(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, timerModel("${wait}"), nil)
	batontestRunTypes(t, c)
	began := time.Now()
	v := started(t, c, map[string]any{"wait": "PT2S"})
	if len(v.Jobs) != 1 || v.Jobs[0].Kind != "timer" || v.Tokens[0].ActivityID != "Wait" {
		t.Fatalf("after start: tokens %+v jobs %+v", v.Tokens, v.Jobs)
	}
	// Until it fires, it waits as a JetStream message schedule.
	s, err := c.Engine().Queue().JetStream().Stream(context.Background(), queue.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := s.GetLastMsgForSubject(context.Background(), queue.SchedulePrefix+">"); err != nil || m.Header.Get("Nats-Schedule") == "" {
		t.Fatalf("no message schedule for the timer: %v", err)
	}
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	fired := time.Time{}
	for _, e := range v.History {
		if e.Type == engine.EventActivityEnd && e.Activity == "Wait" {
			fired = time.UnixMilli(e.Time)
		}
	}
	if fired.Sub(began) < 2*time.Second || count(v.History, engine.EventActivityEnd, "Wait") != 1 {
		t.Fatalf("the timer fired %s after the start (history %+v); want once, after 2s", fired.Sub(began), v.History)
	}
	// The schedule is gone once it fired.
	if _, err := s.GetLastMsgForSubject(context.Background(), queue.SchedulePrefix+">"); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Fatalf("a fired schedule is still in the stream: %v", err)
	}
}

func TestATimerThatCameDueWhileNoServerRanFiresOnceWhenOneStarts(t *testing.T) {
	t.Parallel()
	// The first process commits the timer and dies before publishing it.
	env, c := deployed(t, timerModel("PT1S"), func(cfg *baton.Config) {
		cfg.Engine.CrashAfterCommit = func(string, []*job.Job) bool { return true }
	})
	v := started(t, c, nil)
	due := time.Now().Add(time.Second)
	batontest.Eventually(t, 10*time.Second, func() bool { return time.Now().After(due.Add(time.Second)) }, "time stood still")
	// A server starts later: its reconciler finds the overdue timer, and it fires once.
	server := env.Client(env.Config())
	batontest.RunWorker(t, server, baton.WorkerConfig{ServeEngineType: true, Reconciler: true})
	v = waitStatus(t, server, v.ID, engine.StatusCompleted)
	if count(v.History, engine.EventActivityEnd, "Wait") != 1 {
		t.Fatalf("history %+v: want the timer fired once", v.History)
	}
}

func TestATimerAfterAnEventBasedGatewayWinsWhenTheMessageIsLate(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Which"/>
    <eventBasedGateway id="Which"/>
    <sequenceFlow id="f1" sourceRef="Which" targetRef="Paid"/>
    <sequenceFlow id="f2" sourceRef="Which" targetRef="TooLate"/>
    <intermediateCatchEvent id="Paid"><messageEventDefinition messageRef="M_Paid"/></intermediateCatchEvent>
    <intermediateCatchEvent id="TooLate"><timerEventDefinition><timeDuration>PT1S</timeDuration></timerEventDefinition></intermediateCatchEvent>
    <sequenceFlow id="f3" sourceRef="Paid" targetRef="Shipped"/>
    <sequenceFlow id="f4" sourceRef="TooLate" targetRef="Reminded"/>
    <endEvent id="Shipped"/>
    <endEvent id="Reminded"/>`, `<message id="M_Paid" name="paid"/>`)
	_, c := deployed(t, doc, nil)
	batontestRunTypes(t, c)
	id := startKeyed(t, c, "o-1")
	v := waitStatus(t, c, id, engine.StatusCompleted)
	if count(v.History, engine.EventActivityEnd, "Reminded") != 1 || count(v.History, engine.EventActivityStart, "Paid") != 0 || len(v.Jobs) != 0 {
		t.Fatalf("history %+v jobs %+v: want the timer's path and the message wait cancelled", v.History, v.Jobs)
	}
	if _, err := c.Correlate(context.Background(), baton.CorrelateRequest{Name: "paid", CorrelationKey: "o-1", TTL: -1}); !errors.Is(err, baton.ErrNoSubscription) {
		t.Fatalf("the late message: %v, want ErrNoSubscription", err)
	}
}
