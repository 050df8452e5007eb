package bpmn

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// userExpr, userValue and userList build the expected mappings of a user task spec.
func userExpr(target, e string) *model.Mapping { return &model.Mapping{Target: target, Expr: e} }
func userValue(target string, v any) *model.Mapping {
	return &model.Mapping{Target: target, Value: v}
}
func userList(target string, vs ...any) *model.Mapping {
	return &model.Mapping{Target: target, Value: vs}
}

// userTask is an inline model whose node "x" is a user task with the attributes attrs and the
// children content.
func userTask(attrs, content string) string {
	return inlineModel(around(`<userTask id="x"` + attrs + `>` + content + `</userTask>`))
}

// jbpmInput is what jBPM writes to assign the data input name of the user task x: the data input
// in the ioSpecification and the association that assigns it from.
func jbpmInput(name, from string) (spec, assoc string) {
	id := "_x_" + name + "InputX"
	return `<dataInput id="` + id + `" drools:dtype="Object" name="` + name + `" />`,
		`<dataInputAssociation><targetRef>` + id + `</targetRef><assignment><from xsi:type="tFormalExpression"><![CDATA[` + from +
			`]]></from><to xsi:type="tFormalExpression">` + id + `</to></assignment></dataInputAssociation>`
}

// jbpmTask is an inline model whose node "x" is a jBPM user task assigning the data inputs
// name=from pairs in order, followed by the children rest.
func jbpmTask(rest string, pairs ...string) string {
	var specs, assocs string
	for i := 0; i+1 < len(pairs); i += 2 {
		s, a := jbpmInput(pairs[i], pairs[i+1])
		specs, assocs = specs+s, assocs+a
	}
	return userTask("", `<ioSpecification>`+specs+`<inputSet /></ioSpecification>`+assocs+rest)
}

// owner is a resource role (potentialOwner or humanPerformer) whose formal expression is text.
func owner(role, text string) string {
	return `<` + role + `><resourceAssignmentExpression><formalExpression>` + text + `</formalExpression></resourceAssignmentExpression></` + role + `>`
}

