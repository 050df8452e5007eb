package bpmn

import (
	"testing"

	"github.com/batonhq/baton/engine/model"
)

func TestDelegateExpressionsAndExpressionsImplementTasks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, el string
		want     model.Node
	}{
		{"camunda delegate expression names the task type", `<serviceTask id="x" camunda:delegateExpression="${chargeDelegate}" />`,
			model.Node{Kind: model.ServiceTask, TaskType: "chargeDelegate"}},
		{"flowable delegate expression with #{}", `<serviceTask id="x" flowable:delegateExpression="#{mailer}" />`,
			model.Node{Kind: model.ServiceTask, TaskType: "mailer"}},
		{"camunda expression is evaluated", `<serviceTask id="x" camunda:expression="${amount * 2}" camunda:resultVariable="double" />`,
			model.Node{Kind: model.ScriptTask, Element: "serviceTask", ScriptFormat: "expr", Script: "amount * 2", ResultVariable: "double"}},
		{"activiti expression without a result", `<serviceTask id="x" activiti:expression="${a &gt; 1}" />`,
			model.Node{Kind: model.ScriptTask, Element: "serviceTask", ScriptFormat: "expr", Script: "a > 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defs, err := Parse("inline.bpmn", []byte(inlineModel(around(tc.el))))
			if err != nil {
				t.Fatal(err)
			}
			n := defs[0].Nodes["x"]
			got := model.Node{Kind: n.Kind, Element: n.Element, TaskType: n.TaskType, ScriptFormat: n.ScriptFormat,
				Script: n.Script, ResultVariable: n.ResultVariable}
			if got.Kind != tc.want.Kind || got.Element != tc.want.Element || got.TaskType != tc.want.TaskType ||
				got.ScriptFormat != tc.want.ScriptFormat || got.Script != tc.want.Script || got.ResultVariable != tc.want.ResultVariable {
				t.Fatalf("node = %+v, want %+v", got, tc.want)
			}
		})
	}
}
