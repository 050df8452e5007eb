package bpmn

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// Namespaces Baton reads, matched by URI: the prefix a file binds them to does not matter.
const (
	nsBPMN     = "http://www.omg.org/spec/BPMN/20100524/MODEL"
	nsDI       = "http://www.omg.org/spec/BPMN/20100524/DI"
	nsCamunda  = "http://camunda.org/schema/1.0/bpmn"
	nsZeebe    = "http://camunda.org/schema/zeebe/1.0"
	nsFlowable = "http://flowable.org/bpmn"
	nsActiviti = "http://activiti.org/bpmn"
	nsDrools   = "http://www.jboss.org/drools"
	nsBaton    = "https://github.com/batonhq/baton/schema/bpmn"
)

// dialect says how one modeller spells, in attributes and extension elements of a flow node, the
// markers Baton reads. Attributes of its namespace that Baton does not read are ignored, except in
// strict dialects.
type dialect struct {
	ns, prefix  string
	asyncBefore []string // attributes that commit before the node
	asyncAfter  []string // attributes that commit after the node
	asyncExpr   string   // attribute that is a boolean or an expression deciding async before
	exclusive   string   // attribute whose "false" lets jobs of the node run concurrently
	class       string   // Java delegate class attribute; its value becomes the task type
	direct      string   // attribute whose value is the task type as is
	vendorType  bool     // <prefix>:type picks a built-in implementation
	external    string   // the <prefix>:type value that makes <prefix>:topic the task type
	dmnType     string   // the <prefix>:type value that calls a DMN decision
	decision    string   // attribute naming the DMN decision of a business rule task
	priority    string   // job priority attribute
	retryCycle  string   // extension element holding the failed-job retry cycle
	delegate    string   // delegate expression attribute: ${name} names the task type
	expression  string   // expression attribute: evaluated as the activity's behaviour
	unsupported []string // implementation attributes Baton cannot run yet
	strict      bool     // every other attribute of the namespace is a mistake (Baton's own)
}

// dialects lists the attribute dialects in the order their markers are read.
var dialects = []dialect{
	{
		ns: nsCamunda, prefix: "camunda",
		asyncBefore: []string{"asyncBefore", "async"}, asyncAfter: []string{"asyncAfter"},
		exclusive: "exclusive", class: "class", vendorType: true, external: "external",
		decision: "decisionRef", priority: "jobPriority", retryCycle: "failedJobRetryTimeCycle",
		delegate: "delegateExpression", expression: "expression",
	},
	{
		ns: nsFlowable, prefix: "flowable",
		asyncBefore: []string{"async"}, asyncAfter: []string{"asyncLeave"},
		exclusive: "exclusive", class: "class", vendorType: true, external: "external-worker", dmnType: "dmn",
		retryCycle: "failedJobRetryTimeCycle",
		delegate:   "delegateExpression", expression: "expression",
	},
	{
		ns: nsActiviti, prefix: "activiti",
		asyncBefore: []string{"async"},
		exclusive:   "exclusive", class: "class", vendorType: true,
		retryCycle: "failedJobRetryTimeCycle",
		delegate:   "delegateExpression", expression: "expression",
	},
	{
		ns: nsBaton, prefix: "baton",
		asyncBefore: []string{"asyncBefore"}, asyncAfter: []string{"asyncAfter"}, asyncExpr: "async",
		exclusive: "exclusive", direct: "type", strict: true,
	},
}

// markers is what the dialects say about one flow node.
type markers struct {
	asyncBefore  bool
	asyncAfter   bool
	asyncExpr    string // the normalized baton:async expression
	asyncFrom    string // the attribute asyncExpr came from, as written, for messages
	notExclusive bool
	taskType     string
	typeFrom     string // where taskType came from, e.g. "camunda:class", for messages
	external     bool   // taskType is the topic of an external task
	rejected     bool   // an implementation Baton cannot run was found and reported
	retryCycle   string
	retries      int
	priority     string
	expression   string // a normalized <prefix>:expression that is the activity's behaviour
	exprFrom     string
}

// markerReader reads the markers of one flow node and reports what is wrong with them.
type markerReader struct {
	el *element
	id string
	p  *problems
	m  markers
}

