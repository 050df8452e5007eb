package bpmn

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// subFlow is the content of a valid subprocess: its start event s1 leads through the task t to
// the end event e1.
const subFlow = `      <startEvent id="s1" />
      <sequenceFlow id="f1" sourceRef="s1" targetRef="t" />
      <task id="t" />
      <sequenceFlow id="f2" sourceRef="t" targetRef="e1" />
      <endEvent id="e1" />`

// inSub is an inline model whose node "x" is a subprocess with the extra attributes attrs and the
// flow elements content: start -(in)-> x -(out)-> end.
func inSub(attrs, content string) string {
	return inlineModel(around(`<subProcess id="x"` + attrs + `>
` + content + `
    </subProcess>`))
}

// besides adds the process-level flow elements extra to doc, after its end event "end".
func besides(doc, extra string) string {
	return strings.Replace(doc, `<endEvent id="end" />`, `<endEvent id="end" />
    `+extra, 1)
}

// withErrorEnd is subFlow whose end event e1 has the event definitions defs.
func withErrorEnd(defs string) string {
	return strings.Replace(subFlow, `<endEvent id="e1" />`, `<endEvent id="e1">`+defs+`</endEvent>`, 1)
}

// TestParseSubprocessFile checks a Camunda Modeler file with an embedded subprocess, a nested
// one, error end events and error boundary events on both subprocesses.
func TestParseSubprocessFile(t *testing.T) {
	t.Parallel()
	const handle, payout = "Activity_Handle", "Activity_Payout"
	file := modellerFile{
		file: "camunda7_subprocess.bpmn", key: "claim", name: "Claim handling",
		nodes: map[string]wantNode{
			"StartEvent_1":      {kind: model.StartEvent, out: []string{"Flow_1"}},
			handle:              {kind: model.SubProcess, before: true, in: []string{"Flow_1"}, out: []string{"Flow_2"}},
			"Event_HandleStart": {kind: model.StartEvent, parent: handle, out: []string{"Flow_S1"}},
			"Activity_Assess":   {kind: model.ServiceTask, parent: handle, taskType: "com.acme.claim.AssessClaim", in: []string{"Flow_S1"}, out: []string{"Flow_S2"}},
			"Gateway_Valid":     {kind: model.ExclusiveGateway, parent: handle, def: "Flow_S4", in: []string{"Flow_S2"}, out: []string{"Flow_S3", "Flow_S4"}},
			"Event_Invalid":     {kind: model.EndEvent, parent: handle, errorEnd: true, errorCode: "CLAIM_INVALID", in: []string{"Flow_S3", "Flow_S6"}},
			payout:              {kind: model.SubProcess, parent: handle, in: []string{"Flow_S4"}, out: []string{"Flow_S5"}},
			"Event_PayoutStart": {kind: model.StartEvent, parent: payout, out: []string{"Flow_P1"}},
			"Activity_Pay":      {kind: model.ServiceTask, parent: payout, taskType: "pay-claim", external: true, in: []string{"Flow_P1"}, out: []string{"Flow_P2"}},
			"Event_PayoutEnd":   {kind: model.EndEvent, parent: payout, in: []string{"Flow_P2"}},
			"Event_PayFailed":   {kind: model.BoundaryEvent, parent: payout, attachedTo: "Activity_Pay", out: []string{"Flow_P3"}},
			"Event_PayoutError": {kind: model.EndEvent, parent: payout, errorEnd: true, errorCode: "Error_Payout", in: []string{"Flow_P3"}},
			"Event_PayoutFailed": {kind: model.BoundaryEvent, parent: handle, attachedTo: payout, errorCode: "Error_Payout",
				out: []string{"Flow_S6"}},
			"Event_HandleEnd": {kind: model.EndEvent, parent: handle, in: []string{"Flow_S5"}},
			"Event_Rejected": {kind: model.BoundaryEvent, attachedTo: handle, errorCode: "CLAIM_INVALID", errorCodeVar: "rejectCode",
				out: []string{"Flow_3"}},
			"Activity_Notify":   {kind: model.ServiceTask, taskType: "com.acme.claim.NotifyRejection", in: []string{"Flow_3"}, out: []string{"Flow_4"}},
			"EndEvent_Rejected": {kind: model.EndEvent, in: []string{"Flow_4"}},
			"EndEvent_Done":     {kind: model.EndEvent, in: []string{"Flow_2"}},
		},
		flows: map[string]wantFlow{
			"Flow_1": {"StartEvent_1", handle, ""}, "Flow_2": {handle, "EndEvent_Done", ""},
			"Flow_3": {"Event_Rejected", "Activity_Notify", ""}, "Flow_4": {"Activity_Notify", "EndEvent_Rejected", ""},
			"Flow_S1": {"Event_HandleStart", "Activity_Assess", ""}, "Flow_S2": {"Activity_Assess", "Gateway_Valid", ""},
			"Flow_S3": {"Gateway_Valid", "Event_Invalid", "!valid"}, "Flow_S4": {"Gateway_Valid", payout, ""},
			"Flow_S5": {payout, "Event_HandleEnd", ""}, "Flow_S6": {"Event_PayoutFailed", "Event_Invalid", ""},
			"Flow_P1": {"Event_PayoutStart", "Activity_Pay", ""}, "Flow_P2": {"Activity_Pay", "Event_PayoutEnd", ""},
			"Flow_P3": {"Event_PayFailed", "Event_PayoutError", ""},
		},
	}
	checkModellerFile(t, file)
	defs, err := ParseFile(filepath.Join("testdata", file.file))
	if err != nil {
		t.Fatal(err)
	}
	d := defs[0]
	if d.StartID != "StartEvent_1" {
		t.Errorf("process starts at %q, want StartEvent_1", d.StartID)
	}
	tests := []struct {
		id, start  string
		boundaries []string
	}{
		{id: handle, start: "Event_HandleStart", boundaries: []string{"Event_Rejected"}},
		{id: payout, start: "Event_PayoutStart", boundaries: []string{"Event_PayoutFailed"}},
		{id: "Activity_Pay", boundaries: []string{"Event_PayFailed"}},
		{id: "Activity_Assess"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			n := d.Nodes[tt.id]
			if n.Start != tt.start || !slices.Equal(n.Boundaries, tt.boundaries) {
				t.Errorf("start %q boundaries %q, want %q %q", n.Start, n.Boundaries, tt.start, tt.boundaries)
			}
		})
	}
}

