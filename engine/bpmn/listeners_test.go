package bpmn

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// onFlow is an inline model whose flow "in" carries the extension elements ext.
func onFlow(ext string) string {
	return strings.Replace(inlineModel(around(`<task id="x" />`)), `<sequenceFlow id="in" sourceRef="start" targetRef="x" />`,
		`<sequenceFlow id="in" sourceRef="start" targetRef="x">`+extensions(ext)+`</sequenceFlow>`, 1)
}

// onProcess is an inline model whose <process> carries the extension elements ext.
func onProcess(ext string) string {
	return strings.Replace(inlineModel(around(`<task id="x" />`)), `<process id="p" name="P" isExecutable="true">`,
		`<process id="p" name="P" isExecutable="true">
    `+extensions(ext), 1)
}

// TestParseListenerFiles checks the execution listeners of modeller files, on flow nodes and
// sequence flows.
func TestParseListenerFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want map[string][]model.Listener // node or flow id: its listeners
	}{
		{"camunda7_mappings.bpmn", map[string][]model.Listener{
			"StartEvent_1":     {{Event: "end", TaskType: "com.acme.invoice.StartAudit"}},
			"Activity_Prepare": {{Event: "start", TaskType: "invoiceAudit"}, {Event: "end", TaskType: "com.acme.invoice.EndAudit"}},
			"EndEvent_1":       {{Event: "start", TaskType: "com.acme.invoice.Archive"}},
			"Flow_Mail":        {{Event: "take", TaskType: "com.acme.invoice.CountMail"}},
			"Flow_Post":        {{Event: "take", TaskType: "postCounter"}},
			"Activity_Mail":    nil, "Flow_1": nil,
		}},
		{"camunda7_order.bpmn", map[string][]model.Listener{
			"StartEvent_1": {{Event: "start", TaskType: "com.acme.order.AuditListener"}},
		}},
		{"zeebe_callactivity.bpmn", map[string][]model.Listener{
			"Activity_Ship": {{Event: "start", TaskType: "audit-start"}, {Event: "end", TaskType: "audit-end"}},
			"EndEvent_1":    {{Event: "end", TaskType: "notify-done"}},
		}},
		{"flowable_callactivity.bpmn", map[string][]model.Listener{
			"reviewCall":      {{Event: "start", TaskType: "com.acme.review.StartListener"}},
			"notifyReviewers": {{Event: "end", TaskType: "notifyAudit"}},
			"sid-4E5F6A7B":    {{Event: "take", TaskType: "com.acme.review.FlowAudit"}},
		}},
		{"jbpm_multiinstance.bpmn", map[string][]model.Listener{"_Pack": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			defs, err := ParseFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range tt.want {
				var got []model.Listener
				if n := defs[0].Nodes[id]; n != nil {
					got = n.Listeners
				} else {
					got = defs[0].Flows[id].Listeners
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%q: got %+v, want %+v", id, got, want)
				}
			}
		})
	}
}

