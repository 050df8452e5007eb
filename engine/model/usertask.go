package model

import (
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// UserTaskSpec is what a user task says about the people who work on it. Each field is a
// Mapping used as a value: Expr (an expr-lang expression, evaluated on the token's variables when
// the task is created) or a constant Value; Target names the attribute ("assignee", ...).
type UserTaskSpec struct {
	// Assignee evaluates to one user id (camunda:assignee, zeebe:assignmentDefinition assignee,
	// flowable:assignee, a humanPerformer); unset when empty.
	Assignee *Mapping `msgpack:"a,omitempty"`
	// CandidateUsers and CandidateGroups evaluate to a list of ids, or to one string that is a
	// comma-separated list ("sales, management").
	CandidateUsers  *Mapping `msgpack:"cu,omitempty"`
	CandidateGroups *Mapping `msgpack:"cg,omitempty"`
	// FormKey is the form as modelled (camunda:formKey, zeebe:formDefinition formKey or formId,
	// flowable:formKey); the engine only carries it to whoever shows the task.
	FormKey string `msgpack:"fk,omitempty"`
	// DueDate and FollowUpDate evaluate to an RFC 3339 / ISO 8601 date-time (or a time).
	DueDate      *Mapping `msgpack:"dd,omitempty"`
	FollowUpDate *Mapping `msgpack:"fd,omitempty"`
	// Priority evaluates to a number.
	Priority *Mapping `msgpack:"pr,omitempty"`
}

// Values returns the spec's mappings that are set, for compiling and evaluating them together.
func (u *UserTaskSpec) Values() []*Mapping {
	var out []*Mapping
	for _, m := range []*Mapping{u.Assignee, u.CandidateUsers, u.CandidateGroups, u.DueDate, u.FollowUpDate, u.Priority} {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// linkUserTask compiles a user task's expressions.
func (d *Definition) linkUserTask(n *Node, add func(line int, id, format string, args ...any)) {
	if n.User == nil {
		return
	}
	for _, m := range n.User.Values() {
		if m.Expr == "" {
			continue
		}
		p, err := expr.Compile(m.Expr, expr.AllowUndefinedVariables())
		if err != nil {
			add(n.Line, n.ID, "user task %s %q does not compile: %v", m.Target, m.Expr, oneLine(err))
			continue
		}
		m.program = p
	}
}

// linkMessageCatch checks a receive task or intermediate catch event: a message catch needs a
// message name and compiles its correlation key; other catch events are wait states Baton does
// not run yet.
func (d *Definition) linkMessageCatch(n *Node, add func(line int, id, format string, args ...any)) {
	if n.Kind == CatchEvent && n.EventType == "timer" {
		d.linkTimer(n, add)
		return
	}
	if n.Kind == CatchEvent && n.EventType != "message" && n.EventType != "signal" {
		what := string(n.Kind)
		if n.EventType != "" {
			what = n.EventType + " " + what
		}
		add(n.Line, n.ID, "%s is a wait state, which Baton does not run yet; model the wait with a message, timer or signal catch event, or a service task whose delegate waits", what)
		return
	}
	if n.EventRef == "" && n.Kind == ReceiveTask {
		// (A message catch event without one is reported by the parser.)
		add(n.Line, n.ID, "the receive task waits for no message; set messageRef to the id of a <message> with a name")
	}
	if n.CorrelationKey != "" {
		p, err := expr.Compile(n.CorrelationKey, expr.AllowUndefinedVariables())
		if err != nil {
			add(n.Line, n.ID, "correlation key %q does not compile: %v", n.CorrelationKey, oneLine(err))
			return
		}
		n.correlation = p
	}
}

// CorrelationProgram is the compiled CorrelationKey, or nil.
func (n *Node) CorrelationProgram() *vm.Program { return n.correlation }

// PriorityProgram is the compiled Priority expression, or nil (none, or a constant).
func (n *Node) PriorityProgram() *vm.Program { return n.priorityProgram }

// linkTimer checks a timer event's time (see ParseTimer), unless it is an expression, evaluated
// when the token arrives. A timer start event's time cannot be an expression: there are no
// variables when it is scheduled, at deploy.
func (d *Definition) linkTimer(n *Node, add func(line int, id, format string, args ...any)) {
	if n.EventRef == "" {
		return // the parser reported the missing time
	}
	kind, text, _ := strings.Cut(n.EventRef, ":")
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "${") || strings.HasPrefix(text, "#{") || strings.HasPrefix(text, "=") {
		if n.Kind == StartEvent {
			add(n.Line, n.ID, "a timer start event's %s %q cannot be an expression: it is scheduled at deploy, without variables; write the value", kind, text)
		}
		return
	}
	if _, err := ParseTimer(kind, text); err != nil {
		add(n.Line, n.ID, "%v", err)
	}
}

// linkEventBoundary checks a timer or message boundary event n attached to activity a.
func (d *Definition) linkEventBoundary(n, a *Node, add func(line int, id, format string, args ...any)) {
	switch a.Kind {
	case ServiceTask, UserTask, ReceiveTask, ScriptTask, Task, SubProcess, CallActivity:
		a.Boundaries = append(a.Boundaries, n.ID)
	default:
		add(n.Line, n.ID, "a %s boundary event on the %s %q is not supported; attach it to a task, subprocess or call activity", n.EventType, a.Kind, a.ID)
	}
	if n.EventType == "timer" {
		d.linkTimer(n, add)
		return
	}
	if n.EventType == "signal" {
		return // the parser reported a missing signal
	}
	d.linkMessageCatch(n, add)
}
