package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/queue"
)

// Suspension, Camunda style. A process definition (every version of a key, or one version) is
// suspended: new starts are refused and its instances' jobs are parked. An activity of a process
// (its job definition) is suspended: its jobs are parked. An instance is suspended: its jobs are
// parked and its waits refuse completions. A task type is paused: workers stop fetching its
// jobs, which wait on its consumer. Activating publishes the parked jobs again; each runs once,
// as any job does (the commit protocol decides).
//
// Instance suspension is checked in the claim script, atomically. The other scopes are read by
// each engine from Redis at most every SuspensionRefresh, so they take effect within it.

// ErrSuspended means the instance, its process definition or the job's activity is suspended:
// nothing runs until it is activated.
var ErrSuspended = store.ErrSuspended

// SuspensionRefresh is how often an engine reads the suspended definitions, activities and
// task types from Redis.
const SuspensionRefresh = time.Second

// Scope names what Suspend and Activate act on. Exactly one of Instance, TaskType or ProcessKey
// is set; with ProcessKey, Version narrows it to one version and ActivityID to one activity's
// jobs (a job definition).
type Scope struct {
	ProcessKey string `json:"processKey,omitempty"`
	Version    int    `json:"version,omitempty"`
	ActivityID string `json:"activityId,omitempty"`
	InstanceID string `json:"instanceId,omitempty"`
	TaskType   string `json:"taskType,omitempty"`
}

// ErrScope means a Scope names nothing, or too much.
var ErrScope = errors.New("invalid suspension scope")

// key is the scope's field in the suspension hash ("" for an instance).
func (s Scope) key() (string, error) {
	k, err := s.scopeKey()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrScope, err)
	}
	return k, nil
}

func (s Scope) scopeKey() (string, error) {
	set := 0
	for _, v := range []string{s.ProcessKey, s.InstanceID, s.TaskType} {
		if v != "" {
			set++
		}
	}
	switch {
	case set != 1:
		return "", errors.New("suspend: name exactly one of a process key, an instance id or a task type")
	case s.ProcessKey == "" && (s.Version != 0 || s.ActivityID != ""):
		return "", errors.New("suspend: a version or an activity belongs to a process key")
	case s.ActivityID != "" && s.Version != 0:
		return "", errors.New("suspend: an activity's jobs are suspended in every version; leave the version out")
	case s.Version < 0:
		return "", fmt.Errorf("suspend: version %d: want a deployed version", s.Version)
	case s.InstanceID != "":
		return "", nil
	case s.TaskType != "":
		return "type:" + s.TaskType, nil
	case s.ActivityID != "":
		return "activity:" + s.ProcessKey + ":" + s.ActivityID, nil
	case s.Version != 0:
		return "process:" + s.ProcessKey + ":" + strconv.Itoa(s.Version), nil
	}
	return "process:" + s.ProcessKey, nil
}

// String names the scope for messages.
func (s Scope) String() string {
	switch {
	case s.InstanceID != "":
		return "instance " + s.InstanceID
	case s.TaskType != "":
		return "task type " + s.TaskType
	case s.ActivityID != "":
		return "activity " + s.ActivityID + " of " + s.ProcessKey
	case s.Version != 0:
		return fmt.Sprintf("%s version %d", s.ProcessKey, s.Version)
	}
	return "process " + s.ProcessKey
}

// suspensions is an engine's cached view of the suspension hash. Every job reads it, so a fresh
// view is read without a lock; one goroutine at a time refreshes a stale one.
type suspensions struct {
	mu     sync.Mutex
	read   atomic.Int64 // Unix nanoseconds of the last read; 0: read again
	scopes atomic.Pointer[map[string]time.Time]
}

