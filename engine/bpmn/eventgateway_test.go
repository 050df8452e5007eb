package bpmn

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// waitState is the start of Link's problem for a catch event that is not a message catch.
const waitState = "is a wait state, which Baton does not run yet"

// gatewayModel is an inline model in which the event-based gateway "g" (with the attributes
// attrs) leads to each of the branches, flow node elements with the ids c1, c2, ..., which lead
// to the end event; roots are added as root elements.
func gatewayModel(attrs, roots string, branches ...string) string {
	var b strings.Builder
	b.WriteString(`    <startEvent id="start" />
    <sequenceFlow id="in" sourceRef="start" targetRef="g" />
    <eventBasedGateway id="g"` + attrs + ` />`)
	for i, br := range branches {
		fmt.Fprintf(&b, `
    <sequenceFlow id="g%d" sourceRef="g" targetRef="c%d" />
    %s
    <sequenceFlow id="e%d" sourceRef="c%d" targetRef="end" />`, i+1, i+1, br, i+1, i+1)
	}
	b.WriteString(`
    <endEvent id="end" />`)
	return withErrors(inlineModel(b.String()), roots)
}

// catchEvent is the intermediate catch event id with the event definition def.
func catchEvent(id, def string) string {
	return `<intermediateCatchEvent id="` + id + `">` + def + `</intermediateCatchEvent>`
}

// TestParseEventGatewayFile checks a Camunda Modeler file with an event-based gateway before
// message, timer and signal catch events and a receive task, and a conditional catch event: the
// conditional catch event is reported, and nothing else.
func TestParseEventGatewayFile(t *testing.T) {
	t.Parallel()
	const file = "camunda7_eventgateway.bpmn"
	text := readTestdata(t, file)
	path := filepath.Join("testdata", file)
	defs, err := ParseFile(path)
	if defs != nil {
		t.Errorf("got %d definitions, want none: wait states are rejected", len(defs))
	}
	checkProblems(t, path, text, err, []wantProblem{
		{id: "Event_Stock", msg: "conditional intermediateCatchEvent " + waitState},
	})
	d := readUnlinked(t, text)
	tests := []struct {
		id                  string
		kind                model.NodeKind
		eventType, eventRef string
	}{
		{"Gateway_Wait", model.EventGateway, "", ""},
		{"Event_Paid", model.CatchEvent, "message", "payment-received"},
		{"Event_Late", model.CatchEvent, "timer", "duration:P7D"},
		{"Activity_Cancelled", model.ReceiveTask, "", "order-cancelled"},
		{"Event_Recall", model.CatchEvent, "signal", "product-recalled"},
		{"Event_Stock", model.CatchEvent, "conditional", "stock > 0"},
	}
	for _, tt := range tests {
		n := d.Nodes[tt.id]
		if n.Kind != tt.kind || n.EventType != tt.eventType || n.EventRef != tt.eventRef || n.Element != "" || n.Line != lineOf(t, text, tt.id) {
			t.Errorf("node %q: %s %q %q (element %q, line %d), want %s %q %q", tt.id, n.Kind, n.EventType, n.EventRef, n.Element, n.Line,
				tt.kind, tt.eventType, tt.eventRef)
		}
	}
	if g := d.Nodes["Gateway_Wait"]; len(g.Outgoing) != 4 {
		t.Errorf("gateway leaves along %v", g.Outgoing)
	}
}

