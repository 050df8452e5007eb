package bpmn

import (
	"os"
	"path/filepath"
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
	} {
		f.Add([]byte(inlineModel(around(node))))
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
			if start := d.Nodes[d.StartID]; start == nil || d.Hash == "" || d.Source != "fuzz.bpmn" {
				t.Fatalf("definition %q not linked: start %q hash %q", d.Key, d.StartID, d.Hash)
			}
			for _, n := range d.Nodes {
				checkFuzzedNode(t, n)
			}
		}
	})
}

// checkFuzzedNode asserts what holds of every node of a definition Parse returns.
func checkFuzzedNode(t *testing.T, n *model.Node) {
	t.Helper()
	switch {
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
	}
}
