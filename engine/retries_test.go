package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

// retryModel is Start -> Work (task type "work", async before, with the extension elements ext)
// -> End, with the process's extension elements processExt.
func retryModel(ext, processExt string) []byte {
	return model("p", processExt+`
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Work"/>
    <serviceTask id="Work" baton:type="work" baton:asyncBefore="true">`+ext+`
      <extensionElements><camunda:inputOutput><camunda:inputParameter name="pick">${items[first]}</camunda:inputParameter></camunda:inputOutput></extensionElements>
    </serviceTask>
    <sequenceFlow id="f1" sourceRef="Work" targetRef="End"/>
    <endEvent id="End"/>`)
}

// attempts records when a delegate ran.
type attempts struct {
	mu    sync.Mutex
	times []time.Time
}

func (a *attempts) add() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.times = append(a.times, time.Now())
	return len(a.times)
}

func (a *attempts) all() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.times...)
}

// runFailing deploys doc, registers "work" as f (counting its attempts), starts an instance with
// vars and waits until it has an incident.
func runFailing(t *testing.T, doc []byte, vars map[string]any, f func(n int, tk *baton.Task) error) (*baton.Client, *attempts, string) {
	t.Helper()
	_, c := deployed(t, doc, nil)
	a := &attempts{}
	c.Register("work", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error { return f(a.add(), tk) }))
	batontestRunTypes(t, c, "work")
	if vars == nil {
		vars = map[string]any{"items": []any{"x"}, "first": 0}
	}
	v := started(t, c, vars)
	waitStatus(t, c, v.ID, engine.StatusIncident)
	return c, a, v.ID
}

// gaps returns the waits between consecutive attempts.
func gaps(times []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(times); i++ {
		out = append(out, times[i].Sub(times[i-1]))
	}
	return out
}

// within reports whether got is at least want and at most slack later.
func within(got, want, slack time.Duration) bool { return got >= want && got <= want+slack }

func TestRetryTimingFollowsTheModelledCycleThenRaisesAnIncident(t *testing.T) {
	t.Parallel()
	ext := `<extensionElements><camunda:failedJobRetryTimeCycle>PT1S,PT2S</camunda:failedJobRetryTimeCycle></extensionElements>`
	c, a, id := runFailing(t, retryModel(ext, ""), nil, func(int, *baton.Task) error { return errors.New("downstream is away") })
	g := gaps(a.all())
	if len(g) != 2 || !within(g[0], time.Second, 1500*time.Millisecond) || !within(g[1], 2*time.Second, 1500*time.Millisecond) {
		t.Fatalf("waits between attempts %v; want 3 attempts, 1s then 2s apart", g)
	}
	list, err := c.Incidents(context.Background(), baton.IncidentFilter{ProcessKey: "p"})
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents %+v %v", list, err)
	}
	in := list[0]
	if in.InstanceID != id || in.ActivityID != "Work" || in.TaskType != "work" || in.Attempts != 3 || !strings.Contains(in.Error, "downstream is away") {
		t.Fatalf("incident %+v", in)
	}
}

func TestTheProcessRetryCycleAppliesWhereTheActivitySetsNone(t *testing.T) {
	t.Parallel()
	processExt := `<extensionElements><camunda:failedJobRetryTimeCycle>R2/PT1S</camunda:failedJobRetryTimeCycle></extensionElements>`
	_, a, _ := runFailing(t, retryModel("", processExt), nil, func(int, *baton.Task) error { return errors.New("no") })
	if g := gaps(a.all()); len(g) != 1 || !within(g[0], time.Second, 1500*time.Millisecond) {
		t.Fatalf("waits between attempts %v; want 2 attempts, 1s apart", g)
	}
}

func TestADelegateMayRetryAfterItsOwnWaitOrFailNow(t *testing.T) {
	t.Parallel()
	// RetryAfter: the delegate's wait, not the engine's 1s.
	_, a, _ := runFailing(t, retryModel("", ""), nil, func(n int, _ *baton.Task) error {
		if n == 1 {
			return baton.RetryAfter(2500*time.Millisecond, errors.New("rate limited"))
		}
		return baton.FailNow(errors.New("account closed"))
	})
	// FailNow: an incident after the second attempt, though the engine allows three.
	if g := gaps(a.all()); len(g) != 1 || !within(g[0], 2500*time.Millisecond, 1500*time.Millisecond) {
		t.Fatalf("waits between attempts %v; want 2 attempts 2.5s apart", g)
	}
}

