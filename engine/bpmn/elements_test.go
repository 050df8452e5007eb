package bpmn

import (
	"strings"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// TestParseElementFiles checks modeller files that use send and business rule tasks, inclusive
// gateways, none throw events, terminate end events, baton:async and the stored job options.
func TestParseElementFiles(t *testing.T) {
	t.Parallel()
	tests := []modellerFile{
		{
			file: "camunda7_shipping.bpmn", key: "shipping", name: "Shipping",
			nodes: map[string]wantNode{
				"StartEvent_1":     {kind: model.StartEvent, out: []string{"Flow_1"}},
				"Activity_Rules":   {kind: model.ServiceTask, element: "businessRuleTask", taskType: "com.acme.shipping.ShippingRules", before: true, retryCycle: "R5/PT1M", in: []string{"Flow_1"}, out: []string{"Flow_2"}},
				"Gateway_Options":  {kind: model.InclusiveGateway, def: "Flow_Std", in: []string{"Flow_2"}, out: []string{"Flow_Gift", "Flow_Insure", "Flow_Std"}},
				"Activity_Gift":    {kind: model.ServiceTask, element: "sendTask", taskType: "gift-card", external: true, priority: "${priority}", in: []string{"Flow_Gift"}, out: []string{"Flow_3"}},
				"Activity_Insure":  {kind: model.ServiceTask, element: "task", taskType: "com.acme.shipping.Insure", in: []string{"Flow_Insure"}, out: []string{"Flow_4"}},
				"Gateway_Insured":  {kind: model.ExclusiveGateway, def: "Flow_Insured", in: []string{"Flow_4"}, out: []string{"Flow_Refused", "Flow_Insured"}},
				"EndEvent_Refused": {kind: model.EndEvent, terminate: true, in: []string{"Flow_Refused"}},
				"Activity_Label":   {kind: model.ServiceTask, element: "sendTask", taskType: "com.acme.shipping.SendLabel", priority: "20", in: []string{"Flow_Std"}, out: []string{"Flow_5"}},
				"Gateway_Join":     {kind: model.InclusiveGateway, in: []string{"Flow_Insured", "Flow_3", "Flow_5"}, out: []string{"Flow_6"}},
				"Event_Shipped":    {kind: model.ThrowEvent, after: true, in: []string{"Flow_6"}, out: []string{"Flow_7"}},
				"EndEvent_Done":    {kind: model.EndEvent, in: []string{"Flow_7"}},
			},
			flows: map[string]wantFlow{
				"Flow_1": {"StartEvent_1", "Activity_Rules", ""}, "Flow_2": {"Activity_Rules", "Gateway_Options", ""},
				"Flow_Gift": {"Gateway_Options", "Activity_Gift", "gift"}, "Flow_Insure": {"Gateway_Options", "Activity_Insure", "amount > 500"},
				"Flow_Std": {"Gateway_Options", "Activity_Label", ""}, "Flow_4": {"Activity_Insure", "Gateway_Insured", ""},
				"Flow_Refused": {"Gateway_Insured", "EndEvent_Refused", "!insured"}, "Flow_Insured": {"Gateway_Insured", "Gateway_Join", ""},
				"Flow_3": {"Activity_Gift", "Gateway_Join", ""}, "Flow_5": {"Activity_Label", "Gateway_Join", ""},
				"Flow_6": {"Gateway_Join", "Event_Shipped", ""}, "Flow_7": {"Event_Shipped", "EndEvent_Done", ""},
			},
		},
		{
			file: "zeebe_shipping.bpmn", key: "shipping-process", name: "Shipping process",
			nodes: map[string]wantNode{
				"StartEvent_1":     {kind: model.StartEvent, out: []string{"Flow_0a1"}},
				"Activity_Rules":   {kind: model.ServiceTask, element: "businessRuleTask", taskType: "shipping-rules", retries: 2, in: []string{"Flow_0a1"}, out: []string{"Flow_0b2"}},
				"Gateway_Options":  {kind: model.InclusiveGateway, def: "Flow_Std", in: []string{"Flow_0b2"}, out: []string{"Flow_Gift", "Flow_Express", "Flow_Std"}},
				"Activity_Gift":    {kind: model.ServiceTask, element: "sendTask", taskType: "send-gift-card", retries: 5, in: []string{"Flow_Gift"}, out: []string{"Flow_1c3"}},
				"Activity_Express": {kind: model.Task, in: []string{"Flow_Express"}, out: []string{"Flow_2d4"}},
				"Activity_Label":   {kind: model.ServiceTask, element: "sendTask", taskType: "send-label", in: []string{"Flow_Std"}, out: []string{"Flow_3e5"}},
				"Gateway_Join":     {kind: model.InclusiveGateway, in: []string{"Flow_1c3", "Flow_2d4", "Flow_3e5"}, out: []string{"Flow_4f6"}},
				"Event_Prepared":   {kind: model.ThrowEvent, in: []string{"Flow_4f6"}, out: []string{"Flow_5g7"}},
				"EndEvent_Done":    {kind: model.EndEvent, terminate: true, in: []string{"Flow_5g7"}},
			},
			flows: map[string]wantFlow{
				"Flow_0a1": {"StartEvent_1", "Activity_Rules", ""}, "Flow_0b2": {"Activity_Rules", "Gateway_Options", ""},
				"Flow_Gift": {"Gateway_Options", "Activity_Gift", "gift == true"}, "Flow_Express": {"Gateway_Options", "Activity_Express", "express and amount > 100"},
				"Flow_Std": {"Gateway_Options", "Activity_Label", ""}, "Flow_1c3": {"Activity_Gift", "Gateway_Join", ""},
				"Flow_2d4": {"Activity_Express", "Gateway_Join", ""}, "Flow_3e5": {"Activity_Label", "Gateway_Join", ""},
				"Flow_4f6": {"Gateway_Join", "Event_Prepared", ""}, "Flow_5g7": {"Event_Prepared", "EndEvent_Done", ""},
			},
		},
		{
			file: "baton_async.bpmn", key: "baton-picking", name: "Baton picking",
			nodes: map[string]wantNode{
				"Start":   {kind: model.StartEvent, before: true, out: []string{"Flow_1"}},
				"Pick":    {kind: model.ServiceTask, element: "task", taskType: "pick-items", asyncExpr: "len(items) > 50", in: []string{"Flow_1"}, out: []string{"Flow_2"}},
				"Notify":  {kind: model.ServiceTask, element: "sendTask", taskType: "notify-customer", asyncExpr: `tier == "gold"`, in: []string{"Flow_2"}, out: []string{"Flow_3"}},
				"Picked":  {kind: model.ThrowEvent, in: []string{"Flow_3"}, out: []string{"Flow_4"}},
				"Split":   {kind: model.InclusiveGateway, after: true, def: "Flow_Post", in: []string{"Flow_4"}, out: []string{"Flow_Courier", "Flow_Post"}},
				"Courier": {kind: model.ServiceTask, element: "businessRuleTask", taskType: "choose-courier", asyncExpr: "weight > 20", notExclusive: true, in: []string{"Flow_Courier"}, out: []string{"Flow_5"}},
				"Post":    {kind: model.ServiceTask, element: "task", taskType: "post", in: []string{"Flow_Post"}, out: []string{"Flow_6"}},
				"Join":    {kind: model.InclusiveGateway, before: true, in: []string{"Flow_5", "Flow_6"}, out: []string{"Flow_7"}},
				"Check":   {kind: model.ExclusiveGateway, def: "Flow_Done", in: []string{"Flow_7"}, out: []string{"Flow_Stop", "Flow_Done"}},
				"Stopped": {kind: model.EndEvent, terminate: true, in: []string{"Flow_Stop"}},
				"Done":    {kind: model.EndEvent, in: []string{"Flow_Done"}},
			},
			flows: map[string]wantFlow{
				"Flow_1": {"Start", "Pick", ""}, "Flow_2": {"Pick", "Notify", ""}, "Flow_3": {"Notify", "Picked", ""},
				"Flow_4": {"Picked", "Split", ""}, "Flow_Courier": {"Split", "Courier", "express"}, "Flow_Post": {"Split", "Post", ""},
				"Flow_5": {"Courier", "Join", ""}, "Flow_6": {"Post", "Join", ""}, "Flow_7": {"Join", "Check", ""},
				"Flow_Stop": {"Check", "Stopped", "cancelled"}, "Flow_Done": {"Check", "Done", ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			checkModellerFile(t, tt)
		})
	}
}

// TestParseElements checks the new elements and attributes in every dialect on the node "x" of a
// small model (or on the node id of a whole model).
func TestParseElements(t *testing.T) {
	t.Parallel()
	terminate := strings.Replace(inlineModel(around(`<task id="x" />`)), `<endEvent id="end" />`,
		`<endEvent id="end"><terminateEventDefinition id="td" /></endEvent>`, 1)
	tests := []struct {
		name string
		doc  string // a whole model; node is used when empty
		node string
		id   string // the node to check; "x" when empty
		want wantNode
	}{
		{name: "camunda send task", node: `<sendTask id="x" camunda:class="com.acme.Mail" />`,
			want: wantNode{kind: model.ServiceTask, element: "sendTask", taskType: "com.acme.Mail"}},
		{name: "camunda external business rule task", node: `<businessRuleTask id="x" camunda:type="external" camunda:topic="rules" camunda:jobPriority=" 7 " />`,
			want: wantNode{kind: model.ServiceTask, element: "businessRuleTask", taskType: "rules", external: true, priority: "7"}},
		{name: "zeebe send task", node: `<sendTask id="x"><extensionElements><zeebe:taskDefinition type="mail" retries=" 4 " /></extensionElements></sendTask>`,
			want: wantNode{kind: model.ServiceTask, element: "sendTask", taskType: "mail", retries: 4}},
		{name: "zeebe business rule task as a job worker", node: `<businessRuleTask id="x"><extensionElements><zeebe:taskDefinition type="rules" /></extensionElements></businessRuleTask>`,
			want: wantNode{kind: model.ServiceTask, element: "businessRuleTask", taskType: "rules"}},
		{name: "flowable custom rule task", node: `<businessRuleTask id="x" flowable:class="com.acme.Rules" flowable:async="true" />`,
			want: wantNode{kind: model.ServiceTask, element: "businessRuleTask", taskType: "com.acme.Rules", before: true}},
		{name: "flowable external worker send task", node: `<sendTask id="x" flowable:type="external-worker" flowable:topic="mail"><extensionElements><flowable:failedJobRetryTimeCycle>R2/PT30S</flowable:failedJobRetryTimeCycle></extensionElements></sendTask>`,
			want: wantNode{kind: model.ServiceTask, element: "sendTask", taskType: "mail", external: true, retryCycle: "R2/PT30S"}},
		{name: "activiti send task", node: `<sendTask id="x" activiti:class="com.acme.Mail"><extensionElements><activiti:failedJobRetryTimeCycle>R3/PT5M</activiti:failedJobRetryTimeCycle></extensionElements></sendTask>`,
			want: wantNode{kind: model.ServiceTask, element: "sendTask", taskType: "com.acme.Mail", retryCycle: "R3/PT5M"}},
		{name: "jbpm send task", node: `<sendTask id="x" drools:taskName="Email" />`,
			want: wantNode{kind: model.ServiceTask, element: "sendTask", taskType: "Email"}},
		{name: "baton business rule task", node: `<businessRuleTask id="x" baton:type="rules" />`,
			want: wantNode{kind: model.ServiceTask, element: "businessRuleTask", taskType: "rules"}},
		{name: "none throw event", node: `<intermediateThrowEvent id="x" name="Milestone" camunda:asyncAfter="true" />`,
			want: wantNode{kind: model.ThrowEvent, after: true}},
		{name: "inclusive gateway with default", node: `<inclusiveGateway id="x" default="out" flowable:async="true" />`,
			want: wantNode{kind: model.InclusiveGateway, def: "out", before: true}},
		{name: "terminate end event", doc: terminate, id: "end", want: wantNode{kind: model.EndEvent, terminate: true}},
		{name: "baton async true", node: `<task id="x" baton:async="True" />`, want: wantNode{kind: model.Task, before: true}},
		{name: "baton async false", node: `<task id="x" baton:async="FALSE" />`, want: wantNode{kind: model.Task}},
		{name: "baton async false adds up with camunda", node: `<task id="x" baton:async="false" camunda:asyncBefore="true" />`,
			want: wantNode{kind: model.Task, before: true}},
		{name: "baton async JUEL", node: `<exclusiveGateway id="x" baton:async=" ${ amount &gt; 1000 } " />`,
			want: wantNode{kind: model.ExclusiveGateway, asyncExpr: "amount > 1000"}},
		{name: "baton async hash", node: `<task id="x" baton:async="#{bulk}" />`, want: wantNode{kind: model.Task, asyncExpr: "bulk"}},
		{name: "baton async FEEL", node: `<task id="x" baton:async="=tier = 'gold'" baton:asyncAfter="true" />`,
			want: wantNode{kind: model.Task, asyncExpr: "tier == 'gold'", after: true}},
		{name: "same retry cycle twice", node: `<serviceTask id="x" camunda:class="A"><extensionElements><camunda:failedJobRetryTimeCycle>PT10S,PT1M</camunda:failedJobRetryTimeCycle><flowable:failedJobRetryTimeCycle> PT10S,PT1M </flowable:failedJobRetryTimeCycle></extensionElements></serviceTask>`,
			want: wantNode{kind: model.ServiceTask, taskType: "A", retryCycle: "PT10S,PT1M"}},
		{name: "empty job options are not set", node: `<serviceTask id="x" camunda:class="A" camunda:jobPriority=" "><extensionElements><camunda:failedJobRetryTimeCycle /><zeebe:taskDefinition type="A" retries="" /></extensionElements></serviceTask>`,
			want: wantNode{kind: model.ServiceTask, taskType: "A"}},
		{name: "job options on a gateway", node: `<parallelGateway id="x" camunda:asyncBefore="true" camunda:jobPriority="1"><extensionElements><camunda:failedJobRetryTimeCycle>R1/PT1S</camunda:failedJobRetryTimeCycle></extensionElements></parallelGateway>`,
			want: wantNode{kind: model.ParallelGateway, before: true, priority: "1", retryCycle: "R1/PT1S"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, id := tt.doc, tt.id
			if doc == "" {
				doc = inlineModel(around(tt.node))
			}
			if id == "" {
				id = "x"
			}
			defs, err := Parse("inline.bpmn", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			n := defs[0].Nodes[id]
			if got := nodeOf(n); !got.equal(tt.want, false) {
				t.Errorf("\n got  %+v\n want %+v", got, tt.want)
			}
			if (n.AsyncExpr != "") != (n.AsyncProgram() != nil) {
				t.Errorf("async expression %q compiled to %v", n.AsyncExpr, n.AsyncProgram())
			}
		})
	}
}

// TestParseElementProblems checks the problems of the new elements and attributes: one problem
// per mistake, at the right line and element.
func TestParseElementProblems(t *testing.T) {
	t.Parallel()
	end := func(def string) string {
		return strings.Replace(inlineModel(around(`<task id="x" />`)), `<endEvent id="end" />`, `<endEvent id="end">`+def+`</endEvent>`, 1)
	}
	tests := []problemCase{
		{"send task without type", inlineModel(around(`<sendTask id="x" />`)),
			[]wantProblem{{id: "x", msg: "sendTask has no implementation"}}},
		{"business rule task without type", inlineModel(around(`<businessRuleTask id="x" />`)),
			[]wantProblem{{id: "x", msg: "businessRuleTask has no implementation"}}},
		{"camunda DMN decision", inlineModel(around(`<businessRuleTask id="x" camunda:decisionRef="approve" camunda:resultVariable="ok" />`)),
			[]wantProblem{{id: "x", msg: `camunda:decisionRef="approve": DMN decisions are not supported; implement the rule as a delegate with a task type`}}},
		{"zeebe DMN decision", inlineModel(around(`<businessRuleTask id="x"><extensionElements><zeebe:calledDecision decisionId="approve" resultVariable="ok" /></extensionElements></businessRuleTask>`)),
			[]wantProblem{{id: "x", msg: `zeebe:calledDecision decisionId="approve": DMN decisions are not supported`}}},
		{"flowable DMN decision", inlineModel(around(`<serviceTask id="x" flowable:type="dmn" />`)),
			[]wantProblem{{id: "x", msg: `flowable:type="dmn": DMN decisions are not supported`}}},
		{"jbpm DMN decision", inlineModel(around(`<businessRuleTask id="x" implementation="http://www.jboss.org/drools/dmn" />`)),
			[]wantProblem{{id: "x", msg: `implementation="http://www.jboss.org/drools/dmn": DMN decisions are not supported`}}},
		{"compensation throw event", inlineModel(around(`<intermediateThrowEvent id="x"><compensateEventDefinition id="cd" /></intermediateThrowEvent>`)),
			[]wantProblem{{id: "x", needle: ` id="cd"`, msg: "unsupported element <compensateEventDefinition> in <intermediateThrowEvent>; Baton runs only none and signal intermediate throw events yet: remove the event definition; compensation comes later"}}},
		{"escalation throw event", inlineModel(around(`<intermediateThrowEvent id="x"><escalationEventDefinition id="ed" /></intermediateThrowEvent>`)),
			[]wantProblem{{id: "x", needle: ` id="ed"`, msg: "unsupported element <escalationEventDefinition> in <intermediateThrowEvent>"}}},
		{"zeebe message throw event with a job worker", inlineModel(around(`<intermediateThrowEvent id="x"><extensionElements><zeebe:taskDefinition type="notify" /></extensionElements><messageEventDefinition id="md" /></intermediateThrowEvent>`)),
			[]wantProblem{{id: "x", needle: ` id="md"`, msg: "unsupported element <messageEventDefinition> in <intermediateThrowEvent>"}}},
		{"terminate definition in a throw event", inlineModel(around(`<intermediateThrowEvent id="x"><terminateEventDefinition id="td" /></intermediateThrowEvent>`)),
			[]wantProblem{{id: "x", needle: ` id="td"`, msg: "unsupported element <terminateEventDefinition> in <intermediateThrowEvent>"}}},
		{"task type on a none throw event", inlineModel(around(`<intermediateThrowEvent id="x" baton:type="A" />`)),
			[]wantProblem{{id: "x", msg: `baton:type="A" gives a <intermediateThrowEvent> a task type`}}},
		{"signal end event without a signal", end(`<signalEventDefinition id="sd" />`),
			[]wantProblem{{id: "end", needle: ` id="sd"`, msg: "the signal event names no signal"}}},
		{"terminate and message end event", end(`<terminateEventDefinition id="td" /><messageEventDefinition id="md" />`),
			[]wantProblem{{id: "end", needle: ` id="md"`, msg: "unsupported element <messageEventDefinition> in <endEvent>"}}},
		{"inclusive default that does not leave it", inlineModel(around(`<inclusiveGateway id="x" default="in" />`)),
			[]wantProblem{{id: "x", msg: `default flow "in" is not an outgoing flow of this gateway`}}},
		{"default flow on a parallel gateway", inlineModel(around(`<parallelGateway id="x" default="out" />`)),
			[]wantProblem{{id: "x", msg: "a default flow on a <parallelGateway> is not supported; route its outgoing flows through an exclusiveGateway or an inclusiveGateway"}}},
		{"condition out of a send task", inlineModel(`    <startEvent id="s" />
    <sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <sendTask id="t" baton:type="mail" />
    <sequenceFlow id="f2" sourceRef="t" targetRef="e"><conditionExpression>${a}</conditionExpression></sequenceFlow>
    <endEvent id="e" />`),
			[]wantProblem{{id: "f2", msg: `a condition on a flow out of a <sendTask> is not supported; put an exclusiveGateway (one path) or an inclusiveGateway (every true path) after "t"`}}},
		{"bad inclusive condition", inlineModel(`    <startEvent id="s" />
    <sequenceFlow id="f1" sourceRef="s" targetRef="g" />
    <inclusiveGateway id="g" />
    <sequenceFlow id="f2" sourceRef="g" targetRef="e"><conditionExpression>${a &lt;}</conditionExpression></sequenceFlow>
    <endEvent id="e" />`),
			[]wantProblem{{id: "f2", msg: `condition "a <" does not compile`}}},
		{"baton async not a boolean", inlineModel(around(`<task id="x" baton:async="yes" />`)),
			[]wantProblem{{id: "x", msg: `baton:async="yes" is neither a boolean nor an expression; write "true", "false" or an expression`}}},
		{"baton async empty", inlineModel(around(`<task id="x" baton:async="" />`)),
			[]wantProblem{{id: "x", msg: `baton:async="" is neither a boolean nor an expression`}}},
		{"baton async empty expression", inlineModel(around(`<task id="x" baton:async="${ }" />`)),
			[]wantProblem{{id: "x", msg: `baton:async="${ }" is an empty expression`}}},
		{"baton async does not compile", inlineModel(around(`<task id="x" baton:async="=a +" />`)),
			[]wantProblem{{id: "x", msg: `baton:async expression "a +" does not compile`}}},
		{"baton async expression and async before", inlineModel(around(`<task id="x" baton:async="${big}" camunda:asyncBefore="true" />`)),
			[]wantProblem{{id: "x", msg: `baton:async="${big}" decides at run time whether the node is async before, but another marker makes it always async before; keep one`}}},
		{"bad job priority", inlineModel(around(`<task id="x" camunda:jobPriority="urgent" />`)),
			[]wantProblem{{id: "x", msg: `camunda:jobPriority="urgent" is neither an integer nor an expression`}}},
		{"FEEL retries", inlineModel(around(`<serviceTask id="x"><extensionElements><zeebe:taskDefinition type="A" retries="=maxRetries" /></extensionElements></serviceTask>`)),
			[]wantProblem{{id: "x", msg: `zeebe:taskDefinition retries "=maxRetries" is a FEEL expression, which is not supported yet`}}},
		{"retries not an integer", inlineModel(around(`<serviceTask id="x"><extensionElements><zeebe:taskDefinition type="A" retries="three" /></extensionElements></serviceTask>`)),
			[]wantProblem{{id: "x", msg: `zeebe:taskDefinition retries "three" is not a positive integer`}}},
		{"retries zero", inlineModel(around(`<serviceTask id="x"><extensionElements><zeebe:taskDefinition type="A" retries="0" /></extensionElements></serviceTask>`)),
			[]wantProblem{{id: "x", msg: `zeebe:taskDefinition retries "0" is not a positive integer`}}},
		{"two retry cycles", inlineModel(around(`<serviceTask id="x" camunda:class="A"><extensionElements><camunda:failedJobRetryTimeCycle>R3/PT1M</camunda:failedJobRetryTimeCycle><camunda:failedJobRetryTimeCycle>R5/PT1M</camunda:failedJobRetryTimeCycle></extensionElements></serviceTask>`)),
			[]wantProblem{{id: "x", msg: `two different camunda:failedJobRetryTimeCycle, "R3/PT1M" and "R5/PT1M"; keep one`}}},
	}
	checkProblemCases(t, tests)
}