// TestParseUserTaskFiles checks the user tasks of modeller files in every dialect.
func TestParseUserTaskFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		modellerFile
		users map[string]*model.UserTaskSpec
	}{
		{modellerFile{file: "camunda7_usertask.bpmn", key: "leave-request", name: "Leave request",
			nodes: map[string]wantNode{
				"StartEvent_1":      {kind: model.StartEvent, out: []string{"Flow_1"}},
				"Activity_Approve":  {kind: model.UserTask, before: true, in: []string{"Flow_1"}, out: []string{"Flow_2"}},
				"Gateway_Approved":  {kind: model.ExclusiveGateway, def: "Flow_No", in: []string{"Flow_2"}, out: []string{"Flow_Yes", "Flow_No"}},
				"Activity_Book":     {kind: model.Task, element: "manualTask", in: []string{"Flow_Yes"}, out: []string{"Flow_3"}},
				"EndEvent_Booked":   {kind: model.EndEvent, in: []string{"Flow_3"}},
				"Activity_Rework":   {kind: model.UserTask, in: []string{"Flow_No"}, out: []string{"Flow_4"}},
				"EndEvent_Rejected": {kind: model.EndEvent, in: []string{"Flow_4"}},
			},
			flows: map[string]wantFlow{
				"Flow_1": {"StartEvent_1", "Activity_Approve", ""}, "Flow_2": {"Activity_Approve", "Gateway_Approved", ""},
				"Flow_Yes": {"Gateway_Approved", "Activity_Book", "approved"}, "Flow_3": {"Activity_Book", "EndEvent_Booked", ""},
				"Flow_No": {"Gateway_Approved", "Activity_Rework", ""}, "Flow_4": {"Activity_Rework", "EndEvent_Rejected", ""},
			}},
			map[string]*model.UserTaskSpec{
				"Activity_Approve": {Assignee: userExpr("assignee", "manager"), CandidateUsers: userExpr("candidateUsers", `["demo", (deputy)]`),
					CandidateGroups: userList("candidateGroups", "management"), FormKey: "camunda-forms:deployment:approve-leave.form",
					DueDate: userExpr("dueDate", "dueDate"), FollowUpDate: userValue("followUpDate", "2025-03-01T09:00:00"), Priority: userValue("priority", int64(60))},
				"Activity_Rework": {Assignee: userExpr("assignee", "requester"), CandidateUsers: userList("candidateUsers", "kermit"),
					CandidateGroups: userList("candidateGroups", "hr", "accounting"), FormKey: "rework-leave"},
			}},
		{modellerFile{file: "zeebe_usertask.bpmn", key: "invoice-review", name: "Invoice review",
			nodes: map[string]wantNode{
				"StartEvent_1":       {kind: model.StartEvent, out: []string{"Flow_0a1"}},
				"Activity_Review":    {kind: model.UserTask, in: []string{"Flow_0a1"}, out: []string{"Flow_1b2"}},
				"Gateway_Approved":   {kind: model.ExclusiveGateway, def: "Flow_Escalate", in: []string{"Flow_1b2"}, out: []string{"Flow_Done", "Flow_Escalate"}},
				"EndEvent_Approved":  {kind: model.EndEvent, in: []string{"Flow_Done"}},
				"Activity_Escalate":  {kind: model.UserTask, in: []string{"Flow_Escalate"}, out: []string{"Flow_2c3"}},
				"EndEvent_Escalated": {kind: model.EndEvent, in: []string{"Flow_2c3"}},
			},
			flows: map[string]wantFlow{
				"Flow_0a1": {"StartEvent_1", "Activity_Review", ""}, "Flow_1b2": {"Activity_Review", "Gateway_Approved", ""},
				"Flow_Done": {"Gateway_Approved", "EndEvent_Approved", "reviewApproved == true"}, "Flow_Escalate": {"Gateway_Approved", "Activity_Escalate", ""},
				"Flow_2c3": {"Activity_Escalate", "EndEvent_Escalated", ""},
			}},
			map[string]*model.UserTaskSpec{
				"Activity_Review": {Assignee: userExpr("assignee", "reviewer"), CandidateGroups: userList("candidateGroups", "sales", "ops"),
					FormKey: "invoice-review", DueDate: userExpr("dueDate", "reviewDue"), FollowUpDate: userValue("followUpDate", "2025-03-01T09:00:00Z"),
					Priority: userValue("priority", int64(75))},
				"Activity_Escalate": {CandidateUsers: userExpr("candidateUsers", `["anna", lead]`), FormKey: "camunda-forms:bpmn:UserTaskForm_1",
					Priority: userExpr("priority", "urgency * 10")},
			}},
		{modellerFile{file: "flowable_usertask.bpmn", key: "expenseApproval", name: "Expense approval",
			nodes: map[string]wantNode{
				"startEvent1": {kind: model.StartEvent, out: []string{"sid-1F2E3D4C"}},
				"approveTask": {kind: model.UserTask, before: true, in: []string{"sid-1F2E3D4C"}, out: []string{"sid-5B6A7988"}},
				"decision":    {kind: model.ExclusiveGateway, def: "sid-rejected", in: []string{"sid-5B6A7988"}, out: []string{"sid-approved", "sid-rejected"}},
				"adjustTask":  {kind: model.UserTask, in: []string{"sid-rejected"}, out: []string{"sid-9C8D7E6F"}},
				"approvedEnd": {kind: model.EndEvent, in: []string{"sid-approved"}},
				"adjustedEnd": {kind: model.EndEvent, in: []string{"sid-9C8D7E6F"}},
			},
			flows: map[string]wantFlow{
				"sid-1F2E3D4C": {"startEvent1", "approveTask", ""}, "sid-5B6A7988": {"approveTask", "decision", ""},
				"sid-approved": {"decision", "approvedEnd", "approved"}, "sid-rejected": {"decision", "adjustTask", ""},
				"sid-9C8D7E6F": {"adjustTask", "adjustedEnd", ""},
			}},
			map[string]*model.UserTaskSpec{
				"approveTask": {CandidateGroups: userExpr("candidateGroups", `["managers", (string(department) + "Leads")]`), FormKey: "approveExpense",
					DueDate: userExpr("dueDate", "approvalDue"), Priority: userExpr("priority", "amount > 1000 ? 80 : 50")},
				"adjustTask": {Assignee: userExpr("assignee", "initiator"), CandidateUsers: userExpr("candidateUsers", "reviewers"),
					FormKey: "adjustExpense", Priority: userValue("priority", int64(20))},
			}},
		{modellerFile{file: "jbpm_usertask.bpmn", key: "com.acme.approval", name: "approval",
			nodes: map[string]wantNode{
				"_Start":   {kind: model.StartEvent, out: []string{"_Flow1"}},
				"_Approve": {kind: model.UserTask, in: []string{"_Flow1"}, out: []string{"_Flow2"}},
				"_Review":  {kind: model.UserTask, in: []string{"_Flow2"}, out: []string{"_Flow3"}},
				"_End":     {kind: model.EndEvent, in: []string{"_Flow3"}},
			},
			flows: map[string]wantFlow{
				"_Flow1": {"_Start", "_Approve", ""}, "_Flow2": {"_Approve", "_Review", ""}, "_Flow3": {"_Review", "_End", ""},
			}},
			map[string]*model.UserTaskSpec{
				"_Approve": {Assignee: userValue("assignee", "john"), CandidateGroups: userExpr("candidateGroups", `["managers", (department)]`),
					FormKey: "ApproveRequest", Priority: userValue("priority", int64(5))},
				"_Review": {CandidateUsers: userExpr("candidateUsers", `["mary", (reviewer)]`), FormKey: "ReviewRequest", Priority: userExpr("priority", "urgency")},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			checkModellerFile(t, tt.modellerFile)
			defs, err := ParseFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			for id, n := range defs[0].Nodes {
				if got, want := plainUser(n.User), tt.users[id]; !reflect.DeepEqual(got, want) {
					t.Errorf("node %q user task\n got  %s\n want %s", id, specString(got), specString(want))
				}
				checkCompiled(t, n)
			}
		})
	}
	d := parseOne(t, readTestdata(t, "zeebe_usertask.bpmn"))
	if got := plainMappings(d.Nodes["Activity_Review"].Outputs); !reflect.DeepEqual(got, []model.Mapping{{Target: "reviewApproved", Expr: "approved"}}) {
		t.Errorf("zeebe user task outputs %#v", got)
	}
	d = parseOne(t, readTestdata(t, "flowable_usertask.bpmn"))
	if got := d.Nodes["approveTask"].Listeners; !reflect.DeepEqual(got, []model.Listener{{Event: "end", TaskType: "com.acme.expense.AuditDecision"}}) {
		t.Errorf("flowable user task listeners %+v", got)
	}
}

