package bpmn

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// FuzzParse feeds Parse mutations of every testdata model (the glob picks up new files) and of
// small models using each supported element: it must never panic, and it either returns linked
// definitions or a *model.ValidationError naming the source.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.bpmn"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no testdata models: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, node := range []string{
		`<task id="x" baton:type="t" />`,
		`<sendTask id="x" camunda:type="external" camunda:topic="t" camunda:jobPriority="${p}" />`,
		`<businessRuleTask id="x" camunda:decisionRef="d" />`,
		`<businessRuleTask id="x"><extensionElements><zeebe:taskDefinition type="t" retries="3" /></extensionElements></businessRuleTask>`,
		`<intermediateThrowEvent id="x" baton:async="${a &gt; 1}" />`,
		`<intermediateThrowEvent id="x"><messageEventDefinition /></intermediateThrowEvent>`,
		`<inclusiveGateway id="x" default="out" baton:async="=b = 2" />`,
		`<serviceTask id="x" flowable:type="external-worker" flowable:topic="t"><extensionElements><flowable:failedJobRetryTimeCycle>R3/PT5M</flowable:failedJobRetryTimeCycle></extensionElements></serviceTask>`,
		`<scriptTask id="x" scriptFormat="javascript" camunda:resultVariable="r"><script><![CDATA[a < b]]></script></scriptTask>`,
		`<scriptTask id="x" scriptFormat="expr" flowable:resultVariable="r"><script>a + 1</script></scriptTask>`,
		`<scriptTask id="x"><extensionElements><zeebe:script expression="=a = 1" resultVariable="r" /></extensionElements></scriptTask>`,
		camundaIO(`<camunda:inputParameter name="a">Hi ${b}</camunda:inputParameter><camunda:inputParameter name="l"><camunda:list><camunda:value>${c}</camunda:value><camunda:map><camunda:entry key="k">v</camunda:entry></camunda:map></camunda:list></camunda:inputParameter><camunda:outputParameter name="o" />`),
		zeebeIO(`<zeebe:input source="=a.b" target="c" /><zeebe:output source="d" target="e" />`),
		`<task id="x">` + extensions(`<camunda:executionListener class="A" event="start" /><zeebe:executionListeners><zeebe:executionListener eventType="end" type="b" /></zeebe:executionListeners>`) + `</task>`,
		`<callActivity id="x" calledElement="c" camunda:calledElementBinding="version" camunda:calledElementVersion="2">` +
			extensions(`<camunda:in businessKey="#{execution.processBusinessKey}" /><camunda:in source="a" target="b" /><camunda:out sourceExpression="${r}" target="s" /><camunda:out variables="all" />`) + `</callActivity>`,
		`<callActivity id="x">` + extensions(`<zeebe:calledElement processId="c" propagateAllChildVariables="false" />`) + `</callActivity>`,
		`<task id="x"><multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${items}" camunda:elementVariable="i" camunda:asyncBefore="true"><completionCondition>${n &gt; 1}</completionCondition></multiInstanceLoopCharacteristics></task>`,
		`<serviceTask id="x"><extensionElements><zeebe:taskDefinition type="t" /></extensionElements><multiInstanceLoopCharacteristics>` +
			extensions(`<zeebe:loopCharacteristics inputCollection="=a" inputElement="b" outputCollection="c" outputElement="=d" />`) + `</multiInstanceLoopCharacteristics></serviceTask>`,
		`<receiveTask id="x" messageRef="m" />`,
		`<userTask id="x" camunda:assignee="${a}" camunda:candidateUsers="b, ${c}" camunda:candidateGroups="g" camunda:formKey="f" camunda:priority="5" camunda:dueDate="${d}">` +
			owner("humanPerformer", "${a}") + owner("potentialOwner", "user(u), group(${h}), sales") + extensions(`<camunda:taskListener class="T" />`) + `</userTask>`,
		`<userTask id="x">` + extensions(`<zeebe:userTask /><zeebe:assignmentDefinition assignee="=a" candidateGroups="s, o" candidateUsers="=[&#34;u&#34;]" />`+
			`<zeebe:formDefinition formId="f" /><zeebe:taskSchedule dueDate="=d" followUpDate="2025-01-01T00:00:00Z" /><zeebe:priorityDefinition priority="50" />`) + `</userTask>`,
		`<userTask id="x" flowable:assignee="a" flowable:candidateGroups="${g}" flowable:priority="${p}" flowable:formKey="f" />`,
		jbpmTask(owner("potentialOwner", "john"), "TaskName", "T", "ActorId", "a,#{b}", "GroupId", "g", "Priority", "3"),
		`<manualTask id="x" />`,
		catchEvent("x", `<timerEventDefinition><timeDuration>PT1M</timeDuration></timerEventDefinition>`),
	} {
		f.Add([]byte(inlineModel(around(node))))
	}
	for _, boundary := range []string{
		`<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition errorRef="E" camunda:errorCodeVariable="c" camunda:errorMessageVariable="m" /></boundaryEvent>`,
		`<boundaryEvent id="b" attachedToRef="x" cancelActivity="false"><timerEventDefinition /></boundaryEvent>`,
	} {
		f.Add([]byte(attached(`<serviceTask id="x" baton:type="t" />`, boundary, `<error id="E" errorCode="C" />`)))
	}
	for _, doc := range []string{
		inSub(` camunda:asyncBefore="true"`, subFlow),
		inSub("", strings.Replace(subFlow, `<task id="t" />`, `<subProcess id="t"><startEvent id="s2" /></subProcess>`, 1)),
		withErrors(inSub("", withErrorEnd(`<errorEventDefinition errorRef="E" />`)), `<error id="E" errorCode="C" />`),
		besides(inSub("", withErrorEnd(`<errorEventDefinition />`)), `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition /></boundaryEvent>
    <sequenceFlow id="caught" sourceRef="b" targetRef="end" />`),
		inSub(` triggeredByEvent="true"`, subFlow),
		gatewayModel("", `<message id="m" name="paid" />`, catchEvent("c1", `<messageEventDefinition messageRef="m" />`), `<receiveTask id="c2" />`),
		onFlow(`<camunda:executionListener class="A" />`),
	} {
		f.Add([]byte(doc))
	}
	f.Add([]byte(strings.Replace(inlineModel(around(`<task id="x" />`)), `<endEvent id="end" />`,
		`<endEvent id="end"><terminateEventDefinition /></endEvent>`, 1)))
	f.Add([]byte(""))
	f.Add([]byte("<definitions"))
	f.Fuzz(func(t *testing.T, data []byte) {
		defs, err := Parse("fuzz.bpmn", data)
		if err != nil {
			if defs != nil {
				t.Fatalf("got definitions and an error: %v", err)
			}
			for _, p := range problemsOf(t, err) {
				if p.Source != "fuzz.bpmn" || p.Message == "" {
					t.Fatalf("problem without source or message: %#v", p)
				}
			}
			return
		}
		if len(defs) == 0 {
			t.Fatal("no definitions and no error")
		}
		for _, d := range defs {
			if start := d.Nodes[d.StartID]; (start == nil && !hasEventStart(d)) || start != nil && start.Parent != "" || d.Hash == "" || d.Source != "fuzz.bpmn" {
				t.Fatalf("definition %q not linked: start %q hash %q", d.Key, d.StartID, d.Hash)
			}
			for _, n := range d.Nodes {
				checkFuzzedNode(t, d, n)
			}
			for _, fl := range d.Flows {
				if d.Nodes[fl.Source].Parent != d.Nodes[fl.Target].Parent {
					t.Fatalf("flow %q crosses from %q into %q", fl.ID, fl.Source, fl.Target)
				}
				for _, l := range fl.Listeners {
					if l.Event != model.ListenerTake || l.TaskType == "" {
						t.Fatalf("flow %q: listener %+v", fl.ID, l)
					}
				}
			}
		}
	})
}

