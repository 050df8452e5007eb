package bpmn

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// withErrors adds root elements (errors) to an inline model, after its process.
func withErrors(doc, errors string) string {
	return strings.Replace(doc, "</definitions>", "  "+errors+"\n</definitions>", 1)
}

// attached is an inline model whose node "x" (attachedTo) carries the boundary event b, which
// leads to the end event; errors are added as root elements.
func attached(x, boundary, errors string) string {
	return withErrors(inlineModel(around(x)+`
    `+boundary+`
    <sequenceFlow id="caught" sourceRef="b" targetRef="end" />`), errors)
}

// TestParseScriptAndErrorFiles checks modeller files with script tasks and error boundary events.
func TestParseScriptAndErrorFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		modellerFile
		boundaries map[string][]string // activity id: its boundary events, as Link sets them
	}{
		{
			modellerFile: modellerFile{
				file: "camunda7_errors.bpmn", key: "payment", name: "Payment",
				nodes: map[string]wantNode{
					"StartEvent_1": {kind: model.StartEvent, out: []string{"Flow_1"}},
					"Activity_Fee": {kind: model.ScriptTask, before: true, scriptFormat: "javascript", resultVar: "fee",
						script: `amount > 100 && country !== "NL" ? amount * 0.02 : 2`, in: []string{"Flow_1"}, out: []string{"Flow_2"}},
					"Activity_Charge": {kind: model.ServiceTask, taskType: "com.acme.payment.ChargeCard", retryCycle: "R3/PT1M", in: []string{"Flow_2"}, out: []string{"Flow_3"}},
					"Event_Declined": {kind: model.BoundaryEvent, attachedTo: "Activity_Charge", errorCode: "DECLINED",
						errorCodeVar: "declineCode", errorMsgVar: "declineReason", out: []string{"Flow_Declined"}},
					"Event_Fraud":         {kind: model.BoundaryEvent, attachedTo: "Activity_Charge", errorCode: "Error_Fraud", out: []string{"Flow_Fraud"}},
					"EndEvent_Declined":   {kind: model.EndEvent, in: []string{"Flow_Declined", "Flow_Fraud"}},
					"Activity_Receipt":    {kind: model.ServiceTask, taskType: "send-receipt", external: true, in: []string{"Flow_3"}, out: []string{"Flow_4"}},
					"Event_ReceiptFailed": {kind: model.BoundaryEvent, attachedTo: "Activity_Receipt", out: []string{"Flow_Failed"}},
					"Activity_Log":        {kind: model.Task, in: []string{"Flow_Failed"}, out: []string{"Flow_5"}},
					"EndEvent_Paid":       {kind: model.EndEvent, in: []string{"Flow_4", "Flow_5"}},
				},
				flows: map[string]wantFlow{
					"Flow_1": {"StartEvent_1", "Activity_Fee", ""}, "Flow_2": {"Activity_Fee", "Activity_Charge", ""},
					"Flow_Declined": {"Event_Declined", "EndEvent_Declined", ""}, "Flow_Fraud": {"Event_Fraud", "EndEvent_Declined", ""},
					"Flow_3": {"Activity_Charge", "Activity_Receipt", ""}, "Flow_Failed": {"Event_ReceiptFailed", "Activity_Log", ""},
					"Flow_4": {"Activity_Receipt", "EndEvent_Paid", ""}, "Flow_5": {"Activity_Log", "EndEvent_Paid", ""},
				},
			},
			boundaries: map[string][]string{"Activity_Charge": {"Event_Declined", "Event_Fraud"}, "Activity_Receipt": {"Event_ReceiptFailed"}},
		},
		{
			modellerFile: modellerFile{
				file: "zeebe_scripts.bpmn", key: "fees-process", name: "Fees process",
				nodes: map[string]wantNode{
					"StartEvent_1": {kind: model.StartEvent, out: []string{"Flow_0a1"}},
					"Activity_Total": {kind: model.ScriptTask, scriptFormat: "expr", script: "subtotal + shipping", resultVar: "total",
						in: []string{"Flow_0a1"}, out: []string{"Flow_1b2"}},
					"Activity_Discount": {kind: model.ScriptTask, scriptFormat: "expr", script: `total > 100 and tier == "gold"`, resultVar: "discount",
						in: []string{"Flow_1b2"}, out: []string{"Flow_2c3"}},
					"Activity_Audit": {kind: model.ServiceTask, element: "scriptTask", taskType: "audit-fees", retries: 2,
						in: []string{"Flow_2c3"}, out: []string{"Flow_3d4"}},
					"Event_AuditFailed":  {kind: model.BoundaryEvent, attachedTo: "Activity_Audit", errorCode: "AUDIT_FAILED", out: []string{"Flow_4e5"}},
					"EndEvent_Done":      {kind: model.EndEvent, in: []string{"Flow_3d4"}},
					"EndEvent_Unaudited": {kind: model.EndEvent, in: []string{"Flow_4e5"}},
				},
				flows: map[string]wantFlow{
					"Flow_0a1": {"StartEvent_1", "Activity_Total", ""}, "Flow_1b2": {"Activity_Total", "Activity_Discount", ""},
					"Flow_2c3": {"Activity_Discount", "Activity_Audit", ""}, "Flow_3d4": {"Activity_Audit", "EndEvent_Done", ""},
					"Flow_4e5": {"Event_AuditFailed", "EndEvent_Unaudited", ""},
				},
			},
			boundaries: map[string][]string{"Activity_Audit": {"Event_AuditFailed"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			checkModellerFile(t, tt.modellerFile)
			defs, err := ParseFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			for id, n := range defs[0].Nodes {
				if want := tt.boundaries[id]; !slices.Equal(n.Boundaries, want) {
					t.Errorf("node %q has boundaries %q, want %q", id, n.Boundaries, want)
				}
			}
		})
	}
}

