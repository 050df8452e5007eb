package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
)

// Call activities. Parent and child are separate instances, each in its own Redis slot, so no
// script can touch both. Two jobs bridge them, and each side is applied exactly once:
//
//  1. The step that starts the call activity commits the parent with its token waiting for a
//     Call job. That job starts the child with an id derived from the job's id (so a retried or
//     replayed job finds the child it started and starts nothing), then commits the parent
//     with the token waiting for the child (WaitCall, Token.Child).
//  2. The child's last commit (the one that completes it) adds a Return job to the child's own
//     outbox. That job applies "the call activity's child C completed with variables V" to the
//     parent by a version check-and-set: it applies only while the parent's token still waits
//     for C (or still waits for the Call job that started C, when the child outran it; the Call
//     job is then cancelled in the same commit). Then the Return job is consumed in the child.
//
// The apply only hands the child's result to the token and leaves it waiting for an End job,
// which continues the parent (output mappings, end listeners, what follows) under a lease of the
// parent's own: the parent's delegates, retries and incidents stay the parent's.
//
// Killed anywhere, a job runs again: a second start finds the child, and a second return finds
// the token gone on and only consumes the job. The result is applied once.

// ChildInstanceID is the id of the child instance of processKey that the call activity's Call
// job callJob starts: the same job always starts the same child.
func ChildInstanceID(processKey, callJob string) string {
	return DerivedInstanceID(processKey, "call\x00"+callJob)
}

// errTransient marks a step's failure that is the infrastructure's (Redis or NATS under a
// child's start), not the model's: the job is released, not failed.
var errTransient = errors.New("transient failure")

// businessKeyVar is the name Camunda's execution.processBusinessKey has in call mappings.
const businessKeyVar = "_businessKey"

// startChild runs a Call job: it starts the child instance and leaves t waiting for it.
func (r *runner) startChild(t *Token, n *model.Node, j *job.Job) error {
	c := n.Call
	env := r.vars(t)
	version, err := r.eng.calledVersion(r.ctx, r.def, c)
	if err != nil {
		return r.childStartError(n, err)
	}
	vars := map[string]any{}
	switch {
	case c.InAll:
		for k, v := range env {
			vars[k] = deepCopy(v)
		}
	case c.InLocals:
		for k, v := range t.Locals {
			vars[k] = deepCopy(v)
		}
	}
	withKey := make(map[string]any, len(env)+1)
	for k, v := range env {
		withKey[k] = v
	}
	withKey[businessKeyVar] = r.st.BusinessKey
	for i := range c.In {
		v, err := evalMapping(&c.In[i], withKey)
		if err != nil {
			return &DelegateError{Activity: n.ID, Err: fmt.Errorf("call input %w", err)}
		}
		vars[c.In[i].Target] = v
	}
	businessKey := ""
	if p := c.BusinessKeyProgram(); p != nil {
		v, err := expr.Run(p, withKey)
		if err != nil {
			return &DelegateError{Activity: n.ID, Err: fmt.Errorf("business key %q: %w", c.BusinessKey, expressionFailed(err))}
		}
		if v != nil {
			businessKey = fmt.Sprint(v)
		}
	}
	id := ChildInstanceID(c.ProcessKey, j.ID)
	res, err := r.eng.Start(r.ctx, StartRequest{ProcessKey: c.ProcessKey, Version: version, BusinessKey: businessKey,
		Variables: vars, InstanceID: id,
		caller: &Caller{Instance: r.st.ID, Token: t.ID, Activity: n.ID, Job: j.ID}})
	if err != nil {
		return r.childStartError(n, err)
	}
	r.eng.log.Debug("call activity started its child", zap.String("instance", r.st.ID),
		zap.String("activity", n.ID), zap.String("child", res.InstanceID), zap.String("status", res.Status))
	t.Wait, t.Job, t.Child = WaitCall, "", res.InstanceID
	return nil
}

// childStartError classifies a failure to start a call activity's child: the model's (an
// unknown or undeployable called process, a failing first step of the child), which counts as
// a failed attempt, or the infrastructure's (Redis, NATS), which releases the job.
func (r *runner) childStartError(n *model.Node, err error) error {
	var de *DelegateError
	switch {
	case errors.As(err, &de):
		return err
	case errors.Is(err, ErrUnknownProcess) || isDeterministic(err) || model.IsValidationError(err):
		return &DelegateError{Activity: n.ID, Err: err}
	}
	return fmt.Errorf("%w: call activity %q: start %s: %w", errTransient, n.ID, n.Call.ProcessKey, err)
}

// calledVersion resolves a call activity's binding to a version of the called process.
func (e *Engine) calledVersion(ctx context.Context, caller *model.Definition, c *model.CallSpec) (int, error) {
	var (
		v   int
		err error
	)
	switch c.Binding {
	case model.BindingVersion:
		return c.Version, nil
	case model.BindingDeployment:
		v, err = e.store.VersionByHash(ctx, c.ProcessKey, caller.Hash)
	default:
		v, err = e.store.LatestVersion(ctx, c.ProcessKey)
	}
	if errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("called process %q (binding %s): %w", c.ProcessKey, bindingName(c.Binding), ErrUnknownProcess)
	}
	return v, err
}

