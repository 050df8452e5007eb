package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

func TestHighPriorityJobsGoFirstAndLowOnesStillGetTheirShare(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := deployed(t, straight("p", "work", `baton:asyncBefore="true" camunda:jobPriority="${prio}"`), nil)
	var (
		mu    sync.Mutex
		order []string
	)
	c.Register("work", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, tk.BusinessKey)
		return nil
	}))
	// A backlog of both bands, interleaved, before any worker runs.
	const each = 24
	var ids []string
	for i := 0; i < each; i++ {
		for _, band := range []struct {
			key  string
			prio int
		}{{"low", -5}, {"high", 10}} {
			res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p", BusinessKey: band.key, Variables: map[string]any{"prio": band.prio}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, res.InstanceID)
		}
	}
	cons, err := c.Engine().Queue().JobConsumerIn(ctx, "work", queue.High)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := cons.Info(ctx); err != nil || info.NumPending != each {
		t.Fatalf("the high band holds %v jobs (%v), want %d", info.NumPending, err, each)
	}
	// One job at a time, so the order is the worker's choice.
	batontest.RunWorker(t, c, baton.WorkerConfig{TaskTypes: []string{"work"}, Concurrency: 1})
	for _, id := range ids {
		waitStatus(t, c, id, engine.StatusCompleted)
	}
	mu.Lock()
	defer mu.Unlock()
	firstLow := -1
	for i, k := range order {
		if k == "low" {
			firstLow = i
			break
		}
	}
	highEarly := strings.Count(strings.Join(order[:18], ","), "high")
	// 8:3:1 with the normal band empty: about 8 high jobs per low one while both wait (a
	// moment when no high job is at hand gives the turn to a low one: allow for some).
	if highEarly < 13 || firstLow < 0 || firstLow > 10 {
		t.Fatalf("order %v: %d high among the first 18 (want >= 13), first low at %d (want <= 10)", order, highEarly, firstLow)
	}
}

func TestAWorkerServesAgainAfterOneBandsConsumerIsDeleted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := deployed(t, straight("p", "work", `baton:asyncBefore="true"`), nil)
	c.Register("work", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	batontestRunTypes(t, c, "work")
	first, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, first.InstanceID, engine.StatusCompleted)
	// An operator deletes the low band's consumer: the worker binds all bands again.
	if err := c.Engine().Queue().JetStream().DeleteConsumer(ctx, queue.JobsStream, queue.JobConsumerNameIn("work", queue.Low)); err != nil {
		t.Fatal(err)
	}
	second, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, second.InstanceID, engine.StatusCompleted)
}
