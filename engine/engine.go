// Package engine owns process execution: it advances an instance's tokens through the atomic
// operations of its process model, commits each step to Redis through the commit protocol
// (claim, commit with fencing and an optimistic version, re-apply on conflict), publishes the
// jobs a step creates, and reconciles the outbox with JetStream. Model parsing lives in
// engine/bpmn, the graph in engine/model, Redis in engine/store, the job envelope in engine/job.
package engine

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/queue"
)

// Config configures an Engine. The zero value is usable: every field has a default.
type Config struct {
	// Owner names this process in leases. Default "<hostname>-<pid>".
	Owner string
	// ExternalTaskTypes are task types whose service tasks are external tasks, as if modelled
	// with camunda:type="external": offered to workers in any language. Default none.
	ExternalTaskTypes []string
	// LeaseDuration is how long a claim holds a job before another worker may take it over;
	// running delegates renew it. Default 30s.
	LeaseDuration time.Duration
	// MaxAttempts is how many times a failing job runs before it raises an incident, where no
	// retry cycle or retries are modelled. Default 3, as Camunda's job retries.
	MaxAttempts int
	// RetryDelay is the wait before the second attempt; it doubles for each further attempt,
	// up to MaxRetryDelay. Default 1s. It applies where no retry cycle is modelled.
	RetryDelay time.Duration
	// MaxRetryDelay caps the doubling RetryDelay. Default 10m.
	MaxRetryDelay time.Duration
	// RetryJitter spreads each default retry wait by up to this fraction either way (0.2: 80%
	// to 120%), so that jobs that failed together do not retry together. Default 0.2; negative:
	// none. Modelled retry cycles are kept as modelled.
	RetryJitter float64
	// OverdueAfter is how long a committed job may wait unconsumed before the reconciler
	// republishes it. Default 1m; keep it above the longest expected backlog wait.
	OverdueAfter time.Duration
	// MaxStepsPerSegment stops a step that loops without reaching a boundary. Default 10000.
	MaxStepsPerSegment int
	// MaxConflictRetries bounds how often a step is re-applied after version conflicts.
	// Default 50.
	MaxConflictRetries int
	// PublishTimeout bounds the wait for JetStream to store a step's jobs; on timeout the
	// reconciler republishes them. Default 10s.
	PublishTimeout time.Duration
	// ScriptTimeout interrupts a JavaScript script task that runs longer; the attempt fails.
	// Default 5s.
	ScriptTimeout time.Duration
	// Observer, when set, is told about every committed job (for metrics and benchmarks).
	Observer Observer
	// TracerProvider, when set, receives OpenTelemetry spans of starts, jobs, delegates and
	// commits (see tracing.go). Default none: no spans.
	TracerProvider trace.TracerProvider
	// CrashAfterCommit is for fault-injection tests only. When it returns true for a committed
	// step, the engine skips publishing that step's jobs, as if the process had died between
	// commit and publish. Default nil.
	CrashAfterCommit func(instance string, jobs []*job.Job) bool
}

func (c *Config) defaults() {
	if c.Owner == "" {
		host, _ := os.Hostname()
		c.Owner = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if c.LeaseDuration <= 0 {
		c.LeaseDuration = 30 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Second
	}
	if c.MaxRetryDelay <= 0 {
		c.MaxRetryDelay = 10 * time.Minute
	}
	switch {
	case c.RetryJitter == 0:
		c.RetryJitter = 0.2
	case c.RetryJitter < 0:
		c.RetryJitter = 0
	case c.RetryJitter > 1:
		c.RetryJitter = 1
	}
	if c.OverdueAfter <= 0 {
		c.OverdueAfter = time.Minute
	}
	if c.MaxStepsPerSegment <= 0 {
		c.MaxStepsPerSegment = 10000
	}
	if c.MaxConflictRetries <= 0 {
		c.MaxConflictRetries = 50
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = 10 * time.Second
	}
	if c.ScriptTimeout <= 0 {
		c.ScriptTimeout = DefaultScriptTimeout
	}
}

// Engine executes process instances. Create it with New, register delegates, then use it from
// any number of goroutines.
type Engine struct {
	// extTopics holds the topics whose external task consumer exists (created once per topic).
	extTopics sync.Map

	cfg    Config
	store  *store.Store
	queue  *queue.Queue
	log    *zap.Logger
	stats  Stats
	types  sync.Map // task type -> *TypeStats
	susp   suspensions
	retain retention
	tracer trace.Tracer

	mu        sync.RWMutex
	delegates map[string]Delegate
	defs      sync.Map // "key:version" -> *model.Definition
	upstream  sync.Map // "key:version/join" -> map[string]bool, see upstreamOf
	scripts   sync.Map // "key:version/node" -> compiled *vm.Program or *goja.Program
}

// New returns an Engine that keeps state in st and publishes jobs on q.
func New(cfg Config, st *store.Store, q *queue.Queue, log *zap.Logger) *Engine {
	cfg.defaults()
	return &Engine{cfg: cfg, store: st, queue: q, log: log, delegates: map[string]Delegate{}, tracer: tracerOf(cfg.TracerProvider)}
}

// Config returns the configuration in effect, defaults applied.
func (e *Engine) Config() Config { return e.cfg }

// Store is the engine's state store.
func (e *Engine) Store() *store.Store { return e.store }

// Queue is the engine's queue.
func (e *Engine) Queue() *queue.Queue { return e.queue }

// Stats returns the engine's counters.
func (e *Engine) Stats() *Stats { return &e.stats }

// Register makes d the delegate of taskType in this process. A step that reaches a service task
// of a type without a local delegate stops there and publishes a job for that type.
func (e *Engine) Register(taskType string, d Delegate) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delegates[taskType] = d
}

