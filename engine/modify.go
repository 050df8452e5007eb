package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
)

// Process instance modification, as Camunda's: cancel a token, start a token before or after an
// activity, or move one. A modification is applied atomically at the instance's current version
// (a version check-and-set; nothing of it is applied when any instruction fails), and the
// tokens it starts run in the caller up to their next commit, like a start.
//
// As in Camunda, a token that ends inside a subprocess ends the subprocess when it was its last
// one (at an end event, or cancelled here): modifying the inside of a scope can end the scope.

// Modification instruction kinds.
const (
	ModifyCancel      = "cancel"      // cancel TokenID (and what runs inside it)
	ModifyStartBefore = "startBefore" // start a token before ActivityID: it arrives there
	ModifyStartAfter  = "startAfter"  // start a token after ActivityID: it leaves along its flows
	ModifyMove        = "move"        // cancel TokenID and start a token before ActivityID
)

// Instruction is one step of a modification.
type Instruction struct {
	Kind       string
	TokenID    string
	ActivityID string
}

// ModifyRequest modifies a running instance.
type ModifyRequest struct {
	InstanceID   string
	Instructions []Instruction
	// Variables are set on the process before the instructions run.
	Variables map[string]any
}

// ModifyResult says what a modification left.
type ModifyResult struct {
	// Status is the instance's status after it.
	Status string
	// Version is the instance's version after it.
	Version int64
}

// Modify applies a modification atomically. Instructions apply in order.
func (e *Engine) Modify(ctx context.Context, req ModifyRequest) (ModifyResult, error) {
	if len(req.Instructions) == 0 && len(req.Variables) == 0 {
		return ModifyResult{}, errors.New("modify: give at least one instruction")
	}
	recorded := map[string]callResult{}
	for attempt := 0; ; attempt++ {
		snap, err := e.store.Load(ctx, req.InstanceID)
		if err != nil {
			return ModifyResult{}, err
		}
		if snap.Status == StatusCompleted || snap.Status == StatusCancelled {
			return ModifyResult{}, fmt.Errorf("modify %s: %w (%s)", req.InstanceID, ErrEnded, snap.Status)
		}
		st, err := DecodeState(snap.State)
		if err != nil {
			return ModifyResult{}, err
		}
		def, err := e.Definition(ctx, st.ProcessKey, st.DefinitionVersion)
		if err != nil {
			return ModifyResult{}, err
		}
		r := &runner{ctx: ctx, eng: e, def: def, st: st, now: time.Now().UnixMilli(), jobID: req.InstanceID + ":modify:" + NewInstanceID(),
			tries: 1, recorded: recorded, seen: map[string]int{}}
		for k, v := range req.Variables {
			if err := checkDepth(k, v); err != nil {
				return ModifyResult{}, fmt.Errorf("modify: %w", err)
			}
			r.setVar(nil, k, normalizeNumber(deepCopy(v)))
		}
		for i, in := range req.Instructions {
			if err := r.modify(in); err != nil {
				return ModifyResult{}, fmt.Errorf("modify %s: instruction %d (%s): %w", req.InstanceID, i+1, in.Kind, err)
			}
		}
		if err := r.run(); err != nil {
			return ModifyResult{}, fmt.Errorf("modify %s: %w", req.InstanceID, err)
		}
		status, err := r.finish()
		if err != nil {
			return ModifyResult{}, fmt.Errorf("modify %s: %w", req.InstanceID, err)
		}
		r.assignJobIDs(snap.Version + 1)
		entries, envs, blob, hist, err := e.encodeStep(r, st)
		if err != nil {
			return ModifyResult{}, err
		}
		cctx := context.WithoutCancel(ctx)
		ver, _, err := e.store.Apply(cctx, store.Step{Instance: req.InstanceID, Job: "modify:" + NewInstanceID(), Fence: snap.Version,
			ExpectedVersion: snap.Version, State: blob, Status: status, History: hist, NewJobs: entries, Cancel: r.cancel})
		var conflict *store.ConflictError
		if errors.As(err, &conflict) && attempt < e.cfg.MaxConflictRetries {
			continue
		}
		if err != nil {
			return ModifyResult{}, fmt.Errorf("modify %s: %w", req.InstanceID, err)
		}
		e.publish(cctx, r.jobs, envs)
		e.unindexCancelled(cctx, r.cancel)
		e.cancelChildren(cctx, r.children)
		return ModifyResult{Status: status, Version: ver}, nil
	}
}

// modify applies one instruction to the runner's state.
func (r *runner) modify(in Instruction) error {
	switch in.Kind {
	case ModifyCancel:
		return r.cancelToken(in.TokenID)
	case ModifyStartBefore, ModifyStartAfter:
		return r.startToken(in.ActivityID, in.Kind == ModifyStartAfter)
	case ModifyMove:
		// Start first: a subprocess whose only token moves within it keeps running.
		if err := r.startToken(in.ActivityID, false); err != nil {
			return err
		}
		return r.cancelToken(in.TokenID)
	}
	return fmt.Errorf("unknown instruction %q; use %s, %s, %s or %s", in.Kind, ModifyCancel, ModifyStartBefore, ModifyStartAfter, ModifyMove)
}

// cancelToken removes token id with everything inside it; a scope it leaves empty ends.
func (r *runner) cancelToken(id string) error {
	t := r.st.token(id)
	if t == nil {
		return fmt.Errorf("no token %q", id)
	}
	if t.Loop == LoopInner {
		return fmt.Errorf("token %q is an inner instance of a multi-instance activity; cancel its body, %q", id, t.Parent)
	}
	r.removeScope(t.ID)
	r.disarm(t)
	if t.Wait == WaitJob && t.Job != "" {
		r.cancel = append(r.cancel, t.Job)
	}
	r.cancel = append(r.cancel, t.Events...)
	if t.Wait == WaitCall && t.Child != "" {
		r.children = append(r.children, t.Child)
	}
	if t.Wait != WaitJoin {
		r.history(EventActivityCancel, t)
	}
	r.st.removeToken(t.ID)
	r.scopeEnded(t.Parent)
	return nil
}

// startToken starts a token before (or after) activity id, in the running scope of its
// subprocess.
func (r *runner) startToken(id string, after bool) error {
	n := r.def.Nodes[id]
	if n == nil {
		return fmt.Errorf("the process has no activity %q", id)
	}
	if n.Kind == model.BoundaryEvent || n.Kind == model.StartEvent && n.Parent != "" {
		return fmt.Errorf("%s %q cannot be started; start the activity it belongs to", n.Kind, id)
	}
	parent := ""
	if n.Parent != "" {
		var scopes []string
		for _, t := range r.st.Tokens {
			if t.Activity == n.Parent && t.Wait == WaitScope && t.Loop != LoopBody {
				scopes = append(scopes, t.ID)
			}
		}
		switch len(scopes) {
		case 0:
			return fmt.Errorf("%q is inside subprocess %q, which is not running; start the subprocess instead", id, n.Parent)
		case 1:
			parent = scopes[0]
		default:
			return fmt.Errorf("%q is inside subprocess %q, which runs %d times (%s); start the subprocess instead", id, n.Parent,
				len(scopes), strings.Join(scopes, ", "))
		}
	}
	t := r.st.newToken(id)
	t.Parent = parent
	if after {
		r.push(opLeave, t, "")
		return nil
	}
	return r.arrive(t)
}
