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
// Killed anywhere, a job runs again: a second start finds the child, and a second return finds
// the token gone on and only consumes the job. The result is applied once.

// ChildInstanceID is the id of the child instance of processKey that the call activity's Call
// job callJob starts: the same job always starts the same child.
func ChildInstanceID(processKey, callJob string) string {
	return DerivedInstanceID(processKey, "call\x00"+callJob)
}

// businessKeyVar is the name Camunda's execution.processBusinessKey has in call mappings.
const businessKeyVar = "_businessKey"

// startChild runs a Call job: it starts the child instance and leaves t waiting for it.
func (r *runner) startChild(t *Token, n *model.Node, j *job.Job) error {
	c := n.Call
	env := r.vars(t)
	version, err := r.eng.calledVersion(r.ctx, r.def, c)
	if err != nil {
		return &DelegateError{Activity: n.ID, Err: err}
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
			return &DelegateError{Activity: n.ID, Err: fmt.Errorf("business key %q: %w", c.BusinessKey, err)}
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
		var de *DelegateError
		if errors.As(err, &de) {
			return err
		}
		if errors.Is(err, ErrUnknownProcess) {
			return &DelegateError{Activity: n.ID, Err: err}
		}
		return fmt.Errorf("call activity %q: start %s: %w", n.ID, c.ProcessKey, err)
	}
	r.eng.log.Debug("call activity started its child", zap.String("instance", r.st.ID),
		zap.String("activity", n.ID), zap.String("child", res.InstanceID), zap.String("status", res.Status))
	t.Wait, t.Job, t.Child = WaitCall, "", res.InstanceID
	return nil
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

// finish ends a step: the instance's status, its end time, and a completed child's Return job.
func (r *runner) finish() string {
	status := r.status()
	if status == StatusCompleted {
		r.st.Ended = r.now
		r.returnJob()
	}
	return status
}

// resumeFromChild applies a completed child to t, the token at the call activity. It reports
// false, with nothing changed, when t no longer waits for that child.
func (r *runner) resumeFromChild(child *State) (bool, error) {
	c := child.Caller
	t := r.st.token(c.Token)
	if t == nil || t.Activity != c.Activity {
		return false, nil
	}
	switch {
	case t.Wait == WaitCall && t.Child == child.ID:
	case t.Wait == WaitJob && t.Job == c.Job:
		r.cancel = append(r.cancel, c.Job) // the child outran the commit of its Call job
	default:
		return false, nil
	}
	n := r.def.Nodes[t.Activity]
	t.Wait, t.Job, t.Child = "", "", ""
	if child.Thrown != nil {
		// The child ended with a BPMN error: it is thrown at the call activity.
		if err := r.throwBPMNError(t, n, child.Thrown); err != nil {
			return false, err
		}
		return true, r.run()
	}
	if t.Locals == nil {
		t.Locals = map[string]any{}
	}
	switch {
	case len(n.Outputs) > 0 && (n.Call.OutAll || n.Call.OutLocals):
		for k, v := range child.Variables {
			t.Locals[k] = deepCopy(v) // the output mappings decide what leaves
		}
	case n.Call.OutAll:
		for k, v := range child.Variables {
			r.setVar(t, k, deepCopy(v))
		}
	}
	childEnv := child.Variables
	if len(n.Call.Out) > 0 {
		childEnv = make(map[string]any, len(child.Variables)+1)
		for k, v := range child.Variables {
			childEnv[k] = v
		}
		childEnv[businessKeyVar] = child.BusinessKey
	}
	for i := range n.Call.Out {
		m := &n.Call.Out[i]
		v, err := evalMapping(m, childEnv)
		if err != nil {
			return false, &DelegateError{Activity: n.ID, Err: fmt.Errorf("call output %w", err)}
		}
		r.setVar(t, m.Target, v)
	}
	r.push(opEnd, t, "")
	return true, r.run()
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
	recorded := map[string]callResult{}
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
		now := time.Now()
		r := &runner{ctx: ctx, eng: e, def: def, st: st, now: now.UnixMilli(), jobID: j.ID, fence: l.Fence,
			tries: l.Attempt, recorded: recorded, seen: map[string]int{}}
		applied, err := r.resumeFromChild(child)
		e.stats.DelegateCalls.Add(int64(r.calls))
		if err != nil {
			if ctx.Err() != nil {
				return stop(e.release(l))
			}
			return stop(e.fail(ctx, l, err))
		}
		if !applied {
			break // applied before (a redelivery), or the parent moved on
		}
		status := r.finish()
		r.assignJobIDs(snap.Version + 1)
		entries, envs, blob, hist, err := e.encodeStep(r, st)
		if err != nil {
			return stop(e.fail(ctx, l, &DelegateError{Activity: c.Activity, Err: err}))
		}
		_, _, err = e.store.Apply(cctx, store.Step{Instance: c.Instance, Job: j.ID, ExpectedVersion: snap.Version,
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
		return nil, nil
	}
	return nil, nil
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