// specString shows a spec with its mappings, for messages.
func specString(u *model.UserTaskSpec) string {
	if u == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("{formKey %q", u.FormKey)
	for _, m := range u.Values() {
		s += fmt.Sprintf("; %s: expr %q value %#v", m.Target, m.Expr, m.Value)
	}
	return s + "}"
}

// TestParseUserTasks checks the spec of the user task "x" in every dialect.
func TestParseUserTasks(t *testing.T) {
	t.Parallel()
	approveSpec, approveAssoc := jbpmInput("TaskName", "Approve")
	tests := []struct {
		name string
		doc  string
		want model.UserTaskSpec
	}{
		{"no assignment", userTask("", ""), model.UserTaskSpec{}},
		{"camunda constants", userTask(` camunda:assignee=" kermit " camunda:candidateUsers="a, b ,,c" camunda:candidateGroups="${groups}" camunda:priority=" 7 " camunda:dueDate="2025-01-01T00:00:00Z"`, ""),
			model.UserTaskSpec{Assignee: userValue("assignee", "kermit"), CandidateUsers: userList("candidateUsers", "a", "b", "c"),
				CandidateGroups: userExpr("candidateGroups", "groups"), Priority: userValue("priority", int64(7)), DueDate: userValue("dueDate", "2025-01-01T00:00:00Z")}},
		{"camunda expressions", userTask(` camunda:assignee="#{owner}" camunda:followUpDate="${followUp}" camunda:priority="${prio + 1}" camunda:formKey="app:review.html"`, ""),
			model.UserTaskSpec{Assignee: userExpr("assignee", "owner"), FollowUpDate: userExpr("followUpDate", "followUp"),
				Priority: userExpr("priority", "prio + 1"), FormKey: "app:review.html"}},
		{"camunda composite assignee", userTask(` camunda:assignee="user-${id}"`, ""),
			model.UserTaskSpec{Assignee: userExpr("assignee", `"user-" + string(id)`)}},
		{"comma inside an expression", userTask(` camunda:candidateGroups="sales, ${join(teams, ',')}"`, ""),
			model.UserTaskSpec{CandidateGroups: userExpr("candidateGroups", `["sales", (join(teams, ','))]`)}},
		{"camunda formKey and formRef agree", userTask(` camunda:formKey="f" camunda:formRef=" f " camunda:formRefBinding="latest"`, ""),
			model.UserTaskSpec{FormKey: "f"}},
		{"human performer and potential owners", userTask("", owner("humanPerformer", " kermit ")+owner("potentialOwner", "group(${g})")+owner("potentialOwner", "user(a), ${approvers}")),
			model.UserTaskSpec{Assignee: userValue("assignee", "kermit"), CandidateUsers: userList("candidateUsers", "a"),
				CandidateGroups: userExpr("candidateGroups", "[(g), (approvers)]")}},
		{"attribute and potential owner merge", userTask(` camunda:candidateUsers="a"`, owner("potentialOwner", "user(${b})")),
			model.UserTaskSpec{CandidateUsers: userExpr("candidateUsers", `["a", (b)]`)}},
		{"human performer agrees with assignee", userTask(` camunda:assignee="${boss}"`, owner("humanPerformer", "${boss}")),
			model.UserTaskSpec{Assignee: userExpr("assignee", "boss")}},
		{"zeebe constants", userTask("", extensions(`<zeebe:userTask /><zeebe:assignmentDefinition assignee="kermit" candidateUsers="anna" candidateGroups=" " />
          <zeebe:formDefinition formId="invoice-form" /><zeebe:taskSchedule dueDate="2025-01-01T00:00:00Z" followUpDate="=followUp" />
          <zeebe:priorityDefinition priority="=p" /><zeebe:taskHeaders><zeebe:header key="k" value="v" /></zeebe:taskHeaders>`)),
			model.UserTaskSpec{Assignee: userValue("assignee", "kermit"), CandidateUsers: userList("candidateUsers", "anna"), FormKey: "invoice-form",
				DueDate: userValue("dueDate", "2025-01-01T00:00:00Z"), FollowUpDate: userExpr("followUpDate", "followUp"), Priority: userExpr("priority", "p")}},
		{"zeebe FEEL", userTask("", extensions(`<zeebe:assignmentDefinition assignee="= lower(owner)" candidateGroups="=[&#34;a&#34;,&#34;b&#34;]" />
          <zeebe:formDefinition externalReference="https://forms.acme.com/review" /><zeebe:priorityDefinition priority="100" />`)),
			model.UserTaskSpec{Assignee: userExpr("assignee", "lower(owner)"), CandidateGroups: userExpr("candidateGroups", `["a","b"]`),
				FormKey: "https://forms.acme.com/review", Priority: userValue("priority", int64(100))}},
		{"flowable", userTask(` flowable:assignee="${initiator}" flowable:candidateUsers="a,b" flowable:candidateGroups="g" flowable:formKey="f" flowable:dueDate="${due}" flowable:priority="3" flowable:owner="o" flowable:category="c" flowable:skipExpression="${skip}"`,
			extensions(`<flowable:formProperty id="ok" type="boolean" />`)),
			model.UserTaskSpec{Assignee: userExpr("assignee", "initiator"), CandidateUsers: userList("candidateUsers", "a", "b"),
				CandidateGroups: userList("candidateGroups", "g"), FormKey: "f", DueDate: userExpr("dueDate", "due"), Priority: userValue("priority", int64(3))}},
		{"activiti", userTask(` activiti:assignee="kermit" activiti:candidateGroups="g1, ${g2}" activiti:formKey="f" activiti:priority="${p}"`, ""),
			model.UserTaskSpec{Assignee: userValue("assignee", "kermit"), CandidateGroups: userExpr("candidateGroups", `["g1", (g2)]`), FormKey: "f", Priority: userExpr("priority", "p")}},
		{"jbpm actors and groups", jbpmTask("", "TaskName", "Review", "ActorId", "john, mary", "GroupId", "#{groups}", "Priority", "#{urgency}", "Skippable", "true", "Comment", "#{c"),
			model.UserTaskSpec{CandidateUsers: userList("candidateUsers", "john", "mary"), CandidateGroups: userExpr("candidateGroups", "groups"),
				FormKey: "Review", Priority: userExpr("priority", "urgency")}},
		{"jbpm single actor expression", jbpmTask("", "ActorId", "#{owner}"),
			model.UserTaskSpec{Assignee: userExpr("assignee", "owner")}},
		{"jbpm potential owners are users", jbpmTask(owner("potentialOwner", "john")+owner("potentialOwner", "mary"), "TaskName", "Review"),
			model.UserTaskSpec{CandidateUsers: userList("candidateUsers", "john", "mary"), FormKey: "Review"}},
		{"jbpm marked by metadata", userTask("", extensions(`<drools:metaData name="elementname"><drools:metaValue>R</drools:metaValue></drools:metaData>`)+owner("potentialOwner", "john")),
			model.UserTaskSpec{Assignee: userValue("assignee", "john")}},
		{"jbpm unresolvable inputs", userTask("", `<ioSpecification>`+approveSpec+`<dataInput id="_x_GroupIdInputX" name="GroupId" /></ioSpecification>
          <dataInputAssociation><sourceRef>order.group</sourceRef><targetRef>_x_GroupIdInputX</targetRef></dataInputAssociation>
          <dataInputAssociation><sourceRef>g</sourceRef><targetRef>_x_Unknown</targetRef></dataInputAssociation>`+approveAssoc),
			model.UserTaskSpec{FormKey: "Approve"}},
		{"jbpm input from a variable", jbpmTask(`<dataInputAssociation><sourceRef>approvers</sourceRef><targetRef>_x_GroupIdInputX</targetRef></dataInputAssociation>`,
			"GroupId", "", "ActorId", ""),
			model.UserTaskSpec{CandidateGroups: userExpr("candidateGroups", "approvers")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := parseOne(t, tt.doc).Nodes["x"]
			if n.Kind != model.UserTask || n.Element != "" {
				t.Errorf("kind %q element %q", n.Kind, n.Element)
			}
			if got := plainUser(n.User); !reflect.DeepEqual(got, &tt.want) {
				t.Errorf("\n got  %s\n want %s", specString(got), specString(&tt.want))
			}
			checkCompiled(t, n)
		})
	}
}

