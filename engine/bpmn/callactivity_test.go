package bpmn

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// callFiles are the modeller files with call activities and multi-instance activities.
var callFiles = []modellerFile{
	{
		file: "camunda7_callactivity.bpmn", key: "claims", name: "Claim batch",
		nodes: map[string]wantNode{
			"StartEvent_1":          {kind: model.StartEvent, out: []string{"Flow_1"}},
			"Activity_Assess":       {kind: model.CallActivity, before: true, in: []string{"Flow_1"}, out: []string{"Flow_2"}},
			"Activity_Remind":       {kind: model.ServiceTask, taskType: "com.acme.claims.Remind", in: []string{"Flow_2"}, out: []string{"Flow_3"}},
			"Activity_Archive":      {kind: model.CallActivity, in: []string{"Flow_3"}, out: []string{"Flow_4"}},
			"Activity_Review":       {kind: model.SubProcess, in: []string{"Flow_4"}, out: []string{"Flow_5"}},
			"Event_ReviewStart":     {kind: model.StartEvent, parent: "Activity_Review", out: []string{"Flow_S1"}},
			"Activity_ReviewRegion": {kind: model.ServiceTask, parent: "Activity_Review", taskType: "com.acme.claims.ReviewRegion", in: []string{"Flow_S1"}, out: []string{"Flow_S2"}},
			"Event_ReviewEnd":       {kind: model.EndEvent, parent: "Activity_Review", in: []string{"Flow_S2"}},
			"EndEvent_1":            {kind: model.EndEvent, in: []string{"Flow_5"}},
		},
		flows: map[string]wantFlow{
			"Flow_1": {"StartEvent_1", "Activity_Assess", ""}, "Flow_2": {"Activity_Assess", "Activity_Remind", ""},
			"Flow_3": {"Activity_Remind", "Activity_Archive", ""}, "Flow_4": {"Activity_Archive", "Activity_Review", ""},
			"Flow_S1": {"Event_ReviewStart", "Activity_ReviewRegion", ""}, "Flow_S2": {"Activity_ReviewRegion", "Event_ReviewEnd", ""},
			"Flow_5": {"Activity_Review", "EndEvent_1", ""},
		},
	},
	{
		file: "zeebe_callactivity.bpmn", key: "order-batch", name: "Order batch",
		nodes: map[string]wantNode{
			"StartEvent_1":     {kind: model.StartEvent, out: []string{"Flow_0b1"}},
			"Activity_Ship":    {kind: model.CallActivity, in: []string{"Flow_0b1"}, out: []string{"Flow_1c2"}},
			"Activity_Label":   {kind: model.ServiceTask, element: "sendTask", taskType: "print-label", in: []string{"Flow_1c2"}, out: []string{"Flow_2d3"}},
			"Activity_Invoice": {kind: model.CallActivity, in: []string{"Flow_2d3"}, out: []string{"Flow_3e4"}},
			"EndEvent_1":       {kind: model.EndEvent, in: []string{"Flow_3e4"}},
		},
		flows: map[string]wantFlow{
			"Flow_0b1": {"StartEvent_1", "Activity_Ship", ""}, "Flow_1c2": {"Activity_Ship", "Activity_Label", ""},
			"Flow_2d3": {"Activity_Label", "Activity_Invoice", ""}, "Flow_3e4": {"Activity_Invoice", "EndEvent_1", ""},
		},
	},
	{
		file: "flowable_callactivity.bpmn", key: "reviewBatch", name: "Review batch",
		nodes: map[string]wantNode{
			"startEvent1":     {kind: model.StartEvent, out: []string{"sid-0A1B2C3D"}},
			"reviewCall":      {kind: model.CallActivity, in: []string{"sid-0A1B2C3D"}, out: []string{"sid-4E5F6A7B"}},
			"notifyReviewers": {kind: model.ServiceTask, taskType: "com.acme.review.Notify", in: []string{"sid-4E5F6A7B"}, out: []string{"sid-8C9D0E1F"}},
			"collectVotes":    {kind: model.Task, in: []string{"sid-8C9D0E1F"}, out: []string{"sid-2A3B4C5D"}},
			"endEvent1":       {kind: model.EndEvent, in: []string{"sid-2A3B4C5D"}},
		},
		flows: map[string]wantFlow{
			"sid-0A1B2C3D": {"startEvent1", "reviewCall", ""}, "sid-4E5F6A7B": {"reviewCall", "notifyReviewers", ""},
			"sid-8C9D0E1F": {"notifyReviewers", "collectVotes", ""}, "sid-2A3B4C5D": {"collectVotes", "endEvent1", ""},
		},
	},
	{
		file: "jbpm_multiinstance.bpmn", key: "com.acme.packing", name: "packing",
		nodes: map[string]wantNode{
			"_Start": {kind: model.StartEvent, out: []string{"_Flow1"}},
			"_Pack":  {kind: model.ServiceTask, element: "task", taskType: "PackItem", in: []string{"_Flow1"}, out: []string{"_Flow2"}},
			"_Ship":  {kind: model.CallActivity, in: []string{"_Flow2"}, out: []string{"_Flow3"}},
			"_End":   {kind: model.EndEvent, in: []string{"_Flow3"}},
		},
		flows: map[string]wantFlow{
			"_Flow1": {"_Start", "_Pack", ""}, "_Flow2": {"_Pack", "_Ship", ""}, "_Flow3": {"_Ship", "_End", ""},
		},
	},
}

