package bpmn

import (
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// resultVariableNS lists the namespaces whose resultVariable attribute names the variable that
// receives a script task's result, with their usual prefixes.
var resultVariableNS = []struct{ ns, prefix string }{
	{nsCamunda, "camunda"},
	{nsFlowable, "flowable"},
	{nsActiviti, "activiti"},
}

// scriptReader reads what one script task runs and reports what is wrong with it.
type scriptReader struct {
	el      *element
	n       *model.Node
	p       *problems
	resFrom string // where n.ResultVariable came from, for messages
	failed  bool   // a problem of the script was reported
}

// script reads what the script task el runs: the standard scriptFormat attribute and <script>
// child, or Zeebe's zeebe:script (a FEEL expression), and the result variable. A script task that
// names a task type and no script is a job worker (Camunda 8's other implementation of script
// tasks) and becomes a service task.
func (r *processReader) script(el *element, n *model.Node, m markers) {
	s := &scriptReader{el: el, n: n, p: r.p}
	format := el.attr("scriptFormat")
	hasFormat := strings.TrimSpace(format) != ""
	body, hasBody := "", false
	for _, c := range el.children {
		if c.is(nsBPMN, "script") && !hasBody {
			body, hasBody = c.content(), true
		}
	}
	zeebe := zeebeScript(el)
	resource, hasResource := el.lookup(nsCamunda, "resource")
	switch {
	case m.taskType != "" && (hasFormat || hasBody || zeebe != nil || hasResource):
		s.fail("%s=%q gives the script task a task type, but it has a script too; keep the script, or drop it and keep the task type", m.typeFrom, m.taskType)
	case m.taskType != "":
		n.Kind, n.TaskType, n.External = model.ServiceTask, m.taskType, m.external
		return
	case m.rejected:
		s.failed = true // an implementation attribute, already reported
	}
	for _, d := range resultVariableNS {
		if v, ok := el.lookup(d.ns, "resultVariable"); ok {
			s.result(d.prefix+":resultVariable", v)
		}
	}
	switch {
	case zeebe != nil:
		if hasBody {
			s.fail("the script task has both a <script> and a zeebe:script; keep one")
		}
		n.ScriptFormat = "expr"
		n.Script = model.NormalizeExpression(zeebe.attr("expression"))
		s.result("zeebe:script resultVariable", zeebe.attr("resultVariable"))
		if n.Script == "" {
			s.fail("zeebe:script expression %q is empty; write a FEEL expression such as =a + b", zeebe.attr("expression"))
		}
	case hasResource:
		s.fail("camunda:resource=%q: external script resources are not supported; put the script inline", resource)
	case !hasFormat && !hasBody:
		s.fail(`the script task has no script; set scriptFormat="javascript" or scriptFormat="expr" and write the script in a <script> child`)
	case !hasFormat:
		s.fail(`the script task has no scriptFormat; set scriptFormat="javascript" or scriptFormat="expr"`)
	default:
		n.Script = body
		if f, ok := scriptFormat(format); ok {
			n.ScriptFormat = f
		} else {
			s.fail("scriptFormat %q is not supported; use javascript or expr", format)
		}
		if body == "" {
			s.fail("the script task's <script> is empty; write the script in it")
		}
	}
	if s.failed {
		// Already reported: keep Link from reporting the same script again.
		n.ScriptFormat = "javascript"
		if n.Script == "" {
			n.Script = "unsupported"
		}
	}
}

// scriptFormat maps a scriptFormat attribute to the language Baton runs: "javascript" (also
// written js or ecmascript, in any case) or "expr". ok is false for every other language.
func scriptFormat(v string) (format string, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "javascript", "js", "ecmascript":
		return "javascript", true
	case "expr":
		return "expr", true
	}
	return "", false
}

// zeebeScript returns the zeebe:script extension element of el, or nil.
func zeebeScript(el *element) *element {
	for _, c := range el.children {
		if !c.is(nsBPMN, "extensionElements") {
			continue
		}
		for _, z := range c.children {
			if z.is(nsZeebe, "script") {
				return z
			}
		}
	}
	return nil
}

// result records the result variable read from the attribute from; two different result variables
// on one script task are a problem.
func (s *scriptReader) result(from, value string) {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
	case s.n.ResultVariable == "":
		s.n.ResultVariable, s.resFrom = value, from
	case s.n.ResultVariable != value:
		s.p.add(s.el.line, s.n.ID, "%s=%q and %s=%q give two different result variables; keep one", s.resFrom, s.n.ResultVariable, from, value)
	}
}

// fail reports a problem of the script task.
func (s *scriptReader) fail(format string, args ...any) {
	s.failed = true
	s.p.add(s.el.line, s.n.ID, format, args...)
}

// expressionResult reads the result variable of a task implemented by an expression.
func (r *processReader) expressionResult(el *element, n *model.Node) {
	for _, d := range resultVariableNS {
		if v, ok := el.lookup(d.ns, "resultVariable"); ok && strings.TrimSpace(v) != "" {
			n.ResultVariable = strings.TrimSpace(v)
			return
		}
	}
}
