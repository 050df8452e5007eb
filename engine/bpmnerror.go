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
	Code    string
	Message string
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

// throwBPMNError moves t from activity n to the boundary event that catches be: one with the
// same error code, else a catch-all. It returns an error wrapping errUncaught when none does.
func (r *runner) throwBPMNError(t *Token, n *model.Node, be *BPMNError) error {
	var catch *model.Node
	for _, id := range n.Boundaries {
		b := r.def.Nodes[id]
		if b.ErrorCode == be.Code {
			catch = b
			break
		}
		if b.ErrorCode == "" && catch == nil {
			catch = b
		}
	}
	if catch == nil {
		return &DelegateError{Activity: n.ID, TaskType: n.TaskType, Err: fmt.Errorf("%w: %v", errUncaught, be)}
	}
	r.history(EventActivityCancel, t)
	if catch.ErrorCodeVariable != "" {
		r.st.Variables[catch.ErrorCodeVariable] = be.Code
	}
	if catch.ErrorMessageVariable != "" {
		r.st.Variables[catch.ErrorMessageVariable] = be.Message
	}
	t.Activity, t.Via = catch.ID, ""
	r.push(opStart, t, "")
	return nil
}
