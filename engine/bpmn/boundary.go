package bpmn

import (
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// rootErrors returns the <error> elements of the document root by id; errorRef names them,
// wherever in the document they are declared.
func rootErrors(root *element) map[string]*element {
	errors := map[string]*element{}
	for _, c := range root.children {
		if id := c.attr("id"); c.is(nsBPMN, "error") && id != "" && errors[id] == nil {
			errors[id] = c
		}
	}
	return errors
}

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
	switch {
	case len(defs) == 0 && reported == 0:
		r.p.add(el.line, n.ID, "a boundary event needs an event definition; add an errorEventDefinition to catch the errors of its activity")
		return
	case len(defs) == 0:
		return
	case len(defs) > 1:
		r.p.add(defs[1].line, n.ID, "a boundary event with two errorEventDefinitions is not supported; attach one error boundary event per error code")
	}
	def := defs[0]
	n.ErrorCode = r.errorCode(def, n.ID)
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

// errorCode returns the error code the errorEventDefinition def of the boundary event id catches:
// the errorCode of the root <error> its errorRef names (the error's id when it has no errorCode),
// or "" for every error when it has no errorRef.
func (r *processReader) errorCode(def *element, id string) string {
	ref := strings.TrimSpace(def.attr("errorRef"))
	if ref == "" {
		return ""
	}
	e := r.errors[ref]
	if i := strings.LastIndexByte(ref, ':'); e == nil && i >= 0 {
		e = r.errors[ref[i+1:]] // a QName such as tns:Error_1
	}
	if e == nil {
		r.p.add(def.line, id, "errorRef %q names no <error> of this document; declare <error id=%q errorCode=\"...\" /> in <definitions>, or remove errorRef to catch every error", ref, ref)
		return ""
	}
	code := strings.TrimSpace(e.attr("errorCode"))
	switch {
	case code == "":
		return e.attr("id")
	case strings.HasPrefix(code, "="):
		r.p.add(def.line, id, "errorCode %q of <error id=%q> is a FEEL expression; an error boundary event catches a fixed error code", code, e.attr("id"))
	}
	return code
}
