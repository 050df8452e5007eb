package model

import "github.com/expr-lang/expr"

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