func bindingName(b string) string {
	if b == "" {
		return model.BindingLatest
	}
	return b
}

// returnJob adds the Return job of a child that this step completes.
func (r *runner) returnJob() {
	c := r.st.Caller
	if c == nil || len(r.st.Tokens) > 0 {
		return
	}
	r.jobs = append(r.jobs, &job.Job{Instance: r.st.ID, Type: r.def.EngineType, Kind: job.Return,
		Token: c.Token, Activity: c.Activity, Exclusive: true, Created: r.now})
}

// finish ends a step: the boundary events of activities where tokens rest are armed, and the
// instance's status, its end time, and a completed child's Return job are set.
func (r *runner) finish() (string, error) {
	if err := r.armBoundaries(); err != nil {
		return "", err
	}
	status := r.status()
	if status == StatusCompleted {
		r.st.Ended = r.now
		r.returnJob()
	}
	return status, nil
}

// resumeFromChild hands a completed child to t, the token at its call activity: the child's
// variables (or the BPMN error that ended it) wait on the token for an End job, which continues
// the parent under a lease of its own, so that the parent's delegates, retries and incidents are
// the parent's. It reports false, with nothing changed, when t no longer waits for that child.
func (r *runner) resumeFromChild(child *State) bool {
	c := child.Caller
	t := r.st.token(c.Token)
	if t == nil || t.Activity != c.Activity {
		return false
	}
	switch {
	case t.Wait == WaitCall && t.Child == child.ID:
	case t.Wait == WaitJob && t.Job == c.Job:
		r.cancel = append(r.cancel, c.Job) // the child outran the commit of its Call job
	default:
		return false
	}
	n := r.def.Nodes[t.Activity]
	t.Child = ""
	if child.Thrown != nil {
		t.Thrown = child.Thrown
	} else {
		t.Result = deepCopy(child.Variables).(map[string]any)
		t.ResultKey = child.BusinessKey
	}
	r.boundaryOn(t, n, job.End, r.endJobType(n))
	return true
}

// endJobType is the task type of an End job at n: its first end listener's, which the worker
// that runs it needs, else the engine type.
func (r *runner) endJobType(n *model.Node) string {
	for _, l := range n.Listeners {
		if l.Event == model.ListenerEnd {
			return l.TaskType
		}
	}
	return r.def.EngineType
}

// childReturned applies the result of t's child, which an End job resumed: the BPMN error that
// ended the child is thrown at the call activity; otherwise the child's variables are mapped
// back and the call activity ends.
func (r *runner) childReturned(t *Token, n *model.Node) error {
	result, thrown, childKey := t.Result, t.Thrown, t.ResultKey
	t.Result, t.Thrown, t.ResultKey = nil, nil, ""
	if thrown != nil {
		return r.throwBPMNError(t, n, thrown)
	}
	if t.Locals == nil {
		t.Locals = map[string]any{}
	}
	switch {
	case len(n.Outputs) > 0 && (n.Call.OutAll || n.Call.OutLocals):
		for k, v := range result {
			if !r.loopBookkeeping(t, k) {
				t.Locals[k] = v // the output mappings decide what leaves
			}
		}
	case n.Call.OutAll:
		for k, v := range result {
			if !r.loopBookkeeping(t, k) {
				r.setVar(t, k, v)
			}
		}
	}
	env := result
	if len(n.Call.Out) > 0 {
		env = make(map[string]any, len(result)+1)
		for k, v := range result {
			env[k] = v
		}
		env[businessKeyVar] = childKey
	}
	for i := range n.Call.Out {
		m := &n.Call.Out[i]
		v, err := evalMapping(m, env)
		if err != nil {
			return &DelegateError{Activity: n.ID, Err: fmt.Errorf("call output %w", err)}
		}
		r.setVar(t, m.Target, v)
	}
	r.push(opEnd, t, "")
	return nil
}

// executeReturn runs a Return job (claimed in the child): it applies the child's completion to
// the parent, then consumes the job in the child. Killed between the two, the job runs again,
// finds the parent's token gone on, and only consumes.
func (e *Engine) executeReturn(ctx context.Context, l *Lease) (Result, error) {
	if res, err := e.applyReturn(ctx, l); res != nil {
		return *res, err
	}
	return e.consume(context.WithoutCancel(ctx), l)
}

