package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/pkg/batontest"
)

// newStore is the shared setup: a store on the test's Redis and prefix, with or without
// auto-pipelining, and one instance "i1" holding jobs "i1:1:0" (exclusive) and "i1:1:1".
func newStore(t *testing.T, noAutoPipeline bool) *store.Store {
	t.Helper()
	env := batontest.New(t)
	s := store.New(env.Redis(), store.Config{Prefix: env.Prefix, NoAutoPipeline: noAutoPipeline})
	t.Cleanup(s.Close)
	created, err := s.Create(context.Background(), store.NewInstance{ID: "i1", State: []byte("s1"), Status: "running",
		DefinitionID: "p:1", ProcessKey: "p", Created: time.Now(),
		Jobs: []store.NewJob{{ID: "i1:1:0", Envelope: []byte("e0"), CheckAt: time.Now()}, {ID: "i1:1:1", Envelope: []byte("e1"), CheckAt: time.Now()}}})
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	return s
}

// claim leases a job of instance i1 for a minute.
func claim(ctx context.Context, s *store.Store, job, owner string, exclusive bool) (*store.Claimed, error) {
	return s.Claim(ctx, store.ClaimRequest{Instance: "i1", Job: job, Owner: owner, Exclusive: exclusive, Lease: time.Minute})
}

func forEachTransport(t *testing.T, f func(t *testing.T, s *store.Store)) {
	for _, tc := range []struct {
		name string
		no   bool
	}{{"auto-pipelined", false}, {"one call per round trip", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f(t, newStore(t, tc.no))
		})
	}
}

func TestCommitIsExactlyOnceUnderClientRetries(t *testing.T) {
	t.Parallel()
	forEachTransport(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c, err := claim(ctx, s, "i1:1:0", "w", true)
		if err != nil || c.Version != 1 || string(c.State) != "s1" || c.Attempts != 0 {
			t.Fatalf("claim: %+v %v", c, err)
		}
		step := store.Step{Instance: "i1", Job: "i1:1:0", Fence: c.Fence, ExpectedVersion: 1, State: []byte("s2"), Status: "running",
			History: []byte("h"), NewJobs: []store.NewJob{{ID: "i1:2:0", Envelope: []byte("e2"), CheckAt: time.Now()}}}
		ver, done, err := s.Commit(ctx, step)
		if err != nil || ver != 2 || done {
			t.Fatalf("commit: %d %v %v", ver, done, err)
		}
		// The same commit again (a client retry after a lost reply) answers DONE, changes nothing.
		ver, done, err = s.Commit(ctx, step)
		if err != nil || ver != 2 || !done {
			t.Fatalf("retried commit: %d %v %v, want DONE at version 2", ver, done, err)
		}
		snap, err := s.Load(ctx, "i1")
		if err != nil {
			t.Fatal(err)
		}
		if snap.Version != 2 || string(snap.State) != "s2" || len(snap.History) != 1 {
			t.Fatalf("after commit: version %d state %q history %d", snap.Version, snap.State, len(snap.History))
		}
		if _, ok := snap.Jobs["i1:1:0"]; ok {
			t.Error("the consumed job is still in the outbox")
		}
		if _, ok := snap.Jobs["i1:2:0"]; !ok {
			t.Error("the new job is missing from the outbox")
		}
		// The consumed job can never be claimed again.
		if _, err := claim(ctx, s, "i1:1:0", "w", true); !errors.Is(err, store.ErrStale) {
			t.Errorf("claim of a consumed job: %v, want ErrStale", err)
		}
	})
}

func TestCommitOnAMovedVersionConflicts(t *testing.T) {
	t.Parallel()
	forEachTransport(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, _ := claim(ctx, s, "i1:1:0", "w", false)
		b, _ := claim(ctx, s, "i1:1:1", "w", false)
		if _, _, err := s.Commit(ctx, store.Step{Instance: "i1", Job: "i1:1:1", Fence: b.Fence, ExpectedVersion: 1, State: []byte("b"), Status: "running"}); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.Commit(ctx, store.Step{Instance: "i1", Job: "i1:1:0", Fence: a.Fence, ExpectedVersion: 1, State: []byte("a"), Status: "running"})
		var conflict *store.ConflictError
		if !errors.As(err, &conflict) || conflict.Current != 2 {
			t.Fatalf("commit at a stale version: %v, want a conflict at version 2", err)
		}
	})
}