// TestParseListeners checks the execution listeners of every dialect on the node "x" or the flow
// "in" of a small model.
func TestParseListeners(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		id   string // "x" or "in"
		want []model.Listener
	}{
		{"camunda class and delegate expression", inlineModel(around(`<serviceTask id="x" camunda:class="A">` + extensions(`
          <camunda:executionListener class="com.acme.Audit" event="start" />
          <camunda:executionListener delegateExpression="${ auditor }" event="end" />
          <camunda:executionListener class=" com.acme.Trim " event=" start " />`) + `</serviceTask>`)), "x",
			[]model.Listener{{Event: "start", TaskType: "com.acme.Audit"}, {Event: "end", TaskType: "auditor"}, {Event: "start", TaskType: "com.acme.Trim"}}},
		{"flowable on a gateway", inlineModel(around(`<exclusiveGateway id="x">` + extensions(`<flowable:executionListener event="end" class="com.acme.Decided" />`) + `</exclusiveGateway>`)), "x",
			[]model.Listener{{Event: "end", TaskType: "com.acme.Decided"}}},
		{"activiti delegate expression with hash", inlineModel(around(`<task id="x">` + extensions(`<activiti:executionListener event="start" delegateExpression="#{starter}" />`) + `</task>`)), "x",
			[]model.Listener{{Event: "start", TaskType: "starter"}}},
		{"zeebe listeners", inlineModel(around(`<serviceTask id="x">` + extensions(`<zeebe:taskDefinition type="t" /><zeebe:executionListeners>
            <zeebe:executionListener eventType="start" retries="3" type="audit-start" />
            <zeebe:executionListener eventType="end" type=" audit-end " />
          </zeebe:executionListeners>`) + `</serviceTask>`)), "x",
			[]model.Listener{{Event: "start", TaskType: "audit-start"}, {Event: "end", TaskType: "audit-end"}}},
		{"dialects in model order", inlineModel(around(`<task id="x">` + extensions(`<zeebe:executionListeners><zeebe:executionListener eventType="end" type="z" /></zeebe:executionListeners>
          <camunda:executionListener class="C" event="start" />`) + `</task>`)), "x",
			[]model.Listener{{Event: "end", TaskType: "z"}, {Event: "start", TaskType: "C"}}},
		{"subprocess", inSub("", `      `+extensions(`<camunda:executionListener class="S" event="start" />`)+"\n"+subFlow), "x",
			[]model.Listener{{Event: "start", TaskType: "S"}}},
		{"empty jbpm scripts are ignored", inlineModel(around(`<task id="x">` + extensions(`<drools:onEntry-script scriptFormat="http://www.java.com/java"><drools:script><![CDATA[]]></drools:script></drools:onEntry-script><drools:onExit-script scriptFormat="http://www.java.com/java" />`) + `</task>`)), "x",
			nil},
		{"camunda take by default on a flow", onFlow(`<camunda:executionListener class="com.acme.Count" />`), "in",
			[]model.Listener{{Event: "take", TaskType: "com.acme.Count"}}},
		{"flowable and activiti take on a flow", onFlow(`<flowable:executionListener event="take" delegateExpression="${counter}" /><activiti:executionListener class="A" />`), "in",
			[]model.Listener{{Event: "take", TaskType: "counter"}, {Event: "take", TaskType: "A"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := parseOne(t, tt.doc)
			var got []model.Listener
			if n := d.Nodes[tt.id]; n != nil {
				got = n.Listeners
			} else {
				got = d.Flows[tt.id].Listeners
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestParseListenerProblems checks that each listener Baton cannot run as a delegate gives one
// problem at the right line and element.
func TestParseListenerProblems(t *testing.T) {
	t.Parallel()
	onTask := func(ext string) string { return inlineModel(around(`<task id="x">` + extensions(ext) + `</task>`)) }
	tests := []problemCase{
		{"camunda expression", onTask(`<camunda:executionListener expression="${audit.log(execution)}" event="start" />`),
			[]wantProblem{{id: "x", msg: `camunda:executionListener expression="${audit.log(execution)}" is not supported: execution listeners run as delegates: name a task type with class or delegateExpression`}}},
		{"camunda script", onTask(`<camunda:executionListener event="start">
            <camunda:script scriptFormat="javascript">print(1)</camunda:script>
          </camunda:executionListener>`),
			[]wantProblem{{id: "x", needle: "<camunda:script", msg: "a <camunda:script> in an execution listener is not supported: execution listeners run as delegates"}}},
		{"camunda field", onTask(`<camunda:executionListener class="A" event="start">
            <camunda:field name="level" stringValue="info" />
          </camunda:executionListener>`),
			[]wantProblem{{id: "x", needle: "<camunda:field", msg: `<camunda:field name="level"> in an execution listener is not supported: execution listeners run as delegates`}}},
		{"flowable field on a flow", onFlow(`<flowable:executionListener class="A"><flowable:field name="f"><flowable:string>v</flowable:string></flowable:field></flowable:executionListener>`),
			[]wantProblem{{id: "in", needle: "<flowable:field", msg: `<flowable:field name="f"> in an execution listener is not supported`}}},
		{"class and delegate expression", onTask(`<camunda:executionListener class="A" delegateExpression="${b}" event="start" />`),
			[]wantProblem{{id: "x", msg: `camunda:executionListener has both class="A" and delegateExpression="${b}"; keep one`}}},
		{"delegate expression that is not a name", onTask(`<flowable:executionListener delegateExpression="${beans.get('a')}" event="end" />`),
			[]wantProblem{{id: "x", msg: `flowable:executionListener delegateExpression="${beans.get('a')}" must name a delegate as ${name}`}}},
		{"delegate expression without wrapper", onTask(`<camunda:executionListener delegateExpression="audit" event="end" />`),
			[]wantProblem{{id: "x", msg: `delegateExpression="audit" must name a delegate as ${name}`}}},
		{"flowable transaction listener", onTask(`<flowable:executionListener event="end" class="A" onTransaction="committed" />`),
			[]wantProblem{{id: "x", msg: `flowable:executionListener onTransaction="committed" is not supported`}}},
		{"zeebe FEEL type", onTask(`<zeebe:executionListeners><zeebe:executionListener eventType="start" type="=kind" /></zeebe:executionListeners>`),
			[]wantProblem{{id: "x", needle: "<zeebe:executionListener eventType", msg: `zeebe:executionListener type "=kind" is a FEEL expression, which is not supported; write a fixed task type`}}},
		{"jbpm on-entry script", onTask(`<drools:onEntry-script scriptFormat="http://www.java.com/java"><drools:script>System.out.println("in");</drools:script></drools:onEntry-script>`),
			[]wantProblem{{id: "x", needle: "<drools:onEntry-script", msg: "drools:onEntry-script is not supported: execution listeners must be delegates; move the script into a scriptTask"}}},
		{"jbpm on-exit script", onTask(`<drools:onExit-script scriptFormat="http://www.mvel.org/2.0"><drools:script>done = true</drools:script></drools:onExit-script>`),
			[]wantProblem{{id: "x", needle: "<drools:onExit-script", msg: "drools:onExit-script is not supported"}}},
		{"camunda process listener", onProcess(`<camunda:executionListener class="A" event="start" />`),
			[]wantProblem{{id: "p", needle: "<camunda:executionListener", msg: "process-level execution listeners are not supported; put them on the start or end event"}}},
		{"zeebe process listeners", onProcess(`<zeebe:executionListeners>
      <zeebe:executionListener eventType="start" type="a" />
      <zeebe:executionListener eventType="end" type="b" />
    </zeebe:executionListeners>`),
			[]wantProblem{
				{id: "p", needle: `type="a"`, msg: "process-level execution listeners are not supported"},
				{id: "p", needle: `type="b"`, msg: "process-level execution listeners are not supported"},
			}},
		{"take on a node", onTask(`<camunda:executionListener class="A" event="take" />`),
			[]wantProblem{{id: "x", msg: `execution listener event "take" is not supported on a flow node; use start or end`}}},
		{"start on a flow", onFlow(`<camunda:executionListener class="A" event="start" />`),
			[]wantProblem{{id: "in", msg: `execution listener event "start" is not supported on a sequence flow; use take`}}},
		{"no delegate", onTask(`<camunda:executionListener event="start" />`),
			[]wantProblem{{id: "x", msg: `execution listener on "start" has no delegate`}}},
		{"zeebe listener without type", onTask(`<zeebe:executionListeners><zeebe:executionListener eventType="end" /></zeebe:executionListeners>`),
			[]wantProblem{{id: "x", msg: `execution listener on "end" has no delegate`}}},
	}
	checkProblemCases(t, tests)
}
