package engine_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

// waitModel is Start -> Request (task type "request", parks) -> Confirm ("confirm") -> End.
var waitModel = model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Request"/>
    <serviceTask id="Request" baton:type="request" baton:asyncBefore="true"/>
    <sequenceFlow id="f1" sourceRef="Request" targetRef="Confirm"/>
    <serviceTask id="Confirm" baton:type="confirm"/>
    <sequenceFlow id="f2" sourceRef="Confirm" targetRef="End"/>
    <endEvent id="End"/>`)

func TestADelegateThatWaitsResumesOnceWithItsJobAndFence(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, waitModel, nil)
	type ticket struct {
		job   string
		fence int64
	}
	tickets := make(chan ticket, 1)
	c.Register("request", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		tk.SetVar("requestId", "req-1") // kept: the token parks with it
		tickets <- ticket{tk.JobID, tk.FenceToken}
		return baton.ErrWait
	}))
	var confirms atomic.Int64
	c.Register("confirm", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		confirms.Add(1)
		return nil
	}))
	v := started(t, c, nil)
	batontestRunTypes(t, c, "request")
	tk := <-tickets
	v = waitFor(t, c, v.ID, func(v *baton.InstanceView) bool {
		return len(v.Jobs) == 1 && v.Jobs[0].Kind == "wait"
	}, "Request never parked")
	if v.Tokens[0].ActivityID != "Request" || v.Variables["requestId"] != "req-1" {
		t.Fatalf("parked: tokens %+v variables %v", v.Tokens, v.Variables)
	}
	ctx := context.Background()
	// A completion with another attempt's fencing token is refused.
	if _, err := c.Complete(ctx, baton.CompleteRequest{JobID: tk.job, FenceToken: tk.fence + 1}); !errors.Is(err, baton.ErrNotWaiting) {
		t.Fatalf("complete with a stale fence: %v, want ErrNotWaiting", err)
	}
	// The same completion from five places at once: one applies.
	var applied, refused atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Complete(ctx, baton.CompleteRequest{JobID: tk.job, FenceToken: tk.fence,
				Variables: map[string]any{"answer": "yes"}})
			switch {
			case err == nil:
				applied.Add(1)
			case errors.Is(err, baton.ErrNotWaiting):
				refused.Add(1)
			default:
				t.Errorf("complete: %v", err)
			}
		}()
	}
	wg.Wait()
	if applied.Load() != 1 || refused.Load() != 4 {
		t.Fatalf("%d completions applied and %d refused, want 1 and 4", applied.Load(), refused.Load())
	}
	v = show(t, c, v.ID)
	if v.Status != engine.StatusCompleted || confirms.Load() != 1 || v.Variables["answer"] != "yes" ||
		count(v.History, engine.EventActivityEnd, "Request") != 1 {
		t.Fatalf("status %s confirms %d variables %v history %+v", v.Status, confirms.Load(), v.Variables, v.History)
	}
}

// waitFor polls an instance until cond holds.
func waitFor(t *testing.T, c *baton.Client, id string, cond func(*baton.InstanceView) bool, msg string) *baton.InstanceView {
	t.Helper()
	var v *baton.InstanceView
	batontest.Eventually(t, 30*time.Second, func() bool {
		var err error
		v, err = c.Instance(context.Background(), id)
		return err == nil && cond(v)
	}, "instance %s: %s", id, msg)
	return v
}

func TestParallelMultiInstanceDelegatesThatWaitInOneStepAreCompletedOneByOne(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Request"/>
    <serviceTask id="Request" baton:type="request" baton:asyncBefore="true">
      <multiInstanceLoopCharacteristics camunda:collection="${items}" camunda:elementVariable="item"/>
    </serviceTask>
    <sequenceFlow id="f1" sourceRef="Request" targetRef="End"/>
    <endEvent id="End"/>`), nil)
	type ticket struct {
		job, token, item string
		fence            int64
	}
	tickets := make(chan ticket, 3)
	c.Register("request", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		tickets <- ticket{tk.JobID, tk.TokenID, tk.Var("item").(string), tk.FenceToken}
		return baton.ErrWait
	}))
	v := started(t, c, map[string]any{"items": []any{"a", "b", "c"}})
	batontestRunTypes(t, c, "request")
	v = waitFor(t, c, v.ID, func(v *baton.InstanceView) bool { return len(v.Jobs) == 3 }, "the three inner instances never parked")
	var all []ticket
	for len(all) < 3 {
		all = append(all, <-tickets)
	}
	ctx := context.Background()
	// The three share the job and fence: without the token the completion is ambiguous.
	if _, err := c.Complete(ctx, baton.CompleteRequest{JobID: all[0].job, FenceToken: all[0].fence}); err == nil {
		t.Fatal("a completion that names no token completed one of three waits")
	}
	for i, tk := range all {
		if tk.job != all[0].job {
			t.Fatalf("the inner instances ran in separate jobs (%s, %s); the test wants one step", tk.job, all[0].job)
		}
		req := baton.CompleteRequest{JobID: tk.job, FenceToken: tk.fence, TokenID: tk.token, Variables: map[string]any{"done_" + tk.item: true}}
		if _, err := c.Complete(ctx, req); err != nil {
			t.Fatalf("complete %s: %v", tk.item, err)
		}
		if _, err := c.Complete(ctx, req); !errors.Is(err, baton.ErrNotWaiting) {
			t.Fatalf("complete %s twice: %v, want ErrNotWaiting", tk.item, err)
		}
		if v = show(t, c, v.ID); i < 2 && v.Status != engine.StatusRunning {
			t.Fatalf("after %d of 3: %s", i+1, v.Status)
		}
	}
	if v.Status != engine.StatusCompleted || v.Variables["done_a"] != true || v.Variables["done_b"] != true || v.Variables["done_c"] != true {
		t.Fatalf("status %s variables %v", v.Status, v.Variables)
	}
}
