package bpmn

import (
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// loopReader reads the multiInstanceLoopCharacteristics of one activity and reports what is
// wrong with it.
type loopReader struct {
	r        *processReader
	el       *element // the multiInstanceLoopCharacteristics
	act      *element // the activity that holds it
	id       string
	mi       *model.MultiInstance
	colFrom  string // where mi.Collection came from, for messages
	elemFrom string // where mi.ElementVariable came from, for messages
}

// loop reads the multiInstanceLoopCharacteristics el of the activity act into n.Loop: the
// standard isSequential, loopCardinality, completionCondition and data items, the collection and
// element variable of every dialect, and the async markers of the inner activity. Link checks
// that the kind of n can be multi-instance.
func (r *processReader) loop(el, act *element, n *model.Node) {
	if n.Loop != nil {
		r.p.add(el.line, n.ID, "a second multiInstanceLoopCharacteristics; an activity has one, keep it")
		return
	}
	lr := &loopReader{r: r, el: el, act: act, id: n.ID, mi: &model.MultiInstance{}}
	n.Loop = lr.mi
	if v, ok := el.lookup("", "isSequential"); ok {
		seq, valid := parseBool(v)
		if !valid {
			r.p.add(el.line, n.ID, "isSequential=%q is not a boolean; write \"true\" or \"false\"", v)
		}
		lr.mi.Sequential = seq
	}
	lr.markers()
	lr.attributes()
	for _, c := range el.children {
		switch {
		case c.is(nsBPMN, "loopCardinality"):
			lr.mi.Cardinality = model.NormalizeExpression(c.content())
		case c.is(nsBPMN, "completionCondition"):
			lr.mi.CompletionCondition = r.condition(c, n.ID)
		case c.is(nsBPMN, "loopDataInputRef"):
			lr.dataRef(c, "dataInput", "dataInputAssociation", "targetRef", "sourceRef")
		case c.is(nsBPMN, "loopDataOutputRef"):
			lr.dataRef(c, "dataOutput", "dataOutputAssociation", "sourceRef", "targetRef")
		case c.is(nsBPMN, "inputDataItem"):
			lr.elementVariable(c.line, "inputDataItem name", c.attr("name"))
		case c.is(nsBPMN, "outputDataItem"):
			if name := strings.TrimSpace(c.attr("name")); name != "" {
				lr.mi.OutputElement = name
			}
		case c.is(nsBPMN, "extensionElements"):
			for _, z := range c.children {
				if z.is(nsZeebe, "loopCharacteristics") {
					lr.zeebe(z)
				}
			}
		}
	}
}

// markers reads the async markers of the inner activity from the attributes of the loop element,
// in every dialect. Its failed-job retry cycle is not read: the activity's applies.
func (lr *loopReader) markers() {
	m := readMarkers(lr.el, lr.id, lr.r.p)
	lr.mi.AsyncBefore, lr.mi.AsyncAfter, lr.mi.NotExclusive = m.asyncBefore, m.asyncAfter, m.notExclusive
	if m.asyncExpr != "" {
		lr.r.p.add(lr.el.line, lr.id, "%s on multiInstanceLoopCharacteristics is not supported; mark the inner activity with baton:asyncBefore or baton:asyncAfter", m.asyncFrom)
	}
	if m.taskType != "" {
		lr.r.p.add(lr.el.line, lr.id, "%s=%q on multiInstanceLoopCharacteristics names a task type; put it on the activity", m.typeFrom, m.taskType)
	}
}

// attributes reads the collection and element variable attributes of the Java engines.
func (lr *loopReader) attributes() {
	for _, a := range lr.el.attrs {
		for _, d := range javaDialects {
			if a.Name.Space != d.ns {
				continue
			}
			qname := d.prefix + ":" + a.Name.Local
			switch a.Name.Local {
			case "collection":
				lr.collection(lr.el.line, qname, model.NormalizeExpression(a.Value))
			case "elementVariable":
				lr.elementVariable(lr.el.line, qname, a.Value)
			case "elementIndexVariable":
				lr.r.p.add(lr.el.line, lr.id, "%s=%q is not supported; an inner instance finds its index in the variable loopCounter", qname, a.Value)
			}
		}
	}
}

// zeebe reads Zeebe's zeebe:loopCharacteristics z.
func (lr *loopReader) zeebe(z *element) {
	lr.collection(z.line, "zeebe:loopCharacteristics inputCollection", model.NormalizeExpression(z.attr("inputCollection")))
	lr.elementVariable(z.line, "zeebe:loopCharacteristics inputElement", z.attr("inputElement"))
	if v := strings.TrimSpace(z.attr("outputCollection")); v != "" {
		lr.mi.OutputCollection = v
	}
	if v := model.NormalizeExpression(z.attr("outputElement")); v != "" {
		lr.mi.OutputElement = v
	}
}

// dataRef reads a loopDataInputRef or loopDataOutputRef ref. When it names a data input (or data
// output) of the activity, as jBPM writes it, the process variable associated with that data
// input is the collection (or output collection); otherwise ref itself names it, as Flowable and
// Activiti write it.
func (lr *loopReader) dataRef(ref *element, data, assoc, match, want string) {
	name := ref.content()
	if name == "" {
		return
	}
	from := ref.name.Local
	variable := model.NormalizeExpression(name)
	if activityData(lr.act, data)[name] {
		variable = associated(lr.act, assoc, match, name, want)
		if variable == "" {
			lr.r.p.add(ref.line, lr.id, "%s %q names the %s %q of the activity, but no %s connects it to a process variable; associate one with it",
				from, name, data, name, assoc)
			variable = "unsupported" // already reported; keeps Link from reporting a missing collection
		}
	}
	if data == "dataInput" {
		lr.collection(ref.line, from, variable)
	} else {
		lr.mi.OutputCollection = variable
	}
}

// collection records the collection expression read from from.
func (lr *loopReader) collection(line int, from, expr string) {
	switch {
	case expr == "":
	case lr.mi.Collection == "":
		lr.mi.Collection, lr.colFrom = expr, from
	case lr.mi.Collection != expr:
		lr.r.p.add(line, lr.id, "%s and %s give the multi-instance two different collections, %q and %q; keep one", lr.colFrom, from, lr.mi.Collection, expr)
	}
}

// elementVariable records the element variable name read from from.
func (lr *loopReader) elementVariable(line int, from, name string) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
	case lr.mi.ElementVariable == "":
		lr.mi.ElementVariable, lr.elemFrom = name, from
	case lr.mi.ElementVariable != name:
		lr.r.p.add(line, lr.id, "%s and %s give the multi-instance two different element variables, %q and %q; keep one", lr.elemFrom, from, lr.mi.ElementVariable, name)
	}
}

// activityData returns the ids of the data inputs or data outputs (local) of the activity act's
// ioSpecification.
func activityData(act *element, local string) map[string]bool {
	ids := map[string]bool{}
	for _, io := range act.children {
		if !io.is(nsBPMN, "ioSpecification") {
			continue
		}
		for _, c := range io.children {
			if id := c.attr("id"); c.is(nsBPMN, local) && id != "" {
				ids[id] = true
			}
		}
	}
	return ids
}

// associated returns the text of the want child (sourceRef or targetRef) of the activity act's
// data association assoc whose match child is ref; "" when there is none.
func associated(act *element, assoc, match, ref, want string) string {
	for _, a := range act.children {
		if !a.is(nsBPMN, assoc) {
			continue
		}
		var got, matched string
		for _, c := range a.children {
			switch {
			case c.is(nsBPMN, match) && matched == "":
				matched = c.content()
			case c.is(nsBPMN, want) && got == "":
				got = c.content()
			}
		}
		if matched == ref && got != "" {
			return got
		}
	}
	return ""
}
