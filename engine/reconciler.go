package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/queue"
)

// ReconcilerConfig configures RunReconciler.
type ReconcilerConfig struct {
	// Interval is how often the due index is scanned. Default 1s.
	Interval time.Duration
	// Batch is how many due jobs one scan takes. Default 500.
	Batch int
	// RepairInterval is how often every outbox is scanned for jobs missing from the due index
	// (a crash or failed write between a commit and its index entry). Default 5m.
	RepairInterval time.Duration
}

// RunReconciler keeps the outbox and JetStream in step until ctx ends (DESIGN §4, guarantee 2).
// It looks at every job that was not consumed within Config.OverdueAfter of its commit (or of
// its retry time): a job that is gone or has an incident leaves the index; a job under a live
// lease is looked at again when the lease ends; any other job is republished, with a fresh
// Nats-Msg-Id so JetStream's duplicate window cannot swallow it, and looked at again after a
// doubling delay. A duplicate that this creates is harmless: Redis decides at claim.
//
// Several servers may run it; the due index hides what one has taken for OverdueAfter.
func (e *Engine) RunReconciler(ctx context.Context, cfg ReconcilerConfig) error {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.RepairInterval <= 0 {
		cfg.RepairInterval = 5 * time.Minute
	}
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	repair := time.NewTicker(cfg.RepairInterval)
	defer repair.Stop()
	for {
		for {
			n, err := e.ReconcileOnce(ctx, cfg.Batch)
			if err != nil && ctx.Err() == nil {
				e.log.Warn("reconciler pass failed", zap.Error(err))
			}
			if n < cfg.Batch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-repair.C:
			n, err := e.store.RepairDue(ctx, time.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				e.log.Warn("due-index repair failed", zap.Error(err))
			case n > 0:
				e.log.Warn("due-index repair re-added jobs missing from the index", zap.Int("jobs", n))
			}
		case <-t.C:
		}
	}
}

// ReconcileOnce handles up to batch due jobs, and fires up to batch due timer start events, and
// returns the larger of how many of each it looked at.
func (e *Engine) ReconcileOnce(ctx context.Context, batch int) (int, error) {
	now := time.Now()
	ids, err := e.store.TakeDue(ctx, now, batch, e.cfg.OverdueAfter)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := e.reconcileJob(ctx, id); err != nil {
			return len(ids), err
		}
	}
	fired, err := e.FireStartTimers(ctx, now, batch)
	return max(len(ids), fired), err
}

func (e *Engine) reconcileJob(ctx context.Context, id string) error {
	ins, err := e.store.Inspect(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case ins.Gone:
		// A user task that ended leaves the task index too (its completion may have died
		// before removing the entry).
		_ = e.store.UnindexTasks(ctx, id)
		return e.store.Unschedule(ctx, id)
	case ins.Incident:
		// It waits for an operator: make sure the incident is listed.
		e.indexIncident(ctx, id)
		return e.store.Unschedule(ctx, id)
	case !ins.LeasedUntil.IsZero():
		return e.store.Schedule(ctx, id, ins.LeasedUntil.Add(time.Second))
	}
	j, err := job.Decode(ins.Envelope)
	if errors.Is(err, job.ErrNewerSchema) {
		// Written by a newer build during a rolling upgrade: look again later.
		return e.store.Schedule(ctx, id, time.Now().Add(e.cfg.OverdueAfter))
	}
	if err != nil {
		e.log.Error("outbox holds an undecodable job; leaving it for an operator", zap.String("job", id), zap.Error(err))
		return e.store.Unschedule(ctx, id)
	}
	if j.Kind == job.Wait {
		// Never published: a completion claims it. Re-write a user task's index entry, or
		// subscribe a message wait again (its commit may have died before), and look again
		// in an hour.
		if j.User != nil {
			if err := e.reindexTask(ctx, j); err != nil {
				return err
			}
		}
		if j.Msg != nil {
			e.subscribe(ctx, j)
		}
		if j.External {
			// Offered again only when the stream holds no offer of it: not while a worker holds
			// it or it waits for one (JetStream redelivers those), only when the offer was lost
			// or acknowledged without an answer.
			offered, err := e.queue.ExtTaskOffered(ctx, j.Type, j.ID)
			if err != nil {
				return err
			}
			if !offered {
				if err := e.offerExternal(ctx, j, fmt.Sprintf("%s#r%d", j.ID, ins.Republished), time.Time{}); err != nil {
					return err
				}
				e.log.Info("reconciler offered an external task again: the stream held no offer of it",
					zap.String("task", j.ID), zap.String("topic", j.Type))
			}
		}
		return e.store.Schedule(ctx, id, time.Now().Add(WaitRecheck))
	}
	msg := queue.Message{Subject: jobSubject(j), MsgID: fmt.Sprintf("%s#r%d", j.ID, ins.Republished), Data: ins.Envelope}
	if err := e.queue.Publish(ctx, msg); err != nil {
		return err
	}
	e.stats.Republished.Add(1)
	e.log.Info("reconciler republished an overdue job", zap.String("instance", j.Instance), zap.String("job", j.ID),
		zap.String("taskType", j.Type), zap.Int("republished", ins.Republished))
	next := e.cfg.OverdueAfter << min(ins.Republished, 6)
	return e.store.Schedule(ctx, id, time.Now().Add(next))
}
