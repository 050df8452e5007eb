package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/batonhq/baton/engine/store"
)

func TestAnEndedInstanceWithAnOutstandingJobIsNotArchived(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, false)
	// A completed child whose Return job has not run yet.
	created, err := s.Create(ctx, store.NewInstance{ID: "c1", State: []byte("s"), Status: "completed", DefinitionID: "child:1",
		ProcessKey: "child", Created: time.Now().Add(-time.Hour),
		Jobs: []store.NewJob{{ID: "c1:1:0", Envelope: []byte("return"), CheckAt: time.Now()}}})
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if ok, err := s.Archive(ctx, "c1", []byte("{}"), time.Hour, time.Now().Add(time.Hour)); err != nil || ok {
		t.Fatalf("archived %v (%v) while its Return job is outstanding", ok, err)
	}
	if snap, err := s.Load(ctx, "c1"); err != nil || len(snap.Jobs) != 1 {
		t.Fatalf("load: %+v %v", snap, err)
	}
	// Without the job it is archived, and the id cannot be created again.
	created, err = s.Create(ctx, store.NewInstance{ID: "c2", State: []byte("s"), Status: "completed", DefinitionID: "child:1",
		ProcessKey: "child", Created: time.Now().Add(-time.Hour)})
	if err != nil || !created {
		t.Fatalf("create c2: %v %v", created, err)
	}
	if ok, err := s.Archive(ctx, "c2", []byte("{}"), time.Hour, time.Now().Add(time.Hour)); err != nil || !ok {
		t.Fatalf("archive c2: %v %v", ok, err)
	}
	if _, err := s.Load(ctx, "c2"); !errors.Is(err, store.ErrArchived) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("load of an archived instance: %v, want ErrArchived", err)
	}
	if created, err := s.Create(ctx, store.NewInstance{ID: "c2", State: []byte("s"), Status: "running", DefinitionID: "child:1",
		ProcessKey: "child", Created: time.Now()}); err != nil || created {
		t.Fatalf("created an archived id again: %v %v", created, err)
	}
}
