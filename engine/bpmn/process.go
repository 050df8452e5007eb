package bpmn

import (
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// processReader builds the Definition of one <process>.
type processReader struct {
	p   *problems
	def *model.Definition
	// elements maps node ids to the BPMN element they were read from, for messages.
	elements map[string]string
	// placeholders holds the ids of unsupported elements that stand in the graph as plain tasks
	// so that Link does not also report the flows touching them. They never reach a caller.
	placeholders map[string]bool
	flows        []*model.Flow // in document order
	// flowScopes maps flow ids to the id of the subprocess that declares them ("" for the process).
	flowScopes map[string]string
	// roots holds the document's root errors, messages and signals, which flow elements name.
	roots documentRoots
}

// readProcess reads the flow nodes and sequence flows of the executable process el; roots holds
// the root elements of its document that flow elements name.
func readProcess(el *element, roots documentRoots, p *problems) *model.Definition {
	r := &processReader{
		p:     p,
		roots: roots,
		def: &model.Definition{
			Key:   el.attr("id"),
			Name:  el.attr("name"),
			Nodes: map[string]*model.Node{},
			Flows: map[string]*model.Flow{},
		},
		elements:     map[string]string{},
		placeholders: map[string]bool{},
		flowScopes:   map[string]string{},
	}
	r.processExtensions(el)
	r.scope(el, "")
	r.wire()
	r.checkConditions()
	r.checkScopes()
	r.checkManualBoundaries()
	if len(r.def.Nodes) == 0 {
		p.add(el.line, r.def.Key, "the process has no flow nodes; model at least a start event and an end event")
	}
	return r.def
}

// node reads one supported flow node of the scope parent (a subprocess id, "" for the process).
// It returns the node, or nil when the node has no id or its id is taken.
func (r *processReader) node(el *element, parent string) *model.Node {
	local := el.name.Local
	id := el.attr("id")
	if id == "" {
		r.p.add(el.line, "", "<%s> has no id; give every flow element a unique id", local)
		return nil
	}
	m := readMarkers(el, id, r.p)
	n := &model.Node{
		ID:           id,
		Name:         el.attr("name"),
		Kind:         nodeKinds[local],
		AsyncBefore:  m.asyncBefore,
		AsyncAfter:   m.asyncAfter,
		AsyncExpr:    m.asyncExpr,
		NotExclusive: m.notExclusive,
		RetryCycle:   m.retryCycle,
		Retries:      m.retries,
		Priority:     m.priority,
		Parent:       parent,
		Line:         el.line,
	}
	definitions := r.children(el, n)
	if n.Kind == model.EndEvent {
		r.errorEnd(el, n)
	}
	switch {
	case n.Kind == model.ScriptTask:
		r.script(el, n, m)
	case n.Kind == model.BoundaryEvent:
		r.boundary(el, n, definitions, m)
	case (n.Kind == model.Task || n.Kind == model.ServiceTask) && m.expression != "" && m.taskType == "":
		// <prefix>:expression is the activity's behaviour: evaluated like an expr script task.
		n.Kind, n.ScriptFormat, n.Script = model.ScriptTask, "expr", m.expression
		r.expressionResult(el, n)
	case n.Kind == model.Task || n.Kind == model.ServiceTask:
		if m.expression != "" {
			r.p.add(el.line, id, "%s and %s=%q both implement the task; keep one", m.exprFrom, m.typeFrom, m.taskType)
		}
		if m.taskType != "" {
			n.Kind = model.ServiceTask
			n.TaskType = m.taskType
			n.External = m.external
		} else if m.rejected {
			n.TaskType = "unsupported" // already reported; keeps Link from reporting it again
		}
	case m.taskType != "" && definitions == 0:
		// An event with a definition is reported already; Zeebe gives message events a task type.
		r.p.add(el.line, id, "%s=%q gives a <%s> a task type, which only tasks have; remove it", m.typeFrom, m.taskType, local)
	}
	r.activity(el, n)
	if string(n.Kind) != local {
		n.Element = local
	}
	if def := el.attr("default"); def != "" {
		if branching(n.Kind) {
			n.Default = def
		} else {
			r.p.add(el.line, id, "a default flow on a <%s> is not supported; route its outgoing flows through an exclusiveGateway or an inclusiveGateway", local)
		}
	}
	if !r.addNode(n, local) {
		return nil
	}
	return n
}

// children reads the BPMN children of the flow node el that change its behaviour: the terminate
// definition of an end event, the event definition of an intermediate catch event, the
// multi-instance marker, and the event definitions and loop markers Baton does not run, each
// reported. The error definitions of boundary and end events are left to boundary and errorEnd.
// It returns how many event definitions it reported.
func (r *processReader) children(el *element, n *model.Node) int {
	reported := 0
	for _, c := range el.children {
		if c.name.Space != nsBPMN {
			continue
		}
		switch {
		case c.name.Local == "terminateEventDefinition" && n.Kind == model.EndEvent:
			n.Terminate = true
		case c.name.Local == "errorEventDefinition" && (n.Kind == model.BoundaryEvent || n.Kind == model.EndEvent):
		case n.Kind == model.CatchEvent && catchTypes[c.name.Local] != "":
			r.catchDefinition(c, n)
		case n.Kind == model.BoundaryEvent && (c.name.Local == "timerEventDefinition" || c.name.Local == "messageEventDefinition" ||
			c.name.Local == "signalEventDefinition"):
			r.catchDefinition(c, n)
		case n.Kind == model.StartEvent && (c.name.Local == "messageEventDefinition" || c.name.Local == "signalEventDefinition" ||
			c.name.Local == "timerEventDefinition"):
			n.EventType = strings.TrimSuffix(c.name.Local, "EventDefinition")
			switch n.EventType {
			case "message":
				n.EventRef = r.refName(c, "messageRef", "message", r.roots.messages, n.ID, true)
			case "signal":
				n.EventRef = r.refName(c, "signalRef", "signal", r.roots.signals, n.ID, true)
			default:
				n.EventRef = r.timer(c, n.ID)
			}
		case (n.Kind == model.ThrowEvent || n.Kind == model.EndEvent) && c.name.Local == "signalEventDefinition":
			n.EventType = "signal"
			n.EventRef = r.refName(c, "signalRef", "signal", r.roots.signals, n.ID, true)
		case isEventDefinition(c.name.Local):
			r.p.add(c.line, n.ID, "%s", eventDefinitionMessage(c.name.Local, el.name.Local))
			reported++
		case c.name.Local == "multiInstanceLoopCharacteristics":
			r.loop(c, el, n)
		case c.name.Local == "standardLoopCharacteristics":
			r.p.add(c.line, n.ID, "%s", unsupportedMessage(c.name.Local))
		}
	}
	return reported
}

// activity reads what the flow node el carries beside its behaviour into n: the input/output
// mappings and execution listeners of its extension elements, and what its kind needs: the called
// process of a call activity, the people and form of a user task, the message of a receive task,
// the attributes of an event-based gateway.
func (r *processReader) activity(el *element, n *model.Node) {
	for _, ext := range el.children {
		if !ext.is(nsBPMN, "extensionElements") {
			continue
		}
		for _, c := range ext.children {
			switch {
			case c.is(nsCamunda, "inputOutput"):
				r.camundaIO(c, n)
			case c.is(nsZeebe, "ioMapping"):
				r.zeebeIO(c, n)
			case c.is(nsDrools, "onEntry-script"), c.is(nsDrools, "onExit-script"):
				r.droolsScript(c, n.ID)
			default:
				n.Listeners = append(n.Listeners, r.listeners(c, n.ID, false)...)
			}
		}
	}
	switch n.Kind {
	case model.CallActivity:
		r.callActivity(el, n)
	case model.UserTask:
		r.userTask(el, n)
	case model.ReceiveTask:
		r.receiveTask(el, n)
	case model.EventGateway:
		r.eventGateway(el, n)
	}
}

// unsupported reports an element of the scope parent that Baton does not run and puts a
// placeholder in its place.
func (r *processReader) unsupported(el *element, parent string) {
	r.placeholder(el, parent, "%s", unsupportedMessage(el.name.Local))
}

// placeholder reports the problem format of the element el of the scope parent and puts a plain
// task in its place, so that the flows touching it give no problems of their own.
func (r *processReader) placeholder(el *element, parent, format string, args ...any) {
	id := el.attr("id")
	r.p.add(el.line, id, format, args...)
	if id != "" && r.addNode(&model.Node{ID: id, Kind: model.Task, Element: el.name.Local, Parent: parent, Line: el.line}, el.name.Local) {
		r.placeholders[id] = true
	}
}

// addNode adds n unless its id is taken (checkIDs reported that); it reports whether it did.
func (r *processReader) addNode(n *model.Node, local string) bool {
	if r.def.Nodes[n.ID] != nil || r.def.Flows[n.ID] != nil {
		return false
	}
	r.def.Nodes[n.ID] = n
	r.elements[n.ID] = local
	return true
}

// flow reads one sequence flow of the scope parent and its condition.
func (r *processReader) flow(el *element, parent string) {
	id := el.attr("id")
	if id == "" {
		r.p.add(el.line, "", "<sequenceFlow> has no id; give every flow element a unique id")
		return
	}
	f := &model.Flow{ID: id, Source: el.attr("sourceRef"), Target: el.attr("targetRef"), Line: el.line}
	for _, c := range el.children {
		switch {
		case c.is(nsBPMN, "conditionExpression"):
			f.Condition = r.condition(c, id)
		case c.is(nsBPMN, "extensionElements"):
			for _, x := range c.children {
				f.Listeners = append(f.Listeners, r.listeners(x, id, true)...)
			}
		}
	}
	if r.def.Nodes[id] != nil || r.def.Flows[id] != nil {
		return
	}
	r.def.Flows[id] = f
	r.flowScopes[id] = parent
	r.flows = append(r.flows, f)
}

// wire fills the nodes' Incoming and Outgoing from the flows, in document order. The
// <incoming>/<outgoing> children of flow nodes are redundant and not read.
func (r *processReader) wire() {
	for _, f := range r.flows {
		if n := r.def.Nodes[f.Source]; n != nil {
			n.Outgoing = append(n.Outgoing, f.ID)
		}
		if n := r.def.Nodes[f.Target]; n != nil {
			n.Incoming = append(n.Incoming, f.ID)
		}
	}
}

// checkConditions reports conditions on flows that do not leave an exclusive or inclusive gateway:
// BPMN gives them inclusive semantics on activities and ignores them on parallel gateways.
func (r *processReader) checkConditions() {
	for _, f := range r.flows {
		n := r.def.Nodes[f.Source]
		// Link reports conditions out of an event-based gateway.
		if f.Condition == "" || n == nil || r.placeholders[n.ID] || branching(n.Kind) || n.Kind == model.EventGateway {
			continue
		}
		if n.Kind == model.ParallelGateway {
			r.p.add(f.Line, f.ID, "a condition on a flow out of a <parallelGateway> has no effect in BPMN; remove it, or branch with an exclusiveGateway or an inclusiveGateway")
			continue
		}
		r.p.add(f.Line, f.ID, "a condition on a flow out of a <%s> is not supported; put an exclusiveGateway (one path) or an inclusiveGateway (every true path) after %q and move the condition to its outgoing flow",
			r.elements[n.ID], n.ID)
	}
}

// condition returns the expr-lang text of a <conditionExpression>, or "" after reporting a
// condition Baton cannot evaluate.
func (r *processReader) condition(el *element, flowID string) string {
	text := el.content()
	if res, ok := el.lookup(nsCamunda, "resource"); ok {
		r.p.add(el.line, flowID, "a condition read from the resource %q is not supported; write the condition as an expression such as ${amount > 100}", res)
		return ""
	}
	lang := el.attr("language")
	switch strings.ToLower(strings.TrimSpace(lang)) {
	case "", "juel", "feel", "http://www.omg.org/spec/feel/20140401":
		return model.NormalizeExpression(text)
	case "http://www.java.com/java", "java", "http://www.mvel.org/2.0", "mvel":
		// jBPM writes conditions as a single Java/MVEL statement: "return amount > 100;".
		s := strings.TrimSpace(strings.TrimSuffix(text, ";"))
		if rest, ok := strings.CutPrefix(s, "return"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '(' || rest[0] == '\t' || rest[0] == '\n') {
			s = strings.TrimSpace(rest)
		}
		if strings.Contains(s, ";") {
			r.p.add(el.line, flowID, "the %s condition %q is a script of several statements; write it as a single expression such as return amount > 100;", lang, text)
			return ""
		}
		return s
	}
	r.p.add(el.line, flowID, "condition language %q is not supported; drop the language attribute and write the condition as an expression such as ${amount > 100}", lang)
	return ""
}
