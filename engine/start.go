package engine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
)

// StartRequest asks for a new process instance.
type StartRequest struct {
	// ProcessKey is the BPMN process id. Required.
	ProcessKey string
	// Version pins a deployed version; 0 means the latest.
	Version int
	// BusinessKey is an optional key of the caller's domain.
	BusinessKey string
	// Variables are the instance's initial variables.
	Variables map[string]any
	// InstanceID makes the start idempotent: a second start with the same id returns the
	// existing instance and runs nothing. Empty means a fresh random id.
	InstanceID string
	// TimerStartEvent starts the instance at that timer start event instead of the none start
	// event (a timer start event's start message carries it). Default empty.
	TimerStartEvent string

	// caller is set when a call activity starts the instance.
	caller *Caller
	// startAt is the message or signal start event that starts the instance; empty: the none
	// start event.
	startAt string
}

// StartResult says what Start did.
type StartResult struct {
	InstanceID string
	// Created is false when an instance with the requested id already existed.
	Created bool
	// Status is the instance's status after the first step (running, completed).
	Status string
	// DefinitionVersion is the version the instance runs.
	DefinitionVersion int
}

// ErrUnknownProcess means no definition is deployed under the requested key or version.
var ErrUnknownProcess = errors.New("unknown process")

// NewInstanceID returns a random instance id: 32 hex digits.
func NewInstanceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// DerivedInstanceID returns the instance id for an idempotency key (such as a start message's
// Nats-Msg-Id): the same key always gives the same id.
func DerivedInstanceID(processKey, idempotencyKey string) string {
	h := sha256.Sum256([]byte("start\x00" + processKey + "\x00" + idempotencyKey))
	return hex.EncodeToString(h[:16])
}

