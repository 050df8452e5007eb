package bpmn

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBadFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want func(text string) []wantProblem
	}{
		{"bad_unsupported.bpmn", func(string) []wantProblem {
			return []wantProblem{
				{id: "Gateway_Review", msg: "unsupported element <complexGateway>; Baton does not run it yet: model the branches with inclusiveGateway"},
				{id: "Activity_Sub", msg: "unsupported element <transaction>; Baton does not run it yet: model it as an embedded subProcess"},
				{id: "Activity_Notify", needle: "<bpmn:standardLoopCharacteristics", msg: "unsupported element <standardLoopCharacteristics>; Baton does not run it yet: remove the loop marker"},
			}
		}},
		{"bad_xml.bpmn", func(text string) []wantProblem {
			return []wantProblem{{needle: "-", line: strings.Count(text, "\n") + 1, msg: "malformed XML: unexpected EOF"}}
		}},
		{"bad_refs.bpmn", func(string) []wantProblem {
			return []wantProblem{
				{id: "Activity_Charge", msg: `camunda:asyncBefore="yes" is not a boolean`},
				{id: "Flow_2", msg: `targetRef "Activity_Missing" names no flow node`},
			}
		}},
		{"bad_events.bpmn", func(string) []wantProblem {
			return []wantProblem{
				{id: "Event_Notify", needle: ` id="MessageEventDefinition_0n1"`,
					msg: "unsupported element <messageEventDefinition> in <intermediateThrowEvent>; Baton runs only none and signal intermediate throw events yet: remove the event definition, or model the step as a sendTask"},
				{id: "EndEvent_Late", needle: ` id="EscalationEventDefinition_0x1"`, msg: "unsupported element <escalationEventDefinition> in <endEvent>; Baton runs only none, terminate, error and signal end events yet"},
				{id: "Event_ToArchive", needle: ` id="LinkEventDefinition_0l1"`, msg: "unsupported element <linkEventDefinition> in <intermediateThrowEvent>"},
			}
		}},
		{"bad_tasks.bpmn", func(string) []wantProblem {
			return []wantProblem{
				{id: "Activity_Decide", msg: `camunda:decisionRef="boxSize": DMN decisions are not supported; implement the rule as a delegate with a task type`},
				{id: "Activity_Mail", msg: "sendTask has no implementation"},
				{id: "Flow_3", msg: "a condition on a flow out of a <sendTask> is not supported"},
				{id: "Activity_Pack", msg: `camunda:jobPriority="high" is neither an integer nor an expression`},
				{id: "Activity_Pack", msg: `baton:async="sometimes" is neither a boolean nor an expression`},
				{id: "Gateway_Extras", msg: `default flow "Flow_4" is not an outgoing flow of this gateway`},
				{id: "Gateway_Extras", msg: `baton:async expression "weight >" does not compile`},
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			text := readTestdata(t, tt.file)
			path := filepath.Join("testdata", tt.file)
			defs, err := ParseFile(path)
			if defs != nil {
				t.Errorf("got %d definitions with problems, want none", len(defs))
			}
			checkProblems(t, path, text, err, tt.want(text))
		})
	}
}

func TestParseFileMissing(t *testing.T) {
	t.Parallel()
	if _, err := ParseFile(filepath.Join("testdata", "missing.bpmn")); err == nil || strings.Contains(err.Error(), "invalid process model") {
		t.Fatalf("got %v, want a read error", err)
	}
}

