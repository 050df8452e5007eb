package bpmn

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// businessKeyIdiom matches Camunda's and Flowable's ways of reading the calling instance's business
// key in an expression, which expr-lang cannot evaluate: they become the variable _businessKey,
// which the runtime provides.
var businessKeyIdiom = regexp.MustCompile(`\bexecution\.(?:processBusinessKey|businessKey)\b|\bexecution\.get(?:Process)?BusinessKey\(\s*\)`)

// businessKeyVar is the variable that holds the calling instance's business key in the
// expressions of a call activity.
const businessKeyVar = "_businessKey"

// callReader reads the called element of one call activity and reports what is wrong with it.
type callReader struct {
	r       *processReader
	el      *element
	id      string
	c       *model.CallSpec
	keyFrom string // where c.ProcessKey came from, for messages
	bkFrom  string // where c.BusinessKey came from, for messages
	// keyFailed says that a called element Baton cannot call was reported.
	keyFailed bool
}

// callActivity reads the called process of the call activity el and how variables cross into and
// out of it, in every dialect, into n.Call. Its own input/output mappings and markers are read
// like any activity's.
func (r *processReader) callActivity(el *element, n *model.Node) {
	cr := &callReader{r: r, el: el, id: n.ID, c: &model.CallSpec{}}
	n.Call = cr.c
	if v, ok := el.lookup("", "calledElement"); ok {
		cr.processKey("calledElement", v)
	}
	cr.camunda()
	cr.flowable(nsFlowable, "flowable")
	cr.flowable(nsActiviti, "activiti")
	cr.drools()
	for _, ext := range el.children {
		if !ext.is(nsBPMN, "extensionElements") {
			continue
		}
		for _, c := range ext.children {
			if c.is(nsZeebe, "calledElement") {
				cr.zeebe(c)
				continue
			}
			for _, d := range javaDialects {
				if c.is(d.ns, "in") || c.is(d.ns, "out") {
					cr.inOut(c, d.prefix)
				}
			}
		}
	}
	if cr.keyFailed && cr.c.ProcessKey == "" {
		cr.c.ProcessKey = "unsupported" // already reported; keeps Link from reporting it again
	}
}

// add reports a problem of the call activity at line.
func (cr *callReader) add(line int, format string, args ...any) {
	cr.r.p.add(line, cr.id, format, args...)
}

// processKey records the called process's id read from the attribute from. An expression is a
// dynamic called element, which Baton cannot deploy against.
func (cr *callReader) processKey(from, v string) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
	case isExpression(v):
		cr.add(cr.el.line, "%s=%q is an expression: dynamic called elements are not supported; name the called process's id", from, v)
		cr.keyFailed = true
	case cr.c.ProcessKey == "":
		cr.c.ProcessKey, cr.keyFrom = v, from
	case cr.c.ProcessKey != v:
		cr.add(cr.el.line, "%s=%q and %s=%q name two different called processes; keep one", cr.keyFrom, cr.c.ProcessKey, from, v)
	}
}

// businessKey records the business key expression read from from.
func (cr *callReader) businessKey(line int, from, expr string) {
	switch {
	case cr.c.BusinessKey == "":
		cr.c.BusinessKey, cr.bkFrom = expr, from
	case cr.c.BusinessKey != expr:
		cr.add(line, "%s and %s give the child two different business keys; keep one", cr.bkFrom, from)
	}
}

// camunda reads Camunda 7's attributes of the call activity.
func (cr *callReader) camunda() {
	for _, a := range cr.el.attrs {
		if a.Name.Space != nsCamunda {
			continue
		}
		name, v := a.Name.Local, strings.TrimSpace(a.Value)
		switch name {
		case "calledElementBinding":
			cr.c.Binding = v // Link rejects what it does not know, versionTag included
		case "calledElementVersion":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				cr.add(cr.el.line, "camunda:calledElementVersion=%q is not a version number; write a number such as 2", a.Value)
				n = 1 // already reported; keeps Link from reporting a missing version
			}
			cr.c.Version = n
		case "calledElementTenantId", "caseTenantId":
			cr.add(cr.el.line, "camunda:%s=%q: tenants are not supported; remove it", name, a.Value)
		case "variableMappingClass", "variableMappingDelegateExpression":
			cr.add(cr.el.line, "camunda:%s=%q: variable mapping delegates are not supported; map variables with camunda:in and camunda:out", name, a.Value)
		case "caseRef":
			cr.add(cr.el.line, "camunda:caseRef=%q: calling a CMMN case is not supported; call a process with calledElement", a.Value)
			cr.keyFailed = true
		}
	}
}

// flowable reads the call activity attributes of Flowable or Activiti, in the namespace ns.
func (cr *callReader) flowable(ns, prefix string) {
	for _, a := range cr.el.attrs {
		if a.Name.Space != ns {
			continue
		}
		qname, v := prefix+":"+a.Name.Local, strings.TrimSpace(a.Value)
		switch a.Name.Local {
		case "calledElementType":
			if v != "" && v != "key" {
				cr.add(cr.el.line, "%s=%q is not supported; Baton calls processes by key: write \"key\" and name the process id in calledElement", qname, a.Value)
			}
		case "inheritVariables":
			cr.c.InAll = cr.flag(qname, a.Value) || cr.c.InAll
		case "sameDeployment":
			if cr.flag(qname, a.Value) {
				cr.c.Binding = model.BindingDeployment
			}
		case "inheritBusinessKey":
			if cr.flag(qname, a.Value) {
				cr.businessKey(cr.el.line, qname, businessKeyVar)
			}
		case "businessKey":
			if expr, ok := cr.expression(cr.el.line, qname, a.Value); ok && expr != "" {
				cr.businessKey(cr.el.line, qname, expr)
			}
		}
	}
}