// suspended returns the suspended scopes, read again when older than SuspensionRefresh. When
// Redis cannot be read, the last view stays.
func (e *Engine) suspended(ctx context.Context) map[string]time.Time {
	c := &e.susp
	if time.Now().UnixNano()-c.read.Load() < int64(SuspensionRefresh) {
		if m := c.scopes.Load(); m != nil {
			return *m
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.scopes.Load(); m != nil && time.Now().UnixNano()-c.read.Load() < int64(SuspensionRefresh) {
		return *m // another goroutine refreshed it meanwhile
	}
	m, err := e.store.Suspensions(ctx)
	if err != nil {
		e.log.Warn("reading suspensions failed; keeping the last view", zap.Error(err))
		if old := c.scopes.Load(); old != nil {
			return *old
		}
		return nil
	}
	c.scopes.Store(&m)
	c.read.Store(time.Now().UnixNano())
	return m
}

// forgetSuspensions drops the cached view, so this engine sees its own change at once.
func (e *Engine) forgetSuspensions() { e.susp.read.Store(0) }

// definitionSuspended reports whether process key (version) is suspended, as a whole or for the
// activity.
func (e *Engine) definitionSuspended(ctx context.Context, key string, version int, activity string) bool {
	m := e.suspended(ctx)
	if len(m) == 0 {
		return false
	}
	_, all := m["process:"+key]
	_, one := m["process:"+key+":"+strconv.Itoa(version)]
	_, act := m["activity:"+key+":"+activity]
	return all || one || (activity != "" && act)
}

// TypePaused reports whether taskType is paused: workers do not fetch its jobs.
func (e *Engine) TypePaused(ctx context.Context, taskType string) bool {
	_, ok := e.suspended(ctx)["type:"+taskType]
	return ok
}

// Suspend suspends scope. Suspending what is suspended already changes nothing.
func (e *Engine) Suspend(ctx context.Context, s Scope) error {
	key, err := s.key()
	if err != nil {
		return err
	}
	if s.InstanceID != "" {
		_, err = e.store.SuspendInstance(ctx, s.InstanceID, true)
		if errors.Is(err, store.ErrEnded) {
			return fmt.Errorf("suspend instance %s: %w", s.InstanceID, ErrEnded)
		}
	} else {
		if s.ProcessKey != "" {
			if _, lerr := e.store.LatestVersion(ctx, s.ProcessKey); lerr != nil {
				return fmt.Errorf("suspend %s: %w", s, lerr)
			}
		}
		err = e.store.Suspend(ctx, key)
	}
	if err == nil {
		e.forgetSuspensions()
		e.log.Info("suspended", zap.Stringer("scope", s))
	}
	return err
}

// Activate ends scope's suspension and publishes its parked jobs again. It returns how many
// parked jobs it published (jobs still suspended by another scope are parked again when a
// worker gets them).
func (e *Engine) Activate(ctx context.Context, s Scope) (int, error) {
	key, err := s.key()
	if err != nil {
		return 0, err
	}
	if s.InstanceID != "" {
		_, err = e.store.SuspendInstance(ctx, s.InstanceID, false)
	} else {
		_, err = e.store.Activate(ctx, key)
	}
	if err != nil {
		return 0, err
	}
	e.forgetSuspensions()
	e.log.Info("activated", zap.Stringer("scope", s))
	if s.TaskType != "" {
		return 0, nil // its jobs never left the consumer
	}
	return e.UnparkJobs(ctx)
}

// park records that a worker found j suspended: the caller acknowledges its message, and
// activation publishes it again.
//
// An activation may have published the parked jobs between the check that found j suspended
// and this park (another engine's, or this engine's view up to SuspensionRefresh old): so once
// parked, j is checked again against Redis, and published at once if nothing suspends it now.
//
// calledProcess, when set, is the suspended process a Call job's child belongs to: it keeps the
// job parked too.
func (e *Engine) park(ctx context.Context, j *job.Job, calledProcess ...string) {
	ctx = context.WithoutCancel(ctx)
	if err := e.store.Park(ctx, j.ID); err != nil {
		e.log.Warn("parking a suspended job failed; the reconciler offers it again later", zap.String("job", j.ID), zap.Error(err))
	}
	// Look again in an hour even if the parked list is lost.
	_ = e.store.Schedule(ctx, j.ID, time.Now().Add(WaitRecheck))
	e.log.Debug("job parked: suspended", zap.String("job", j.ID), zap.String("instance", j.Instance))
	if still, err := e.stillSuspended(ctx, j, calledProcess...); err == nil && !still {
		if _, err := e.unpark(ctx, j.ID); err != nil {
			e.log.Warn("publishing a job activated while it was parked failed; the reconciler will", zap.String("job", j.ID), zap.Error(err))
		}
	}
}

// stillSuspended asks Redis, not the cached view, whether something suspends j.
func (e *Engine) stillSuspended(ctx context.Context, j *job.Job, calledProcess ...string) (bool, error) {
	snap, err := e.store.Load(ctx, j.Instance)
	if err != nil {
		return false, err
	}
	if snap.Suspended {
		return true, nil
	}
	st, err := DecodeState(snap.State)
	if err != nil {
		return false, err
	}
	m, err := e.store.Suspensions(ctx)
	if err != nil {
		return false, err
	}
	_, all := m["process:"+st.ProcessKey]
	_, one := m["process:"+st.ProcessKey+":"+strconv.Itoa(st.DefinitionVersion)]
	_, act := m["activity:"+st.ProcessKey+":"+j.Activity]
	for _, k := range calledProcess {
		for scope := range m {
			if k != "" && (scope == "process:"+k || strings.HasPrefix(scope, "process:"+k+":")) {
				return true, nil
			}
		}
	}
	return all || one || act, nil
}

// Park parks job j found suspended (ErrSuspended from Claim): see Suspend.
func (e *Engine) Park(ctx context.Context, j *job.Job) { e.park(ctx, j) }

// UnparkJobs publishes every parked job again (those still outstanding) and returns how many.
func (e *Engine) UnparkJobs(ctx context.Context) (int, error) {
	ids, err := e.store.Parked(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		published, err := e.unpark(ctx, id)
		if err != nil {
			return n, err
		}
		if published {
			n++
		}
	}
	return n, nil
}

// unpark takes job id off the parked list and publishes it, if it is still outstanding. The
// list entry goes first: a worker that parks the job again meanwhile adds a fresh one (a crash
// in between leaves the job to the reconciler's hourly look).
func (e *Engine) unpark(ctx context.Context, id string) (bool, error) {
	if err := e.store.Unpark(ctx, id); err != nil {
		return false, err
	}
	envs, err := e.store.Outbox(ctx, store.InstanceOfJob(id), []string{id})
	if err != nil {
		return false, err
	}
	env, ok := envs[id]
	if !ok {
		return false, nil
	}
	j, err := job.Decode(env)
	if err != nil {
		return false, nil
	}
	msg := queue.Message{Subject: jobSubject(j), MsgID: fmt.Sprintf("%s#u%d", id, time.Now().UnixNano()), Data: env}
	if err := e.queue.Publish(ctx, msg); err != nil {
		_ = e.store.Park(context.WithoutCancel(ctx), id) // keep it listed for the next activation
		return false, err
	}
	return true, nil
}

// Suspension is one suspended scope.
type Suspension struct {
	Scope
	Since time.Time `json:"since"`
}

// Suspensions lists the suspended process definitions, activities and task types (suspended
// instances show it on the instance).
func (e *Engine) Suspensions(ctx context.Context) ([]Suspension, error) {
	m, err := e.store.Suspensions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Suspension, 0, len(m))
	for k, since := range m {
		var s Scope
		kind, rest, _ := strings.Cut(k, ":")
		switch kind {
		case "type":
			s.TaskType = rest
		case "activity":
			s.ProcessKey, s.ActivityID, _ = strings.Cut(rest, ":")
		case "process":
			key, v, ok := strings.Cut(rest, ":")
			s.ProcessKey = key
			if ok {
				s.Version, _ = strconv.Atoi(v)
			}
		}
		out = append(out, Suspension{Scope: s, Since: since.UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Scope.String() < out[j].Scope.String() })
	return out, nil
}
