package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/queue"
)

// Retention keeps Redis bounded. An instance that completed or was cancelled more than RetainFor
// ago is archived: its full record (the InstanceView: variables, history, incidents) is published
// on BATON_EVENTS (subject baton.events.archive.<processKey>, Nats-Msg-Id "archive:<id>", kept
// by the stream for its max age) and then replaces the instance's hot keys in Redis as a compact
// record that expires after ArchiveFor. Instance and `baton instance show` read the archive of an
// archived instance; `baton instances` lists it.
//
// Killed between the publish and the replacement, the next pass publishes again (JetStream drops
// the copy within its duplicate window; a consumer of the stream dedupes by the message id).

// RetentionConfig configures RunRetention.
type RetentionConfig struct {
	// RetainFor is how long an ended instance keeps its hot keys. Default 24h; negative: keep
	// them for ever (no archiving).
	RetainFor time.Duration
	// ArchiveFor is how long an archive record stays in Redis. Default 720h (30 days).
	ArchiveFor time.Duration
	// Interval is how often a pass runs. Default 1m.
	Interval time.Duration
	// Batch is how many candidates one pass looks at. Default 500.
	Batch int
}

func (c *RetentionConfig) defaults() {
	if c.RetainFor == 0 {
		c.RetainFor = 24 * time.Hour
	}
	if c.ArchiveFor <= 0 {
		c.ArchiveFor = 30 * 24 * time.Hour
	}
	if c.Interval <= 0 {
		c.Interval = time.Minute
	}
	if c.Batch <= 0 {
		c.Batch = 500
	}
}

// retention remembers where the last pass stopped among the candidates, so that long-running
// instances do not hide the ended ones behind them.
type retention struct {
	mu     sync.Mutex
	offset int
}