// TestParseCallActivityFiles checks the call activities of modeller files in every dialect, with
// their variable mappings.
func TestParseCallActivityFiles(t *testing.T) {
	t.Parallel()
	want := map[string]map[string]*model.CallSpec{
		"camunda7_callactivity.bpmn": {
			"Activity_Assess": {ProcessKey: "assess-claim", Binding: model.BindingVersion, Version: 3, BusinessKey: "_businessKey",
				In:  []model.Mapping{{Target: "claim", Expr: "claim"}, {Target: "limit", Expr: "claim.amount * 2"}},
				Out: []model.Mapping{{Target: "score", Expr: "score"}, {Target: "suspicious", Expr: "score > 80"}}},
			"Activity_Archive": {ProcessKey: "archive-claims", Binding: model.BindingDeployment, InAll: true,
				Out: []model.Mapping{{Target: "archiveId", Expr: "archiveId"}}},
		},
		"zeebe_callactivity.bpmn": {
			"Activity_Ship":    {ProcessKey: "ship-order", Binding: model.BindingDeployment, InAll: true},
			"Activity_Invoice": {ProcessKey: "invoice", OutAll: true},
		},
		"flowable_callactivity.bpmn": {
			"reviewCall": {ProcessKey: "reviewProcess", Binding: model.BindingDeployment, InAll: true, BusinessKey: "_businessKey",
				In:  []model.Mapping{{Target: "amount", Expr: "amount"}},
				Out: []model.Mapping{{Target: "approved", Expr: "approved"}, {Target: "lastReviewer", Expr: "reviewer"}}},
		},
		"jbpm_multiinstance.bpmn": {"_Ship": {ProcessKey: "com.acme.shipping"}},
	}
	for _, file := range callFiles {
		t.Run(file.file, func(t *testing.T) {
			t.Parallel()
			checkModellerFile(t, file)
			defs, err := ParseFile(filepath.Join("testdata", file.file))
			if err != nil {
				t.Fatal(err)
			}
			for id, n := range defs[0].Nodes {
				if got := plainCall(n.Call); !reflect.DeepEqual(got, want[file.file][id]) {
					t.Errorf("node %q call\n got  %+v\n want %+v", id, got, want[file.file][id])
				}
				checkCompiled(t, n)
			}
		})
	}
	d := parseOne(t, readTestdata(t, "zeebe_callactivity.bpmn"))
	ship := d.Nodes["Activity_Ship"]
	wantIn := []model.Mapping{{Target: "orderId", Expr: "order.id"}, {Target: "service", Value: "express"}}
	if got := plainMappings(ship.Inputs); !reflect.DeepEqual(got, wantIn) {
		t.Errorf("zeebe call activity inputs %#v, want %#v", got, wantIn)
	}
	if got := plainMappings(ship.Outputs); !reflect.DeepEqual(got, []model.Mapping{{Target: "tracking", Expr: "trackingNumber"}}) {
		t.Errorf("zeebe call activity outputs %#v", got)
	}
}