// readMarkers reads the async markers, exclusivity, task type and job options of the flow node el
// in every dialect: attributes, extension elements and the jBPM async data input.
func readMarkers(el *element, id string, p *problems) markers {
	r := &markerReader{el: el, id: id, p: p}
	for i := range dialects {
		r.attributes(&dialects[i])
	}
	r.drools()
	for _, c := range el.children {
		switch {
		case c.is(nsBPMN, "extensionElements"):
			r.extensions(c)
		case c.is(nsBPMN, "ioSpecification"):
			r.ioSpecification(c)
		}
	}
	if r.m.asyncExpr != "" && r.m.asyncBefore {
		r.p.add(el.line, id, "%s decides at run time whether the node is async before, but another marker makes it always async before; keep one", r.m.asyncFrom)
	}
	return r.m
}

// attributes reads the attributes of the namespace of d.
func (r *markerReader) attributes(d *dialect) {
	var vendorType, topic string
	for _, a := range r.el.attrs {
		if a.Name.Space != d.ns {
			continue
		}
		name, qname := a.Name.Local, d.prefix+":"+a.Name.Local
		switch {
		case slices.Contains(d.asyncBefore, name):
			r.m.asyncBefore = r.flag(qname, a.Value) || r.m.asyncBefore
		case slices.Contains(d.asyncAfter, name):
			r.m.asyncAfter = r.flag(qname, a.Value) || r.m.asyncAfter
		case d.asyncExpr != "" && name == d.asyncExpr:
			r.async(qname, a.Value)
		case name == d.exclusive:
			if v, ok := r.boolean(qname, a.Value); ok && !v {
				r.m.notExclusive = true
			}
		case name == d.class || name == d.direct:
			r.setType(a.Value, qname)
		case d.vendorType && name == "type":
			vendorType = a.Value
		case d.external != "" && name == "topic":
			topic = a.Value
		case d.decision != "" && name == d.decision:
			r.reject("%s", dmnMessage(fmt.Sprintf("%s=%q", qname, a.Value)))
		case d.priority != "" && name == d.priority:
			r.jobPriority(qname, a.Value)
		case d.delegate != "" && name == d.delegate:
			r.delegateExpression(qname, a.Value)
		case d.expression != "" && name == d.expression:
			r.m.expression, r.m.exprFrom = model.NormalizeExpression(a.Value), qname
		case slices.Contains(d.unsupported, name):
			r.reject("%s is not supported yet; use %s:class or a task type", qname, d.prefix)
		case d.strict:
			r.p.add(r.el.line, r.id, "unknown attribute %s=%q; Baton reads baton:async, baton:asyncBefore, baton:asyncAfter, baton:exclusive and baton:type", qname, a.Value)
		}
	}
	switch {
	case vendorType == "":
	case d.dmnType != "" && vendorType == d.dmnType:
		r.reject("%s", dmnMessage(fmt.Sprintf("%s:type=%q", d.prefix, vendorType)))
	case d.external != "" && vendorType == d.external && strings.TrimSpace(topic) == "":
		r.reject("%s:type=%q needs a %s:topic naming the task type", d.prefix, vendorType, d.prefix)
	case d.external != "" && vendorType == d.external:
		r.setType(topic, d.prefix+":topic")
		r.m.external = true
	case d.external != "":
		r.reject("%s:type=%q is not supported; use %s:class, or %s:type=%q with a %s:topic",
			d.prefix, vendorType, d.prefix, d.prefix, d.external, d.prefix)
	default:
		r.reject("%s:type=%q is not supported; use %s:class", d.prefix, vendorType, d.prefix)
	}
}

// delegateExpression resolves a delegate expression to a task type: ${chargeDelegate} names
// the delegate registered as "chargeDelegate", the bean a Camunda user would have written.
func (r *markerReader) delegateExpression(qname, value string) {
	name := model.NormalizeExpression(value)
	if !delegateName.MatchString(name) || name == value {
		r.reject("%s=%q must name a delegate as ${name}; Baton takes the name as the task type (register a delegate under it)", qname, value)
		return
	}
	r.setType(name, qname)
}

// delegateName is what a delegate expression may name: an identifier, dots allowed.
var delegateName = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$.]*$`)

// setType records the task type value read from the attribute from; two different task types on
// one node are a problem.
func (r *markerReader) setType(value, from string) {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
	case r.m.taskType == "":
		r.m.taskType, r.m.typeFrom = value, from
	case r.m.taskType != value:
		r.p.add(r.el.line, r.id, "%s=%q and %s=%q give two different task types; keep one", r.m.typeFrom, r.m.taskType, from, value)
	}
}

// reject reports an implementation Baton cannot run and remembers it, so that the node is not
// also reported as having no implementation.
func (r *markerReader) reject(format string, args ...any) {
	r.m.rejected = true
	r.p.add(r.el.line, r.id, format, args...)
}
