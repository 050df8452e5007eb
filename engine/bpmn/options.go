package bpmn

import (
	"strconv"
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// async reads baton:async: "true" or "false", or an expression (${...}, #{...} or =...) that
// decides at run time whether the node is async before. Link compiles the expression.
func (r *markerReader) async(name, value string) {
	if v, ok := parseBool(value); ok {
		r.m.asyncBefore = v || r.m.asyncBefore
		return
	}
	if !isExpression(value) {
		r.p.add(r.el.line, r.id, "%s=%q is neither a boolean nor an expression; write \"true\", \"false\" or an expression such as ${amount > 1000}", name, value)
		return
	}
	e := model.NormalizeExpression(value)
	if e == "" {
		r.p.add(r.el.line, r.id, "%s=%q is an empty expression; write \"true\", \"false\" or an expression such as ${amount > 1000}", name, value)
		return
	}
	r.m.asyncExpr = e
	r.m.asyncFrom = name + "=" + strconv.Quote(value)
}

// jobPriority reads the job priority attribute name: an integer or an expression, stored as
// modelled for the priorities to evaluate.
func (r *markerReader) jobPriority(name, value string) {
	v := strings.TrimSpace(value)
	if v == "" {
		return
	}
	if _, err := strconv.ParseInt(v, 10, 64); err != nil && !isExpression(v) {
		r.p.add(r.el.line, r.id, "%s=%q is neither an integer nor an expression; write a number such as 10 or an expression such as ${priority}", name, value)
		return
	}
	r.m.priority = v
}

// retries reads the retries attribute of Zeebe's task definition: a positive integer.
func (r *markerReader) retries(value string) {
	v := strings.TrimSpace(value)
	if v == "" {
		return
	}
	if strings.HasPrefix(v, "=") {
		r.p.add(r.el.line, r.id, "zeebe:taskDefinition retries %q is a FEEL expression, which is not supported yet; write a fixed number such as 3", value)
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		r.p.add(r.el.line, r.id, "zeebe:taskDefinition retries %q is not a positive integer; write a number such as 3", value)
		return
	}
	r.m.retries = n
}

// retryCycle records the failed-job retry cycle read from the extension element from, as
// modelled; two different cycles on one node are a problem.
func (r *markerReader) retryCycle(from, value string) {
	switch {
	case value == "":
	case r.m.retryCycle == "":
		r.m.retryCycle = value
	case r.m.retryCycle != value:
		r.p.add(r.el.line, r.id, "two different %s, %q and %q; keep one", from, r.m.retryCycle, value)
	}
}

// isExpression reports whether s is wrapped as an expression: ${...} or #{...} (JUEL), or =...
// (FEEL).
func isExpression(s string) bool {
	s = strings.TrimSpace(s)
	return (strings.HasPrefix(s, "${") || strings.HasPrefix(s, "#{")) && strings.HasSuffix(s, "}") ||
		strings.HasPrefix(s, "=")
}

// flag parses the boolean attribute name, reporting a value that is not one.
func (r *markerReader) flag(name, value string) bool {
	v, _ := r.boolean(name, value)
	return v
}

// boolean parses the boolean attribute name; ok is false (and a problem reported) when value is
// neither "true" nor "false".
func (r *markerReader) boolean(name, value string) (v, ok bool) {
	v, ok = parseBool(value)
	if !ok {
		r.p.add(r.el.line, r.id, "%s=%q is not a boolean; write \"true\" or \"false\"", name, value)
	}
	return v, ok
}

// parseBool accepts "true" and "false" in any case.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
