package engine

import (
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/batonhq/baton/engine/model"
)

// Variable scopes, as in Camunda 7. The instance's variables are the root scope. A token opens
// a scope of its own (Token.Locals) at an activity that has input or output mappings, at an
// embedded subprocess, at a multi-instance body and at each inner instance. A token sees its
// own scope, then each enclosing one up to the root; the innermost definition of a name wins.
// Setting a variable (SetVar, a script's result, an output mapping) writes it where it is
// already defined, walking outwards, else in the root scope. SetLocalVar writes the token's
// nearest scope. A scope's variables go when its activity ends.

// scopeChain returns the tokens whose Locals t sees, innermost first.
func (r *runner) scopeChain(t *Token) []*Token {
	var chain []*Token
	for cur := t; cur != nil; {
		if cur.Locals != nil {
			chain = append(chain, cur)
		}
		if cur.Parent == "" {
			break
		}
		cur = r.st.token(cur.Parent)
	}
	return chain
}

// vars returns the variables t sees, for expressions and delegates. With no local scope on the
// way it is the root scope itself (no copy: the common case stays cheap); otherwise a merged
// copy the caller must not write.
func (r *runner) vars(t *Token) map[string]any {
	if t == nil {
		return r.st.Variables
	}
	chain := r.scopeChain(t)
	if len(chain) == 0 {
		return r.st.Variables
	}
	out := make(map[string]any, len(r.st.Variables)+4)
	for k, v := range r.st.Variables {
		out[k] = v
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range chain[i].Locals {
			out[k] = v
		}
	}
	return out
}

// setVar sets name where t sees it defined, else in the root scope.
func (r *runner) setVar(t *Token, name string, v any) {
	if t != nil {
		for _, s := range r.scopeChain(t) {
			if _, ok := s.Locals[name]; ok {
				s.Locals[name] = v
				r.variableSet(t, s, name, v)
				return
			}
		}
	}
	r.st.Variables[name] = v
	r.variableSet(t, nil, name, v)
}

// setLocal sets name in t's nearest scope: t's own when it opened one, else the enclosing
// subprocess's or inner instance's, else the root.
func (r *runner) setLocal(t *Token, name string, v any) {
	if chain := r.scopeChain(t); len(chain) > 0 {
		chain[0].Locals[name] = v
		r.variableSet(t, chain[0], name, v)
		return
	}
	r.st.Variables[name] = v
	r.variableSet(t, nil, name, v)
}

// variableSet records in the history that the token at (acting, possibly nil) set name to v in
// scope (nil: the process's variables).
func (r *runner) variableSet(acting, scope *Token, name string, v any) {
	e := HistoryEvent{Type: EventVariableSet, Variable: name, Value: v, Time: r.now}
	if acting != nil {
		e.Activity = acting.Activity
	}
	if scope != nil {
		e.Token = scope.ID
	}
	r.events = append(r.events, e)
}

// parentToken is the token of the scope t runs in, or nil at process level.
func (r *runner) parentToken(t *Token) *Token {
	if t.Parent == "" {
		return nil
	}
	return r.st.token(t.Parent)
}

// eval runs a compiled expression on the variables t sees.
func (r *runner) eval(t *Token, prog *vm.Program) (any, error) {
	v, err := expr.Run(prog, r.vars(t))
	return v, expressionFailed(err)
}

// evalMapping returns a mapping's value on env.
func evalMapping(m *model.Mapping, env map[string]any) (any, error) {
	if p := m.Program(); p != nil {
		v, err := expr.Run(p, env)
		if err != nil {
			return nil, fmt.Errorf("mapping of %q (%s): %w", m.Target, m.Expr, expressionFailed(err))
		}
		if err := checkDepth(m.Target, v); err != nil {
			return nil, err
		}
		return normalizeNumber(deepCopy(v)), nil
	}
	return deepCopy(m.Value), nil
}

// opensScope reports whether an activity gives its token a variable scope of its own.
func opensScope(n *model.Node) bool {
	return len(n.Inputs) > 0 || len(n.Outputs) > 0 || n.Kind == model.SubProcess || n.Kind == model.CallActivity
}

// enterScope opens t's scope at activity n and applies n's input mappings: each is evaluated
// on what the token sees and becomes a local variable, visible to later mappings too.
func (r *runner) enterScope(t *Token, n *model.Node) error {
	if !opensScope(n) {
		return nil
	}
	if t.Locals == nil {
		t.Locals = map[string]any{}
	}
	for i := range n.Inputs {
		m := &n.Inputs[i]
		v, err := evalMapping(m, r.vars(t))
		if err != nil {
			return &DelegateError{Activity: n.ID, Err: fmt.Errorf("input %w", err)}
		}
		t.Locals[m.Target] = v
	}
	return nil
}

// leaveScope applies n's output mappings, evaluated in t's scope and set in the enclosing one.
// The caller closes the scope after the end listeners ran.
func (r *runner) leaveScope(t *Token, n *model.Node) error {
	if len(n.Outputs) > 0 {
		env := r.vars(t)
		out := make([]any, len(n.Outputs))
		for i := range n.Outputs {
			v, err := evalMapping(&n.Outputs[i], env)
			if err != nil {
				return &DelegateError{Activity: n.ID, Err: fmt.Errorf("output %w", err)}
			}
			out[i] = v
		}
		parent := r.parentToken(t)
		for i := range n.Outputs {
			r.setVar(parent, n.Outputs[i].Target, out[i])
		}
	}
	return nil
}
