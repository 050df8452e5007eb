package bpmn

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// jbpmLoop is a jBPM task "x" whose multi-instance reads the collection "items" and writes
// "results" through its data inputs and outputs; loop is the content of its
// multiInstanceLoopCharacteristics.
func jbpmLoop(loop string) string {
	return `<task id="x" drools:taskName="Pack">
      <ioSpecification>
        <dataInput id="x_IN_COLLECTIONInputX" name="IN_COLLECTION" />
        <dataOutput id="x_OUT_COLLECTIONOutputX" name="OUT_COLLECTION" />
      </ioSpecification>
      <dataInputAssociation><sourceRef>items</sourceRef><targetRef>x_IN_COLLECTIONInputX</targetRef></dataInputAssociation>
      <dataOutputAssociation><sourceRef>x_OUT_COLLECTIONOutputX</sourceRef><targetRef>results</targetRef></dataOutputAssociation>
      <multiInstanceLoopCharacteristics>` + loop + `</multiInstanceLoopCharacteristics>
    </task>`
}

// TestParseMultiInstanceFiles checks the multi-instance activities of modeller files in every
// dialect (the files' other contents are checked by TestParseCallActivityFiles).
func TestParseMultiInstanceFiles(t *testing.T) {
	t.Parallel()
	want := map[string]map[string]*model.MultiInstance{
		"camunda7_callactivity.bpmn": {
			"Activity_Assess": {Collection: "claims", ElementVariable: "claim", CompletionCondition: "nrOfCompletedInstances >= 10", AsyncBefore: true, NotExclusive: true},
			"Activity_Remind": {Sequential: true, Cardinality: "3", AsyncAfter: true},
			"Activity_Review": {Collection: "regions", ElementVariable: "region"},
		},
		"zeebe_callactivity.bpmn": {
			"Activity_Ship": {Collection: "orders", ElementVariable: "order", CompletionCondition: "numberOfCompletedInstances == numberOfInstances",
				OutputCollection: "results", OutputElement: "tracking"},
			"Activity_Label": {Sequential: true, Collection: "results", ElementVariable: "tracking"},
		},
		"flowable_callactivity.bpmn": {
			"notifyReviewers": {Collection: "reviewers", ElementVariable: "reviewer", CompletionCondition: "nrOfCompletedInstances/nrOfInstances >= 0.6", AsyncBefore: true},
			"collectVotes":    {Sequential: true, Collection: "assigneeList", ElementVariable: "assignee"},
		},
		"jbpm_multiinstance.bpmn": {
			"_Pack": {Collection: "items", ElementVariable: "item", CompletionCondition: "cancelled == true", OutputCollection: "results", OutputElement: "result"},
		},
	}
	for file, loops := range want {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			defs, err := ParseFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			for id, n := range defs[0].Nodes {
				if got := plainLoop(n.Loop); !reflect.DeepEqual(got, loops[id]) {
					t.Errorf("node %q loop\n got  %+v\n want %+v", id, got, loops[id])
				}
			}
			if assess := defs[0].Nodes["Activity_Assess"]; assess != nil && (!assess.AsyncBefore || assess.NotExclusive || assess.RetryCycle != "") {
				t.Errorf("the body's markers mix with the inner activity's: %+v", nodeOf(assess))
			}
		})
	}
}

