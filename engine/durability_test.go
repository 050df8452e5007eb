package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

func TestAMessageWhoseCorrelationIsNotDurableIsSpentAndNotDeliveredAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	master, replica := batontest.RedisWithReplica(t)
	_, c := deployed(t, paymentModel, func(cfg *baton.Config) {
		cfg.RedisURL = master.URL
		cfg.Durability = baton.Durability{Replicas: 1, Timeout: 2 * time.Second}
	})
	first := startKeyed(t, c, "order-1")
	replica.Kill()
	msg := baton.CorrelateRequest{Name: "payment-received", CorrelationKey: "order-1", MessageID: "m-1"}
	if _, err := c.Correlate(ctx, msg); !errors.Is(err, store.ErrNotDurable) {
		t.Fatalf("correlate without the replica: %v; want ErrNotDurable", err)
	}
	if err := replica.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := replica.WaitReplicaLinked(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// A second instance waits for the same key now. The message's redelivery must not reach it:
	// the completion of the first was applied, so the message is spent.
	second := startKeyed(t, c, "order-1")
	res, err := c.Correlate(ctx, msg)
	if err != nil || !res.Duplicate || res.Buffered || len(res.Instances) != 0 {
		t.Fatalf("redelivery: %+v %v; want a duplicate that does nothing", res, err)
	}
	if v := show(t, c, first); v.Status != "completed" {
		t.Errorf("first instance %s; want completed", v.Status)
	}
	if v := show(t, c, second); v.Status != "running" {
		t.Errorf("second instance %s; want it still waiting", v.Status)
	}
}