// TestParseUserTaskActivity checks that a user task carries the markers, mappings, listeners
// and multi-instance of any activity, and that a manual task passes through.
func TestParseUserTaskActivity(t *testing.T) {
	t.Parallel()
	n := parseOne(t, userTask(` camunda:asyncBefore="true" camunda:asyncAfter="true" camunda:exclusive="false" camunda:assignee="${reviewer}"`,
		extensions(`<camunda:inputOutput><camunda:inputParameter name="a">${b}</camunda:inputParameter></camunda:inputOutput>
          <camunda:executionListener class="L" event="start" />`)+
			`<multiInstanceLoopCharacteristics camunda:collection="${reviewers}" camunda:elementVariable="reviewer" />`)).Nodes["x"]
	if got := nodeOf(n); !got.equal(wantNode{kind: model.UserTask, before: true, after: true, notExclusive: true}, false) {
		t.Errorf("got %+v", got)
	}
	if !reflect.DeepEqual(plainMappings(n.Inputs), []model.Mapping{{Target: "a", Expr: "b"}}) || len(n.Listeners) != 1 {
		t.Errorf("inputs %+v listeners %+v", n.Inputs, n.Listeners)
	}
	if got := plainLoop(n.Loop); !reflect.DeepEqual(got, &model.MultiInstance{Collection: "reviewers", ElementVariable: "reviewer"}) {
		t.Errorf("loop %+v", got)
	}
	checkCompiled(t, n)

	m := parseOne(t, inlineModel(around(`<manualTask id="x" name="Sign" camunda:asyncAfter="true" />`))).Nodes["x"]
	if got := nodeOf(m); !got.equal(wantNode{kind: model.Task, element: "manualTask", after: true}, false) || m.User != nil || m.Name != "Sign" {
		t.Errorf("manual task %+v user %+v", got, m.User)
	}
}