func TestAnExpressionThatDoesNotEvaluateRaisesAnIncidentAtOnce(t *testing.T) {
	t.Parallel()
	c, a, id := runFailing(t, retryModel("", ""), map[string]any{"items": []any{"x"}, "first": 5},
		func(int, *baton.Task) error { return nil })
	list, err := c.Incidents(context.Background(), baton.IncidentFilter{InstanceID: id})
	if err != nil || len(list) != 1 || list[0].Attempts != 1 || !strings.Contains(list[0].Error, "items[first]") {
		t.Fatalf("incidents %+v %v; want one after the first attempt, naming the expression", list, err)
	}
	if n := len(a.all()); n != 0 {
		t.Fatalf("the delegate ran %d times; the input mapping fails before it", n)
	}
}

func TestAnIncidentIsResolvedWithNewRetriesAndVariables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, a, id := runFailing(t, retryModel("", ""), nil, func(_ int, tk *baton.Task) error {
		if tk.Var("iban") == nil {
			return baton.FailNow(errors.New("no IBAN"))
		}
		return nil
	})
	list, err := c.Incidents(ctx, baton.IncidentFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents %+v %v", list, err)
	}
	if err := c.RetryIncident(ctx, baton.RetryRequest{JobID: list[0].JobID, Retries: 1, Variables: map[string]any{"iban": "DE89"}}); err != nil {
		t.Fatal(err)
	}
	v := waitStatus(t, c, id, engine.StatusCompleted)
	if v.Variables["iban"] != "DE89" || len(a.all()) != 2 || len(v.Incidents) != 0 {
		t.Fatalf("variables %v, attempts %d, incidents %+v", v.Variables, len(a.all()), v.Incidents)
	}
	if err := c.RetryIncident(ctx, baton.RetryRequest{JobID: list[0].JobID}); !errors.Is(err, baton.ErrNoIncident) {
		t.Fatalf("retrying a resolved incident: %v, want ErrNoIncident", err)
	}
	if left, err := c.Incidents(ctx, baton.IncidentFilter{}); err != nil || len(left) != 0 {
		t.Fatalf("incidents after resolving: %+v %v", left, err)
	}
}

func TestAResolvedIncidentGetsTheRetriesItWasGiven(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, a, id := runFailing(t, retryModel("", ""), nil, func(int, *baton.Task) error { return baton.RetryAfter(0, errors.New("still down")) })
	list, _ := c.Incidents(ctx, baton.IncidentFilter{InstanceID: id})
	if len(list) != 1 || len(a.all()) != 3 {
		t.Fatalf("incidents %+v after %d attempts", list, len(a.all()))
	}
	if err := c.RetryIncident(ctx, baton.RetryRequest{JobID: list[0].JobID, Retries: 2}); err != nil {
		t.Fatal(err)
	}
	v := waitFor(t, c, id, func(v *baton.InstanceView) bool { return v.Status == engine.StatusIncident && len(a.all()) == 5 },
		"two more attempts, then an incident again")
	snap, err := c.Engine().Store().Load(ctx, id)
	if err != nil || len(v.Jobs) != 1 || len(snap.Jobs) != 1 {
		t.Fatalf("jobs %+v, outbox %d entries (%v); want the one job (the given attempts are no job)", v.Jobs, len(snap.Jobs), err)
	}
	again, _ := c.Incidents(ctx, baton.IncidentFilter{InstanceID: id})
	if len(again) != 1 || again[0].Attempts != 2 {
		t.Fatalf("incidents %+v, want one after the 2 given attempts", again)
	}
}

func TestRetriesGivenToAnIncidentApplyEvenWhenThePolicyAllowsOneAttempt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ext := `<extensionElements><camunda:failedJobRetryTimeCycle>R1/PT1S</camunda:failedJobRetryTimeCycle></extensionElements>`
	c, a, id := runFailing(t, retryModel(ext, ""), nil, func(int, *baton.Task) error { return errors.New("down") })
	list, _ := c.Incidents(ctx, baton.IncidentFilter{InstanceID: id})
	if len(list) != 1 || len(a.all()) != 1 {
		t.Fatalf("incidents %+v after %d attempts; want one after the first", list, len(a.all()))
	}
	if err := c.RetryIncident(ctx, baton.RetryRequest{JobID: list[0].JobID, Retries: 2}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, c, id, func(v *baton.InstanceView) bool { return v.Status == engine.StatusIncident && len(a.all()) == 3 },
		"two more attempts, then an incident again")
}
