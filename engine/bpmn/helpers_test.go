package bpmn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// readTestdata returns the text of testdata/name.
func readTestdata(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// lineAt returns the 1-based line of the only occurrence of needle in text.
func lineAt(t *testing.T, text, needle string) int {
	t.Helper()
	if n := strings.Count(text, needle); n != 1 {
		t.Fatalf("%q occurs %d times in the model, want once", needle, n)
	}
	return strings.Count(text[:strings.Index(text, needle)], "\n") + 1
}

// lineOf returns the line of the element whose id attribute is id.
func lineOf(t *testing.T, text, id string) int {
	t.Helper()
	return lineAt(t, text, ` id="`+id+`"`)
}

// problemsOf returns the problems of err, which must be a *model.ValidationError.
func problemsOf(t *testing.T, err error) []model.Problem {
	t.Helper()
	var v *model.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("error %v (%T) is not a *model.ValidationError", err, err)
	}
	if len(v.Problems) == 0 {
		t.Fatal("ValidationError without problems")
	}
	return v.Problems
}

// wantProblem describes one expected problem: its element id, a needle locating its line in the
// model text (default: the element's id attribute; "" with line 0 for problems without a line)
// and a part of its message.
type wantProblem struct {
	id     string
	needle string
	line   int // used when needle is "-": the expected line as is
	msg    string
}