// TestParseCatchEvents checks the event type and reference of catch events and receive tasks,
// read without Link, which rejects them as wait states.
func TestParseCatchEvents(t *testing.T) {
	t.Parallel()
	roots := `<message id="M1" name="paid" /><message id="M2" /><signal id="S1" name="recall" />`
	tests := []struct {
		name                string
		node                string
		kind                model.NodeKind
		eventType, eventRef string
	}{
		{"message by name", catchEvent("c1", `<messageEventDefinition messageRef="M1" />`), model.CatchEvent, "message", "paid"},
		{"message by QName", catchEvent("c1", `<messageEventDefinition messageRef="tns:M1" />`), model.CatchEvent, "message", "paid"},
		{"message without name", catchEvent("c1", `<messageEventDefinition messageRef="M2" />`), model.CatchEvent, "message", "M2"},
		{"undeclared message", catchEvent("c1", `<messageEventDefinition messageRef="Nope" />`), model.CatchEvent, "message", "Nope"},
		{"timer date", catchEvent("c1", `<timerEventDefinition><timeDate xsi:type="tFormalExpression">2030-01-01T00:00:00Z</timeDate></timerEventDefinition>`), model.CatchEvent, "timer", "date:2030-01-01T00:00:00Z"},
		{"timer duration expression", catchEvent("c1", `<timerEventDefinition><timeDuration> ${wait} </timeDuration></timerEventDefinition>`), model.CatchEvent, "timer", "duration:${wait}"},
		{"timer cycle", catchEvent("c1", `<timerEventDefinition><timeCycle>R3/PT10M</timeCycle></timerEventDefinition>`), model.CatchEvent, "timer", "cycle:R3/PT10M"},
		{"signal", catchEvent("c1", `<signalEventDefinition signalRef="S1" />`), model.CatchEvent, "signal", "recall"},
		{"zeebe conditional", catchEvent("c1", `<conditionalEventDefinition><condition>=stock = 0</condition></conditionalEventDefinition>`), model.CatchEvent, "conditional", "stock == 0"},
		{"receive task", `<receiveTask id="c1" messageRef="M1" />`, model.ReceiveTask, "", "paid"},
		{"receive task without message", `<receiveTask id="c1" />`, model.ReceiveTask, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := readUnlinked(t, gatewayModel("", roots, tt.node, catchEvent("c2", `<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>`)))
			n := d.Nodes["c1"]
			if n.Kind != tt.kind || n.EventType != tt.eventType || n.EventRef != tt.eventRef {
				t.Errorf("got %s %q %q, want %s %q %q", n.Kind, n.EventType, n.EventRef, tt.kind, tt.eventType, tt.eventRef)
			}
			if g := d.Nodes["g"]; g.Kind != model.EventGateway {
				t.Errorf("gateway kind %s", g.Kind)
			}
		})
	}
}

