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