func TestExclusiveJobsOfOneInstanceNeverRunTogether(t *testing.T) {
	t.Parallel()
	forEachTransport(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, err := claim(ctx, s, "i1:1:0", "w", true)
		if err != nil {
			t.Fatal(err)
		}
		_, err = claim(ctx, s, "i1:1:1", "w", true)
		var le *store.LeasedError
		if !errors.As(err, &le) || !le.Busy {
			t.Fatalf("second exclusive claim: %v, want BUSY", err)
		}
		// A duplicate delivery of the running job is refused too, as leased.
		if _, err := claim(ctx, s, "i1:1:0", "w2", true); !errors.As(err, &le) || le.Busy {
			t.Fatalf("duplicate claim: %v, want LEASED", err)
		}
		if err := s.Release(ctx, "i1", "i1:1:0", a.Fence); err != nil {
			t.Fatal(err)
		}
		if _, err := claim(ctx, s, "i1:1:1", "w", true); err != nil {
			t.Fatalf("after release the other exclusive job must be claimable: %v", err)
		}
		if err := s.Release(ctx, "i1", "i1:1:0", a.Fence); !errors.Is(err, store.ErrFenced) {
			t.Errorf("a second release with the old fence: %v, want ErrFenced", err)
		}
	})
}

func TestFailRetriesThenRaisesAnIncident(t *testing.T) {
	t.Parallel()
	forEachTransport(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for attempt := 1; attempt <= 3; attempt++ {
			c, err := claim(ctx, s, "i1:1:0", "w", true)
			if err != nil {
				t.Fatalf("attempt %d claim: %v", attempt, err)
			}
			if c.Attempts != attempt-1 {
				t.Fatalf("attempt %d: claim reports %d failed attempts", attempt, c.Attempts)
			}
			res, err := s.Fail(ctx, "i1", "i1:1:0", c.Fence, 3, []byte(`{"error":"x"}`), time.Now())
			if err != nil || res.Attempts != attempt || res.Incident != (attempt == 3) {
				t.Fatalf("attempt %d fail: %+v %v", attempt, res, err)
			}
		}
		if _, err := claim(ctx, s, "i1:1:0", "w", true); !errors.Is(err, store.ErrIncident) {
			t.Fatalf("claim after the incident: %v, want ErrIncident", err)
		}
		snap, _ := s.Load(ctx, "i1")
		if snap.Status != "incident" || snap.Incidents["i1:1:0"] == "" {
			t.Fatalf("status %q incidents %v", snap.Status, snap.Incidents)
		}
	})
}

func TestScriptsSurviveAnEmptiedScriptCache(t *testing.T) {
	t.Parallel()
	forEachTransport(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.LoadScripts(ctx); err != nil {
			t.Fatal(err)
		}
		// As after a Redis restart or failover: EVALSHA answers NOSCRIPT and the store falls
		// back to EVAL.
		if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		c, err := claim(ctx, s, "i1:1:0", "w", true)
		if err != nil {
			t.Fatalf("claim after SCRIPT FLUSH: %v", err)
		}
		if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Commit(ctx, store.Step{Instance: "i1", Job: "i1:1:0", Fence: c.Fence, ExpectedVersion: 1,
			State: []byte("s2"), Status: "running", NewJobs: []store.NewJob{{ID: "i1:2:0", Envelope: []byte("e"), CheckAt: time.Now()}}}); err != nil {
			t.Fatalf("commit with extra commands after SCRIPT FLUSH: %v", err)
		}
	})
}

func TestAJobWhoseLeaseKeepsExpiringRaisesAnIncident(t *testing.T) {
	t.Parallel()
	forEachTransport(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		req := store.ClaimRequest{Instance: "i1", Job: "i1:1:0", Owner: "w", Exclusive: true, Lease: 30 * time.Millisecond,
			MaxExpiries: 2}
		if _, err := s.Claim(ctx, req); err != nil {
			t.Fatal(err)
		}
		// Each worker dies inside the job: nobody renews, the lease expires, the next one takes over.
		var last error
		takeovers := 0
		batontest.Eventually(t, 5*time.Second, func() bool {
			_, last = s.Claim(ctx, req)
			if last == nil {
				takeovers++
			}
			return errors.Is(last, store.ErrIncident)
		}, "never raised the incident (last: %v)", last)
		if takeovers != 1 {
			t.Errorf("took over %d times before the incident, want 1 (the second expiry raises it)", takeovers)
		}
		snap, _ := s.Load(ctx, "i1")
		if snap.Status != "incident" || !strings.Contains(snap.Incidents["i1:1:0"], "lease expired 2 times") || len(snap.Leases) != 0 {
			t.Fatalf("status %q incidents %v leases %v", snap.Status, snap.Incidents, snap.Leases)
		}
	})
}

