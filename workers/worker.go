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
	"sync/atomic"
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
	// PriorityWeights are the shares of a task type's high, normal and low priority bands when
	// all have jobs waiting (an empty band gives its turn away). Default DefaultPriorityWeights,
	// 8:3:1; a weight below 1 counts as 1.
	PriorityWeights [3]int
	// StartMessages also consumes start messages (baton.start.>). Default false; `baton server`
	// sets it.
	StartMessages bool
	// Messages also correlates messages published on baton.msg.<messageName>. Default false;
	// `baton server` turns it on.
	Messages bool
	// ExternalCommands also applies external workers' answers (baton.ext.cmd.>). Default false;
	// `baton server` turns it on.
	ExternalCommands bool
	// Reconciler also runs the outbox reconciler. Default false; `baton server` sets it.
	Reconciler bool
	// ReconcilerConfig configures the reconciler.
	ReconcilerConfig engine.ReconcilerConfig
	// Retention configures the archiving of ended instances, which runs beside the reconciler.
	// Default: archived 24h after they end, archives kept 30 days.
	Retention engine.RetentionConfig
	// ShutdownGrace is how long in-flight jobs may run after shutdown begins before their
	// delegates' contexts are cancelled and their leases released. Default 30s.
	ShutdownGrace time.Duration
	// MaxStartAttempts is how often a start message whose synchronous part fails is retried
	// before it is dead-lettered with the error. Default 3.
	MaxStartAttempts int
}

func (c *Config) defaults() {
	if c.PriorityWeights == ([3]int{}) {
		c.PriorityWeights = DefaultPriorityWeights
	}
	for i := range c.PriorityWeights {
		c.PriorityWeights[i] = max(c.PriorityWeights[i], 1)
	}
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

// checkTypes refuses to serve a task type without a delegate: its jobs would fail into
// incidents, where a type nobody serves should wait on its subject.
func (w *Worker) checkTypes() error {
	have := map[string]bool{w.cfg.EngineType: true}
	for _, t := range w.eng.TaskTypes() {
		have[t] = true
	}
	for _, t := range w.cfg.TaskTypes {
		if !have[t] {
			return fmt.Errorf("task type %q has no delegate in this process: register one, or leave it out (jobs of a type nobody serves wait on %s)",
				t, queue.JobSubject(t))
		}
	}
	return nil
}

// Run serves until ctx ends, then shuts down gracefully and returns nil. It returns an error
// only when it cannot start (streams or consumers cannot be created); a ctx that ends during
// start-up is a shutdown, not an error.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.run(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

func (w *Worker) run(ctx context.Context) error {
	if err := w.checkTypes(); err != nil {
		return err
	}
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
		// Bind once now, so a bad configuration fails Run instead of a loop.
		for _, b := range queue.Bands {
			if _, err := w.q.JobConsumerIn(ctx, t, b); err != nil {
				return err
			}
		}
		typ := t
		loops = append(loops, &loop{w: w, name: "jobs " + t,
			bands:   w.bandBinders(typ),
			weights: w.cfg.PriorityWeights[:],
			handle:  func(c context.Context, m jetstream.Msg) { w.handleJob(c, typ, m) },
			paused:  func(c context.Context) bool { return w.eng.TypePaused(c, typ) }})
	}
	if w.cfg.ExternalCommands {
		if _, err := w.q.ExtCommands(ctx); err != nil {
			return err
		}
		loops = append(loops, &loop{w: w, name: "external commands", bind: w.q.ExtCommands, handle: w.handleExtCommand})
	}
	if w.cfg.Messages {
		if _, err := w.q.Messages(ctx); err != nil {
			return err
		}
		loops = append(loops, &loop{w: w, name: "messages", bind: w.q.Messages, handle: w.handleMessage})
	}
	if w.cfg.StartMessages {
		if _, err := w.q.StartMessages(ctx); err != nil {
			return err
		}
		loops = append(loops, &loop{w: w, name: "start messages", bind: w.q.StartMessages, handle: w.handleStart})
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.eng.RunRetention(ctx, w.cfg.Retention)
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

// watchPause calls drain once the loop's task type is paused (what was fetched is handled,
// nothing more is), and reports whether it did; it watches until ctx ends.
func (l *loop) watchPause(ctx context.Context, drain func()) *atomic.Bool {
	paused := &atomic.Bool{}
	if l.paused == nil {
		return paused
	}
	go func() {
		t := time.NewTicker(engine.SuspensionRefresh)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if l.isPaused(ctx) {
					paused.Store(true)
					drain()
					return
				}
			}
		}
	}()
	return paused
}

