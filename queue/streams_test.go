package queue_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

func TestEnsureStreamsKeepsWhatAnOperatorSetOnAnExistingStream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := batontest.New(t)
	q, err := queue.Connect(ctx, queue.Config{URL: env.NATSURL}, env.Log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Close)
	if err := q.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	// An operator caps the jobs stream and shortens its duplicate window by hand.
	s, err := q.JetStream().Stream(ctx, queue.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.MaxBytes = 64 << 20
	cfg.Description = "capped by ops"
	if _, err := q.JetStream().UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	// A later process whose duplicate window differs brings Baton's setting back and keeps the
	// operator's.
	q2, err := queue.Connect(ctx, queue.Config{URL: env.NATSURL, DuplicateWindow: 90e9}, env.Log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q2.Close)
	if err := q2.EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	info, err := q2.JetStream().Stream(ctx, queue.JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	got := info.CachedInfo().Config
	if got.Duplicates != 90e9 || got.MaxBytes != 64<<20 || got.Description != "capped by ops" || got.Replicas != 1 ||
		got.Retention != jetstream.WorkQueuePolicy {
		t.Fatalf("after EnsureStreams: duplicates %s, max bytes %d, description %q, replicas %d, retention %s",
			got.Duplicates, got.MaxBytes, got.Description, got.Replicas, got.Retention)
	}
}