// applyReturn applies a Return job's child to its parent. It returns a nil Result when the job
// should now be consumed, and the job's outcome otherwise (a failure, a release).
func (e *Engine) applyReturn(ctx context.Context, l *Lease) (*Result, error) {
	j := l.Job
	stop := func(res Result, err error) (*Result, error) { return &res, err }
	child, err := DecodeState(l.state)
	if err != nil {
		return stop(e.fail(ctx, l, fmt.Errorf("%w: %v", errDecode, err)))
	}
	if child.Caller == nil {
		return stop(e.fail(ctx, l, &DelegateError{Activity: j.Activity, Err: errors.New("return job of an instance no call activity started")}))
	}
	c := child.Caller
	cctx := context.WithoutCancel(ctx)
	for attempt := 0; ; attempt++ {
		snap, err := e.store.Load(ctx, c.Instance)
		if errors.Is(err, store.ErrNotFound) {
			break // the parent is gone: nothing waits for the result
		}
		if err != nil {
			return stop(Result{}, err)
		}
		st, err := DecodeState(snap.State)
		if err != nil {
			return stop(e.fail(ctx, l, fmt.Errorf("%w: parent %s: %v", errDecode, c.Instance, err)))
		}
		def, err := e.Definition(ctx, st.ProcessKey, st.DefinitionVersion)
		if err != nil {
			if isDeterministic(err) {
				return stop(e.fail(ctx, l, err))
			}
			return stop(Result{}, err)
		}
		r := &runner{ctx: ctx, eng: e, def: def, st: st, now: time.Now().UnixMilli(), jobID: j.ID, fence: l.Fence,
			tries: l.Attempt}
		if !r.resumeFromChild(child) {
			// Applied before (a redelivery; the End job may not have been published if that
			// attempt died after its apply: publish it again), or the parent moved on.
			e.republishEnd(cctx, snap, st, c)
			break
		}
		status, err := r.finish()
		if err != nil {
			return stop(e.fail(ctx, l, err))
		}
		r.assignJobIDs(snap.Version + 1)
		entries, envs, blob, hist, err := e.encodeStep(r, st)
		if err != nil {
			return stop(e.fail(ctx, l, &DelegateError{Activity: c.Activity, Err: err}))
		}
		_, _, err = e.store.Apply(cctx, store.Step{Instance: c.Instance, Job: j.ID, Fence: l.Fence, ExpectedVersion: snap.Version,
			State: blob, Status: status, History: hist, NewJobs: entries, Cancel: r.cancel})
		var conflict *store.ConflictError
		if errors.As(err, &conflict) {
			e.stats.Conflicts.Add(1)
			if attempt >= e.cfg.MaxConflictRetries {
				return stop(Result{}, fmt.Errorf("job %s: gave up after %d version conflicts on parent %s", j.ID, attempt+1, c.Instance))
			}
			continue
		}
		if err != nil {
			// Applied or not, the next attempt finds out: the token has moved on, or not.
			return stop(Result{}, err)
		}
		e.stats.Commits.Add(1)
		e.publish(cctx, r.jobs, envs)
		e.unindexCancelled(cctx, r.cancel)
		e.cancelChildren(cctx, r.children)
		return nil, nil
	}
	return nil, nil
}

// republishEnd publishes the End job that a child's return left its caller's token waiting
// for, when no worker holds it and it has not failed yet: the attempt that applied the return may have died before
// publishing it. JetStream drops the copy if it was published (same Nats-Msg-Id).
func (e *Engine) republishEnd(ctx context.Context, snap *store.Snapshot, st *State, c *Caller) {
	t := st.token(c.Token)
	if t == nil || t.Activity != c.Activity || t.Wait != WaitJob || (t.Result == nil && t.Thrown == nil) {
		return
	}
	if _, leased := snap.Leases[t.Job]; leased || snap.Attempts[t.Job] > 0 {
		return // held, or waiting out a retry delay: the reconciler republishes it when due
	}
	env, ok := snap.Jobs[t.Job]
	if !ok {
		return
	}
	if j, err := job.Decode(env); err == nil && j.Kind == job.End {
		e.publish(ctx, []*job.Job{j}, [][]byte{env})
	}
}

// consume commits a job that changes nothing in its own instance but leaving its outbox.
func (e *Engine) consume(ctx context.Context, l *Lease) (Result, error) {
	version, blob := l.version, l.state
	for attempt := 0; ; attempt++ {
		st, err := DecodeState(blob)
		if err != nil {
			return Result{}, err
		}
		ver, _, err := e.store.Commit(ctx, store.Step{Instance: l.Job.Instance, Job: l.Job.ID, Fence: l.Fence,
			ExpectedVersion: version, State: blob, Status: statusOf(st)})
		var conflict *store.ConflictError
		switch {
		case err == nil:
			e.stats.Commits.Add(1)
			return Result{Outcome: Committed, Version: ver}, nil
		case errors.As(err, &conflict) && attempt < e.cfg.MaxConflictRetries:
			snap, lerr := e.store.Load(ctx, l.Job.Instance)
			if lerr != nil {
				return Result{}, lerr
			}
			version, blob = snap.Version, snap.State
		case errors.Is(err, store.ErrFenced):
			e.stats.Fenced.Add(1)
			return Result{Outcome: Fenced}, nil
		case errors.Is(err, store.ErrStale):
			e.stats.Stale.Add(1)
			return Result{Outcome: Stale}, nil
		default:
			return Result{}, err
		}
	}
}