// errPaused ends a consume whose task type was paused.
var errPaused = errors.New("task type paused")

// loop feeds one consumer's messages to Concurrency handlers.
type loop struct {
	w    *Worker
	name string
	// bind creates or binds the durable consumer; it runs again when the consumer is lost.
	bind   func(context.Context) (jetstream.Consumer, error)
	handle func(context.Context, jetstream.Msg)
	// paused, when set, says the loop must not fetch (a paused task type); it is asked every
	// engine.SuspensionRefresh.
	paused func(context.Context) bool
	// bands, when set instead of bind, are a task type's priority bands' consumers (high,
	// normal, low), pulled by weights.
	bands   []func(context.Context) (jetstream.Consumer, error)
	weights []int
}

// isPaused reports whether the loop's task type is paused.
func (l *loop) isPaused(ctx context.Context) bool { return l.paused != nil && l.paused(ctx) }

func (l *loop) run(ctx, workCtx context.Context) error {
	n := l.w.cfg.Concurrency
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
	defer func() { close(msgs); wg.Wait() }()
	backoff := 250 * time.Millisecond
	wasPaused := false
	for ctx.Err() == nil {
		if l.isPaused(ctx) {
			if !wasPaused {
				l.w.log.Info("task type paused: not fetching its jobs", zap.String("loop", l.name))
				wasPaused = true
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(engine.SuspensionRefresh):
			}
			continue
		}
		if wasPaused {
			l.w.log.Info("task type resumed: fetching its jobs", zap.String("loop", l.name))
			wasPaused = false
		}
		var err error
		if l.bands != nil {
			err = l.consumeBands(ctx, n, msgs)
		} else {
			err = l.consume(ctx, n, msgs)
		}
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errPaused) {
			continue
		}
		// The consumer was deleted, the connection closed for good, or the server refused the
		// pull: serving must not stop silently. Rebind with a growing pause.
		l.w.log.Error("consumer stopped; binding it again", zap.String("loop", l.name), zap.Error(err),
			zap.Duration("in", backoff))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	return nil
}

// consume binds the consumer and hands its messages to the handlers until the iterator fails or
// ctx ends. On shutdown it drains what was prefetched and hands it back with a nak, so it is
// redelivered at once instead of after the ack wait.
func (l *loop) consume(ctx context.Context, n int, msgs chan<- jetstream.Msg) error {
	cons, err := l.bind(ctx)
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(n))
	if err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	stop := context.AfterFunc(ctx, it.Drain)
	defer stop()
	watchCtx, endWatch := context.WithCancel(ctx)
	defer endWatch() // the pause watcher ends with this consume
	paused := l.watchPause(watchCtx, it.Drain)
	for {
		m, err := it.Next()
		if err != nil {
			it.Stop()
			if paused.Load() {
				return errPaused
			}
			return fmt.Errorf("%s: %w", l.name, err)
		}
		handOff(ctx, m, msgs)
	}
}

// handOff gives m to the handlers, or back to JetStream (a nak: redelivered at once) when the
// loop is shutting down.
func handOff(ctx context.Context, m jetstream.Msg, msgs chan<- jetstream.Msg) {
	if ctx.Err() != nil {
		_ = m.Nak()
		return
	}
	select {
	case msgs <- m:
	case <-ctx.Done():
		_ = m.Nak()
	}
}
