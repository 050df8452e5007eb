package store

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/batonhq/baton/pkg/localserver"
)

// ownRedis starts a redis-server for one test (these tests sit inside the package, so they
// cannot use pkg/batontest, which imports it).
func ownRedis(t *testing.T) *redis.Client {
	t.Helper()
	r, err := localserver.StartRedis(context.Background(), localserver.RedisOptions{})
	if err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	t.Cleanup(r.Stop)
	rdb := r.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// A client library resends a call whose reply was lost; these tests send the same script call
// twice, as that retry would, and expect the first call's answer again.
func TestScriptsAnswerARetriedCallLikeTheFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := ownRedis(t)
	s := New(rdb, Config{NoAutoPipeline: true})
	keys := s.createKeys("i1")
	create := []any{"state", "running", "p:1", "p", "", time.Now().UnixMilli(), "", "nonce-1", 1, "i1:1:0", "env"}
	for i := 0; i < 2; i++ {
		res, err := createScript.Run(ctx, rdb, keys, create...).Slice()
		if err != nil || res[0] != "OK" {
			t.Fatalf("create #%d: %v %v, want OK both times", i+1, res, err)
		}
	}
	other := append([]any{}, create...)
	other[7] = "nonce-2"
	if res, _ := createScript.Run(ctx, rdb, keys, other...).Slice(); res[0] != "EXISTS" {
		t.Fatalf("a different create of the same instance: %v, want EXISTS", res)
	}

	claim := []any{"i1:1:0", "worker/nonce-a", 60000, "1", 0}
	first, err := claimScript.Run(ctx, rdb, s.keys("i1"), claim...).Slice()
	if err != nil || first[0] != "OK" {
		t.Fatalf("claim: %v %v", first, err)
	}
	again, err := claimScript.Run(ctx, rdb, s.keys("i1"), claim...).Slice()
	if err != nil || again[0] != "OK" || again[1] != first[1] {
		t.Fatalf("retried claim: %v %v, want OK with fence %v", again, err, first[1])
	}
	if res, _ := claimScript.Run(ctx, rdb, s.keys("i1"), "i1:1:0", "worker/nonce-b", 60000, "1", 0).Slice(); res[0] != "LEASED" {
		t.Fatalf("another claim: %v, want LEASED", res)
	}

	fail := []any{"i1:1:0", first[1], 3, "{}"}
	f1, err := failScript.Run(ctx, rdb, s.keys("i1"), fail...).Slice()
	if err != nil || f1[0] != "RETRY" || f1[1] != "1" {
		t.Fatalf("fail: %v %v", f1, err)
	}
	f2, err := failScript.Run(ctx, rdb, s.keys("i1"), fail...).Slice()
	if err != nil || f2[0] != "RETRY" || f2[1] != "1" {
		t.Fatalf("retried fail: %v %v, want the same RETRY after 1 attempt", f2, err)
	}
	if n, _ := rdb.HGet(ctx, s.jobsKey("i1"), "i1:1:0:a").Int(); n != 1 {
		t.Fatalf("attempts = %d after a retried fail, want 1", n)
	}
}

func TestRepairDueReindexesOutstandingJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := ownRedis(t)
	s := New(rdb, Config{})
	t.Cleanup(s.Close)
	if _, err := s.Create(ctx, NewInstance{ID: "i1", State: []byte("s"), Status: "running", Created: time.Now(),
		Jobs: []NewJob{{ID: "i1:1:0", Envelope: []byte("e"), CheckAt: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	// Lose the index entry, as a crash between the script and the index write would.
	if err := s.Unschedule(ctx, "i1:1:0"); err != nil {
		t.Fatal(err)
	}
	n, err := s.RepairDue(ctx, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("repair: %d %v, want 1 entry re-added", n, err)
	}
	ids, err := s.TakeDue(ctx, time.Now().Add(time.Second), 10, time.Minute)
	if err != nil || len(ids) != 1 || ids[0] != "i1:1:0" {
		t.Fatalf("due after repair: %v %v", ids, err)
	}
	if n, _ := s.RepairDue(ctx, time.Now()); n != 0 {
		t.Errorf("a second repair added %d entries; it must leave existing ones", n)
	}
}
