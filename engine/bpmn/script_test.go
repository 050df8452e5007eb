package bpmn

import (
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// TestParseScriptTasks checks script tasks in every dialect on the node "x" of a small model.
func TestParseScriptTasks(t *testing.T) {
	t.Parallel()
	js := func(script, result string) wantNode {
		return wantNode{kind: model.ScriptTask, scriptFormat: "javascript", script: script, resultVar: result}
	}
	tests := []struct {
		name string
		node string
		want wantNode
	}{
		{"javascript", `<scriptTask id="x" scriptFormat="javascript"><script>a + 1</script></scriptTask>`, js("a + 1", "")},
		{"JavaScript in any case", `<scriptTask id="x" scriptFormat=" JavaScript "><script>a</script></scriptTask>`, js("a", "")},
		{"js", `<scriptTask id="x" scriptFormat="js"><script>a</script></scriptTask>`, js("a", "")},
		{"ECMAScript", `<scriptTask id="x" scriptFormat="ECMAScript"><script>a</script></scriptTask>`, js("a", "")},
		{"CDATA script trimmed", `<scriptTask id="x" scriptFormat="javascript"><script>
  <![CDATA[
    var r = a < 1 && b > 2;
    r
  ]]>
</script></scriptTask>`, js("var r = a < 1 && b > 2;\n    r", "")},
		{"expr with an entity", `<scriptTask id="x" scriptFormat="expr"><script> a &lt; 2 </script></scriptTask>`,
			wantNode{kind: model.ScriptTask, scriptFormat: "expr", script: "a < 2"}},
		{"camunda result variable and async", `<scriptTask id="x" scriptFormat="javascript" camunda:resultVariable="sum" camunda:asyncBefore="true" camunda:asyncAfter="true"><script>a</script></scriptTask>`,
			wantNode{kind: model.ScriptTask, scriptFormat: "javascript", script: "a", resultVar: "sum", before: true, after: true}},
		{"flowable result variable", `<scriptTask id="x" scriptFormat="javascript" flowable:resultVariable=" sum " flowable:async="true" flowable:autoStoreVariables="false"><script>a</script></scriptTask>`,
			wantNode{kind: model.ScriptTask, scriptFormat: "javascript", script: "a", resultVar: "sum", before: true}},
		{"activiti result variable", `<scriptTask id="x" scriptFormat="js" activiti:resultVariable="sum"><script>a</script></scriptTask>`, js("a", "sum")},
		{"same result variable twice", `<scriptTask id="x" scriptFormat="js" camunda:resultVariable="sum" activiti:resultVariable="sum"><script>a</script></scriptTask>`, js("a", "sum")},
		{"baton async expression", `<scriptTask id="x" scriptFormat="expr" baton:async="${big}" baton:exclusive="false"><script>a</script></scriptTask>`,
			wantNode{kind: model.ScriptTask, scriptFormat: "expr", script: "a", asyncExpr: "big", notExclusive: true}},
		{"zeebe FEEL script", `<scriptTask id="x"><extensionElements><zeebe:script expression="=a = 1 or b" resultVariable="ok" /></extensionElements></scriptTask>`,
			wantNode{kind: model.ScriptTask, scriptFormat: "expr", script: "a == 1 or b", resultVar: "ok"}},
		{"zeebe job worker script task", `<scriptTask id="x"><extensionElements><zeebe:taskDefinition type="calc" /></extensionElements></scriptTask>`,
			wantNode{kind: model.ServiceTask, element: "scriptTask", taskType: "calc"}},
		{"baton script task with a task type", `<scriptTask id="x" baton:type="calc" baton:asyncBefore="true" />`,
			wantNode{kind: model.ServiceTask, element: "scriptTask", taskType: "calc", before: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := inlineModel(around(tt.node))
			defs, err := Parse("inline.bpmn", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			n := defs[0].Nodes["x"]
			if got := nodeOf(n); !got.equal(tt.want, false) {
				t.Errorf("\n got  %+v\n want %+v", got, tt.want)
			}
			if n.Line != lineOf(t, doc, "x") {
				t.Errorf("node at line %d, want %d", n.Line, lineOf(t, doc, "x"))
			}
		})
	}
}

// TestParseScriptProblems checks that each mistake in a script task gives one problem at the
// right line and element.
func TestParseScriptProblems(t *testing.T) {
	t.Parallel()
	type test struct {
		name string
		node string
		want []wantProblem
	}
	tests := []test{
		{"camunda resource", `<scriptTask id="x" scriptFormat="javascript" camunda:resource="deployment://calc.js" />`,
			[]wantProblem{{id: "x", msg: `camunda:resource="deployment://calc.js": external script resources are not supported; put the script inline`}}},
		{"no script at all", `<scriptTask id="x" />`,
			[]wantProblem{{id: "x", msg: `the script task has no script; set scriptFormat="javascript" or scriptFormat="expr" and write the script in a <script> child`}}},
		{"no scriptFormat", `<scriptTask id="x"><script>a</script></scriptTask>`,
			[]wantProblem{{id: "x", msg: `the script task has no scriptFormat; set scriptFormat="javascript" or scriptFormat="expr"`}}},
		{"empty scriptFormat", `<scriptTask id="x" scriptFormat=" "><script>a</script></scriptTask>`,
			[]wantProblem{{id: "x", msg: "the script task has no scriptFormat"}}},
		{"empty script", `<scriptTask id="x" scriptFormat="expr"><script>  </script></scriptTask>`,
			[]wantProblem{{id: "x", msg: "the script task's <script> is empty; write the script in it"}}},
		{"expr does not compile", `<scriptTask id="x" scriptFormat="expr"><script>a +</script></scriptTask>`,
			[]wantProblem{{id: "x", msg: "expr script does not compile"}}},
		{"empty zeebe expression", `<scriptTask id="x"><extensionElements><zeebe:script expression="= " resultVariable="r" /></extensionElements></scriptTask>`,
			[]wantProblem{{id: "x", msg: `zeebe:script expression "= " is empty; write a FEEL expression such as =a + b`}}},
		{"zeebe FEEL that expr cannot compile", `<scriptTask id="x"><extensionElements><zeebe:script expression="=if a then 1 else 2" /></extensionElements></scriptTask>`,
			[]wantProblem{{id: "x", msg: "expr script does not compile"}}},
		{"zeebe script and a script", `<scriptTask id="x"><extensionElements><zeebe:script expression="=a" /></extensionElements><script>b</script></scriptTask>`,
			[]wantProblem{{id: "x", msg: "the script task has both a <script> and a zeebe:script; keep one"}}},
		{"script and task type", `<scriptTask id="x" scriptFormat="javascript" camunda:class="com.acme.Calc"><script>a</script></scriptTask>`,
			[]wantProblem{{id: "x", msg: `camunda:class="com.acme.Calc" gives the script task a task type, but it has a script too`}}},
		{"two result variables", `<scriptTask id="x" scriptFormat="javascript" camunda:resultVariable="a" flowable:resultVariable="b"><script>a</script></scriptTask>`,
			[]wantProblem{{id: "x", msg: `camunda:resultVariable="a" and flowable:resultVariable="b" give two different result variables; keep one`}}},
		{"delegate expression on a script task", `<scriptTask id="x" scriptFormat="javascript" camunda:delegateExpression="${calc}"><script>a</script></scriptTask>`,
			[]wantProblem{{id: "x", msg: "gives the script task a task type, but it has a script too"}}},
		{"unsupported script and bad async", `<scriptTask id="x" scriptFormat="groovy" camunda:asyncBefore="maybe"><script>a</script></scriptTask>`,
			[]wantProblem{
				{id: "x", msg: `scriptFormat "groovy" is not supported; use javascript or expr`},
				{id: "x", msg: `camunda:asyncBefore="maybe" is not a boolean`},
			}},
	}
	for _, format := range []string{"groovy", "python", "juel", "feel", "ruby", "http://www.java.com/java", "http://www.mvel.org/2.0"} {
		tests = append(tests, test{"scriptFormat " + format, `<scriptTask id="x" scriptFormat="` + format + `"><script>a</script></scriptTask>`,
			[]wantProblem{{id: "x", msg: `scriptFormat "` + format + `" is not supported; use javascript or expr`}}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := inlineModel(around(tt.node))
			defs, err := Parse("inline.bpmn", []byte(doc))
			if defs != nil {
				t.Errorf("got %d definitions with problems, want none", len(defs))
			}
			checkProblems(t, "inline.bpmn", doc, err, tt.want)
		})
	}
}