// TaskTypes lists the task types with a local delegate.
func (e *Engine) TaskTypes() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]string, 0, len(e.delegates))
	for t := range e.delegates {
		out = append(out, t)
	}
	return out
}

func (e *Engine) delegate(taskType string) (Delegate, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, ok := e.delegates[taskType]
	return d, ok
}

func (e *Engine) hasDelegate(taskType string) bool {
	_, ok := e.delegate(taskType)
	return ok
}

// Deploy stores definitions as new versions (a no-op for content already deployed).
func (e *Engine) Deploy(ctx context.Context, defs []*model.Definition) ([]store.Deployed, error) {
	deps, err := e.store.Deploy(ctx, defs)
	if err != nil {
		return deps, err
	}
	// Timer start events: a new version's replace the schedule of the key's older versions. An
	// unchanged latest version is scheduled too, in case the deploy that stored it died before
	// (its existing schedule is kept).
	now := time.Now()
	for i, d := range defs {
		if i >= len(deps) {
			break
		}
		if deps[i].Unchanged {
			if latest, err := e.store.LatestVersion(ctx, d.Key); err != nil || latest != d.Version {
				continue
			}
		}
		if err := e.scheduleStartTimers(ctx, d, now); err != nil {
			return deps, err
		}
	}
	// Message and signal start events: the names that start instances of these processes.
	for _, d := range defs {
		for _, n := range d.Nodes {
			if n.Kind == model.StartEvent && (n.EventType == "message" || n.EventType == "signal") && n.Parent == "" {
				name := n.EventRef
				if n.EventType == "signal" {
					name = SignalName(name)
				}
				if err := e.store.IndexStart(ctx, name, d.Key); err != nil {
					return deps, err
				}
			}
		}
	}
	return deps, nil
}

// Definition returns a deployed definition, cached after the first load: deployed versions
// never change.
func (e *Engine) Definition(ctx context.Context, key string, version int) (*model.Definition, error) {
	id := key + ":" + strconv.Itoa(version)
	if d, ok := e.defs.Load(id); ok {
		return d.(*model.Definition), nil
	}
	d, err := e.store.Definition(ctx, key, version)
	if err != nil {
		return nil, err
	}
	e.defs.Store(id, d)
	return d, nil
}

// publish publishes a committed step's jobs. A failure is logged, not returned: the jobs are
// in the outbox and the reconciler republishes them.
func (e *Engine) publish(ctx context.Context, jobs []*job.Job, envs [][]byte) {
	if len(jobs) == 0 {
		return
	}
	if e.cfg.CrashAfterCommit != nil && e.cfg.CrashAfterCommit(jobs[0].Instance, jobs) {
		return
	}
	msgs := make([]queue.Message, 0, len(jobs))
	waits := false
	for i, j := range jobs {
		if j.Kind == job.Wait && j.External {
			m, err := e.externalTaskMessage(ctx, j, j.ID, time.Time{})
			if err != nil {
				e.log.Warn("offering an external task failed; the reconciler will", zap.String("job", j.ID), zap.Error(err))
				continue
			}
			injectTrace(ctx, &m)
			msgs = append(msgs, m)
			continue
		}
		if j.Kind == job.Wait {
			waits = true // a completion claims it; user tasks are listed from their index
			continue
		}
		m := queue.Message{Subject: jobSubject(j), MsgID: j.ID, Data: envs[i]}
		if j.Kind == job.Timer {
			m.At = time.UnixMilli(j.Due)
		}
		injectTrace(ctx, &m)
		msgs = append(msgs, m)
	}
	if waits {
		e.indexTasks(ctx, jobs)
		for _, j := range jobs {
			if j.Kind == job.Wait && j.Msg != nil {
				e.subscribe(ctx, j)
			}
		}
	}
	if len(msgs) == 0 {
		return
	}
	// Bounded: a lost publish acknowledgement must not hold the worker (or its shutdown); the
	// jobs are in the outbox either way.
	ctx, cancel := context.WithTimeout(ctx, e.cfg.PublishTimeout)
	defer cancel()
	if err := e.queue.Publish(ctx, msgs...); err != nil {
		e.stats.PublishFailures.Add(1)
		e.log.Warn("publish after commit failed; the reconciler will republish", zap.Error(err))
	}
}

// outboxEntries encodes a step's jobs for the commit.
func (e *Engine) outboxEntries(jobs []*job.Job) ([]store.NewJob, [][]byte, error) {
	out := make([]store.NewJob, len(jobs))
	envs := make([][]byte, len(jobs))
	check := time.Now().Add(e.cfg.OverdueAfter)
	for i, j := range jobs {
		b, err := job.Encode(j)
		if err != nil {
			return nil, nil, err
		}
		at := check
		switch {
		case j.Kind == job.Timer:
			at = time.UnixMilli(j.Due).Add(e.cfg.OverdueAfter) // overdue only once it is due
		case j.Kind == job.Wait && j.External:
			at = time.Now().Add(WaitRecheck) // its worker may hold it for long: re-offer rarely
		}
		out[i] = store.NewJob{ID: j.ID, Envelope: b, CheckAt: at}
		envs[i] = b
	}
	return out, envs, nil
}