// TestParseMultiInstance checks the multi-instance characteristics of the activity "x" in every
// dialect, and that the activity's own markers stay on the body.
func TestParseMultiInstance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		node string
		body wantNode // in and out are not compared
		want model.MultiInstance
	}{
		{"camunda collection expression", `<serviceTask id="x" camunda:class="A"><multiInstanceLoopCharacteristics camunda:collection="${order.items}" camunda:elementVariable="item">
          <completionCondition xsi:type="tFormalExpression">${nrOfCompletedInstances == 2}</completionCondition>
        </multiInstanceLoopCharacteristics></serviceTask>`,
			wantNode{kind: model.ServiceTask, taskType: "A"},
			model.MultiInstance{Collection: "order.items", ElementVariable: "item", CompletionCondition: "nrOfCompletedInstances == 2"}},
		{"camunda collection variable name", `<task id="x"><multiInstanceLoopCharacteristics camunda:collection=" items " camunda:elementVariable=" item " /></task>`,
			wantNode{kind: model.Task}, model.MultiInstance{Collection: "items", ElementVariable: "item"}},
		{"sequential cardinality", `<task id="x"><multiInstanceLoopCharacteristics isSequential="TRUE"><loopCardinality>${n * 2}</loopCardinality></multiInstanceLoopCharacteristics></task>`,
			wantNode{kind: model.Task}, model.MultiInstance{Sequential: true, Cardinality: "n * 2"}},
		{"parallel by default", `<task id="x"><multiInstanceLoopCharacteristics isSequential="false"><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics></task>`,
			wantNode{kind: model.Task}, model.MultiInstance{Cardinality: "3"}},
		{"camunda inner and body markers", `<serviceTask id="x" camunda:class="A" camunda:asyncBefore="true">
          <extensionElements><camunda:failedJobRetryTimeCycle>R5/PT1M</camunda:failedJobRetryTimeCycle></extensionElements>
          <multiInstanceLoopCharacteristics camunda:asyncBefore="true" camunda:asyncAfter="true" camunda:exclusive="false" camunda:collection="${items}">
            <extensionElements><camunda:failedJobRetryTimeCycle>R1/PT1S</camunda:failedJobRetryTimeCycle></extensionElements>
          </multiInstanceLoopCharacteristics></serviceTask>`,
			wantNode{kind: model.ServiceTask, taskType: "A", before: true, retryCycle: "R5/PT1M"},
			model.MultiInstance{Collection: "items", AsyncBefore: true, AsyncAfter: true, NotExclusive: true}},
		{"zeebe", `<serviceTask id="x"><extensionElements><zeebe:taskDefinition type="t" /></extensionElements>
          <multiInstanceLoopCharacteristics isSequential="true"><extensionElements>
            <zeebe:loopCharacteristics inputCollection="=order.items" inputElement="item" outputCollection="results" outputElement="={id: item.id}" />
          </extensionElements><completionCondition>=ok = true</completionCondition></multiInstanceLoopCharacteristics></serviceTask>`,
			wantNode{kind: model.ServiceTask, taskType: "t"},
			model.MultiInstance{Sequential: true, Collection: "order.items", ElementVariable: "item", OutputCollection: "results", OutputElement: "{id: item.id}", CompletionCondition: "ok == true"}},
		{"flowable", `<serviceTask id="x" flowable:class="A" flowable:asyncLeave="true"><multiInstanceLoopCharacteristics flowable:collection="${users}" flowable:elementVariable="user" flowable:async="true" flowable:asyncLeave="true" flowable:exclusive="false" /></serviceTask>`,
			wantNode{kind: model.ServiceTask, taskType: "A", after: true},
			model.MultiInstance{Collection: "users", ElementVariable: "user", AsyncBefore: true, AsyncAfter: true, NotExclusive: true}},
		{"activiti", `<task id="x"><multiInstanceLoopCharacteristics activiti:collection="users" activiti:elementVariable="user" activiti:async="true" /></task>`,
			wantNode{kind: model.Task}, model.MultiInstance{Collection: "users", ElementVariable: "user", AsyncBefore: true}},
		{"baton inner markers", `<task id="x"><multiInstanceLoopCharacteristics baton:asyncBefore="true" baton:exclusive="false"><loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics></task>`,
			wantNode{kind: model.Task}, model.MultiInstance{Cardinality: "2", AsyncBefore: true, NotExclusive: true}},
		{"loop data input naming a variable", `<task id="x"><multiInstanceLoopCharacteristics><loopDataInputRef>assignees</loopDataInputRef><inputDataItem name="assignee" /></multiInstanceLoopCharacteristics></task>`,
			wantNode{kind: model.Task}, model.MultiInstance{Collection: "assignees", ElementVariable: "assignee"}},
		{"jbpm data inputs and outputs", jbpmLoop(`<loopDataInputRef>x_IN_COLLECTIONInputX</loopDataInputRef><loopDataOutputRef>x_OUT_COLLECTIONOutputX</loopDataOutputRef>
          <inputDataItem id="item" name="item" /><outputDataItem id="packed" name="packed" />
          <completionCondition language="http://www.mvel.org/2.0">return done;</completionCondition>`),
			wantNode{kind: model.ServiceTask, element: "task", taskType: "Pack"},
			model.MultiInstance{Collection: "items", ElementVariable: "item", OutputCollection: "results", OutputElement: "packed", CompletionCondition: "done"}},
		{"same collection twice", `<task id="x"><multiInstanceLoopCharacteristics camunda:collection="${items}" flowable:collection="items" camunda:elementVariable="i" flowable:elementVariable="i" /></task>`,
			wantNode{kind: model.Task}, model.MultiInstance{Collection: "items", ElementVariable: "i"}},
		{"subprocess", `<subProcess id="x"><multiInstanceLoopCharacteristics camunda:collection="${regions}" camunda:elementVariable="region" />
      ` + subFlow + `</subProcess>`, wantNode{kind: model.SubProcess}, model.MultiInstance{Collection: "regions", ElementVariable: "region"}},
		{"script task", `<scriptTask id="x" scriptFormat="expr"><multiInstanceLoopCharacteristics><loopCardinality>${2}</loopCardinality></multiInstanceLoopCharacteristics><script>loopCounter</script></scriptTask>`,
			wantNode{kind: model.ScriptTask, scriptFormat: "expr", script: "loopCounter"}, model.MultiInstance{Cardinality: "2"}},
		{"call activity", `<callActivity id="x" calledElement="child"><multiInstanceLoopCharacteristics camunda:collection="${items}" /></callActivity>`,
			wantNode{kind: model.CallActivity}, model.MultiInstance{Collection: "items"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := parseOne(t, inlineModel(around(tt.node))).Nodes["x"]
			if got := nodeOf(n); !got.equal(tt.body, false) {
				t.Errorf("body\n got  %+v\n want %+v", got, tt.body)
			}
			if got := plainLoop(n.Loop); !reflect.DeepEqual(got, &tt.want) {
				t.Errorf("loop\n got  %+v\n want %+v", got, tt.want)
			}
			checkCompiled(t, n)
		})
	}
}

