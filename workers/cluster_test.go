package workers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/order"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/pkg/localserver"
)

func TestTheOrderExampleRunsOnARedisClusterWithInstancesSpreadOverItsNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rc, err := localserver.StartRedisCluster(ctx, 3)
	if err != nil {
		t.Fatalf("redis cluster: %v", err)
	}
	t.Cleanup(rc.Stop)
	rdb := rc.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	env := batontest.New(t)
	cfg := env.Config()
	// The seed list as a user gives it: a comma-separated --redis.
	cfg.RedisURL = "redis://" + strings.Join(rc.Addrs, ",redis://")
	c := env.Client(cfg)
	if _, err := c.DeployBytes(ctx, "order.bpmn", order.BPMN); err != nil {
		t.Fatal(err)
	}
	order.Register(c)
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, Reconciler: true})
	var ids []string
	for i := 0; i < 30; i++ {
		res, err := c.Start(ctx, baton.StartRequest{ProcessKey: order.ProcessKey, Variables: map[string]any{"amount": 40 + i*20}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.InstanceID)
	}
	nodes := map[string]int{}
	for _, id := range ids {
		v := waitStatus(t, c, id, engine.StatusCompleted)
		for _, k := range []string{"valid", "chargeId", "reserved", "shipped"} {
			if v.Variables[k] == nil {
				t.Errorf("instance %s: variable %s not set: %v", id, k, v.Variables)
			}
		}
		// Which node holds the instance's keys (all in one slot, by its hash tag).
		node, err := rdb.MasterForKey(ctx, env.Prefix+"inst:{"+id+"}")
		if err != nil {
			t.Fatal(err)
		}
		nodes[node.Options().Addr]++
	}
	if len(nodes) < 3 {
		t.Fatalf("the instances sit on %d nodes (%v); want them spread over all 3", len(nodes), nodes)
	}
}