// checkFuzzedNode asserts what holds of every node of the definition d that Parse returns.
func checkFuzzedNode(t *testing.T, d *model.Definition, n *model.Node) {
	t.Helper()
	script := n.Script != "" || n.ScriptFormat != "" || n.ResultVariable != ""
	catch := n.AttachedTo != "" || n.ErrorCode != "" && !n.ErrorEnd || n.ErrorCodeVariable != "" || n.ErrorMessageVariable != ""
	parent, start := d.Nodes[n.Parent], d.Nodes[n.Start]
	switch {
	case n.Kind == model.ScriptTask && (n.Script == "" || n.ScriptFormat != "expr" && n.ScriptFormat != "javascript"):
		t.Fatalf("script task %q: format %q script %q", n.ID, n.ScriptFormat, n.Script)
	case n.Kind != model.ScriptTask && script:
		t.Fatalf("%s %q has a script", n.Kind, n.ID)
	case n.Kind == model.BoundaryEvent && (d.Nodes[n.AttachedTo] == nil || !slices.Contains(d.Nodes[n.AttachedTo].Boundaries, n.ID)):
		t.Fatalf("boundary event %q: not attached to %q", n.ID, n.AttachedTo)
	case n.Kind != model.BoundaryEvent && catch:
		t.Fatalf("%s %q catches errors", n.Kind, n.ID)
	case len(n.Boundaries) > 0 && n.Kind != model.ServiceTask && n.Kind != model.ScriptTask && n.Kind != model.Task && n.Kind != model.SubProcess:
		t.Fatalf("%s %q has boundary events", n.Kind, n.ID)
	case n.Kind == model.BoundaryEvent && d.Nodes[n.AttachedTo].Parent != n.Parent:
		t.Fatalf("boundary event %q is not in the scope of its activity %q", n.ID, n.AttachedTo)
	case n.Parent != "" && (parent == nil || parent.Kind != model.SubProcess):
		t.Fatalf("node %q: parent %q is no subprocess", n.ID, n.Parent)
	case n.Kind == model.SubProcess && (start == nil || start.Kind != model.StartEvent || start.Parent != n.ID):
		t.Fatalf("subprocess %q starts at %q", n.ID, n.Start)
	case n.Kind != model.SubProcess && n.Start != "":
		t.Fatalf("%s %q has start %q", n.Kind, n.ID, n.Start)
	case n.ErrorEnd && (n.Kind != model.EndEvent || n.Terminate):
		t.Fatalf("%s %q throws an error (terminate %v)", n.Kind, n.ID, n.Terminate)
	case (n.AsyncExpr != "") != (n.AsyncProgram() != nil):
		t.Fatalf("node %q: async expression %q compiled to %v", n.ID, n.AsyncExpr, n.AsyncProgram())
	case n.Kind == model.ServiceTask && n.TaskType == "":
		t.Fatalf("service task %q without a task type", n.ID)
	case n.Kind != model.ServiceTask && (n.TaskType != "" || n.External):
		t.Fatalf("%s %q has task type %q", n.Kind, n.ID, n.TaskType)
	case n.Terminate && n.Kind != model.EndEvent:
		t.Fatalf("%s %q terminates", n.Kind, n.ID)
	case n.Retries < 0:
		t.Fatalf("node %q: retries %d", n.ID, n.Retries)
	case n.Element == string(n.Kind):
		t.Fatalf("node %q: element %q repeats the kind", n.ID, n.Element)
	case (n.Kind == model.UserTask) != (n.User != nil):
		t.Fatalf("%s %q has user task spec %+v", n.Kind, n.ID, n.User)
	case (n.Kind == model.CallActivity) != (n.Call != nil) || n.Call != nil && n.Call.ProcessKey == "":
		t.Fatalf("%s %q calls %+v", n.Kind, n.ID, n.Call)
	case n.Loop != nil && (n.Loop.Cardinality == "") == (n.Loop.Collection == ""):
		t.Fatalf("node %q: multi-instance %+v", n.ID, *n.Loop)
	case n.Kind == model.CatchEvent && n.EventType != "message" && n.EventType != "timer" && n.EventType != "signal":
		t.Fatalf("%s %q waits for %q %q, which Link rejects", n.Kind, n.ID, n.EventType, n.EventRef)
	case (n.Kind == model.CatchEvent || n.Kind == model.ReceiveTask) && n.EventRef == "":
		t.Fatalf("%s %q waits for no message", n.Kind, n.ID)
	}
	for _, l := range n.Listeners {
		if l.TaskType == "" || l.Event != model.ListenerStart && l.Event != model.ListenerEnd {
			t.Fatalf("node %q: listener %+v", n.ID, l)
		}
	}
	if n.User != nil {
		for _, m := range n.User.Values() {
			if m.Target == "" || (m.Expr != "") != (m.Program() != nil) || m.Expr == "" && m.Value == nil {
				t.Fatalf("node %q: user task mapping %+v", n.ID, *m)
			}
		}
	}
	for _, m := range append(append([]model.Mapping(nil), n.Inputs...), n.Outputs...) {
		if m.Target == "" || strings.Contains(m.Target, ".") || (m.Expr != "") != (m.Program() != nil) {
			t.Fatalf("node %q: mapping %+v", n.ID, m)
		}
	}
}

// hasEventStart reports whether d has a message or signal start event.
func hasEventStart(d *model.Definition) bool {
	for _, n := range d.Nodes {
		if n.Kind == model.StartEvent && n.EventType != "" && n.Parent == "" {
			return true
		}
	}
	return false
}