// TestParseErrorBoundaries checks error boundary events on the node "b" of small models.
func TestParseErrorBoundaries(t *testing.T) {
	t.Parallel()
	task := `<serviceTask id="x" baton:type="A" />`
	declined := `<error id="E1" name="Declined" errorCode="DECLINED" />`
	tests := []struct {
		name string
		doc  string
		want wantNode
	}{
		{"error code", attached(task, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition errorRef="E1" /></boundaryEvent>`, declined),
			wantNode{kind: model.BoundaryEvent, attachedTo: "x", errorCode: "DECLINED"}},
		{"error declared before the process", strings.Replace(attached(task, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition errorRef="E1" /></boundaryEvent>`, ""),
			"<process ", declined+"\n  <process ", 1),
			wantNode{kind: model.BoundaryEvent, attachedTo: "x", errorCode: "DECLINED"}},
		{"error without code catches its id", attached(task, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition errorRef="E2" /></boundaryEvent>`, `<error id="E2" name="Late" errorCode=" " />`),
			wantNode{kind: model.BoundaryEvent, attachedTo: "x", errorCode: "E2"}},
		{"qualified errorRef", attached(task, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition errorRef="tns:E1" /></boundaryEvent>`, declined),
			wantNode{kind: model.BoundaryEvent, attachedTo: "x", errorCode: "DECLINED"}},
		{"catch-all with camunda variables", attached(task, `<boundaryEvent id="b" attachedToRef="x" cancelActivity="true"><errorEventDefinition errorRef="" camunda:errorCodeVariable=" code " camunda:errorMessageVariable="msg" /></boundaryEvent>`, ""),
			wantNode{kind: model.BoundaryEvent, attachedTo: "x", errorCodeVar: "code", errorMsgVar: "msg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defs, err := Parse("inline.bpmn", []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			d := defs[0]
			b := d.Nodes["b"]
			if got := nodeOf(b); !got.equal(tt.want, false) {
				t.Errorf("\n got  %+v\n want %+v", got, tt.want)
			}
			if b.Line != lineOf(t, tt.doc, "b") || !slices.Equal(b.Outgoing, []string{"caught"}) {
				t.Errorf("boundary at line %d with outgoing %q", b.Line, b.Outgoing)
			}
			if got := d.Nodes["x"].Boundaries; !slices.Equal(got, []string{"b"}) {
				t.Errorf("activity boundaries %q, want [b]", got)
			}
		})
	}
}

