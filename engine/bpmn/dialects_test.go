package bpmn

import (
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// TestParseMarkers checks single markers of every dialect on the node "x" of a small model.
func TestParseMarkers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		node string
		want wantNode // in and out are not compared
	}{
		{"plain task passes through", `<task id="x" />`, wantNode{kind: model.Task}},
		{"camunda legacy async", `<serviceTask id="x" camunda:async="true" camunda:class="A" />`,
			wantNode{kind: model.ServiceTask, taskType: "A", before: true}},
		{"camunda booleans ignore case", `<serviceTask id="x" camunda:asyncBefore="TRUE" camunda:asyncAfter="True" camunda:exclusive="FALSE" camunda:class="A" />`,
			wantNode{kind: model.ServiceTask, taskType: "A", before: true, after: true, notExclusive: true}},
		{"camunda false markers", `<serviceTask id="x" camunda:asyncBefore="false" camunda:exclusive="true" camunda:class="A" />`,
			wantNode{kind: model.ServiceTask, taskType: "A"}},
		{"camunda external task on a plain task", `<task id="x" camunda:type="external" camunda:topic="mail" />`,
			wantNode{kind: model.ServiceTask, element: "task", taskType: "mail", external: true}},
		{"camunda job options are stored", `<serviceTask id="x" camunda:class="A" camunda:jobPriority="5" camunda:resultVariable="r">
      <extensionElements>
        <camunda:failedJobRetryTimeCycle>R3/PT1M</camunda:failedJobRetryTimeCycle>
        <camunda:executionListener class="L" event="start" />
        <camunda:properties><camunda:property name="a" value="b" /></camunda:properties>
      </extensionElements>
    </serviceTask>`, wantNode{kind: model.ServiceTask, taskType: "A", priority: "5", retryCycle: "R3/PT1M"}},
		{"camunda async after a gateway", `<exclusiveGateway id="x" camunda:asyncAfter="true" />`, wantNode{kind: model.ExclusiveGateway, after: true}},
		{"zeebe task definition on a plain task", `<task id="x"><extensionElements><zeebe:taskDefinition type="charge" retries="3" /></extensionElements></task>`,
			wantNode{kind: model.ServiceTask, element: "task", taskType: "charge", retries: 3}},
		{"flowable external worker", `<serviceTask id="x" flowable:type="external-worker" flowable:topic="approve" flowable:async="true" />`,
			wantNode{kind: model.ServiceTask, taskType: "approve", external: true, before: true}},
		{"flowable async leave on a gateway", `<parallelGateway id="x" flowable:asyncLeave="true" flowable:exclusive="false" />`,
			wantNode{kind: model.ParallelGateway, after: true, notExclusive: true}},
		{"activiti async gateway", `<exclusiveGateway id="x" activiti:async="true" />`, wantNode{kind: model.ExclusiveGateway, before: true}},
		{"jbpm customAsync on a gateway", `<exclusiveGateway id="x"><extensionElements><drools:metaData name="customAsync"><drools:metaValue><![CDATA[ True ]]></drools:metaValue></drools:metaData></extensionElements></exclusiveGateway>`,
			wantNode{kind: model.ExclusiveGateway, before: true}},
		{"jbpm customAsync false", `<task id="x" drools:taskName="Log"><extensionElements><drools:metaData name="customAsync"><drools:metaValue>false</drools:metaValue></drools:metaData></extensionElements></task>`,
			wantNode{kind: model.ServiceTask, element: "task", taskType: "Log"}},
		{"jbpm async data input on a service task", `<serviceTask id="x" drools:serviceinterface="I" drools:serviceoperation="op"><ioSpecification><dataInput id="x_asyncInput" name="async" /></ioSpecification></serviceTask>`,
			wantNode{kind: model.ServiceTask, taskType: "I.op", before: true}},
		{"jbpm interface wins over a task name", `<serviceTask id="x" drools:taskName="Service Task" drools:serviceinterface="I" drools:serviceoperation="op" />`,
			wantNode{kind: model.ServiceTask, taskType: "I.op"}},
		{"baton type on a plain task", `<task id="x" baton:type="reserve" baton:asyncAfter="true" />`,
			wantNode{kind: model.ServiceTask, element: "task", taskType: "reserve", after: true}},
		{"same type from two dialects", `<serviceTask id="x" camunda:class="A" baton:type="A" />`, wantNode{kind: model.ServiceTask, taskType: "A"}},
		{"markers of several dialects add up", `<serviceTask id="x" camunda:asyncBefore="true" flowable:asyncLeave="true" baton:exclusive="false" baton:type="A" />`,
			wantNode{kind: model.ServiceTask, taskType: "A", before: true, after: true, notExclusive: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defs, err := Parse("inline.bpmn", []byte(inlineModel(around(tt.node))))
			if err != nil {
				t.Fatal(err)
			}
			if got := nodeOf(defs[0].Nodes["x"]); !got.equal(tt.want, false) {
				t.Errorf("\n got  %+v\n want %+v", got, tt.want)
			}
		})
	}
}

