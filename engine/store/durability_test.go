package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/pkg/localserver"
)

// replicated is the shared setup of the durability tests: a redis-server of the test's own with
// one linked replica, and a client of each.
func replicated(t *testing.T) (master, replica *localserver.Redis, mc, rc *redis.Client) {
	t.Helper()
	master, replica = batontest.RedisWithReplica(t)
	mc, rc = master.Client(), replica.Client()
	t.Cleanup(func() { _ = mc.Close(); _ = rc.Close() })
	return master, replica, mc, rc
}

func TestACommitThatWaitsForAReplicaIsOnTheReplicaWhenItReturns(t *testing.T) {
	t.Parallel()
	for _, noAuto := range []bool{false, true} {
		t.Run(map[bool]string{false: "auto-pipelined", true: "one call per round trip"}[noAuto], func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			_, _, mc, rc := replicated(t)
			s := store.New(mc, store.Config{Prefix: "d:", NoAutoPipeline: noAuto,
				Durability: store.Durability{Replicas: 1, Timeout: 2 * time.Second}})
			t.Cleanup(s.Close)
			if w, err := s.CheckDurability(ctx); err != nil || w != "" {
				t.Fatalf("check: %q %v", w, err)
			}
			// Many instances at once, so the auto-pipelined store shares one WAIT between calls.
			errs := make(chan error, 20)
			for i := range 20 {
				go func() {
					id := "i" + string(rune('a'+i))
					created, err := s.Create(ctx, store.NewInstance{ID: id, State: []byte("s1"), Status: "running",
						DefinitionID: "p:1", ProcessKey: "p", Created: time.Now(),
						Jobs: []store.NewJob{{ID: id + ":1:0", Envelope: []byte("e0"), CheckAt: time.Now()}}})
					if err != nil || !created {
						errs <- errors.Join(err, errors.New("create "+id+" failed"))
						return
					}
					c, err := s.Claim(ctx, store.ClaimRequest{Instance: id, Job: id + ":1:0", Owner: "w", Exclusive: true, Lease: time.Minute})
					if err != nil {
						errs <- err
						return
					}
					_, _, err = s.Commit(ctx, store.Step{Instance: id, Job: id + ":1:0", Fence: c.Fence, ExpectedVersion: 1,
						State: []byte("s2"), Status: "running", History: []byte("h")})
					if err != nil {
						errs <- err
						return
					}
					// WAIT returned: the replica holds the commit now, without polling.
					if v, err := rc.HGet(ctx, "d:inst:{"+id+"}", "ver").Result(); err != nil || v != "2" {
						errs <- errors.New("replica has version " + v + " of " + id + " right after the commit")
						return
					}
					errs <- nil
				}()
			}
			for range 20 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestACommitWithoutItsReplicaIsAppliedButReportedNotDurable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, replica, mc, _ := replicated(t)
	s := store.New(mc, store.Config{Prefix: "d:", Durability: store.Durability{Replicas: 1, Timeout: 2 * time.Second}})
	t.Cleanup(s.Close)
	if _, err := s.Create(ctx, store.NewInstance{ID: "i1", State: []byte("s1"), Status: "running", DefinitionID: "p:1",
		ProcessKey: "p", Created: time.Now(), Jobs: []store.NewJob{{ID: "i1:1:0", Envelope: []byte("e0"), CheckAt: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	replica.Kill()
	// A claim is lease bookkeeping: it does not wait, so it works without the replica.
	c, err := s.Claim(ctx, store.ClaimRequest{Instance: "i1", Job: "i1:1:0", Owner: "w", Exclusive: true, Lease: time.Minute})
	if err != nil {
		t.Fatalf("claim without the replica: %v", err)
	}
	start := time.Now()
	_, _, err = s.Commit(ctx, store.Step{Instance: "i1", Job: "i1:1:0", Fence: c.Fence, ExpectedVersion: 1,
		State: []byte("s2"), Status: "running", History: []byte("h")})
	var de *store.DurabilityError
	if !errors.Is(err, store.ErrNotDurable) || !errors.As(err, &de) || de.Replicas != 0 || de.Want.Replicas != 1 {
		t.Fatalf("commit without the replica: %v; want a DurabilityError with 0 of 1 replicas", err)
	}
	if waited := time.Since(start); waited < 1900*time.Millisecond {
		t.Errorf("the commit returned after %s; want it to wait its 2s for the replica", waited)
	}
	if !strings.Contains(err.Error(), "0 of 1 replicas acknowledged it within 2s") {
		t.Errorf("error %q does not say how far the write got", err)
	}
	// Applied on the master all the same: the job is consumed.
	if v, err := mc.HGet(ctx, "d:inst:{i1}", "ver").Result(); err != nil || v != "2" {
		t.Fatalf("master version %q %v; want 2", v, err)
	}
	if w, err := s.CheckDurability(ctx); err != nil || !strings.Contains(w, "0 connected replicas") {
		t.Fatalf("check without the replica: %q %v; want a warning", w, err)
	}
}

func TestDurabilityTheServerCannotGiveIsRefusedAtTheStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mc := batontest.New(t).Redis() // the shared test Redis: appendonly no
	info, err := mc.Info(ctx, "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(mc, store.Config{Prefix: "d:", Durability: store.Durability{AOF: true}})
	t.Cleanup(s.Close)
	_, err = s.CheckDurability(ctx)
	if strings.Contains(info, "redis_version:7.0") || strings.Contains(info, "redis_version:6.") {
		if err == nil || !strings.Contains(err.Error(), "Redis 7.2 or later") {
			t.Fatalf("WAITAOF on a Redis before 7.2: %v; want an error naming the version", err)
		}
		return
	}
	// Redis 7.2 or later: appendonly is off on the test server, which WAITAOF needs.
	if err == nil || !strings.Contains(err.Error(), "appendonly") {
		t.Fatalf("WAITAOF with appendonly no: %v; want an error naming appendonly", err)
	}
}

func TestAWaitTimeoutTheClientCannotReadIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, _, mc, _ := replicated(t)
	for _, tc := range []struct {
		timeout time.Duration
		want    string
	}{
		// A reply that comes after the read timeout would look like a lost one: the commit
		// would count as applied and be published.
		{mc.Options().ReadTimeout, "shorter than the Redis client's read timeout"},
		{500 * time.Microsecond, "want at least 1ms"},
		{-time.Second, "want at least 1ms"},
	} {
		s := store.New(mc, store.Config{Prefix: "d:", Durability: store.Durability{Replicas: 1, Timeout: tc.timeout}})
		_, err := s.CheckDurability(ctx)
		s.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("timeout %s: %v; want an error saying %q", tc.timeout, err, tc.want)
		}
	}
}

func TestDurabilityIsRefusedOnARedisCluster(t *testing.T) {
	t.Parallel()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	t.Cleanup(func() { _ = cc.Close() })
	s := store.New(cc, store.Config{Durability: store.Durability{Replicas: 1}})
	t.Cleanup(s.Close)
	if _, err := s.CheckDurability(context.Background()); err == nil || !strings.Contains(err.Error(), "Redis Cluster") {
		t.Fatalf("check on a cluster client: %v; want it refused", err)
	}
}
