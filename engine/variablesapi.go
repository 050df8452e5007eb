package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonhq/baton/engine/store"
)

// The variables API: read and set an instance's variables, at process level or in a token's
// scope, and read their history. Setting commits by version check-and-set, like any step, and is
// recorded in the history (EventVariableSet).

// Variables returns the variables of an instance: the process's, or with tokenID those that
// token sees (its scopes' over the process's).
func (e *Engine) Variables(ctx context.Context, instanceID, tokenID string) (map[string]any, error) {
	snap, err := e.store.Load(ctx, instanceID)
	if errors.Is(err, store.ErrNotFound) && tokenID == "" {
		if v, aerr := e.archived(ctx, instanceID); aerr == nil {
			return v.Variables, nil // an archived instance's final variables
		}
	}
	if err != nil {
		return nil, err
	}
	st, err := DecodeState(snap.State)
	if err != nil {
		return nil, err
	}
	if tokenID == "" {
		return st.Variables, nil
	}
	t := st.token(tokenID)
	if t == nil {
		return nil, fmt.Errorf("instance %s has no token %q: %w", instanceID, tokenID, store.ErrNotFound)
	}
	r := &runner{st: st}
	return r.vars(t), nil
}

// SetVariablesRequest sets variables of a running instance.
type SetVariablesRequest struct {
	InstanceID string
	// TokenID, when set, sets the variables in that token's nearest scope (its own, its
	// subprocess's, ...); otherwise they are set where they are defined, else on the process.
	TokenID   string
	Variables map[string]any
}

// ErrEnded means the instance has ended: its variables can no longer change.
var ErrEnded = errors.New("the instance has ended")

// SetVariables sets variables of a running instance in one commit.
func (e *Engine) SetVariables(ctx context.Context, req SetVariablesRequest) error {
	vars := make(map[string]any, len(req.Variables))
	for k, v := range req.Variables {
		if err := checkDepth(k, v); err != nil {
			return fmt.Errorf("set variables: %w", err)
		}
		vars[k] = normalizeNumber(deepCopy(v))
	}
	for attempt := 0; ; attempt++ {
		snap, err := e.store.Load(ctx, req.InstanceID)
		if err != nil {
			return err
		}
		if snap.Status == StatusCompleted || snap.Status == StatusCancelled {
			return fmt.Errorf("set variables of %s: %w (%s)", req.InstanceID, ErrEnded, snap.Status)
		}
		st, err := DecodeState(snap.State)
		if err != nil {
			return err
		}
		r := &runner{st: st, now: time.Now().UnixMilli()}
		var t *Token
		if req.TokenID != "" {
			if t = st.token(req.TokenID); t == nil {
				return fmt.Errorf("instance %s has no token %q: %w", req.InstanceID, req.TokenID, store.ErrNotFound)
			}
		}
		for k, v := range vars {
			if t != nil {
				r.setLocal(t, k, v)
			} else {
				r.setVar(nil, k, v)
			}
		}
		blob, err := EncodeState(st)
		if err != nil {
			return err
		}
		hist, err := EncodeHistory(r.events)
		if err != nil {
			return err
		}
		_, _, err = e.store.Apply(context.WithoutCancel(ctx), store.Step{Instance: req.InstanceID, Job: "variables:" + NewInstanceID(),
			Fence: snap.Version, ExpectedVersion: snap.Version, State: blob, Status: snap.Status, History: hist})
		var conflict *store.ConflictError
		if errors.As(err, &conflict) && attempt < e.cfg.MaxConflictRetries {
			continue
		}
		return err
	}
}

// VariableHistory returns the instance's variable changes, oldest first; with name, only that
// variable's.
func (e *Engine) VariableHistory(ctx context.Context, instanceID, name string) ([]HistoryEvent, error) {
	v, err := e.Instance(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	out := []HistoryEvent{}
	for _, h := range v.History {
		if h.Type == EventVariableSet && (name == "" || h.Variable == name) {
			out = append(out, h)
		}
	}
	return out, nil
}