// TestParseDocuments checks document-level rules: executable processes, namespaces, encodings
// and condition dialects.
func TestParseDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		doc   string
		keys  []string
		conds map[string]string // flow id → condition, looked up in the first definition
	}{
		{
			name: "pools: only executable processes, absent isExecutable counts as executable",
			doc: `<?xml version="1.0" encoding="UTF-8"?>
<bpmn2:definitions xmlns:bpmn2="` + nsBPMN + `" id="d">
  <bpmn2:collaboration id="c">
    <bpmn2:participant id="pa" processRef="a" />
    <bpmn2:participant id="pb" processRef="b" />
    <bpmn2:participant id="pc" processRef="c1" />
    <bpmn2:messageFlow id="m" sourceRef="pa" targetRef="pb" />
  </bpmn2:collaboration>
  <bpmn2:message id="msg" name="Order" />
  <bpmn2:process id="a" isExecutable="true"><bpmn2:startEvent id="a1" /><bpmn2:sequenceFlow id="a2" sourceRef="a1" targetRef="a3" /><bpmn2:endEvent id="a3" /></bpmn2:process>
  <bpmn2:process id="b" isExecutable="false"><bpmn2:userTask id="b1" /></bpmn2:process>
  <bpmn2:process id="c1"><bpmn2:startEvent id="c2" /></bpmn2:process>
</bpmn2:definitions>`,
			keys: []string{"a", "c1"},
		},
		{
			name: "latin-1 encoding and lanes, data and annotations ignored",
			doc: `<?xml version="1.0" encoding="ISO-8859-1"?>
<definitions xmlns="` + nsBPMN + `" id="d">
  <process id="p" name="Bestellung ` + "\xfc" + `bernehmen">
    <laneSet id="ls"><lane id="l1" name="Sales"><flowNodeRef>s</flowNodeRef></lane></laneSet>
    <dataObject id="do" name="order" />
    <dataObjectReference id="dor" dataObjectRef="do" />
    <textAnnotation id="ta"><text>note</text></textAnnotation>
    <association id="as" sourceRef="s" targetRef="ta" />
    <vendor:note xmlns:vendor="urn:example:vendor" id="n">outside extensionElements</vendor:note>
    <startEvent id="s"><documentation>start</documentation><vendor:x xmlns:vendor="urn:example:vendor" /></startEvent>
    <sequenceFlow id="f" sourceRef="s" targetRef="e" />
    <endEvent id="e" />
  </process>
</definitions>`,
			keys: []string{"p"},
		},
		{
			name: "conditions of every dialect",
			doc: inlineModel(`    <startEvent id="s" />
    <sequenceFlow id="f0" sourceRef="s" targetRef="g" />
    <exclusiveGateway id="g" default="f5" />
    <sequenceFlow id="f1" sourceRef="g" targetRef="e"><conditionExpression xsi:type="tFormalExpression">${a &gt; 1}</conditionExpression></sequenceFlow>
    <sequenceFlow id="f2" sourceRef="g" targetRef="e"><conditionExpression xsi:type="tFormalExpression" language="FEEL">=b = "x"</conditionExpression></sequenceFlow>
    <sequenceFlow id="f3" sourceRef="g" targetRef="e"><conditionExpression language="http://www.mvel.org/2.0"><![CDATA[return(c < 2);]]></conditionExpression></sequenceFlow>
    <sequenceFlow id="f4" sourceRef="g" targetRef="e"><conditionExpression>  </conditionExpression></sequenceFlow>
    <sequenceFlow id="f5" sourceRef="g" targetRef="e" />
    <endEvent id="e" />`),
			keys:  []string{"p"},
			conds: map[string]string{"f1": "a > 1", "f2": `b == "x"`, "f3": "(c < 2)", "f4": "", "f5": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defs, err := Parse("doc.bpmn", []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, d := range defs {
				keys = append(keys, d.Key)
				if d.Hash != defs[0].Hash || d.Source != "doc.bpmn" {
					t.Errorf("definition %q: hash %q source %q", d.Key, d.Hash, d.Source)
				}
			}
			if len(keys) != len(tt.keys) {
				t.Fatalf("got processes %v, want %v", keys, tt.keys)
			}
			for i := range keys {
				if keys[i] != tt.keys[i] {
					t.Fatalf("got processes %v, want %v", keys, tt.keys)
				}
			}
			for id, want := range tt.conds {
				if got := defs[0].Flows[id].Condition; got != want {
					t.Errorf("flow %q condition %q, want %q", id, got, want)
				}
			}
		})
	}
}

// TestParseLines checks that a node's line is the line of its start tag's '<', also when the tag
// spans several lines or follows comments and other tags on the same line.
func TestParseLines(t *testing.T) {
	t.Parallel()
	doc := inlineModel(`    <!-- a comment
    over two lines --><startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <task
        id="t"
        name="wrapped"
        baton:asyncBefore="true" />
    <sequenceFlow
      id="f2" sourceRef="t" targetRef="e"
    />
    <endEvent id="e" />`)
	defs, err := Parse("lines.bpmn", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	d := defs[0]
	tests := []struct {
		id, needle string
	}{
		{id: "s", needle: `<startEvent id="s"`},
		{id: "f1", needle: `<sequenceFlow id="f1"`},
		{id: "t", needle: "<task\n"},
		{id: "f2", needle: "<sequenceFlow\n"},
		{id: "e", needle: `<endEvent id="e"`},
	}
	for _, tt := range tests {
		want := lineAt(t, doc, tt.needle)
		got := 0
		if n := d.Nodes[tt.id]; n != nil {
			got = n.Line
		} else if f := d.Flows[tt.id]; f != nil {
			got = f.Line
		}
		if got != want {
			t.Errorf("%q at line %d, want %d", tt.id, got, want)
		}
	}
}
