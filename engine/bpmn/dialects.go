package bpmn

import (
	"slices"
	"strings"
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

// dialect says how one modeller spells, in attributes of a flow node, the markers Baton reads.
// Attributes of its namespace that Baton does not read are ignored, except in strict dialects.
type dialect struct {
	ns, prefix  string
	asyncBefore []string // attributes that commit before the node
	asyncAfter  []string // attributes that commit after the node
	exclusive   string   // attribute whose "false" lets jobs of the node run concurrently
	class       string   // Java delegate class attribute; its value becomes the task type
	direct      string   // attribute whose value is the task type as is
	vendorType  bool     // <prefix>:type picks a built-in implementation
	external    string   // the <prefix>:type value that makes <prefix>:topic the task type
	unsupported []string // implementation attributes Baton cannot run yet
	strict      bool     // every other attribute of the namespace is a mistake (Baton's own)
}

// dialects lists the attribute dialects in the order their markers are read.
var dialects = []dialect{
	{
		ns: nsCamunda, prefix: "camunda",
		asyncBefore: []string{"asyncBefore", "async"}, asyncAfter: []string{"asyncAfter"},
		exclusive: "exclusive", class: "class", vendorType: true, external: "external",
		unsupported: []string{"delegateExpression", "expression"},
	},
	{
		ns: nsFlowable, prefix: "flowable",
		asyncBefore: []string{"async"}, asyncAfter: []string{"asyncLeave"},
		exclusive: "exclusive", class: "class", vendorType: true, external: "external-worker",
		unsupported: []string{"delegateExpression", "expression"},
	},
	{
		ns: nsActiviti, prefix: "activiti",
		asyncBefore: []string{"async"},
		exclusive:   "exclusive", class: "class", vendorType: true,
		unsupported: []string{"delegateExpression", "expression"},
	},
	{
		ns: nsBaton, prefix: "baton",
		asyncBefore: []string{"asyncBefore"}, asyncAfter: []string{"asyncAfter"},
		exclusive: "exclusive", direct: "type", strict: true,
	},
}

// markers is what the dialects say about one flow node.
type markers struct {
	asyncBefore  bool
	asyncAfter   bool
	notExclusive bool
	taskType     string
	typeFrom     string // where taskType came from, e.g. "camunda:class", for messages
	rejected     bool   // an implementation Baton cannot run was found and reported
}

// markerReader reads the markers of one flow node and reports what is wrong with them.
type markerReader struct {
	el *element
	id string
	p  *problems
	m  markers
}

// readMarkers reads the async markers, exclusivity and task type of the flow node el in every
// dialect: attributes, extension elements and the jBPM async data input.
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
		case slices.Contains(d.unsupported, name):
			r.reject("%s is not supported yet; use %s:class or a task type", qname, d.prefix)
		case d.strict:
			r.p.add(r.el.line, r.id, "unknown attribute %s=%q; Baton reads baton:asyncBefore, baton:asyncAfter, baton:exclusive and baton:type", qname, a.Value)
		}
	}
	switch {
	case vendorType == "":
	case d.external != "" && vendorType == d.external && strings.TrimSpace(topic) == "":
		r.reject("%s:type=%q needs a %s:topic naming the task type", d.prefix, vendorType, d.prefix)
	case d.external != "" && vendorType == d.external:
		r.setType(topic, d.prefix+":topic")
	case d.external != "":
		r.reject("%s:type=%q is not supported; use %s:class, or %s:type=%q with a %s:topic",
			d.prefix, vendorType, d.prefix, d.prefix, d.external, d.prefix)
	default:
		r.reject("%s:type=%q is not supported; use %s:class", d.prefix, vendorType, d.prefix)
	}
}

// drools reads jBPM's task type attributes: drools:taskName names a work item handler, and a
// Java service task names drools:serviceinterface and drools:serviceoperation.
func (r *markerReader) drools() {
	taskName, _ := r.el.lookup(nsDrools, "taskName")
	iface, _ := r.el.lookup(nsDrools, "serviceinterface")
	op, _ := r.el.lookup(nsDrools, "serviceoperation")
	iface, op = strings.TrimSpace(iface), strings.TrimSpace(op)
	switch {
	case iface != "" && op != "":
		r.setType(iface+"."+op, "drools:serviceinterface/serviceoperation")
	case strings.TrimSpace(taskName) != "":
		r.setType(taskName, "drools:taskName")
	case iface != "" || op != "":
		r.reject("a jBPM service task needs both drools:serviceinterface and drools:serviceoperation; set the missing one")
	}
}

// extensions reads the extension elements Baton understands: Zeebe's task definition and jBPM's
// customAsync metadata. Everything else in them is ignored.
func (r *markerReader) extensions(ext *element) {
	for _, c := range ext.children {
		switch {
		case c.is(nsZeebe, "taskDefinition"):
			typ := strings.TrimSpace(c.attr("type"))
			if strings.HasPrefix(typ, "=") {
				r.reject("zeebe:taskDefinition type %q is a FEEL expression, which is not supported yet; write a fixed task type", typ)
				continue
			}
			r.setType(typ, "zeebe:taskDefinition type")
		case c.is(nsDrools, "metaData") && c.attr("name") == "customAsync":
			for _, v := range c.children {
				if v.is(nsDrools, "metaValue") {
					r.m.asyncBefore = r.flag("drools:metaData customAsync", v.content()) || r.m.asyncBefore
				}
			}
		}
	}
}

// ioSpecification reads jBPM's other async marker: a data input named "async" on the task.
func (r *markerReader) ioSpecification(io *element) {
	for _, c := range io.children {
		if c.is(nsBPMN, "dataInput") && c.attr("name") == "async" {
			r.m.asyncBefore = true
		}
	}
}

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
