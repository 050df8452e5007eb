package workers_test

import (
	"context"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/order"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/pkg/localserver"
	"github.com/batonhq/baton/queue"
)

func TestTheOrderExampleOnR3StreamsSurvivesTheLossOfANATSNodeExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nc, err := localserver.StartNATSCluster(3, t.TempDir())
	if err != nil {
		t.Fatalf("nats cluster: %v", err)
	}
	t.Cleanup(nc.Shutdown)
	env := batontest.New(t)
	cfg := env.Config()
	cfg.NATSURL = nc.URL // the seed list of all three nodes
	// No replica count: on a 3-node cluster the streams get R3 by themselves.
	c := env.Client(cfg)
	if _, err := c.DeployBytes(ctx, "order.bpmn", order.BPMN); err != nil {
		t.Fatal(err)
	}
	order.Register(c)
	if err := c.Engine().Queue().EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, Reconciler: true})
	// A second worker that does not set the replica count either runs too: it must leave the
	// streams at 3.
	wcfg := env.Config()
	wcfg.NATSURL = nc.URL
	w := env.Client(wcfg)
	order.Register(w)
	if err := w.Engine().Queue().EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	batontest.RunWorker(t, w, baton.WorkerConfig{})
	s, err := c.Engine().Queue().JetStream().Stream(ctx, queue.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := s.Info(ctx); err != nil || info.Config.Replicas != 3 {
		t.Fatalf("jobs stream: %+v %v; want 3 replicas", info, err)
	}
	const n = 60
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		res, err := c.Start(ctx, baton.StartRequest{ProcessKey: order.ProcessKey, Variables: map[string]any{"amount": 40 + i*10,
			"simulateLatencyMs": 20}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.InstanceID)
	}
	// Mid-run, once some have completed, one node goes away for good.
	batontest.Eventually(t, 30*time.Second, func() bool {
		v, err := c.Instance(ctx, ids[5])
		return err == nil && v.Status == engine.StatusCompleted
	}, "nothing completed before the node was to be lost")
	nc.Nodes[2].Shutdown()
	for _, id := range ids {
		var v *baton.InstanceView
		batontest.Eventually(t, 90*time.Second, func() bool {
			v, err = c.Instance(ctx, id)
			return err == nil && v.Status == engine.StatusCompleted
		}, "instance %s did not complete after the node was lost", id)
		count := map[string]int{}
		for _, e := range activityEvents(v.History) {
			count[e]++
		}
		for _, a := range []string{"end:Validate", "end:Charge", "end:Reserve", "end:Join", "end:Ship", "end:OrderFulfilled"} {
			if count[a] != 1 {
				t.Fatalf("instance %s: %s %d times, want exactly once: %v", id, a, count[a], activityEvents(v.History))
			}
		}
	}
}
