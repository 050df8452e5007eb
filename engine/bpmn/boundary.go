package bpmn

import (
	"maps"
	"slices"
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// boundary reads the boundary event el: the activity it is attached to and, for an error boundary
// event, the error it catches. Link checks the activity. reported counts the other event
// definitions of el, already reported by children.
func (r *processReader) boundary(el *element, n *model.Node, reported int, m markers) {
	n.AttachedTo = el.attr("attachedToRef")
	if m.taskType != "" {
		r.p.add(el.line, n.ID, "%s=%q gives a <boundaryEvent> a task type; its work runs in the activity it is attached to: remove it", m.typeFrom, m.taskType)
	}
	var defs []*element
	for _, c := range el.children {
		if c.is(nsBPMN, "errorEventDefinition") {
			defs = append(defs, c)
		}
	}
	if n.EventType != "" {
		// A timer or message boundary event (children read its definition).
		if len(defs) > 0 {
			r.p.add(defs[0].line, n.ID, "a boundary event with a %s and an error definition is not supported; attach one boundary event for each", n.EventType)
		}
		if v, ok := el.lookup("", "cancelActivity"); ok {
			cancel, valid := parseBool(v)
			if !valid {
				r.p.add(el.line, n.ID, "cancelActivity=%q is not a boolean; write \"true\" or \"false\"", v)
			}
			n.NonInterrupting = valid && !cancel
		}
		return
	}
	switch {
	case len(defs) == 0 && reported == 0:
		r.p.add(el.line, n.ID, "a boundary event needs an event definition; add an errorEventDefinition, timerEventDefinition or messageEventDefinition")
		return
	case len(defs) == 0:
		return
	case len(defs) > 1:
		r.p.add(defs[1].line, n.ID, "a boundary event with two errorEventDefinitions is not supported; attach one error boundary event per error code")
	}
	def := defs[0]
	n.ErrorCode = r.errorCode(def, n.ID, false)
	codeVar, _ := def.lookup(nsCamunda, "errorCodeVariable")
	msgVar, _ := def.lookup(nsCamunda, "errorMessageVariable")
	n.ErrorCodeVariable, n.ErrorMessageVariable = strings.TrimSpace(codeVar), strings.TrimSpace(msgVar)
	if v, ok := el.lookup("", "cancelActivity"); ok {
		switch cancel, valid := parseBool(v); {
		case !valid:
			r.p.add(el.line, n.ID, "cancelActivity=%q is not a boolean; write \"true\" or \"false\"", v)
		case !cancel:
			r.p.add(el.line, n.ID, `an error boundary event always interrupts; remove cancelActivity="false"`)
		}
	}
}

// errorEnd reads the error end event el: with an errorEventDefinition, n throws the error it
// names. Its other event definitions are reported by children.
func (r *processReader) errorEnd(el *element, n *model.Node) {
	var defs []*element
	for _, c := range el.children {
		if c.is(nsBPMN, "errorEventDefinition") {
			defs = append(defs, c)
		}
	}
	if len(defs) == 0 {
		return
	}
	n.ErrorEnd = true
	if len(defs) > 1 {
		r.p.add(defs[1].line, n.ID, "an end event with two errorEventDefinitions is not supported; an error end event throws one error")
	}
	if n.Terminate {
		r.p.add(el.line, n.ID, "an end event cannot both terminate and throw an error; keep the terminateEventDefinition or the errorEventDefinition")
	}
	n.ErrorCode = r.errorCode(defs[0], n.ID, true)
}

// errorCode returns the error code of the errorEventDefinition def of the event id: the errorCode
// of the root <error> its errorRef names (the error's id when it has no errorCode), or "" (any
// error) when it has no errorRef. throw says whether the event throws (an error end event) or
// catches (an error boundary event) the error, for messages.
func (r *processReader) errorCode(def *element, id string, throw bool) string {
	ref := strings.TrimSpace(def.attr("errorRef"))
	if ref == "" {
		return ""
	}
	event, uses, without := "an error boundary event", "catches", " to catch every error"
	if throw {
		event, uses, without = "an error end event", "throws", ""
	}
	e := lookupRef(r.roots.errors, ref)
	if e == nil {
		r.p.add(def.line, id, "errorRef %q names no <error> of this document; declare <error id=%q errorCode=\"...\" /> in <definitions>, or remove errorRef%s", ref, ref, without)
		return ""
	}
	code := strings.TrimSpace(e.attr("errorCode"))
	switch {
	case code == "":
		return e.attr("id")
	case strings.HasPrefix(code, "="):
		r.p.add(def.line, id, "errorCode %q of <error id=%q> is a FEEL expression; %s %s a fixed error code", code, e.attr("id"), event, uses)
	}
	return code
}

// checkManualBoundaries reports boundary events attached to a manual task, which never throws an
// error. Link cannot: a plain task that keeps its element name is, to Link, the stand-in of an
// unsupported element, already reported.
func (r *processReader) checkManualBoundaries() {
	nodes := r.def.Nodes
	for _, id := range slices.Sorted(maps.Keys(nodes)) {
		n := nodes[id]
		if a := nodes[n.AttachedTo]; n.Kind == model.BoundaryEvent && n.EventType == "" && a != nil && a.Kind == model.Task && a.Element == "manualTask" {
			r.p.add(n.Line, n.ID, "an error boundary event catches BPMN errors of delegates, subprocesses and called processes; the manualTask %q never throws one", a.ID)
		}
	}
}