// TestParseMultiInstanceProblems checks that each mistake in a multi-instance marker gives one
// problem at the right line and element.
func TestParseMultiInstanceProblems(t *testing.T) {
	t.Parallel()
	loop := func(attrs, content string) string {
		return inlineModel(around(`<task id="x">
      <multiInstanceLoopCharacteristics` + attrs + `>` + content + `</multiInstanceLoopCharacteristics>
    </task>`))
	}
	const mi = "<multiInstanceLoopCharacteristics"
	tests := []problemCase{
		{"isSequential not a boolean", loop(` isSequential="yes" camunda:collection="a"`, ""),
			[]wantProblem{{id: "x", needle: mi, msg: `isSequential="yes" is not a boolean`}}},
		{"inner marker not a boolean", loop(` camunda:asyncBefore="maybe" camunda:collection="a"`, ""),
			[]wantProblem{{id: "x", needle: mi, msg: `camunda:asyncBefore="maybe" is not a boolean`}}},
		{"neither cardinality nor collection", loop(` camunda:elementVariable="i"`, ""),
			[]wantProblem{{id: "x", msg: "multi-instance needs exactly one of loopCardinality and a collection"}}},
		{"cardinality and collection", loop(` camunda:collection="a"`, `<loopCardinality>3</loopCardinality>`),
			[]wantProblem{{id: "x", msg: "multi-instance needs exactly one of loopCardinality and a collection"}}},
		{"two collections", loop(` camunda:collection="${a}"`, `<extensionElements><zeebe:loopCharacteristics inputCollection="=b" /></extensionElements>`),
			[]wantProblem{{id: "x", needle: "<zeebe:loopCharacteristics", msg: `camunda:collection and zeebe:loopCharacteristics inputCollection give the multi-instance two different collections, "a" and "b"; keep one`}}},
		{"two element variables", loop(` camunda:collection="a" camunda:elementVariable="i"`, `<inputDataItem name="j" />`),
			[]wantProblem{{id: "x", needle: "<inputDataItem", msg: `camunda:elementVariable and inputDataItem name give the multi-instance two different element variables, "i" and "j"; keep one`}}},
		{"element index variable", loop(` flowable:collection="a" flowable:elementIndexVariable="idx"`, ""),
			[]wantProblem{{id: "x", needle: mi, msg: `flowable:elementIndexVariable="idx" is not supported; an inner instance finds its index in the variable loopCounter`}}},
		{"jbpm data input without association", inlineModel(around(`<task id="x" drools:taskName="T">
      <ioSpecification><dataInput id="x_IN" name="IN_COLLECTION" /></ioSpecification>
      <multiInstanceLoopCharacteristics><loopDataInputRef>x_IN</loopDataInputRef></multiInstanceLoopCharacteristics>
    </task>`)),
			[]wantProblem{
				{id: "x", needle: "<loopDataInputRef>", msg: `loopDataInputRef "x_IN" names the dataInput "x_IN" of the activity, but no dataInputAssociation connects it to a process variable`},
			}},
		{"cardinality that does not compile", loop("", `<loopCardinality>${n +}</loopCardinality>`),
			[]wantProblem{{id: "x", msg: `loopCardinality "n +" does not compile`}}},
		{"completion condition that does not compile", loop(` camunda:collection="a"`, `<completionCondition>${done &gt;}</completionCondition>`),
			[]wantProblem{{id: "x", msg: `completionCondition "done >" does not compile`}}},
		{"completion condition in another language", loop(` camunda:collection="a"`, `<completionCondition language="groovy">done</completionCondition>`),
			[]wantProblem{{id: "x", needle: "<completionCondition", msg: `condition language "groovy" is not supported`}}},
		{"output element without output collection", loop("", `<extensionElements><zeebe:loopCharacteristics inputCollection="=a" outputElement="=b" /></extensionElements>`),
			[]wantProblem{{id: "x", msg: "multi-instance outputElement needs outputCollection"}}},
		{"baton async expression on the loop", loop(` baton:async="${big}" camunda:collection="a"`, ""),
			[]wantProblem{{id: "x", needle: mi, msg: `baton:async="${big}" on multiInstanceLoopCharacteristics is not supported`}}},
		{"task type on the loop", loop(` camunda:class="A" camunda:collection="a"`, ""),
			[]wantProblem{{id: "x", needle: mi, msg: `camunda:class="A" on multiInstanceLoopCharacteristics names a task type; put it on the activity`}}},
		{"two loops", inlineModel(around(`<task id="x"><multiInstanceLoopCharacteristics camunda:collection="a" />
      <multiInstanceLoopCharacteristics id="second" camunda:collection="b" /></task>`)),
			[]wantProblem{{id: "x", needle: ` id="second"`, msg: "a second multiInstanceLoopCharacteristics; an activity has one, keep it"}}},
		{"on a gateway", inlineModel(around(`<exclusiveGateway id="x"><multiInstanceLoopCharacteristics camunda:collection="a" /></exclusiveGateway>`)),
			[]wantProblem{{id: "x", msg: "multi-instance on the exclusiveGateway is not supported; put it on a task, subprocess or call activity"}}},
	}
	checkProblemCases(t, tests)
}
