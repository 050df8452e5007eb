package bpmn

import (
	"strings"
)

// jbpmDMN is the implementation URI of a jBPM business rule task that calls a DMN decision.
const jbpmDMN = "http://www.jboss.org/drools/dmn"

// drools reads jBPM's task type attributes: drools:taskName names a work item handler, and a
// Java service task names drools:serviceinterface and drools:serviceoperation. A business rule
// task that calls a DMN decision is rejected.
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
	if impl := r.el.attr("implementation"); strings.TrimSpace(impl) == jbpmDMN {
		r.reject("%s", dmnMessage(`implementation="`+impl+`"`))
	}
}

// extensions reads the extension elements Baton understands: Zeebe's task definition, the
// failed-job retry cycles, jBPM's customAsync metadata and, to reject it, Zeebe's called decision.
// Everything else in them is ignored.
func (r *markerReader) extensions(ext *element) {
	for _, c := range ext.children {
		switch {
		case c.is(nsZeebe, "taskDefinition"):
			if v, ok := c.lookup("", "retries"); ok {
				r.retries(v)
			}
			typ := strings.TrimSpace(c.attr("type"))
			if strings.HasPrefix(typ, "=") {
				r.reject("zeebe:taskDefinition type %q is a FEEL expression, which is not supported yet; write a fixed task type", typ)
				continue
			}
			r.setType(typ, "zeebe:taskDefinition type")
		case c.is(nsZeebe, "calledDecision"):
			r.reject("%s", dmnMessage(`zeebe:calledDecision decisionId="`+c.attr("decisionId")+`"`))
		case c.is(nsDrools, "metaData") && c.attr("name") == "customAsync":
			for _, v := range c.children {
				if v.is(nsDrools, "metaValue") {
					r.m.asyncBefore = r.flag("drools:metaData customAsync", v.content()) || r.m.asyncBefore
				}
			}
		default:
			for i := range dialects {
				if d := &dialects[i]; d.retryCycle != "" && c.is(d.ns, d.retryCycle) {
					r.retryCycle(d.prefix+":"+d.retryCycle, c.content())
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
