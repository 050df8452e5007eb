package engine

import (
	"errors"
	"fmt"

	"github.com/batonhq/baton/engine/model"
)

// BPMNError is a business error a delegate returns to leave its activity through a matching
// error boundary event (by code, or a catch-all boundary). It is not a failure: no retry is
// made. An error no boundary catches raises an incident at once.
type BPMNError struct {
	Code    string `msgpack:"c"`
	Message string `msgpack:"m,omitempty"`
}

func (e *BPMNError) Error() string {
	if e.Message == "" {
		return "BPMN error " + e.Code
	}
	return fmt.Sprintf("BPMN error %s: %s", e.Code, e.Message)
}

// NewBPMNError returns a BPMN error for a delegate to return: `return engine.NewBPMNError("DECLINED", "card declined")`.
func NewBPMNError(code, message string) error { return &BPMNError{Code: code, Message: message} }

// errUncaught marks a BPMN error that no boundary event caught: an incident, without retries.
var errUncaught = errors.New("uncaught BPMN error")

// EventActivityCancel records an activity left before it ended: interrupted by an error
// boundary event.
const EventActivityCancel = "activityCancel"

// throwBPMNError moves t from activity n to the boundary event that catches be: one on n with
// the same error code, else a catch-all one; else one on each enclosing subprocess in turn. It
// returns an error wrapping errUncaught when none does.
func (r *runner) throwBPMNError(t *Token, n *model.Node, be *BPMNError) error {
	if catch := r.catcher(n, be); catch != nil {
		r.history(EventActivityCancel, t)
		r.caught(r.boundaryOwner(t), catch, be)
		return nil
	}
	return r.throwFromScope(t, be)
}

// boundaryOwner returns the token that leaves through a boundary event of t's activity: t, or
// for an inner instance of a multi-instance activity its body, which is cancelled with every
// inner instance.
func (r *runner) boundaryOwner(t *Token) *Token {
	if t.Loop != LoopInner {
		return t
	}
	body := r.parentToken(t)
	if body == nil {
		return t
	}
	r.removeScope(body.ID)
	r.historyAt(EventActivityCancel, body, body.Activity+bodySuffix)
	return body
}

// throwFromScope throws be from t's subprocess outwards (an error end event, or an error no
// boundary of its activity caught): the first subprocess with a catching boundary is cancelled
// with everything in it, and its token leaves through that boundary.
func (r *runner) throwFromScope(t *Token, be *BPMNError) error {
	if n := r.def.Nodes[t.Activity]; n.Kind != model.EndEvent {
		r.history(EventActivityCancel, t) // the activity whose delegate threw
	}
	for scope := t.Parent; scope != ""; {
		st := r.st.token(scope)
		if st == nil {
			break
		}
		sub := r.def.Nodes[st.Activity]
		if catch := r.catcher(sub, be); catch != nil {
			r.removeScope(st.ID)
			if st.Loop != LoopInner {
				// An inner instance is cancelled with its body (boundaryOwner), recorded there.
				r.history(EventActivityCancel, st)
			}
			r.caught(r.boundaryOwner(st), catch, be)
			return nil
		}
		scope = st.Parent
	}
	if r.st.Caller != nil {
		// A called instance's uncaught error ends it and is thrown at its call activity, as in
		// Camunda: the Return job carries it to the parent.
		r.removeScope("")
		r.st.Thrown = be
		return nil
	}
	n := r.def.Nodes[t.Activity]
	return &DelegateError{Activity: n.ID, TaskType: n.TaskType, Err: fmt.Errorf("%w: %v", errUncaught, be)}
}

// catcher returns the error boundary of n that catches be: the same code, else a catch-all.
func (r *runner) catcher(n *model.Node, be *BPMNError) *model.Node {
	var catch *model.Node
	for _, id := range n.Boundaries {
		b := r.def.Nodes[id]
		if b.EventType != "" {
			continue // a timer or message boundary
		}
		if b.ErrorCode == be.Code && be.Code != "" {
			return b
		}
		if b.ErrorCode == "" && catch == nil {
			catch = b
		}
	}
	return catch
}

// caught moves t to the catching boundary event, setting its error variables.
func (r *runner) caught(t *Token, catch *model.Node, be *BPMNError) {
	// The activity's scope ends with it; the error variables go to the enclosing scope.
	r.disarm(t)
	t.Locals, t.Items, t.Loop, t.Child = nil, nil, "", ""
	if catch.ErrorCodeVariable != "" {
		r.setVar(t, catch.ErrorCodeVariable, be.Code)
	}
	if catch.ErrorMessageVariable != "" {
		r.setVar(t, catch.ErrorMessageVariable, be.Message)
	}
	t.Activity, t.Via, t.Wait = catch.ID, "", ""
	r.push(opStart, t, "")
}
