package workers_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

func TestCommitsWithoutTheirReplicaAreNotAckedAndEveryDelegateStillRunsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	master, replica := batontest.RedisWithReplica(t)
	env := batontest.New(t)
	cfg := env.Config()
	cfg.RedisURL = master.URL
	cfg.Durability = baton.Durability{Replicas: 1, Timeout: 2 * time.Second}
	c := env.Client(cfg)
	if _, err := c.DeployBytes(ctx, "one.bpmn", oneTask("durable")); err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	var mu sync.Mutex
	calls := map[string]int{}
	c.Register("durable", baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		mu.Lock()
		calls[tk.InstanceID]++
		mu.Unlock()
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, Reconciler: true})
	const n = 5
	var ids []string
	for range n {
		res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p"})
		if err != nil {
			t.Fatalf("start with the replica up: %v", err)
		}
		ids = append(ids, res.InstanceID)
	}
	called := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(calls)
	}
	batontest.Eventually(t, 10*time.Second, func() bool { return called() == n }, "the delegates did not all start")

	// The replica goes away while every delegate runs: their commits reach the master only.
	replica.Kill()
	close(gate)
	st := c.Engine().Stats()
	batontest.Eventually(t, 10*time.Second, func() bool { return st.NotDurable.Load() >= n },
		"commits without the replica were not reported as not durable (%d)", st.NotDurable.Load())

	if err := replica.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := replica.WaitReplicaLinked(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		v := waitStatus(t, c, id, engine.StatusCompleted)
		ends := 0
		for _, e := range activityEvents(v.History) {
			if e == "end:A" {
				ends++
			}
		}
		if ends != 1 {
			t.Errorf("instance %s ended A %d times", id, ends)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for id, k := range calls {
		if k != 1 {
			t.Errorf("instance %s: the delegate ran %d times; a commit that is not durable must not run it again", id, k)
		}
	}
	// The replica holds every instance's end now.
	rc := replica.Client()
	defer rc.Close()
	batontest.Eventually(t, 5*time.Second, func() bool {
		for _, id := range ids {
			if s, _ := rc.HGet(ctx, env.Prefix+"inst:{"+id+"}", "status").Result(); s != engine.StatusCompleted {
				return false
			}
		}
		return true
	}, "the replica does not hold the completed instances")
}
