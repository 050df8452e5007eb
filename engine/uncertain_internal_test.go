package engine

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/pkg/localserver"
	"github.com/batonhq/baton/queue"
)

// A commit whose reply is lost (or that a client retry sees as STALE) may have been applied.
// The engine must then publish the step's jobs, because nobody else will until the reconciler.
func TestUncertainCommitIsResolvedFromTheOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := internalEngine(t)
	st, q := e.store, e.queue

	first := &job.Job{ID: "i1:1:0", Instance: "i1", Type: "t", Kind: job.Before, Token: "t1", Activity: "A", Exclusive: true, Created: 1}
	env0, _ := job.Encode(first)
	if _, err := st.Create(ctx, store.NewInstance{ID: "i1", State: []byte("s"), Status: StatusRunning, Created: time.Now(),
		Jobs: []store.NewJob{{ID: first.ID, Envelope: env0, CheckAt: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	c, err := st.Claim(ctx, store.ClaimRequest{Instance: "i1", Job: first.ID, Owner: "w", Exclusive: true, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	next := &job.Job{ID: "i1:2:0", Instance: "i1", Type: "t", Kind: job.Before, Token: "t1", Activity: "B", Exclusive: true, Created: 2}
	env1, _ := job.Encode(next)
	if _, _, err := st.Commit(ctx, store.Step{Instance: "i1", Job: first.ID, Fence: c.Fence, ExpectedVersion: 1, State: []byte("s2"),
		Status: StatusRunning, NewJobs: []store.NewJob{{ID: next.ID, Envelope: env1, CheckAt: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	// The reply was "lost": the engine asks the outbox.
	committed, err := e.resolveUncertainCommit(ctx, first, c.Fence, []*job.Job{next}, [][]byte{env1})
	if err != nil || !committed {
		t.Fatalf("resolve: %v %v, want committed", committed, err)
	}
	s, err := q.JetStream().Stream(ctx, queue.JobsStream)
	if err != nil || s.CachedInfo().State.Msgs != 1 {
		t.Fatalf("the committed step's job must be published: %v %+v", err, s.CachedInfo().State)
	}
	// A step whose job is still outstanding did not commit, even when a job with the id its
	// step would have created exists (another step committed that version).
	if committed, err := e.resolveUncertainCommit(ctx, next, 99, []*job.Job{next}, [][]byte{env1}); err != nil || committed {
		t.Fatalf("resolve with the consumed job still outstanding: %v %v, want false", committed, err)
	}
	// A step whose job is gone, but whose job ids hold another step's envelopes: not ours.
	mine := &job.Job{ID: "i1:2:0", Instance: "i1", Type: "t", Kind: job.After, Token: "t7", Activity: "Z", Created: 5}
	envMine, _ := job.Encode(mine)
	if committed, err := e.resolveUncertainCommit(ctx, first, 99, []*job.Job{mine}, [][]byte{envMine}); err != nil || committed {
		t.Fatalf("resolve against another step's jobs: %v %v, want false", committed, err)
	}
}

// internalEngine is an engine on a redis-server and an embedded NATS of its own, for tests that
// drive the engine's unexported steps.
func internalEngine(t *testing.T) *Engine {
	t.Helper()
	ctx := context.Background()
	r, err := localserver.StartRedis(ctx, localserver.RedisOptions{})
	if err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	t.Cleanup(r.Stop)
	ns, err := localserver.StartNATS(localserver.NATSOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	rdb := r.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	st := store.New(rdb, store.Config{})
	t.Cleanup(st.Close)
	q, err := queue.Connect(ctx, queue.Config{URL: ns.URL}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	if err := q.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	return New(Config{}, st, q, zap.NewNop())
}