// TestParseCallActivities checks the called element and the variable mappings of the call
// activity "x" in every dialect.
func TestParseCallActivities(t *testing.T) {
	t.Parallel()
	call := func(attrs, ext string) string {
		return `<callActivity id="x"` + attrs + `>` + extensions(ext) + `</callActivity>`
	}
	tests := []struct {
		name string
		node string
		want model.CallSpec
	}{
		{"minimal", `<callActivity id="x" calledElement=" child " />`, model.CallSpec{ProcessKey: "child"}},
		{"camunda mappings", call(` calledElement="child" camunda:calledElementBinding="latest"`, `
          <camunda:in source="a" target="b" local="true" />
          <camunda:in sourceExpression="${a + 1}" target="c" />
          <camunda:in sourceExpression="Order ${id}" target="d" />
          <camunda:in sourceExpression="fixed" target="e" />
          <camunda:in variables="all" local="true" />
          <camunda:out source="r" target="result" />
          <camunda:out variables="all" />`),
			model.CallSpec{ProcessKey: "child", Binding: model.BindingLatest, InAll: true, OutAll: true,
				In:  []model.Mapping{{Target: "b", Expr: "a"}, {Target: "c", Expr: "a + 1"}, {Target: "d", Expr: `"Order " + string(id)`}, {Target: "e", Value: "fixed"}},
				Out: []model.Mapping{{Target: "result", Expr: "r"}}}},
		{"camunda version", call(` calledElement="child" camunda:calledElementBinding="version" camunda:calledElementVersion=" 7 "`, ""),
			model.CallSpec{ProcessKey: "child", Binding: model.BindingVersion, Version: 7}},
		{"camunda business key idiom", call(` calledElement="child"`, `<camunda:in businessKey="#{execution.processBusinessKey}" />`),
			model.CallSpec{ProcessKey: "child", BusinessKey: "_businessKey"}},
		{"camunda business key getter in an expression", call(` calledElement="child"`, `<camunda:in businessKey="${execution.getProcessBusinessKey() + '-' + region}" /><camunda:in sourceExpression="${execution.businessKey}" target="parentKey" />`),
			model.CallSpec{ProcessKey: "child", BusinessKey: "_businessKey + '-' + region", In: []model.Mapping{{Target: "parentKey", Expr: "_businessKey"}}}},
		{"camunda constant business key", call(` calledElement="child"`, `<camunda:in businessKey="batch-1" />`),
			model.CallSpec{ProcessKey: "child", BusinessKey: `"batch-1"`}},
		{"zeebe defaults", call("", `<zeebe:calledElement processId="child" />`),
			model.CallSpec{ProcessKey: "child", InAll: true, OutAll: true}},
		{"zeebe no propagation", call("", `<zeebe:calledElement processId="child" propagateAllParentVariables="false" propagateAllChildVariables="FALSE" bindingType="deployment" />`),
			model.CallSpec{ProcessKey: "child", Binding: model.BindingDeployment}},
		{"zeebe and calledElement agree", call(` calledElement="child"`, `<zeebe:calledElement processId="child" bindingType="latest" />`),
			model.CallSpec{ProcessKey: "child", Binding: model.BindingLatest, InAll: true, OutAll: true}},
		{"flowable", call(` calledElement="child" flowable:calledElementType="key" flowable:inheritVariables="true" flowable:sameDeployment="true" flowable:inheritBusinessKey="true" flowable:fallbackToDefaultTenant="false"`,
			`<flowable:in sourceExpression="${amount * 2}" target="limit" /><flowable:out source="ok" target="approved" />`),
			model.CallSpec{ProcessKey: "child", Binding: model.BindingDeployment, InAll: true, BusinessKey: "_businessKey",
				In: []model.Mapping{{Target: "limit", Expr: "amount * 2"}}, Out: []model.Mapping{{Target: "approved", Expr: "ok"}}}},
		{"flowable business key expression", call(` calledElement="child" flowable:businessKey="${order.id}" flowable:inheritVariables="false" flowable:sameDeployment="false"`, ""),
			model.CallSpec{ProcessKey: "child", BusinessKey: "order.id"}},
		{"activiti", call(` calledElement="child" activiti:inheritVariables="true"`, `<activiti:in source="a" target="a" /><activiti:out source="b" target="b" />`),
			model.CallSpec{ProcessKey: "child", InAll: true, In: []model.Mapping{{Target: "a", Expr: "a"}}, Out: []model.Mapping{{Target: "b", Expr: "b"}}}},
		{"jbpm", `<callActivity id="x" calledElement="com.acme.child" drools:independent="false" drools:waitForCompletion="true" />`,
			model.CallSpec{ProcessKey: "com.acme.child"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := parseOne(t, inlineModel(around(tt.node))).Nodes["x"]
			if got := plainCall(n.Call); !reflect.DeepEqual(got, plainCall(&tt.want)) {
				t.Errorf("\n got  %+v\n want %+v", got, tt.want)
			}
			checkCompiled(t, n)
		})
	}
}