func TestBusyRedeliveriesDoNotCountAsExpiredLeases(t *testing.T) {
	t.Parallel()
	forEachTransport(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		dying := store.ClaimRequest{Instance: "i1", Job: "i1:1:0", Owner: "w", Exclusive: true, Lease: 20 * time.Millisecond, MaxExpiries: 2}
		if _, err := s.Claim(ctx, dying); err != nil {
			t.Fatal(err)
		}
		// Once that lease has expired, another exclusive job of the instance takes the instance.
		batontest.Eventually(t, 5*time.Second, func() bool {
			_, err := claim(ctx, s, "i1:1:1", "w2", true)
			return err == nil
		}, "the second exclusive job never got the instance")
		// The first job's redeliveries meet BUSY again and again: none of them is a takeover.
		for i := 0; i < 5; i++ {
			var le *store.LeasedError
			if _, err := s.Claim(ctx, dying); !errors.As(err, &le) || !le.Busy {
				t.Fatalf("redelivery %d: %v, want BUSY", i, err)
			}
		}
		if x, _ := s.Client().HGet(ctx, s.Prefix()+"inst:{i1}:jobs", "i1:1:0:x").Result(); x != "" {
			t.Fatalf("BUSY answers counted %s lease expiries", x)
		}
	})
}

func TestCancellingALeasedExclusiveJobFreesTheInstance(t *testing.T) {
	t.Parallel()
	forEachTransport(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		// Job 0 (exclusive) is leased by a worker still running; a non-exclusive job 1 commits a
		// step that cancels job 0 (a terminate) and adds job 2.
		if _, err := claim(ctx, s, "i1:1:0", "w1", true); err != nil {
			t.Fatal(err)
		}
		c1, err := claim(ctx, s, "i1:1:1", "w2", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Commit(ctx, store.Step{Instance: "i1", Job: "i1:1:1", Fence: c1.Fence, ExpectedVersion: 1, State: []byte("s"),
			Status: "running", NewJobs: []store.NewJob{{ID: "i1:2:0", Envelope: []byte("e"), CheckAt: time.Now()}},
			Cancel: []string{"i1:1:0"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Claim(ctx, store.ClaimRequest{Instance: "i1", Job: "i1:2:0", Owner: "w3", Exclusive: true, Lease: time.Minute}); err != nil {
			t.Fatalf("the next exclusive job must not be held BUSY by the cancelled one: %v", err)
		}
	})
}

func TestApplyIsOnceForItsAttemptAndConflictsForAStaleOne(t *testing.T) {
	t.Parallel()
	forEachTransport(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		// Job c1:3:0 of a child instance, leased with fence 7, applies its result to i1.
		step := store.Step{Instance: "i1", Job: "c1:3:0", Fence: 7, ExpectedVersion: 1, State: []byte("applied"), Status: "running",
			NewJobs: []store.NewJob{{ID: "i1:2:0", Envelope: []byte("end"), CheckAt: time.Now()}}, Cancel: []string{"i1:1:1"}}
		ver, done, err := s.Apply(ctx, step)
		if err != nil || ver != 2 || done {
			t.Fatalf("apply: %d %v %v", ver, done, err)
		}
		// A client retry of the same attempt answers DONE.
		if ver, done, err := s.Apply(ctx, step); err != nil || ver != 2 || !done {
			t.Fatalf("retried apply: %d %v %v, want DONE at version 2", ver, done, err)
		}
		// A stale attempt of the same job (another lease, computed at version 1) conflicts: it
		// must not believe it applied its own step.
		stale := step
		stale.Fence, stale.State = 6, []byte("stale")
		var conflict *store.ConflictError
		if _, _, err := s.Apply(ctx, stale); !errors.As(err, &conflict) || conflict.Current != 2 {
			t.Fatalf("stale apply: %v, want a conflict at version 2", err)
		}
		snap, err := s.Load(ctx, "i1")
		if err != nil {
			t.Fatal(err)
		}
		if string(snap.State) != "applied" || string(snap.Jobs["i1:2:0"]) != "end" {
			t.Fatalf("state %q jobs %v", snap.State, snap.Jobs)
		}
		if _, ok := snap.Jobs["i1:1:1"]; ok {
			t.Error("the cancelled job is still in the outbox")
		}
		if _, _, err := s.Apply(ctx, store.Step{Instance: "nobody", Job: "c1:3:0", Fence: 7, ExpectedVersion: 1}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("apply to a missing instance: %v, want ErrNotFound", err)
		}
	})
}