// TestParseSubprocesses checks the node "x" (a subprocess) and the end event "e1" inside it.
func TestParseSubprocesses(t *testing.T) {
	t.Parallel()
	errors := `<error id="E1" errorCode="CODE" /><error id="E2" />`
	tests := []struct {
		name   string
		doc    string
		x, end wantNode
	}{
		{"markers", inSub(` baton:asyncAfter="true" camunda:exclusive="false" triggeredByEvent="false"`, subFlow),
			wantNode{kind: model.SubProcess, after: true, notExclusive: true}, wantNode{kind: model.EndEvent, parent: "x"}},
		{"error end with a code", withErrors(inSub("", withErrorEnd(`<errorEventDefinition errorRef="E1" />`)), errors),
			wantNode{kind: model.SubProcess}, wantNode{kind: model.EndEvent, parent: "x", errorEnd: true, errorCode: "CODE"}},
		{"error end with a qualified errorRef to an error without code", withErrors(inSub("", withErrorEnd(`<errorEventDefinition errorRef="tns:E2" />`)), errors),
			wantNode{kind: model.SubProcess}, wantNode{kind: model.EndEvent, parent: "x", errorEnd: true, errorCode: "E2"}},
		{"error end without errorRef", inSub("", withErrorEnd(`<errorEventDefinition />`)),
			wantNode{kind: model.SubProcess}, wantNode{kind: model.EndEvent, parent: "x", errorEnd: true}},
		{"error end with an empty errorRef, async", inSub("", strings.Replace(withErrorEnd(`<errorEventDefinition errorRef=" " />`), `<endEvent id="e1"`, `<endEvent id="e1" camunda:asyncBefore="true"`, 1)),
			wantNode{kind: model.SubProcess}, wantNode{kind: model.EndEvent, parent: "x", errorEnd: true, before: true}},
		{"nested, with documentation and a text annotation", inSub("", `      <documentation>outer</documentation>
      <startEvent id="s1" />
      <sequenceFlow id="f1" sourceRef="s1" targetRef="y" />
      <subProcess id="y"><startEvent id="s2" /><sequenceFlow id="f3" sourceRef="s2" targetRef="t" /><task id="t" /><textAnnotation id="a" /></subProcess>
      <sequenceFlow id="f2" sourceRef="y" targetRef="e1" />
      <endEvent id="e1" />`),
			wantNode{kind: model.SubProcess}, wantNode{kind: model.EndEvent, parent: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defs, err := Parse("inline.bpmn", []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			d := defs[0]
			tt.x.in, tt.x.out = []string{"in"}, []string{"out"}
			for id, want := range map[string]wantNode{"x": tt.x, "e1": tt.end} {
				n := d.Nodes[id]
				if got := nodeOf(n); !got.equal(want, id == "x") {
					t.Errorf("node %q:\n got  %+v\n want %+v", id, got, want)
				}
				if n.Line != lineOf(t, tt.doc, id) {
					t.Errorf("node %q at line %d", id, n.Line)
				}
			}
			if d.StartID != "start" || d.Nodes["x"].Start != "s1" || d.Nodes["s1"].Parent != "x" {
				t.Errorf("process start %q, subprocess start %q", d.StartID, d.Nodes["x"].Start)
			}
			if y := d.Nodes["y"]; y != nil && (y.Parent != "x" || y.Start != "s2" || d.Nodes["t"].Parent != "y" || d.Nodes["s2"].Parent != "y") {
				t.Errorf("nested subprocess: parent %q start %q, task parent %q", y.Parent, y.Start, d.Nodes["t"].Parent)
			}
		})
	}
}

// TestParseSubprocessProblems checks that each mistake in a subprocess or an error end event gives
// one problem at the right line and element.
func TestParseSubprocessProblems(t *testing.T) {
	t.Parallel()
	tests := []problemCase{
		{"flow crossing into a subprocess", besides(inSub("", subFlow), `<sequenceFlow id="cross" sourceRef="start" targetRef="t" />`),
			[]wantProblem{{id: "cross", msg: `the flow crosses a subprocess boundary ("start" to "t"); connect the subprocess itself instead`}}},
		{"flow crossing out of a nested subprocess", inSub("", subFlow+`
      <subProcess id="y"><startEvent id="s2" /><sequenceFlow id="leave" sourceRef="s2" targetRef="e1" /></subProcess>`),
			[]wantProblem{{id: "leave", msg: `the flow crosses a subprocess boundary ("s2" to "e1")`}}},
		{"subprocess without start event", inSub("", `      <task id="t" />`),
			[]wantProblem{{id: "x", msg: "the subprocess has no none start event"}}},
		{"empty subprocess", inlineModel(around(`<subProcess id="x" />`)),
			[]wantProblem{{id: "x", msg: "the subprocess has no none start event"}}},
		{"two start events", inSub("", subFlow+`
      <startEvent id="s2" />
      <sequenceFlow id="f3" sourceRef="s2" targetRef="t" />`),
			[]wantProblem{{id: "s2", msg: `subprocess "x" has two start events; an embedded subprocess has exactly one none start event`}}},
		{"event subprocess", inlineModel(around(`<task id="x" />`) + `
    <subProcess id="ev" triggeredByEvent="true">
      <startEvent id="es"><errorEventDefinition /></startEvent>
      <sequenceFlow id="ef" sourceRef="es" targetRef="ee" />
      <endEvent id="ee" />
    </subProcess>`),
			[]wantProblem{{id: "ev", msg: "event subprocesses are not supported yet"}}},
		{"triggeredByEvent not a boolean", inSub(` triggeredByEvent="yes"`, subFlow),
			[]wantProblem{{id: "x", msg: `triggeredByEvent="yes" is not a boolean`}}},
		{"multi-instance subprocess without a collection", inSub("", `      <multiInstanceLoopCharacteristics id="mi" isSequential="true" />
`+subFlow),
			[]wantProblem{{id: "x", msg: "multi-instance needs exactly one of loopCardinality and a collection"}}},
		{"unsupported element inside", inSub("", strings.Replace(subFlow, `<task id="t" />`, `<complexGateway id="t" />`, 1)),
			[]wantProblem{{id: "t", msg: "unsupported element <complexGateway>"}}},
		{"flow declared in the subprocess between process elements", inSub("", subFlow+`
      <sequenceFlow id="misplaced" sourceRef="start" targetRef="end" />`),
			[]wantProblem{{id: "misplaced", msg: `the sequence flow is declared in subprocess "x" but connects elements of the process; declare it next to the elements it connects`}}},
		{"boundary declared outside its activity's subprocess", besides(inSub("", subFlow), `<boundaryEvent id="b" attachedToRef="t"><errorEventDefinition /></boundaryEvent>
    <sequenceFlow id="caught" sourceRef="b" targetRef="end" />`),
			[]wantProblem{{id: "b", msg: `the boundary event is declared in the process but its activity "t" is in subprocess "x"; declare it next to its activity`},
				{id: "b", msg: `the task "t" never throws one`}}},
		{"boundary inside the subprocess it is attached to", inSub("", subFlow+`
      <boundaryEvent id="b" attachedToRef="x"><errorEventDefinition /></boundaryEvent>
      <sequenceFlow id="f3" sourceRef="b" targetRef="e1" />`),
			[]wantProblem{{id: "b", msg: `the boundary event is declared in subprocess "x" but its activity "x" is in the process; declare it next to its activity`}}},
		{"condition out of a subprocess", strings.Replace(inSub("", subFlow), `<sequenceFlow id="out" sourceRef="x" targetRef="end" />`,
			`<sequenceFlow id="out" sourceRef="x" targetRef="end"><conditionExpression>${a}</conditionExpression></sequenceFlow>`, 1),
			[]wantProblem{{id: "out", msg: `a condition on a flow out of a <subProcess> is not supported`}}},
		{"default flow on a subprocess", inSub(` default="out"`, subFlow),
			[]wantProblem{{id: "x", msg: "a default flow on a <subProcess> is not supported"}}},
		{"task type on a subprocess", inSub(` baton:type="A"`, subFlow),
			[]wantProblem{{id: "x", msg: `baton:type="A" gives a <subProcess> a task type`}}},
		{"duplicate id inside", inSub("", strings.Replace(subFlow, `<task id="t" />`, `<task id="t" name="inner" />
      <task id="start" />`, 1)),
			[]wantProblem{{id: "start", needle: `<task id="start"`, msg: `duplicate id "start": <startEvent> at line 4 already uses it`}}},
		{"error end with unknown errorRef", withErrors(inSub("", withErrorEnd(`<errorEventDefinition id="ed" errorRef="Nope" />`)), `<error id="E1" errorCode="X" />`),
			[]wantProblem{{id: "e1", needle: ` id="ed"`, msg: `errorRef "Nope" names no <error> of this document; declare <error id="Nope" errorCode="..." /> in <definitions>, or remove errorRef`}}},
		{"error end with FEEL code", withErrors(inSub("", withErrorEnd(`<errorEventDefinition id="ed" errorRef="E1" />`)), `<error id="E1" errorCode="=code" />`),
			[]wantProblem{{id: "e1", needle: ` id="ed"`, msg: `errorCode "=code" of <error id="E1"> is a FEEL expression; an error end event throws a fixed error code`}}},
		{"error end with two definitions", inSub("", withErrorEnd(`<errorEventDefinition /><errorEventDefinition id="ed2" />`)),
			[]wantProblem{{id: "e1", needle: ` id="ed2"`, msg: "an end event with two errorEventDefinitions is not supported"}}},
		{"terminate and error end", inSub("", withErrorEnd(`<terminateEventDefinition /><errorEventDefinition />`)),
			[]wantProblem{{id: "e1", msg: "an end event cannot both terminate and throw an error"}}},
		{"error end with a task type", inSub("", strings.Replace(withErrorEnd(`<errorEventDefinition />`), `<endEvent id="e1"`, `<endEvent id="e1" baton:type="A"`, 1)),
			[]wantProblem{{id: "e1", msg: `baton:type="A" gives a <endEvent> a task type`}}},
	}
	checkProblemCases(t, tests)
}