// TestParseProblems checks that each mistake gives one problem at the right line and element,
// and no follow-up noise from the same mistake.
func TestParseProblems(t *testing.T) {
	t.Parallel()
	tests := []problemCase{
		{"conditional start event", inlineModel(`    <startEvent id="s"><conditionalEventDefinition id="cd"><condition>${x > 1}</condition></conditionalEventDefinition></startEvent>
    <sequenceFlow id="f" sourceRef="s" targetRef="e" />
    <endEvent id="e" />`),
			[]wantProblem{{id: "s", needle: `<conditionalEventDefinition`, msg: "unsupported element <conditionalEventDefinition> in <startEvent>; Baton runs only none, message, signal and timer start events yet"}}},
		{"timer start event with an expression", inlineModel(`    <startEvent id="s"><timerEventDefinition id="td"><timeCycle>${cycle}</timeCycle></timerEventDefinition></startEvent>
    <sequenceFlow id="f" sourceRef="s" targetRef="e" />
    <endEvent id="e" />`),
			[]wantProblem{{id: "s", msg: `a timer start event's cycle "${cycle}" cannot be an expression: it is scheduled at deploy, without variables; write the value`}}},
		{"job priority that is no number", inlineModel(`    <startEvent id="s" />
    <sequenceFlow id="f" sourceRef="s" targetRef="t" />
    <serviceTask id="t" camunda:class="com.acme.Work" camunda:jobPriority="high" />
    <sequenceFlow id="f2" sourceRef="t" targetRef="e" />
    <endEvent id="e" />`),
			[]wantProblem{{id: "t", msg: `camunda:jobPriority="high" is neither an integer nor an expression`}}},
		{"timer start event with a numbered weekday", inlineModel(`    <startEvent id="s"><timerEventDefinition id="td"><timeCycle>0 0 9 ? * 2-6</timeCycle></timerEventDefinition></startEvent>
    <sequenceFlow id="f" sourceRef="s" targetRef="e" />
    <endEvent id="e" />`),
			[]wantProblem{{id: "s", msg: `write the day of week as names (MON-FRI)`}}},
		{"message end event", inlineModel(around(`<task id="x" />`) + `
    <endEvent id="e2"><messageEventDefinition messageRef="m" camunda:class="A" /></endEvent>`),
			[]wantProblem{{id: "e2", needle: `<messageEventDefinition`, msg: "unsupported element <messageEventDefinition> in <endEvent>"}}},
		{"standard loop", inlineModel(around(`<task id="x"><standardLoopCharacteristics /></task>`)),
			[]wantProblem{{id: "x", msg: "unsupported element <standardLoopCharacteristics>"}}},
		{"camunda delegate expression without ${}", inlineModel(around(`<serviceTask id="x" camunda:delegateExpression="charge" />`)),
			[]wantProblem{{id: "x", msg: "must name a delegate as ${name}"}}},
		{"camunda expression and class together", inlineModel(around(`<serviceTask id="x" camunda:expression="${a}" camunda:class="C" />`)),
			[]wantProblem{{id: "x", msg: "camunda:expression and camunda:class=\"C\" both implement the task; keep one"}}},
		{"camunda connector type", inlineModel(around(`<serviceTask id="x" camunda:type="mail" />`)),
			[]wantProblem{{id: "x", msg: `camunda:type="mail" is not supported`}}},
		{"camunda external task without topic", inlineModel(around(`<serviceTask id="x" camunda:type="external" />`)),
			[]wantProblem{{id: "x", msg: "needs a camunda:topic"}}},
		{"flowable http task", inlineModel(around(`<serviceTask id="x" flowable:type="http" />`)),
			[]wantProblem{{id: "x", msg: `flowable:type="http" is not supported`}}},
		{"flowable delegate expression that is not a name", inlineModel(around(`<serviceTask id="x" flowable:delegateExpression="${beans.get('d')}" />`)),
			[]wantProblem{{id: "x", msg: "must name a delegate as ${name}"}}},
		{"activiti mail task", inlineModel(around(`<serviceTask id="x" activiti:type="mail" />`)),
			[]wantProblem{{id: "x", msg: `activiti:type="mail" is not supported`}}},
		{"zeebe FEEL task type", inlineModel(around(`<serviceTask id="x"><extensionElements><zeebe:taskDefinition type="=kind" /></extensionElements></serviceTask>`)),
			[]wantProblem{{id: "x", msg: "is a FEEL expression"}}},
		{"jbpm interface without operation", inlineModel(around(`<serviceTask id="x" drools:serviceinterface="I" />`)),
			[]wantProblem{{id: "x", msg: "needs both drools:serviceinterface and drools:serviceoperation"}}},
		{"service task without type", inlineModel(around(`<serviceTask id="x" />`)),
			[]wantProblem{{id: "x", msg: "serviceTask has no implementation"}}},
		{"bad booleans", inlineModel(around(`<serviceTask id="x" camunda:exclusive="no" flowable:async="1" baton:asyncAfter="" baton:type="A"><extensionElements><drools:metaData name="customAsync"><drools:metaValue>maybe</drools:metaValue></drools:metaData></extensionElements></serviceTask>`)),
			[]wantProblem{
				{id: "x", msg: `camunda:exclusive="no" is not a boolean; write "true" or "false"`},
				{id: "x", msg: `flowable:async="1" is not a boolean`},
				{id: "x", msg: `baton:asyncAfter="" is not a boolean`},
				{id: "x", msg: `drools:metaData customAsync="maybe" is not a boolean`},
			}},
		{"two task types", inlineModel(around(`<serviceTask id="x" camunda:class="A" baton:type="B" />`)),
			[]wantProblem{{id: "x", msg: `camunda:class="A" and baton:type="B" give two different task types`}}},
		{"task type on a gateway", inlineModel(around(`<exclusiveGateway id="x" baton:type="A" />`)),
			[]wantProblem{{id: "x", msg: `baton:type="A" gives a <exclusiveGateway> a task type`}}},
		{"unknown baton attribute", inlineModel(around(`<task id="x" baton:asyncBefor="true" />`)),
			[]wantProblem{{id: "x", msg: `unknown attribute baton:asyncBefor="true"`}}},
		{"default flow on a task", inlineModel(around(`<task id="x" default="out" />`)),
			[]wantProblem{{id: "x", msg: "a default flow on a <task> is not supported"}}},
		{"condition out of a task", inlineModel(`    <startEvent id="s" />
    <sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <task id="t" />
    <sequenceFlow id="f2" sourceRef="t" targetRef="e"><conditionExpression>${a}</conditionExpression></sequenceFlow>
    <endEvent id="e" />`),
			[]wantProblem{{id: "f2", msg: `a condition on a flow out of a <task> is not supported; put an exclusiveGateway (one path) or an inclusiveGateway (every true path) after "t"`}}},
		{"condition out of a parallel gateway", inlineModel(`    <startEvent id="s" />
    <sequenceFlow id="f1" sourceRef="s" targetRef="g" />
    <parallelGateway id="g" />
    <sequenceFlow id="f2" sourceRef="g" targetRef="e"><conditionExpression>${a}</conditionExpression></sequenceFlow>
    <endEvent id="e" />`),
			[]wantProblem{{id: "f2", msg: "a condition on a flow out of a <parallelGateway> has no effect"}}},
		{"script conditions", inlineModel(`    <startEvent id="s" />
    <sequenceFlow id="f0" sourceRef="s" targetRef="g" />
    <exclusiveGateway id="g" />
    <sequenceFlow id="f1" sourceRef="g" targetRef="e"><conditionExpression language="groovy">a &gt; 1</conditionExpression></sequenceFlow>
    <sequenceFlow id="f2" sourceRef="g" targetRef="e"><conditionExpression language="javascript" camunda:resource="cond.js" /></sequenceFlow>
    <sequenceFlow id="f3" sourceRef="g" targetRef="e"><conditionExpression language="http://www.java.com/java">int x = 1; return a &gt; x;</conditionExpression></sequenceFlow>
    <sequenceFlow id="f4" sourceRef="g" targetRef="e"><conditionExpression>${a &gt;}</conditionExpression></sequenceFlow>
    <endEvent id="e" />`),
			[]wantProblem{
				{id: "f1", needle: `language="groovy"`, msg: `condition language "groovy" is not supported`},
				{id: "f2", needle: `language="javascript"`, msg: `a condition read from the resource "cond.js" is not supported`},
				{id: "f3", needle: `int x = 1`, msg: "is a script of several statements"},
				{id: "f4", msg: `condition "a >" does not compile`},
			}},
		{"duplicate ids", inlineModel(around(`<task id="x" name="first" />
    <task id="x" name="second" />`)),
			[]wantProblem{{id: "x", needle: `name="second"`, msg: `duplicate id "x": <task> at line 6 already uses it`}}},
		{"flow reusing a node id", inlineModel(around(`<task id="x" />
    <sequenceFlow id="x" sourceRef="start" targetRef="end" />`)),
			[]wantProblem{{id: "x", needle: `<sequenceFlow id="x"`, msg: `duplicate id "x": <task> at line 6 already uses it`}}},
		{"event definition in a task", inlineModel(around(`<task id="x"><signalEventDefinition /></task>`)),
			[]wantProblem{{id: "x", msg: "unsupported element <signalEventDefinition> in <task>"}}},
		{"missing ids", inlineModel(around(`<task id="x" />
    <task name="anonymous" />
    <sequenceFlow sourceRef="x" targetRef="end" />`)),
			[]wantProblem{
				{needle: `name="anonymous"`, msg: "<task> has no id"},
				{needle: `<sequenceFlow sourceRef="x"`, msg: "<sequenceFlow> has no id"},
			}},
		{"two start events", inlineModel(around(`<task id="x" />`) + `
    <startEvent id="s2" />
    <sequenceFlow id="f9" sourceRef="s2" targetRef="x" />`),
			[]wantProblem{{id: "p", needle: "-", msg: "the process has 2 none start events"}}},
		{"empty process", strings.Replace(inlineModel(""), `<process id="p" name="P" isExecutable="true">`, `<process id="p" name="P" isExecutable="true"><documentation>todo</documentation>`, 1),
			[]wantProblem{{id: "p", msg: "the process has no flow nodes"}}},
		{"no process", `<definitions xmlns="` + nsBPMN + `" id="d"><message id="m" /></definitions>`,
			[]wantProblem{{id: "d", msg: "the document has no <process>"}}},
		{"nothing executable", `<definitions xmlns="` + nsBPMN + `" id="d">
<process id="p" isExecutable="false"><userTask id="u" /></process></definitions>`,
			[]wantProblem{{id: "d", msg: "no executable process"}}},
		{"bad isExecutable", `<definitions xmlns="` + nsBPMN + `" id="d">
<process id="p" isExecutable="yes"><startEvent id="s" /></process></definitions>`,
			[]wantProblem{{id: "p", msg: `isExecutable="yes" is not a boolean`}}},
		{"not BPMN", `<?xml version="1.0"?>
<project id="d"><modelVersion>4.0.0</modelVersion></project>`,
			[]wantProblem{{id: "d", msg: "root element <project>"}}},
		{"BPMN beta namespace", `<definitions xmlns="http://schema.omg.org/spec/BPMN/2.0" id="d"><process id="p" /></definitions>`,
			[]wantProblem{{id: "d", msg: "is not BPMN 2.0"}}},
		{"empty file", "", []wantProblem{{needle: "-", line: 1, msg: "holds no XML element"}}},
		{"two roots", `<definitions xmlns="` + nsBPMN + `" id="d" />
<definitions xmlns="` + nsBPMN + `" id="d2" />`,
			[]wantProblem{{id: "d2", msg: "second root element <definitions>"}}},
		{"unknown encoding", `<?xml version="1.0" encoding="EBCDIC"?><definitions />`,
			[]wantProblem{{needle: "-", line: 1, msg: `encoding "EBCDIC" is not supported; save the file as UTF-8`}}},
		{"mismatched tag", "<definitions xmlns=\"" + nsBPMN + "\">\n<process id=\"p\">\n</definitions>",
			[]wantProblem{{needle: "-", line: 3, msg: "malformed XML: element <process> closed by </definitions>"}}},
		{"malformed diagram", `<definitions xmlns="` + nsBPMN + `" xmlns:bpmndi="` + nsDI + `">
<bpmndi:BPMNDiagram id="di">
<bpmndi:BPMNPlane id="pl"></bpmndi:BPMNShape>
</bpmndi:BPMNDiagram></definitions>`,
			[]wantProblem{{needle: "-", line: 3, msg: "malformed XML"}}},
	}
	for _, el := range []string{"adHocSubProcess", "transaction", "complexGateway", "choreographyTask"} {
		tests = append(tests, problemCase{"unsupported " + el, inlineModel(around(`<` + el + ` id="x" />`)),
			[]wantProblem{{id: "x", msg: "unsupported element <" + el + ">; Baton does not run it yet"}}})
	}
	checkProblemCases(t, tests)
}
