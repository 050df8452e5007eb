package workers_test

import (
	"context"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/order"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

// setup is the shared setup of these tests: an environment, a client with the order example
// deployed and its delegates registered, and a worker serving every type (the engine type too).
func setup(t *testing.T, register func(*baton.Client)) (*batontest.Env, *baton.Client) {
	t.Helper()
	env := batontest.New(t)
	c := env.Client(env.Config())
	if _, err := c.DeployBytes(context.Background(), "order.bpmn", order.BPMN); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if register != nil {
		register(c)
	}
	return env, c
}

func waitStatus(t *testing.T, c *baton.Client, id, status string) *baton.InstanceView {
	t.Helper()
	var v *baton.InstanceView
	batontest.Eventually(t, 30*time.Second, func() bool {
		var err error
		v, err = c.Instance(context.Background(), id)
		return err == nil && v.Status == status
	}, "instance %s never reached status %s (last: %+v)", id, status, &v)
	return v
}

// activityEvents lists "start:X"/"end:X" history entries in order.
func activityEvents(h []engine.HistoryEvent) []string {
	out := make([]string, 0, len(h))
	for _, e := range h {
		switch e.Type {
		case engine.EventActivityStart:
			out = append(out, "start:"+e.Activity)
		case engine.EventActivityEnd:
			out = append(out, "end:"+e.Activity)
		}
	}
	return out
}

func TestOrderExampleCompletesWithHistoryOfTheModel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		amount int
		fraud  bool
	}{
		{"standard order takes the default flow", 40, false},
		{"large order goes through the fraud check", 500, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c := setup(t, func(c *baton.Client) { order.Register(c) })
			batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, StartMessages: true, Reconciler: true})
			res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: order.ProcessKey,
				BusinessKey: "order-1", Variables: map[string]any{"amount": tc.amount}})
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			if res.Status != engine.StatusRunning {
				t.Fatalf("after the async-before on Validate the start must commit a running instance, got %s", res.Status)
			}
			v := waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
			got := activityEvents(v.History)
			mustHave := []string{"start:OrderReceived", "end:OrderReceived", "start:Validate", "end:Validate",
				"start:Fork", "end:Fork", "start:Charge", "end:Charge", "start:Reserve", "end:Reserve",
				"start:Join", "end:Join", "start:AmountCheck", "end:AmountCheck", "start:Ship", "end:Ship",
				"start:OrderFulfilled", "end:OrderFulfilled"}
			if tc.fraud {
				mustHave = append(mustHave, "start:FraudCheck", "end:FraudCheck")
			}
			count := map[string]int{}
			for _, e := range got {
				count[e]++
			}
			for _, e := range mustHave {
				if count[e] != 1 {
					t.Errorf("history has %q %d times, want once; history: %v", e, count[e], got)
				}
			}
			if want := len(mustHave); len(got) != want {
				t.Errorf("history has %d events, want %d: %v", len(got), want, got)
			}
			// Order constraints of the model.
			pos := map[string]int{}
			for i, e := range got {
				pos[e] = i
			}
			before := [][2]string{{"end:Validate", "start:Fork"}, {"end:Fork", "start:Charge"}, {"end:Fork", "start:Reserve"},
				{"end:Charge", "start:Join"}, {"end:Reserve", "start:Join"}, {"end:Join", "start:AmountCheck"},
				{"end:AmountCheck", "start:Ship"}, {"end:Ship", "start:OrderFulfilled"}}
			if tc.fraud {
				before = append(before, [2]string{"end:AmountCheck", "start:FraudCheck"}, [2]string{"end:FraudCheck", "start:Ship"})
			}
			for _, b := range before {
				if pos[b[0]] > pos[b[1]] {
					t.Errorf("%s must come before %s: %v", b[0], b[1], got)
				}
			}
			if _, ok := v.Variables["fraudChecked"]; ok != tc.fraud {
				t.Errorf("fraudChecked set = %v, want %v", ok, tc.fraud)
			}
			for _, k := range []string{"valid", "chargeId", "reserved", "shipped"} {
				if v.Variables[k] == nil {
					t.Errorf("variable %s not set: %v", k, v.Variables)
				}
			}
			if len(v.Tokens) != 0 || len(v.Jobs) != 0 {
				t.Errorf("a completed instance has no tokens or jobs: %+v %+v", v.Tokens, v.Jobs)
			}
		})
	}
}
