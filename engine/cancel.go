package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/store"
)

// StatusCancelled is the status of an instance that Cancel ended.
const StatusCancelled = "cancelled"

// EventInstanceCancel records that an instance was cancelled.
const EventInstanceCancel = "instanceCancel"

// ErrCalledInstance means the instance was started by a call activity: cancel its root.
var ErrCalledInstance = errors.New("the instance was started by a call activity")

// CancelResult says what Cancel did.
type CancelResult struct {
	// Cancelled lists the instances that this call cancelled: the called children first, the
	// instance last. Empty when the instance had ended already.
	Cancelled []string
	// Status is the instance's status afterwards.
	Status string
}

// Cancel ends a running instance: every token is removed and every outstanding job leaves the
// outbox in one commit (a worker that is running one of them finds it gone and its result is
// discarded), and the instances its call activities started are cancelled first. Cancelling
// an instance that has ended already changes nothing. An instance a call activity started is
// refused with ErrCalledInstance: its parent waits for it, so cancel the parent.
func (e *Engine) Cancel(ctx context.Context, id string) (CancelResult, error) {
	return e.cancel(ctx, id, false)
}

func (e *Engine) cancel(ctx context.Context, id string, called bool) (CancelResult, error) {
	var res CancelResult
	for attempt := 0; ; attempt++ {
		snap, err := e.store.Load(ctx, id)
		if err != nil {
			return res, err
		}
		if snap.Status == StatusCompleted || snap.Status == StatusCancelled {
			res.Status = snap.Status
			return res, nil
		}
		st, err := DecodeState(snap.State)
		if err != nil {
			return res, fmt.Errorf("cancel %s: %w", id, err)
		}
		if st.Caller != nil && !called && e.callerWaits(ctx, st) {
			return res, fmt.Errorf("cancel %s: %w %q of instance %s; cancel that instance", id, ErrCalledInstance,
				st.Caller.Activity, st.Caller.Instance)
		}
		// Children first: a cancel that dies half-way is finished by running it again.
		def, _ := e.Definition(ctx, st.ProcessKey, st.DefinitionVersion)
		for _, t := range st.Tokens {
			child := ""
			switch {
			case t.Wait == WaitCall && t.Child != "":
				child = t.Child
			case t.Wait == WaitJob && t.Job != "" && def != nil && def.Nodes[t.Activity] != nil && def.Nodes[t.Activity].Call != nil:
				// Its Call job may be running and have started the child already.
				child = ChildInstanceID(def.Nodes[t.Activity].Call.ProcessKey, t.Job)
			}
			if child == "" {
				continue
			}
			sub, err := e.cancel(ctx, child, true)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return res, fmt.Errorf("cancel %s: child %s: %w", id, child, err)
			}
			res.Cancelled = append(res.Cancelled, sub.Cancelled...)
		}
		now := time.Now().UnixMilli()
		r := &runner{ctx: ctx, eng: e, st: st, now: now}
		r.removeScope("")
		r.events = append(r.events, HistoryEvent{Type: EventInstanceCancel, Activity: st.ProcessKey, Time: now})
		r.cancel = r.cancel[:0] // every outstanding job, once
		for jid := range snap.Jobs {
			r.cancel = append(r.cancel, jid)
		}
		st.Ended = now
		blob, err := EncodeState(st)
		if err != nil {
			return res, err
		}
		hist, err := EncodeHistory(r.events)
		if err != nil {
			return res, err
		}
		// The apply id is unique to this call, so a client retry of it answers DONE and a
		// concurrent change conflicts.
		_, _, err = e.store.Apply(context.WithoutCancel(ctx), store.Step{Instance: id, Job: "cancel:" + NewInstanceID(), Fence: snap.Version,
			ExpectedVersion: snap.Version, State: blob, Status: StatusCancelled, History: hist, Cancel: r.cancel})
		var conflict *store.ConflictError
		if errors.As(err, &conflict) && attempt < e.cfg.MaxConflictRetries {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("cancel %s: %w", id, err)
		}
		e.unindexCancelled(context.WithoutCancel(ctx), r.cancel)
		e.log.Info("instance cancelled", zap.String("instance", id), zap.Int("jobs", len(r.cancel)))
		res.Cancelled = append(res.Cancelled, id)
		res.Status = StatusCancelled
		return res, nil
	}
}

// cancelChildren cancels the instances that call activities of a committed step started and
// the step removed (a terminate end event, an interrupting boundary event, a completion
// condition). Best-effort: a failure is logged, and the child's result will find nobody
// waiting.
func (e *Engine) cancelChildren(ctx context.Context, children []string) {
	for _, id := range children {
		if _, err := e.cancel(ctx, id, true); err != nil && !errors.Is(err, store.ErrNotFound) {
			e.log.Warn("cancelling a called instance whose call activity was cancelled failed",
				zap.String("instance", id), zap.Error(err))
		}
	}
}

// callerWaits reports whether the parent of called instance st still waits for it: only then is
// cancelling the child alone refused. A child whose parent moved on (or is gone) may be
// cancelled by itself.
func (e *Engine) callerWaits(ctx context.Context, st *State) bool {
	snap, err := e.store.Load(ctx, st.Caller.Instance)
	if err != nil {
		return !errors.Is(err, store.ErrNotFound)
	}
	if snap.Status == StatusCompleted || snap.Status == StatusCancelled {
		return false
	}
	parent, err := DecodeState(snap.State)
	if err != nil {
		return true
	}
	t := parent.token(st.Caller.Token)
	return t != nil && t.Activity == st.Caller.Activity && (t.Child == st.ID || t.Job == st.Caller.Job)
}