// TestParseCallActivityMarkers checks that a call activity carries the async markers, input and
// output mappings and listeners of any activity.
func TestParseCallActivityMarkers(t *testing.T) {
	t.Parallel()
	n := parseOne(t, inlineModel(around(`<callActivity id="x" calledElement="child" camunda:asyncBefore="true" camunda:asyncAfter="true" camunda:exclusive="false">`+
		extensions(`<camunda:inputOutput><camunda:inputParameter name="a">${b}</camunda:inputParameter></camunda:inputOutput>
          <camunda:executionListener class="L" event="end" />`)+`</callActivity>`))).Nodes["x"]
	if got := nodeOf(n); !got.equal(wantNode{kind: model.CallActivity, before: true, after: true, notExclusive: true}, false) {
		t.Errorf("got %+v", got)
	}
	if !reflect.DeepEqual(plainMappings(n.Inputs), []model.Mapping{{Target: "a", Expr: "b"}}) || len(n.Listeners) != 1 {
		t.Errorf("inputs %+v listeners %+v", n.Inputs, n.Listeners)
	}
}

// TestParseCallActivityProblems checks that each mistake in a call activity gives one problem at
// the right line and element.
func TestParseCallActivityProblems(t *testing.T) {
	t.Parallel()
	call := func(attrs, ext string) string {
		return inlineModel(around(`<callActivity id="x"` + attrs + `>` + extensions(ext) + `</callActivity>`))
	}
	child := ` calledElement="child"`
	tests := []problemCase{
		{"no called element", inlineModel(around(`<callActivity id="x" />`)),
			[]wantProblem{{id: "x", msg: "call activity has no called element; set calledElement (or zeebe:calledElement processId)"}}},
		{"dynamic called element", call(` calledElement="${childKey}"`, ""),
			[]wantProblem{
				{id: "x", msg: `calledElement="${childKey}" is an expression: dynamic called elements are not supported; name the called process's id`},
			}},
		{"zeebe dynamic process id", call("", `<zeebe:calledElement processId="=&#34;ship-&#34; + region" />`),
			[]wantProblem{
				{id: "x", msg: `zeebe:calledElement processId="=\"ship-\" + region" is an expression: dynamic called elements are not supported`},
			}},
		{"two called elements", call(child, `<zeebe:calledElement processId="other" />`),
			[]wantProblem{{id: "x", msg: `calledElement="child" and zeebe:calledElement processId="other" name two different called processes; keep one`}}},
		{"version not a number", call(child+` camunda:calledElementBinding="version" camunda:calledElementVersion="${v}"`, ""),
			[]wantProblem{
				{id: "x", msg: `camunda:calledElementVersion="${v}" is not a version number; write a number such as 2`},
			}},
		{"version binding without version", call(child+` camunda:calledElementBinding="version"`, ""),
			[]wantProblem{{id: "x", msg: "calledElementBinding version needs calledElementVersion"}}},
		{"camunda version tag binding", call(child+` camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="v1"`, ""),
			[]wantProblem{{id: "x", msg: `calledElementBinding "versionTag" is not supported; use latest, deployment or version`}}},
		{"zeebe version tag binding", call("", `<zeebe:calledElement processId="child" bindingType="versionTag" versionTag="v1" />`),
			[]wantProblem{{id: "x", msg: `calledElementBinding "versionTag" is not supported`}}},
		{"tenant", call(child+` camunda:calledElementTenantId="acme"`, ""),
			[]wantProblem{{id: "x", msg: `camunda:calledElementTenantId="acme": tenants are not supported; remove it`}}},
		{"variable mapping delegate", call(child+` camunda:variableMappingClass="com.acme.Mapper"`, ""),
			[]wantProblem{{id: "x", msg: "variable mapping delegates are not supported; map variables with camunda:in and camunda:out"}}},
		{"CMMN case", call(` camunda:caseRef="claim"`, ""),
			[]wantProblem{
				{id: "x", msg: `camunda:caseRef="claim": calling a CMMN case is not supported`},
			}},
		{"source and source expression", call(child, `<camunda:in source="a" sourceExpression="${a}" target="b" />`),
			[]wantProblem{{id: "x", needle: "<camunda:in", msg: `camunda:in has both source="a" and sourceExpression="${a}"; keep one`}}},
		{"source that is not a variable name", call(child, `<camunda:out source="order-id" target="b" />`),
			[]wantProblem{{id: "x", needle: "<camunda:out", msg: `camunda:out source="order-id" is not a variable name; write an expression in sourceExpression instead`}}},
		{"mapping without source", call(child, `<flowable:in target="b" />`),
			[]wantProblem{{id: "x", needle: "<flowable:in", msg: `flowable:in needs source, sourceExpression, variables="all" or businessKey`}}},
		{"variables other than all", call(child, `<camunda:in variables="local" />`),
			[]wantProblem{{id: "x", needle: "<camunda:in", msg: `camunda:in variables="local" is not supported; write variables="all"`}}},
		{"business key on out", call(child, `<camunda:out businessKey="${k}" />`),
			[]wantProblem{{id: "x", needle: "<camunda:out", msg: "a business key passes into the child only; move it to camunda:in"}}},
		{"source expression without closing brace", call(child, `<camunda:in sourceExpression="${a" target="b" />`),
			[]wantProblem{{id: "x", needle: "<camunda:in", msg: `camunda:in sourceExpression="${a" has an expression without its closing }`}}},
		{"mapping without target", call(child, `<camunda:in source="a" />`),
			[]wantProblem{{id: "x", msg: "call input mapping without a target variable name"}}},
		{"source expression that does not compile", call(child, `<camunda:out sourceExpression="${a +}" target="b" />`),
			[]wantProblem{{id: "x", msg: `call output mapping of "b" "a +" does not compile`}}},
		{"business key that does not compile", call(child, `<camunda:in businessKey="${a +}" />`),
			[]wantProblem{{id: "x", msg: `business key "a +" does not compile`}}},
		{"two business keys", call(child+` flowable:businessKey="${orderId}"`, `<camunda:in businessKey="${execution.processBusinessKey}" />`),
			[]wantProblem{{id: "x", needle: "<camunda:in", msg: "flowable:businessKey and camunda:in businessKey give the child two different business keys; keep one"}}},
		{"flowable call by id", call(child+` flowable:calledElementType="id"`, ""),
			[]wantProblem{{id: "x", msg: `flowable:calledElementType="id" is not supported; Baton calls processes by key`}}},
		{"flowable boolean", call(child+` flowable:inheritVariables="yes"`, ""),
			[]wantProblem{{id: "x", msg: `flowable:inheritVariables="yes" is not a boolean`}}},
		{"zeebe boolean", call("", `<zeebe:calledElement processId="child" propagateAllChildVariables="maybe" />`),
			[]wantProblem{{id: "x", needle: "<zeebe:calledElement", msg: `zeebe:calledElement propagateAllChildVariables="maybe" is not a boolean`}}},
		{"jbpm without waiting", call(child+` drools:waitForCompletion="false"`, ""),
			[]wantProblem{{id: "x", msg: `drools:waitForCompletion="false" is not supported: Baton always waits for the child`}}},
		{"jbpm independent child", call(child+` drools:independent="true"`, ""),
			[]wantProblem{{id: "x", msg: `drools:independent="true" is not supported: Baton always waits for the child`}}},
		{"jbpm boolean", call(child+` drools:independent="no"`, ""),
			[]wantProblem{{id: "x", msg: `drools:independent="no" is not a boolean`}}},
	}
	checkProblemCases(t, tests)
}
