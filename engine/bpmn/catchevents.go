package bpmn

import (
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// documentRoots holds the root elements of a document that flow elements name by id: errors
// (errorRef), messages (messageRef) and signals (signalRef), wherever in the document they are
// declared.
type documentRoots struct {
	errors, messages, signals map[string]*element
}

// readRoots collects the root <error>, <message> and <signal> elements of the document root.
func readRoots(root *element) documentRoots {
	return documentRoots{
		errors:   rootByID(root, "error"),
		messages: rootByID(root, "message"),
		signals:  rootByID(root, "signal"),
	}
}

// rootByID returns the root elements local of the document root by id; the first of an id wins.
func rootByID(root *element, local string) map[string]*element {
	byID := map[string]*element{}
	for _, c := range root.children {
		if id := c.attr("id"); c.is(nsBPMN, local) && id != "" && byID[id] == nil {
			byID[id] = c
		}
	}
	return byID
}

// lookupRef returns the element of byID that ref names, also when ref is a QName such as
// tns:Message_1; nil when there is none.
func lookupRef(byID map[string]*element, ref string) *element {
	e := byID[ref]
	if i := strings.LastIndexByte(ref, ':'); e == nil && i >= 0 {
		e = byID[ref[i+1:]]
	}
	return e
}

// catchTypes maps the event definitions of an intermediate catch event that Baton reads to its
// EventType.
var catchTypes = map[string]string{
	"messageEventDefinition":     "message",
	"timerEventDefinition":       "timer",
	"signalEventDefinition":      "signal",
	"conditionalEventDefinition": "conditional",
}

// timerKinds lists the children of a timerEventDefinition with the prefix EventRef gets for each.
var timerKinds = []struct{ local, prefix string }{
	{"timeDate", "date:"},
	{"timeDuration", "duration:"},
	{"timeCycle", "cycle:"},
}

// catchDefinition reads the event definition def of the intermediate catch event n into its
// EventType and EventRef: the message or signal name, the timer prefixed with its kind
// ("duration:PT5M", "date:2030-01-01T00:00:00Z", "cycle:R3/PT10M", as modelled) or the condition
// as an expr-lang expression.
func (r *processReader) catchDefinition(def *element, n *model.Node) {
	if n.EventType != "" {
		r.p.add(def.line, n.ID, "an intermediate catch event with two event definitions is not supported; keep one, or wait for alternatives with an eventBasedGateway")
		return
	}
	n.EventType = catchTypes[def.name.Local]
	switch n.EventType {
	case "message":
		n.EventRef = r.refName(def, "messageRef", "message", r.roots.messages, n.ID, true)
		n.CorrelationKey = r.correlationKey(def)
	case "signal":
		n.EventRef = r.refName(def, "signalRef", "signal", r.roots.signals, n.ID, true)
	case "timer":
		n.EventRef = r.timer(def, n.ID)
	case "conditional":
		for _, c := range def.children {
			if c.is(nsBPMN, "condition") {
				n.EventRef = model.NormalizeExpression(c.content())
			}
		}
		if n.EventRef == "" {
			r.p.add(def.line, n.ID, "the conditional event has no condition; write one in a <condition> child, such as ${amount > 100}")
		}
	}
}

// refName returns the name of the root element (a <message> or <signal>, what) that the attribute
// attr of el names: its name attribute, or the reference itself when the element or its name is
// missing. required reports a missing reference.
func (r *processReader) refName(el *element, attr, what string, byID map[string]*element, id string, required bool) string {
	ref := strings.TrimSpace(el.attr(attr))
	if ref == "" {
		if required {
			r.p.add(el.line, id, "the %s event names no %s; set %s to the id of a <%s> declared in <definitions>", what, what, attr, what)
		}
		return ""
	}
	if e := lookupRef(byID, ref); e != nil && strings.TrimSpace(e.attr("name")) != "" {
		return strings.TrimSpace(e.attr("name"))
	}
	return ref
}

// timer returns the EventRef of the timerEventDefinition def: its one timeDate, timeDuration or
// timeCycle, as modelled, prefixed with which one it is.
func (r *processReader) timer(def *element, id string) string {
	ref, found := "", ""
	for _, c := range def.children {
		for _, k := range timerKinds {
			if !c.is(nsBPMN, k.local) {
				continue
			}
			if found != "" {
				r.p.add(c.line, id, "the timer has both a %s and a %s; keep one", found, k.local)
				continue
			}
			found = k.local
			if v := c.content(); v != "" {
				ref = k.prefix + v
			} else {
				r.p.add(c.line, id, "the timer's %s is empty; write an ISO 8601 value such as PT5M", k.local)
			}
		}
	}
	if found == "" {
		r.p.add(def.line, id, "the timer has no timeDate, timeDuration or timeCycle; set one")
	}
	return ref
}

// receiveTask reads the message the receive task el waits for into n.EventRef.
func (r *processReader) receiveTask(el *element, n *model.Node) {
	n.EventRef = r.refName(el, "messageRef", "message", r.roots.messages, n.ID, false)
	n.CorrelationKey = r.correlationKey(el)
}

// correlationKey returns the correlation key expression of the <message> that el's messageRef
// names: Zeebe's <zeebe:subscription correlationKey="=orderId"/>; empty when it has none.
func (r *processReader) correlationKey(el *element) string {
	m := lookupRef(r.roots.messages, strings.TrimSpace(el.attr("messageRef")))
	if m == nil {
		return ""
	}
	for _, ext := range m.children {
		if !ext.is(nsBPMN, "extensionElements") {
			continue
		}
		for _, c := range ext.children {
			if c.is(nsZeebe, "subscription") {
				return model.NormalizeExpression(c.attr("correlationKey"))
			}
		}
	}
	return ""
}

// eventGateway checks the attributes of the event-based gateway el: Baton reads only the
// exclusive gateway inside a process, not the one that starts it.
func (r *processReader) eventGateway(el *element, n *model.Node) {
	if v, ok := el.lookup("", "instantiate"); ok {
		switch start, valid := parseBool(v); {
		case !valid:
			r.p.add(el.line, n.ID, "instantiate=%q is not a boolean; write \"true\" or \"false\"", v)
		case start:
			r.p.add(el.line, n.ID, `an event-based gateway that starts the process (instantiate="true") is not supported; start the process with a start event and put the gateway after it`)
		}
	}
	if v := strings.TrimSpace(el.attr("eventGatewayType")); v != "" && !strings.EqualFold(v, "Exclusive") {
		r.p.add(el.line, n.ID, "eventGatewayType=%q is not supported; an event-based gateway continues with the first event only (Exclusive)", v)
	}
}