// drools reads jBPM's call activity attributes: Baton always waits for the child, so neither a
// call that does not wait nor an independent child is supported.
func (cr *callReader) drools() {
	if v, ok := cr.el.lookup(nsDrools, "waitForCompletion"); ok {
		if wait, valid := cr.boolean(cr.el.line, "drools:waitForCompletion", v); valid && !wait {
			cr.add(cr.el.line, `drools:waitForCompletion="false" is not supported: Baton always waits for the child; remove it, or start the other process from a serviceTask worker`)
		}
	}
	if v, ok := cr.el.lookup(nsDrools, "independent"); ok {
		if independent, valid := cr.boolean(cr.el.line, "drools:independent", v); valid && independent {
			cr.add(cr.el.line, `drools:independent="true" is not supported: Baton always waits for the child, which belongs to the calling instance; remove it`)
		}
	}
}

// zeebe reads Zeebe's zeebe:calledElement z. As in Zeebe, every variable crosses into and out of
// the child unless propagateAllParentVariables or propagateAllChildVariables is false.
func (cr *callReader) zeebe(z *element) {
	cr.processKey("zeebe:calledElement processId", z.attr("processId"))
	cr.c.InAll, cr.c.OutAll, cr.c.InLocals, cr.c.OutLocals = true, true, true, true
	if v, ok := z.lookup("", "propagateAllParentVariables"); ok {
		cr.c.InAll, _ = cr.boolean(z.line, "zeebe:calledElement propagateAllParentVariables", v)
	}
	if v, ok := z.lookup("", "propagateAllChildVariables"); ok {
		cr.c.OutAll, _ = cr.boolean(z.line, "zeebe:calledElement propagateAllChildVariables", v)
	}
	if v := strings.TrimSpace(z.attr("bindingType")); v != "" {
		cr.c.Binding = v // Link rejects versionTag
	}
}

// inOut reads one <prefix>:in or <prefix>:out el: variables="all", a business key, or a mapping
// from source (a variable name) or sourceExpression to target. local is not read: mappings always
// set variables of the scope they map into.
func (cr *callReader) inOut(el *element, prefix string) {
	in := el.name.Local == "in"
	qname := prefix + ":" + el.name.Local
	source, hasSource := el.lookup("", "source")
	sourceExpr, hasExpr := el.lookup("", "sourceExpression")
	target := strings.TrimSpace(el.attr("target"))
	vars, hasVars := el.lookup("", "variables")
	bk, hasBK := el.lookup("", "businessKey")
	switch {
	case hasVars && strings.TrimSpace(vars) != "all":
		cr.add(el.line, "%s variables=%q is not supported; write variables=\"all\"", qname, vars)
		return
	case hasVars && in:
		cr.c.InAll = true
	case hasVars:
		cr.c.OutAll = true
	}
	if hasBK {
		if !in {
			cr.add(el.line, "%s businessKey=%q: a business key passes into the child only; move it to %s:in", qname, bk, prefix)
		} else if expr, ok := cr.expression(el.line, qname+" businessKey", bk); ok && expr != "" {
			cr.businessKey(el.line, qname+" businessKey", expr)
		}
	}
	var m model.Mapping
	switch {
	case hasSource && hasExpr:
		cr.add(el.line, "%s has both source=%q and sourceExpression=%q; keep one", qname, source, sourceExpr)
		return
	case hasSource:
		s := strings.TrimSpace(source)
		if !variableName.MatchString(s) {
			cr.add(el.line, "%s source=%q is not a variable name; write an expression in sourceExpression instead", qname, source)
			return
		}
		m = model.Mapping{Target: target, Expr: s}
	case hasExpr:
		v, msg := juel(businessKeyIdiom.ReplaceAllString(sourceExpr, businessKeyVar))
		if msg != "" {
			cr.add(el.line, "%s sourceExpression=%q %s", qname, sourceExpr, msg)
			return
		}
		m = v.mapping(target)
	case hasVars || hasBK:
		return
	default:
		cr.add(el.line, "%s needs source, sourceExpression, variables=\"all\" or businessKey", qname)
		return
	}
	if in {
		cr.c.In = append(cr.c.In, m)
	} else {
		cr.c.Out = append(cr.c.Out, m)
	}
}

// expression translates the JUEL attribute from (value v) into an expr-lang expression, with
// Camunda's business key idioms replaced by _businessKey; a constant becomes a string literal.
func (cr *callReader) expression(line int, from, v string) (string, bool) {
	val, msg := juel(businessKeyIdiom.ReplaceAllString(v, businessKeyVar))
	switch {
	case msg != "":
		cr.add(line, "%s=%q %s", from, v, msg)
		return "", false
	case val.expr != "":
		return val.expr, true
	case val.value == nil:
		return "", true
	}
	return val.literal(), true
}

// flag parses the boolean attribute qname of the call activity, reporting a value that is not one.
func (cr *callReader) flag(qname, v string) bool {
	b, _ := cr.boolean(cr.el.line, qname, v)
	return b
}

// boolean parses the boolean attribute qname of the element at line; valid is false (and a problem
// reported) when v is neither "true" nor "false".
func (cr *callReader) boolean(line int, qname, v string) (b, valid bool) {
	b, valid = parseBool(strings.TrimSpace(v))
	if !valid {
		cr.add(line, "%s=%q is not a boolean; write \"true\" or \"false\"", qname, v)
	}
	return b, valid
}

// variableName is what a camunda:in or camunda:out source may name: a plain identifier, which
// expr-lang reads as the variable.
var variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