// TestParseBoundaryProblems checks that each mistake in a boundary event gives one problem at the
// right line and element.
func TestParseBoundaryProblems(t *testing.T) {
	t.Parallel()
	task := `<serviceTask id="x" baton:type="A" />`
	tests := []problemCase{
		{"unknown errorRef", attached(task, `<boundaryEvent id="b" attachedToRef="x">
      <errorEventDefinition id="ed" errorRef="Nope" /></boundaryEvent>`, `<error id="E1" errorCode="X" />`),
			[]wantProblem{{id: "b", needle: ` id="ed"`, msg: `errorRef "Nope" names no <error> of this document; declare <error id="Nope" errorCode="..." /> in <definitions>`}}},
		{"errorRef to a process", attached(task, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition errorRef="p" /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: `errorRef "p" names no <error>`}}},
		{"FEEL error code", attached(task, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition errorRef="E1" /></boundaryEvent>`, `<error id="E1" errorCode="=code" />`),
			[]wantProblem{{id: "b", msg: `errorCode "=code" of <error id="E1"> is a FEEL expression`}}},
		{"non-interrupting error boundary", attached(task, `<boundaryEvent id="b" attachedToRef="x" cancelActivity="false"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: `an error boundary event always interrupts; remove cancelActivity="false"`}}},
		{"cancelActivity not a boolean", attached(task, `<boundaryEvent id="b" attachedToRef="x" cancelActivity="no"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: `cancelActivity="no" is not a boolean`}}},
		{"two error definitions", attached(task, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition />
      <errorEventDefinition id="ed2" /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", needle: ` id="ed2"`, msg: "a boundary event with two errorEventDefinitions is not supported"}}},
		{"none boundary", attached(task, `<boundaryEvent id="b" attachedToRef="x" />`, ""),
			[]wantProblem{{id: "b", msg: "a boundary event needs an event definition; add an errorEventDefinition"}}},
		{"non-interrupting timer boundary of months", attached(task, `<boundaryEvent id="b" attachedToRef="x" cancelActivity="false">
      <timerEventDefinition id="td"><timeDuration>P1M</timeDuration></timerEventDefinition></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: `timer duration: "P1M": unit 'M' is not supported in an ISO 8601 duration`}}},
		{"timer and error", attached(task, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition id="ed" />
      <timerEventDefinition id="td"><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", needle: ` id="ed"`, msg: "a boundary event with a timer and an error definition is not supported"}}},
		{"task type on a boundary", attached(task, `<boundaryEvent id="b" attachedToRef="x" baton:type="B"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: `baton:type="B" gives a <boundaryEvent> a task type`}}},
		{"attached to a gateway", attached(`<exclusiveGateway id="x" />`, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: "the exclusiveGateway \"x\" never throws one"}}},
		{"on a plain task, which never throws", attached(`<task id="x" />`, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: "the task \"x\" never throws one"}}},
		{"async after on a boundary", attached(task,
			`<boundaryEvent id="b" attachedToRef="x" camunda:asyncAfter="true"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: "async markers on a boundary event are not supported"}}},
		{"two catchers of one code", attached(task,
			`<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition /></boundaryEvent><boundaryEvent id="c" attachedToRef="x"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "c", msg: `boundary event "b" on "x" already catches every error`}}},
		{"attached to nothing", attached(task, `<boundaryEvent id="b" attachedToRef="y"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: `attachedToRef "y" names no activity of this process`}}},
		{"without attachedToRef", attached(task, `<boundaryEvent id="b"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: `attachedToRef "" names no activity of this process`}}},
		{"incoming flow", attached(task, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition /></boundaryEvent>
    <sequenceFlow id="back" sourceRef="x" targetRef="b" />`, ""),
			[]wantProblem{{id: "b", msg: "a boundary event cannot have incoming sequence flows"}}},
		{"attached to an unsupported activity", attached(`<adHocSubProcess id="x" />`, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "x", msg: "unsupported element <adHocSubProcess>"}}},
	}
	for _, def := range []struct{ local, kind string }{
		{"escalationEventDefinition", "escalation"},
		{"compensateEventDefinition", "compensation"}, {"conditionalEventDefinition", "conditional"}, {"cancelEventDefinition", "cancel"},
	} {
		tests = append(tests, problemCase{def.kind + " boundary", attached(task, `<boundaryEvent id="b" attachedToRef="x"><`+def.local+` /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: "unsupported element <" + def.local + "> in <boundaryEvent>; " + def.kind + " boundary events are not supported yet"}}})
	}
	tests = append(tests, problemCase{"signal boundary without a signal", attached(task, `<boundaryEvent id="b" attachedToRef="x"><signalEventDefinition /></boundaryEvent>`, ""),
		[]wantProblem{{id: "b", msg: "the signal event names no signal"}}})
	tests = append(tests, problemCase{"message boundary without a message", attached(task, `<boundaryEvent id="b" attachedToRef="x"><messageEventDefinition /></boundaryEvent>`, ""),
		[]wantProblem{{id: "b", msg: "the message event names no message"}}})
	checkProblemCases(t, tests)
}