// Start creates an instance and runs it synchronously, in the caller, until every token rests
// at a boundary; then it commits that state and publishes the jobs. A delegate error before the
// first boundary returns the error and stores nothing (DESIGN §2: one transaction). With an
// async start event the caller runs no delegate at all.
func (e *Engine) Start(ctx context.Context, req StartRequest) (res StartResult, err error) {
	if req.ProcessKey == "" {
		return StartResult{}, fmt.Errorf("start: processKey is required")
	}
	ctx, span := e.tracer.Start(ctx, "start", trace.WithSpanKind(trace.SpanKindProducer))
	if span.IsRecording() {
		span.SetName("start " + req.ProcessKey)
	}
	defer func() {
		if span.IsRecording() {
			span.SetAttributes(attribute.String("baton.instance", res.InstanceID), attribute.Bool("baton.created", res.Created))
		}
		endSpan(span, err)
	}()
	version := req.Version
	if version == 0 {
		v, err := e.store.LatestVersion(ctx, req.ProcessKey)
		if errors.Is(err, store.ErrNotFound) {
			return StartResult{}, fmt.Errorf("start %q: %w: nothing is deployed under that key", req.ProcessKey, ErrUnknownProcess)
		}
		if err != nil {
			return StartResult{}, err
		}
		version = v
	}
	def, err := e.Definition(ctx, req.ProcessKey, version)
	if errors.Is(err, store.ErrNotFound) {
		return StartResult{}, fmt.Errorf("start %q version %d: %w", req.ProcessKey, version, ErrUnknownProcess)
	}
	if err != nil {
		return StartResult{}, err
	}
	if e.definitionSuspended(ctx, def.Key, def.Version, "") {
		return StartResult{}, fmt.Errorf("start %q version %d: the process definition is %w; activate it first", req.ProcessKey, version, ErrSuspended)
	}
	id := req.InstanceID
	if id == "" {
		id = NewInstanceID()
	} else if snap, err := e.store.Load(ctx, id); errors.Is(err, store.ErrArchived) {
		// It ran and was archived since: a late duplicate start runs nothing either.
		v, verr := e.Instance(ctx, id)
		if verr != nil {
			return StartResult{}, verr
		}
		return StartResult{InstanceID: id, Status: v.Status, DefinitionVersion: version}, nil
	} else if err == nil {
		// A duplicate start (redelivered message, retried call): run nothing again. If the
		// first start's reply was lost, its jobs may never have been published: publish the
		// ones still waiting (same Nats-Msg-Id, so JetStream drops copies).
		if snap.Version == 1 {
			e.republishWaiting(ctx, snap)
		}
		return StartResult{InstanceID: id, Status: snap.Status, DefinitionVersion: version}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return StartResult{}, err
	}
	now := time.Now()
	// A copy with integers as int64: delegates see the same types whether their step runs in
	// the starting call or after a commit (decoded from Redis).
	vars := make(map[string]any, len(req.Variables))
	for k, v := range req.Variables {
		vars[k] = normalizeNumber(deepCopy(v))
	}
	st := &State{ID: id, ProcessKey: def.Key, DefinitionVersion: def.Version, BusinessKey: req.BusinessKey,
		Variables: vars, Started: now.UnixMilli(), Caller: req.caller}
	r := &runner{ctx: ctx, eng: e, def: def, st: st, now: now.UnixMilli(), jobID: "start:" + id, tries: 1,
		recorded: map[string]callResult{}, seen: map[string]int{}}
	startAt := def.StartID
	if req.startAt != "" {
		startAt = req.startAt
	}
	if ev := req.TimerStartEvent; ev != "" {
		if n := def.Nodes[ev]; n == nil || n.Kind != model.StartEvent || n.EventType != "timer" || n.Parent != "" {
			return StartResult{}, fmt.Errorf("start %q version %d: %w: %q is no timer start event of it", req.ProcessKey, version, ErrUnknownProcess, ev)
		}
		startAt = ev
	}
	if startAt == "" {
		return StartResult{}, fmt.Errorf("start %q: %w: it has no none start event; publish the message or signal that starts it",
			req.ProcessKey, ErrUnknownProcess)
	}
	tok := st.newToken(startAt)
	if err := r.arrive(tok); err != nil {
		return StartResult{}, err
	}
	if err := r.run(); err != nil {
		return StartResult{}, fmt.Errorf("start %q: %w", req.ProcessKey, err)
	}
	e.stats.DelegateCalls.Add(int64(r.calls))
	status, err := r.finish()
	if err != nil {
		return StartResult{}, fmt.Errorf("start %q: %w", req.ProcessKey, err)
	}
	r.assignJobIDs(1)
	entries, envs, blob, hist, err := e.encodeStep(r, st)
	if err != nil {
		return StartResult{}, &DelegateError{Activity: def.StartID, Err: err}
	}
	created, err := e.store.Create(ctx, store.NewInstance{ID: id, State: blob, Status: status,
		DefinitionID: def.ID(), ProcessKey: def.Key, BusinessKey: req.BusinessKey, Created: now, History: hist, Jobs: entries})
	if err != nil {
		return StartResult{}, err
	}
	if !created {
		// Another start of the same id won, or it ran and was archived since (the create
		// refuses an archived id too): a late duplicate runs nothing either.
		status := StatusRunning
		if v, err := e.Instance(ctx, id); err == nil {
			status = v.Status
		}
		return StartResult{InstanceID: id, DefinitionVersion: version, Status: status}, nil
	}
	e.publish(ctx, r.jobs, envs)
	e.log.Debug("instance started", zap.String("instance", id), zap.String("process", def.ID()),
		zap.Int("jobs", len(r.jobs)), zap.String("status", status))
	return StartResult{InstanceID: id, Created: true, Status: status, DefinitionVersion: version}, nil
}

// republishWaiting publishes an instance's outstanding jobs that no worker holds.
func (e *Engine) republishWaiting(ctx context.Context, snap *store.Snapshot) {
	var jobs []*job.Job
	var envs [][]byte
	for id, env := range snap.Jobs {
		if _, leased := snap.Leases[id]; leased {
			continue
		}
		if j, err := job.Decode(env); err == nil {
			jobs, envs = append(jobs, j), append(envs, env)
		}
	}
	e.publish(ctx, jobs, envs)
}