// TestParseUserTaskProblems checks that each mistake in a user task gives one problem at the right
// line and element.
func TestParseUserTaskProblems(t *testing.T) {
	t.Parallel()
	tests := []problemCase{
		{"camunda task listener", userTask("", extensions(`
          <camunda:taskListener class="com.acme.Notify" event="create" />`)),
			[]wantProblem{{id: "x", needle: "<camunda:taskListener", msg: "task listeners are not supported; use an execution listener (start/end) on the user task"}}},
		{"flowable and activiti task listeners", userTask("", extensions(`
          <flowable:taskListener event="assignment" delegateExpression="${notify}" />
          <activiti:taskListener event="complete" class="A" />`)),
			[]wantProblem{
				{id: "x", needle: "<flowable:taskListener", msg: "task listeners are not supported"},
				{id: "x", needle: "<activiti:taskListener", msg: "task listeners are not supported"},
			}},
		{"zeebe task listeners", userTask("", extensions(`<zeebe:userTask /><zeebe:taskListeners>
          <zeebe:taskListener eventType="assigning" type="a" />
          <zeebe:taskListener eventType="completing" type="b" />
        </zeebe:taskListeners>`)),
			[]wantProblem{
				{id: "x", needle: `type="a"`, msg: "task listeners are not supported"},
				{id: "x", needle: `type="b"`, msg: "task listeners are not supported"},
			}},
		{"assignee that does not compile", userTask(` camunda:assignee="${a +}"`, ""),
			[]wantProblem{{id: "x", msg: `user task assignee "a +" does not compile`}}},
		{"candidate list that does not compile", userTask(` camunda:candidateGroups="sales, ${a +}"`, ""),
			[]wantProblem{{id: "x", msg: `user task candidateGroups "[\"sales\", (a +)]" does not compile`}}},
		{"zeebe date that does not compile", userTask("", extensions(`<zeebe:taskSchedule dueDate="=now() +" />`)),
			[]wantProblem{{id: "x", msg: `user task dueDate "now() +" does not compile`}}},
		{"expression without closing brace", userTask(` camunda:candidateUsers="a, ${b"`, ""),
			[]wantProblem{{id: "x", msg: `camunda:candidateUsers="a, ${b" has an expression without its closing }`}}},
		{"empty JUEL expression", userTask(` flowable:assignee="${ }"`, ""),
			[]wantProblem{{id: "x", msg: `flowable:assignee="${ }" has an empty expression`}}},
		{"empty FEEL expression", userTask("", extensions(`
          <zeebe:assignmentDefinition assignee="=" candidateGroups=" = " />`)),
			[]wantProblem{
				{id: "x", needle: "<zeebe:assignmentDefinition", msg: `zeebe:assignmentDefinition assignee="=" is an empty expression`},
				{id: "x", needle: "<zeebe:assignmentDefinition", msg: `zeebe:assignmentDefinition candidateGroups=" = " is an empty expression`},
			}},
		{"priority not an integer", userTask(` camunda:priority="high"`, extensions(`
          <zeebe:priorityDefinition priority="1.5" />`)),
			[]wantProblem{
				{id: "x", msg: `camunda:priority="high" is neither an integer nor an expression`},
				{id: "x", needle: "<zeebe:priorityDefinition", msg: `zeebe:priorityDefinition priority="1.5" is neither an integer nor an expression`},
			}},
		{"jbpm priority not an integer", jbpmTask("", "Priority", "urgent"),
			[]wantProblem{{id: "x", needle: "<![CDATA[urgent]]>", msg: `the jBPM data input Priority "urgent" is neither an integer nor an expression`}}},
		{"two assignees", userTask(` camunda:assignee="a"`, `
      `+owner("humanPerformer", "b")),
			[]wantProblem{{id: "x", needle: "<humanPerformer>", msg: `camunda:assignee="a" and <humanPerformer> "b" give the user task two different assignees; keep one`}}},
		{"two due dates", userTask(` camunda:dueDate="${d}" flowable:dueDate="${e}"`, ""),
			[]wantProblem{{id: "x", msg: `camunda:dueDate="${d}" and flowable:dueDate="${e}" give the user task two different due dates; keep one`}}},
		{"two forms", userTask(` camunda:formKey="a" camunda:formRef="b"`, ""),
			[]wantProblem{{id: "x", msg: `camunda:formKey="a" and camunda:formRef="b" give the user task two different forms; keep one`}}},
		{"zeebe form key and form id", userTask("", extensions(`
          <zeebe:formDefinition formKey="camunda-forms:bpmn:F" formId="f" />`)),
			[]wantProblem{{id: "x", needle: "<zeebe:formDefinition", msg: `zeebe:formDefinition formKey="camunda-forms:bpmn:F" and zeebe:formDefinition formId="f" give the user task two different forms`}}},
		{"human performer with two users", userTask("", `
      `+owner("humanPerformer", "a, ${b}")),
			[]wantProblem{{id: "x", needle: "<humanPerformer>", msg: `<humanPerformer> "a, ${b}" names 2 users; a humanPerformer is one user`}}},
		{"task type on a user task", userTask(` camunda:class="com.acme.Review"`, ""),
			[]wantProblem{{id: "x", msg: `camunda:class="com.acme.Review" gives a <userTask> a task type`}}},
		{"error boundary on a user task", attached(`<userTask id="x" />`, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: `the userTask "x" never throws one`}}},
		{"error boundary on a manual task", attached(`<manualTask id="x" />`, `<boundaryEvent id="b" attachedToRef="x"><errorEventDefinition /></boundaryEvent>`, ""),
			[]wantProblem{{id: "b", msg: `an error boundary event catches BPMN errors of delegates, subprocesses and called processes; the manualTask "x" never throws one`}}},
	}
	checkProblemCases(t, tests)
}