// RunRetention archives ended instances every Interval until ctx ends.
func (e *Engine) RunRetention(ctx context.Context, cfg RetentionConfig) {
	cfg.defaults()
	if cfg.RetainFor < 0 {
		return
	}
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		// Pass after pass while they come back full, so that archiving keeps up with a busy
		// engine (bounded, so a huge index does not hold it for ever).
		total := 0
		for pass := 0; pass < 1000 && ctx.Err() == nil; pass++ {
			n, more, err := e.retainPass(ctx, cfg, time.Now())
			total += n
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("retention pass failed", zap.Error(err))
				}
				break
			}
			if !more {
				break
			}
		}
		if total > 0 {
			e.log.Info("retention archived ended instances", zap.Int("instances", total))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RetainOnce runs one retention pass at now and returns how many instances it archived.
func (e *Engine) RetainOnce(ctx context.Context, cfg RetentionConfig, now time.Time) (int, error) {
	cfg.defaults()
	n, _, err := e.retainPass(ctx, cfg, now)
	return n, err
}

// retainPass looks at up to Batch candidates; more says the batch was full (more may follow).
func (e *Engine) retainPass(ctx context.Context, cfg RetentionConfig, now time.Time) (archived int, more bool, err error) {
	if cfg.RetainFor < 0 {
		return 0, false, nil
	}
	cutoff := now.Add(-cfg.RetainFor)
	e.retain.mu.Lock()
	defer e.retain.mu.Unlock()
	// An instance ends after it starts: only those started before the cutoff can be due.
	ids, err := e.store.InstanceIDs(ctx, time.Time{}, cutoff, false, e.retain.offset, cfg.Batch)
	if err != nil {
		return 0, false, err
	}
	more = len(ids) == cfg.Batch
	if more {
		e.retain.offset += len(ids)
	} else {
		e.retain.offset = 0 // the next pass starts from the oldest again
	}
	sums, err := e.store.Summaries(ctx, ids)
	if err != nil {
		return 0, false, err
	}
	var gone []string
	for _, s := range sums {
		switch {
		case s.Gone:
			gone = append(gone, s.ID)
		case s.Archived || s.Ended.IsZero() || s.Ended.After(cutoff):
		default:
			ok, err := e.archive(ctx, s.ID, cfg, cutoff)
			if err != nil {
				return archived, false, err
			}
			if ok {
				archived++
			}
		}
	}
	if len(gone) > 0 {
		// Their archives expired: nothing is left to list.
		if err := e.store.UnindexInstances(ctx, gone...); err != nil {
			return archived, false, err
		}
		e.retain.offset = max(e.retain.offset-len(gone), 0)
	}
	return archived, more, nil
}

// archive publishes instance id's record and replaces its hot keys by it.
func (e *Engine) archive(ctx context.Context, id string, cfg RetentionConfig, endedBefore time.Time) (bool, error) {
	v, err := e.Instance(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	v.Archived = true
	rec, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("archive %s: %w", id, err)
	}
	msg := queue.Message{Subject: queue.EventPrefix + "archive." + queue.EncodeToken(v.ProcessKey), MsgID: "archive:" + id, Data: rec,
		Header: map[string][]string{"Content-Type": {"application/json"}}}
	if err := e.queue.Publish(ctx, msg); err != nil {
		return false, err
	}
	return e.store.Archive(ctx, id, rec, cfg.ArchiveFor, endedBefore)
}

// archived reads the archive record of instance id.
func (e *Engine) archived(ctx context.Context, id string) (*InstanceView, error) {
	rec, err := e.store.ArchiveRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	var v InstanceView
	if err := json.Unmarshal(rec, &v); err != nil {
		return nil, fmt.Errorf("the archive of %s: %w", id, err)
	}
	v.Archived = true
	return &v, nil
}

// InstanceFilter narrows Instances; empty fields match everything.
type InstanceFilter struct {
	ProcessKey  string
	Status      string // running, incident, completed or cancelled
	BusinessKey string
	// StartedAfter and StartedBefore bound the start time.
	StartedAfter, StartedBefore time.Time
	// Limit caps the result. Default 100; at most 1000.
	Limit int
}

// InstanceSummary is one listed instance.
type InstanceSummary struct {
	ID                string     `json:"id"`
	ProcessKey        string     `json:"processKey"`
	DefinitionVersion int        `json:"definitionVersion"`
	BusinessKey       string     `json:"businessKey,omitempty"`
	Status            string     `json:"status"`
	Started           time.Time  `json:"started"`
	Ended             *time.Time `json:"ended,omitempty"`
	Suspended         bool       `json:"suspended,omitempty"`
	// Archived is true when only the archive record is left (see RetentionConfig).
	Archived bool `json:"archived,omitempty"`
}

// Instances lists the instances matching f, newest first.
func (e *Engine) Instances(ctx context.Context, f InstanceFilter) ([]InstanceSummary, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	var out []InstanceSummary
	err := e.eachSummary(ctx, f.StartedAfter, f.StartedBefore, 0, func(s store.InstanceSummary) bool {
		if v, ok := summaryView(s); ok && f.match(v) {
			out = append(out, v)
		}
		return len(out) < f.Limit
	})
	return out, err
}

// eachSummary calls fn with the summary of each indexed instance started in [from, to], newest
// first, reading them in pages, until fn returns false or max (0: no limit) were read.
func (e *Engine) eachSummary(ctx context.Context, from, to time.Time, max int, fn func(store.InstanceSummary) bool) error {
	const page = 1000
	for offset := 0; max == 0 || offset < max; offset += page {
		n := page
		if max > 0 {
			n = min(page, max-offset)
		}
		ids, err := e.store.InstanceIDs(ctx, from, to, true, offset, n)
		if err != nil {
			return err
		}
		sums, err := e.store.Summaries(ctx, ids)
		if err != nil {
			return err
		}
		for _, s := range sums {
			if !fn(s) {
				return nil
			}
		}
		if len(ids) < n {
			return nil
		}
	}
	return nil
}

func (f InstanceFilter) match(v InstanceSummary) bool {
	return (f.ProcessKey == "" || v.ProcessKey == f.ProcessKey) && (f.Status == "" || v.Status == f.Status) &&
		(f.BusinessKey == "" || v.BusinessKey == f.BusinessKey)
}

// summaryView turns a store summary (or its archive record) into a listing row.
func summaryView(s store.InstanceSummary) (InstanceSummary, bool) {
	switch {
	case s.Gone:
		return InstanceSummary{}, false
	case s.Archived:
		var v InstanceView
		if json.Unmarshal(s.Record, &v) != nil {
			return InstanceSummary{}, false
		}
		return InstanceSummary{ID: v.ID, ProcessKey: v.ProcessKey, DefinitionVersion: v.DefinitionVersion, BusinessKey: v.BusinessKey,
			Status: v.Status, Started: v.Started, Ended: v.Ended, Archived: true}, true
	}
	v := InstanceSummary{ID: s.ID, ProcessKey: s.ProcessKey, DefinitionVersion: s.Version, BusinessKey: s.BusinessKey,
		Status: s.Status, Started: s.Created.UTC(), Suspended: s.Suspended}
	if !s.Ended.IsZero() {
		t := s.Ended.UTC()
		v.Ended = &t
	}
	return v, true
}

// CountInstances counts the newest max instances of the index by status ("running",
// "incident", "completed", "cancelled", and "archived" for those only their archive record is
// left).
func (e *Engine) CountInstances(ctx context.Context, max int) (map[string]int, error) {
	counts := map[string]int{}
	err := e.eachSummary(ctx, time.Time{}, time.Time{}, max, func(s store.InstanceSummary) bool {
		switch {
		case s.Gone:
		case s.Archived:
			counts["archived"]++
		default:
			counts[s.Status]++
		}
		return true
	})
	return counts, err
}