// TestParseEventGatewayProblems checks the problems of event-based gateways and catch events: one
// per mistake, besides Link's wait-state problem for each catch event.
func TestParseEventGatewayProblems(t *testing.T) {
	t.Parallel()
	timer := catchEvent("c2", `<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>`)
	waitC1 := wantProblem{id: "c1", msg: waitState}
	noMessage := wantProblem{id: "c1", msg: "the receive task waits for no message"}
	tests := []problemCase{
		{"two event definitions", gatewayModel("", "", catchEvent("c1", `<messageEventDefinition messageRef="m" /><timerEventDefinition id="td"><timeCycle>R/PT1H</timeCycle></timerEventDefinition>`), timer),
			[]wantProblem{{id: "c1", needle: ` id="td"`, msg: "an intermediate catch event with two event definitions is not supported"}}},
		{"timer without time", gatewayModel("", "", catchEvent("c1", `<timerEventDefinition id="td" />`), timer),
			[]wantProblem{{id: "c1", needle: ` id="td"`, msg: "the timer has no timeDate, timeDuration or timeCycle; set one"}}},
		{"timer with two times", gatewayModel("", "", catchEvent("c1", `<timerEventDefinition><timeDuration>PT1M</timeDuration><timeCycle>R/PT1H</timeCycle></timerEventDefinition>`), timer),
			[]wantProblem{{id: "c1", needle: "<timeCycle>R/PT1H", msg: "the timer has both a timeDuration and a timeCycle; keep one"}}},
		{"empty timer duration", gatewayModel("", "", catchEvent("c1", `<timerEventDefinition><timeDuration id="empty" /></timerEventDefinition>`), timer),
			[]wantProblem{{id: "c1", needle: ` id="empty"`, msg: "the timer's timeDuration is empty"}}},
		{"message without reference", gatewayModel("", "", catchEvent("c1", `<messageEventDefinition id="md" />`), timer),
			[]wantProblem{{id: "c1", needle: ` id="md"`, msg: "the message event names no message; set messageRef to the id of a <message> declared in <definitions>"}}},
		{"timer of months", gatewayModel("", "", catchEvent("c1", `<timerEventDefinition><timeDuration>P1M</timeDuration></timerEventDefinition>`), timer),
			[]wantProblem{{id: "c1", msg: `timer duration: "P1M": unit 'M' is not supported in an ISO 8601 duration (years and months are not: write weeks or days)`}}},
		{"Quartz-only cron cycle", gatewayModel("", "", catchEvent("c1", `<timerEventDefinition><timeCycle>0 0 9 L * ?</timeCycle></timerEventDefinition>`), timer),
			[]wantProblem{{id: "c1", msg: `timer cycle "0 0 9 L * ?": want an ISO 8601 repeating interval (R3/PT10M) or a cron expression`}}},
		{"signal without reference", gatewayModel("", "", catchEvent("c1", `<signalEventDefinition id="sd" />`), timer),
			[]wantProblem{{id: "c1", needle: ` id="sd"`, msg: "the signal event names no signal"}}},
		{"conditional without condition", gatewayModel("", "", catchEvent("c1", `<conditionalEventDefinition id="cd" />`), timer),
			[]wantProblem{{id: "c1", needle: ` id="cd"`, msg: "the conditional event has no condition"}, waitC1}},
		{"link catch event", inlineModel(around(catchEvent("x", `<linkEventDefinition id="ld" name="l" />`))),
			[]wantProblem{
				{id: "x", needle: ` id="ld"`, msg: "unsupported element <linkEventDefinition> in <intermediateCatchEvent>; Baton reads only message, timer, signal and conditional intermediate catch events: remove the event definition and connect"},
				{id: "x", msg: "intermediateCatchEvent " + waitState},
			}},
		{"catch event without definition after the gateway", gatewayModel("", "", `<intermediateCatchEvent id="c1" />`, timer),
			[]wantProblem{{id: "c1", msg: "an event after an event-based gateway needs a message, timer, signal or conditional event definition"}, waitC1}},
		{"instantiating gateway", gatewayModel(` instantiate="true"`, "", `<receiveTask id="c1" />`, timer),
			[]wantProblem{{id: "g", msg: `an event-based gateway that starts the process (instantiate="true") is not supported`}, noMessage}},
		{"instantiate not a boolean", gatewayModel(` instantiate="no"`, "", `<receiveTask id="c1" />`, timer),
			[]wantProblem{{id: "g", msg: `instantiate="no" is not a boolean`}, noMessage}},
		{"parallel gateway type", gatewayModel(` eventGatewayType="Parallel"`, "", `<receiveTask id="c1" />`, timer),
			[]wantProblem{{id: "g", msg: `eventGatewayType="Parallel" is not supported`}, noMessage}},
		{"one outgoing flow", gatewayModel(` eventGatewayType="Exclusive" instantiate="false"`, "", `<receiveTask id="c1" />`),
			[]wantProblem{{id: "g", msg: "an event-based gateway needs at least two outgoing flows"}, noMessage}},
		{"gateway to a task", gatewayModel("", "", `<serviceTask id="c1" baton:type="t" />`, timer),
			[]wantProblem{{id: "g1", msg: `an event-based gateway's flow must lead to an intermediate catch event or a receive task, not the serviceTask "c1"`}}},
		{"condition out of the gateway", strings.Replace(gatewayModel("", "", `<receiveTask id="c1" />`, timer), `<sequenceFlow id="g1" sourceRef="g" targetRef="c1" />`,
			`<sequenceFlow id="g1" sourceRef="g" targetRef="c1"><conditionExpression>${a}</conditionExpression></sequenceFlow>`, 1),
			[]wantProblem{{id: "g1", msg: "a flow out of an event-based gateway cannot have a condition"}, noMessage}},
	}
	checkProblemCases(t, tests)
}

// TestParseTimerStartEvents reads timer start events, beside a none start event or alone.
func TestParseTimerStartEvents(t *testing.T) {
	t.Parallel()
	doc := inlineModel(`    <startEvent id="none" />
    <startEvent id="nightly"><timerEventDefinition id="td"><timeCycle xsi:type="tFormalExpression">0 0 2 * * ?</timeCycle></timerEventDefinition></startEvent>
    <startEvent id="once"><timerEventDefinition><timeDate>2030-01-01T09:00:00Z</timeDate></timerEventDefinition></startEvent>
    <sequenceFlow id="f1" sourceRef="none" targetRef="e" />
    <sequenceFlow id="f2" sourceRef="nightly" targetRef="e" />
    <sequenceFlow id="f3" sourceRef="once" targetRef="e" />
    <endEvent id="e" />`)
	defs, err := Parse("timers.bpmn", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	d := defs[0]
	if d.StartID != "none" {
		t.Errorf("StartID %q, want the none start event", d.StartID)
	}
	for id, ref := range map[string]string{"nightly": "cycle:0 0 2 * * ?", "once": "date:2030-01-01T09:00:00Z"} {
		if n := d.Nodes[id]; n.Kind != model.StartEvent || n.EventType != "timer" || n.EventRef != ref {
			t.Errorf("%s: %s %q %q, want a timer start event %q", id, n.Kind, n.EventType, n.EventRef, ref)
		}
	}
}