// checkProblems asserts that err lists exactly the wanted problems, in any order.
func checkProblems(t *testing.T, source, text string, err error, want []wantProblem) {
	t.Helper()
	got := problemsOf(t, err)
	used := make([]bool, len(got))
	for _, w := range want {
		line := w.line
		switch w.needle {
		case "-":
		case "":
			line = lineOf(t, text, w.id)
		default:
			line = lineAt(t, text, w.needle)
		}
		found := false
		for i, p := range got {
			if !used[i] && p.ElementID == w.id && p.Line == line && strings.Contains(p.Message, w.msg) {
				if p.Source != source {
					t.Errorf("problem %v names source %q, want %q", p, p.Source, source)
				}
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("missing problem at line %d, element %q, message containing %q", line, w.id, w.msg)
		}
	}
	for i, p := range got {
		if !used[i] {
			t.Errorf("unexpected problem: %v", p)
		}
	}
}

// testNamespaces declares every namespace Baton reads, for the small inline models.
const testNamespaces = `xmlns="` + nsBPMN + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
	`xmlns:camunda="` + nsCamunda + `" xmlns:zeebe="` + nsZeebe + `" xmlns:flowable="` + nsFlowable + `" ` +
	`xmlns:activiti="` + nsActiviti + `" xmlns:drools="` + nsDrools + `" xmlns:baton="` + nsBaton + `"`

// inlineModel wraps process content in a document with all namespaces declared.
func inlineModel(content string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<definitions ` + testNamespaces + ` id="defs" targetNamespace="http://example.com">
  <process id="p" name="P" isExecutable="true">
` + content + `
  </process>
</definitions>
`
}

// around puts node between a start and an end event: start -(in)-> node -(out)-> end.
func around(node string) string {
	return `    <startEvent id="start" />
    <sequenceFlow id="in" sourceRef="start" targetRef="x" />
    ` + node + `
    <sequenceFlow id="out" sourceRef="x" targetRef="end" />
    <endEvent id="end" />`
}

// problemCase is an inline model that must be rejected with exactly the problems in want.
type problemCase struct {
	name string
	doc  string
	want []wantProblem
}

// checkProblemCases parses each case, in parallel, and checks that it is rejected with its
// problems and that no definition comes back.
func checkProblemCases(t *testing.T, cases []problemCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defs, err := Parse("inline.bpmn", []byte(tt.doc))
			if defs != nil {
				t.Errorf("got %d definitions with problems, want none", len(defs))
			}
			checkProblems(t, "inline.bpmn", tt.doc, err, tt.want)
		})
	}
}

// readUnlinked reads the first process of doc as Parse does but without Link, and fails on any
// problem the parser itself reports: for the fields of elements that Link rejects, such as wait
// states.
func readUnlinked(t *testing.T, doc string) *model.Definition {
	t.Helper()
	p := &problems{source: "inline.bpmn"}
	var defs []*model.Definition
	if root := readTree([]byte(doc), p); root != nil {
		defs = readDefinitions(root, p)
	}
	if err := p.err(); err != nil {
		t.Fatalf("parser problems: %v", err)
	}
	if len(defs) == 0 {
		t.Fatal("no executable process")
	}
	return defs[0]
}

// plainMappings returns ms without compiled programs, nil when empty, for comparisons.
func plainMappings(ms []model.Mapping) []model.Mapping {
	if len(ms) == 0 {
		return nil
	}
	out := make([]model.Mapping, len(ms))
	for i, m := range ms {
		out[i] = model.Mapping{Target: m.Target, Expr: m.Expr, Value: m.Value}
	}
	return out
}

// plainCall returns the exported fields of c, without compiled programs, for comparisons.
func plainCall(c *model.CallSpec) *model.CallSpec {
	if c == nil {
		return nil
	}
	return &model.CallSpec{ProcessKey: c.ProcessKey, Binding: c.Binding, Version: c.Version, InAll: c.InAll,
		In: plainMappings(c.In), OutAll: c.OutAll, Out: plainMappings(c.Out), BusinessKey: c.BusinessKey}
}

// plainLoop returns the exported fields of m, without compiled programs, for comparisons.
func plainLoop(m *model.MultiInstance) *model.MultiInstance {
	if m == nil {
		return nil
	}
	return &model.MultiInstance{Sequential: m.Sequential, Cardinality: m.Cardinality, Collection: m.Collection,
		ElementVariable: m.ElementVariable, CompletionCondition: m.CompletionCondition,
		OutputCollection: m.OutputCollection, OutputElement: m.OutputElement,
		AsyncBefore: m.AsyncBefore, AsyncAfter: m.AsyncAfter, NotExclusive: m.NotExclusive}
}

// plainUser returns the exported fields of u, without compiled programs, for comparisons.
func plainUser(u *model.UserTaskSpec) *model.UserTaskSpec {
	if u == nil {
		return nil
	}
	plain := func(m *model.Mapping) *model.Mapping {
		if m == nil {
			return nil
		}
		return &model.Mapping{Target: m.Target, Expr: m.Expr, Value: m.Value}
	}
	return &model.UserTaskSpec{Assignee: plain(u.Assignee), CandidateUsers: plain(u.CandidateUsers), CandidateGroups: plain(u.CandidateGroups),
		FormKey: u.FormKey, DueDate: plain(u.DueDate), FollowUpDate: plain(u.FollowUpDate), Priority: plain(u.Priority)}
}

// checkCompiled asserts that Link compiled every expression n carries beside its behaviour.
func checkCompiled(t *testing.T, n *model.Node) {
	t.Helper()
	mappings := func(what string, ms []model.Mapping) {
		for i := range ms {
			if (ms[i].Expr != "") != (ms[i].Program() != nil) {
				t.Errorf("node %q: %s mapping %q: expression %q compiled to %v", n.ID, what, ms[i].Target, ms[i].Expr, ms[i].Program())
			}
		}
	}
	mappings("input", n.Inputs)
	mappings("output", n.Outputs)
	if c := n.Call; c != nil {
		mappings("call input", c.In)
		mappings("call output", c.Out)
		if (c.BusinessKey != "") != (c.BusinessKeyProgram() != nil) {
			t.Errorf("node %q: business key %q compiled to %v", n.ID, c.BusinessKey, c.BusinessKeyProgram())
		}
	}
	if u := n.User; u != nil {
		for _, m := range u.Values() {
			if (m.Expr != "") != (m.Program() != nil) {
				t.Errorf("node %q: user task %s %q compiled to %v", n.ID, m.Target, m.Expr, m.Program())
			}
		}
	}
	if m := n.Loop; m != nil {
		for _, e := range []struct {
			src  string
			prog bool
		}{
			{m.Cardinality, m.CardinalityProgram() != nil}, {m.Collection, m.CollectionProgram() != nil},
			{m.CompletionCondition, m.CompletionProgram() != nil}, {m.OutputElement, m.OutputElementProgram() != nil},
		} {
			if (e.src != "") != e.prog {
				t.Errorf("node %q: multi-instance expression %q compiled: %v", n.ID, e.src, e.prog)
			}
		}
	}
}

// parseOne parses doc, which must be valid, and returns its first definition.
func parseOne(t *testing.T, doc string) *model.Definition {
	t.Helper()
	defs, err := Parse("inline.bpmn", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return defs[0]
}

// extensions wraps extension elements in <extensionElements>.
func extensions(content string) string {
	return "<extensionElements>" + content + "</extensionElements>"
}
