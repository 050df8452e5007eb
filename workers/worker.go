// Package workers owns the worker runtime: it consumes jobs from the durable consumer of each
// served task type, and runs the loop get -> claim -> extend lease while executing -> commit ->
// ack. It also consumes start messages and runs the reconciler when asked to, and shuts down
// gracefully: stop fetching, let in-flight jobs finish within a grace period, release the rest.
package workers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/queue"
)

// Config configures a Worker. The zero value serves the engine's registered task types.
type Config struct {
	// TaskTypes are the task types to serve. Default: every type with a registered delegate.
	TaskTypes []string
	// ServeEngineType also serves the engine type (model.DefaultEngineType) that carries jobs
	// not starting at a service task. Default false; `baton server` sets it.
	ServeEngineType bool
	// EngineType overrides the engine type's name. Default model.DefaultEngineType.
	EngineType string
	// Concurrency is how many jobs of one task type this worker runs at once. Default 16.
	Concurrency int
	// StartMessages also consumes start messages (baton.start.>). Default false; `baton server`
	// sets it.
	StartMessages bool
	// Reconciler also runs the outbox reconciler. Default false; `baton server` sets it.
	Reconciler bool
	// ReconcilerConfig configures the reconciler.
	ReconcilerConfig engine.ReconcilerConfig
	// ShutdownGrace is how long in-flight jobs may run after shutdown begins before their
	// delegates' contexts are cancelled and their leases released. Default 30s.
	ShutdownGrace time.Duration
	// MaxStartAttempts is how often a start message whose synchronous part fails is retried
	// before it is dead-lettered with the error. Default 3.
	MaxStartAttempts int
}

func (c *Config) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 30 * time.Second
	}
	if c.EngineType == "" {
		c.EngineType = "_engine"
	}
	if c.MaxStartAttempts <= 0 {
		c.MaxStartAttempts = 3
	}
}

// Worker serves task types from NATS with an engine.
type Worker struct {
	cfg Config
	eng *engine.Engine
	q   *queue.Queue
	log *zap.Logger
}

// New returns a Worker. Register delegates on eng before calling Run.
func New(eng *engine.Engine, cfg Config, log *zap.Logger) *Worker {
	cfg.defaults()
	return &Worker{cfg: cfg, eng: eng, q: eng.Queue(), log: log}
}

// Types returns the task types the worker serves, sorted.
func (w *Worker) Types() []string {
	types := w.cfg.TaskTypes
	if len(types) == 0 {
		types = w.eng.TaskTypes()
	}
	set := map[string]bool{}
	for _, t := range types {
		set[t] = true
	}
	if w.cfg.ServeEngineType {
		set[w.cfg.EngineType] = true
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Run serves until ctx ends, then shuts down gracefully and returns nil. It returns an error
// only when it cannot start (streams or consumers cannot be created).
func (w *Worker) Run(ctx context.Context) error {
	if err := w.q.EnsureStreams(ctx); err != nil {
		return err
	}
	if err := w.eng.Store().LoadScripts(ctx); err != nil {
		return err
	}
	// workCtx outlives ctx by the grace period, so in-flight jobs can finish.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	var loops []*loop
	for _, t := range w.Types() {
		cons, err := w.q.JobConsumer(ctx, t)
		if err != nil {
			return err
		}
		typ := t
		loops = append(loops, &loop{w: w, name: "jobs " + t, cons: cons,
			handle: func(c context.Context, m jetstream.Msg) { w.handleJob(c, typ, m) }})
	}
	if w.cfg.StartMessages {
		cons, err := w.q.StartMessages(ctx)
		if err != nil {
			return err
		}
		loops = append(loops, &loop{w: w, name: "start messages", cons: cons, handle: w.handleStart})
	}
	if len(loops) == 0 && !w.cfg.Reconciler {
		return errors.New("worker has nothing to serve: register a delegate, name task types, or enable start messages")
	}
	w.log.Info("worker started", zap.Strings("taskTypes", w.Types()), zap.Int("concurrency", w.cfg.Concurrency),
		zap.Bool("startMessages", w.cfg.StartMessages), zap.Bool("reconciler", w.cfg.Reconciler))

	var wg sync.WaitGroup
	for _, l := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.run(ctx, workCtx); err != nil {
				w.log.Error("consumer loop stopped", zap.String("loop", l.name), zap.Error(err))
			}
		}()
	}
	if w.cfg.Reconciler {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = w.eng.RunReconciler(ctx, w.cfg.ReconcilerConfig)
		}()
	}
	<-ctx.Done()
	w.log.Info("shutting down: no new jobs; waiting for in-flight jobs", zap.Duration("grace", w.cfg.ShutdownGrace))
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.cfg.ShutdownGrace):
		w.log.Warn("grace period over: cancelling in-flight delegates and releasing their jobs")
		cancelWork()
		<-done
	}
	w.log.Info("worker stopped")
	return nil
}

// loop feeds one consumer's messages to Concurrency handlers.
type loop struct {
	w      *Worker
	name   string
	cons   jetstream.Consumer
	handle func(context.Context, jetstream.Msg)
}

func (l *loop) run(ctx, workCtx context.Context) error {
	n := l.w.cfg.Concurrency
	it, err := l.cons.Messages(jetstream.PullMaxMessages(n))
	if err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	msgs := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range msgs {
				l.handle(workCtx, m)
			}
		}()
	}
	go func() {
		<-ctx.Done()
		it.Stop()
	}()
	for {
		m, err := it.Next()
		if err != nil {
			break
		}
		if ctx.Err() != nil {
			// Fetched after shutdown began: hand it back at once rather than start it.
			_ = m.Nak()
			continue
		}
		select {
		case msgs <- m:
		case <-ctx.Done():
			_ = m.Nak()
		}
	}
	close(msgs)
	wg.Wait()
	return nil
}
