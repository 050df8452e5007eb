package bpmn

import (
	"encoding/xml"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// User tasks: who works on the task, with which form, by when and how urgently, as every dialect
// spells it, become one model.UserTaskSpec. Each value is a constant or an expression:
//
//   - Camunda 7, Flowable and Activiti write JUEL attributes (<prefix>:assignee, candidateUsers,
//     candidateGroups, formKey, dueDate, followUpDate, priority; camunda:formRef), translated as
//     juel does. A candidate list is comma-separated, each element a constant or ${...}.
//   - Zeebe writes extension elements whose attributes are FEEL (=...) or constants; a constant
//     candidate list is comma-separated.
//   - The standard humanPerformer names the assignee and potentialOwner the candidates:
//     user(kermit), group(sales), and a bare name that is a group, as Camunda reads it, or a user
//     in jBPM, which names its actors so.
//   - jBPM assigns the data inputs ActorId, GroupId, TaskName and Priority of the task: one actor
//     is the assignee, several are candidate users.
//
// A candidate list of constants becomes a constant []any; a single expression stays that
// expression (its value may be a list or a comma-separated string, split when the task is
// created); a list that mixes both becomes one expr-lang list literal. Link compiles the
// expressions. Task listeners are reported: only execution listeners run.

// taskListenerMessage is the problem text of a task listener.
const taskListenerMessage = "task listeners are not supported; use an execution listener (start/end) on the user task"

// userTaskReader reads the spec of one user task and reports what is wrong with it.
type userTaskReader struct {
	r  *processReader
	el *element
	id string
	u  *model.UserTaskSpec
	// jbpm says that the task was written by jBPM, where a bare potential owner is a user.
	jbpm bool
	// from records where each single value came from, by target, for messages.
	from     map[string]string
	formFrom string
	// users and groups collect the candidates of every source, in model order; actors collects
	// jBPM's actors, which become the assignee or candidate users at the end.
	users, groups, actors []juelValue
}

// userTask reads the user task el into n.User, in every dialect. Its markers, mappings and
// execution listeners are read like any activity's.
func (r *processReader) userTask(el *element, n *model.Node) {
	ut := &userTaskReader{r: r, el: el, id: n.ID, u: &model.UserTaskSpec{}, jbpm: isJBPM(el), from: map[string]string{}}
	n.User = ut.u
	for _, d := range javaDialects {
		ut.javaAttributes(d.ns, d.prefix)
	}
	inputs := jbpmInputs(el)
	for _, c := range el.children {
		switch {
		case c.is(nsBPMN, "humanPerformer"):
			ut.humanPerformer(c)
		case c.is(nsBPMN, "potentialOwner"):
			ut.potentialOwner(c)
		case c.is(nsBPMN, "dataInputAssociation"):
			ut.jbpmInput(c, inputs)
		case c.is(nsBPMN, "extensionElements"):
			for _, x := range c.children {
				ut.extension(x)
			}
		}
	}
	switch {
	case len(ut.actors) == 1:
		ut.set(el.line, "assignee", "the jBPM actor "+describe(ut.actors[0]), ut.actors[0])
	case len(ut.actors) > 1:
		ut.users = append(ut.users, ut.actors...)
	}
	ut.u.CandidateUsers = candidates("candidateUsers", ut.users)
	ut.u.CandidateGroups = candidates("candidateGroups", ut.groups)
}

// add reports a problem of the user task at line.
func (ut *userTaskReader) add(line int, format string, args ...any) {
	ut.r.p.add(line, ut.id, format, args...)
}

// javaAttributes reads the user task attributes of Camunda 7, Flowable or Activiti, in the
// namespace ns. Attributes Baton does not need (flowable:owner, camunda:formRefBinding, ...) are
// ignored.
func (ut *userTaskReader) javaAttributes(ns, prefix string) {
	for _, a := range ut.el.attrs {
		if a.Name.Space != ns {
			continue
		}
		where := fmt.Sprintf("%s:%s=%q", prefix, a.Name.Local, a.Value)
		line := ut.el.line
		switch name := a.Name.Local; name {
		case "assignee", "dueDate", "followUpDate", "priority":
			if v, ok := ut.juel(line, where, a.Value); ok {
				ut.set(line, name, where, v)
			}
		case "candidateUsers":
			ut.users = append(ut.users, ut.juelList(line, where, a.Value)...)
		case "candidateGroups":
			ut.groups = append(ut.groups, ut.juelList(line, where, a.Value)...)
		case "formKey", "formRef":
			ut.form(line, where, a.Value)
		}
	}
}

// extension reads one extension element x of the user task: Zeebe's assignment, form, schedule
// and priority, and the task listeners of every dialect, which are reported.
func (ut *userTaskReader) extension(x *element) {
	switch {
	case x.is(nsZeebe, "assignmentDefinition"):
		for _, a := range x.attrs {
			if a.Name.Space != "" {
				continue
			}
			where, line := zeebeWhere(x, a), x.line
			switch a.Name.Local {
			case "assignee":
				if v, ok := ut.feel(line, where, a.Value); ok {
					ut.set(line, "assignee", where, v)
				}
			case "candidateUsers":
				ut.users = append(ut.users, ut.feelList(line, where, a.Value)...)
			case "candidateGroups":
				ut.groups = append(ut.groups, ut.feelList(line, where, a.Value)...)
			}
		}
	case x.is(nsZeebe, "formDefinition"):
		for _, a := range x.attrs {
			if a.Name.Space == "" && (a.Name.Local == "formKey" || a.Name.Local == "formId" || a.Name.Local == "externalReference") {
				ut.form(x.line, zeebeWhere(x, a), a.Value)
			}
		}
	case x.is(nsZeebe, "taskSchedule"), x.is(nsZeebe, "priorityDefinition"):
		for _, a := range x.attrs {
			if a.Name.Space != "" || a.Name.Local != "dueDate" && a.Name.Local != "followUpDate" && a.Name.Local != "priority" {
				continue
			}
			where := zeebeWhere(x, a)
			if v, ok := ut.feel(x.line, where, a.Value); ok {
				ut.set(x.line, a.Name.Local, where, v)
			}
		}
	case x.is(nsZeebe, "taskListeners"):
		for _, l := range x.children {
			if l.is(nsZeebe, "taskListener") {
				ut.add(l.line, "%s", taskListenerMessage)
			}
		}
	default:
		for _, d := range javaDialects {
			if x.is(d.ns, "taskListener") {
				ut.add(x.line, "%s", taskListenerMessage)
			}
		}
	}
}

// zeebeWhere names the attribute a of the Zeebe extension element x with its value, for messages.
func zeebeWhere(x *element, a xml.Attr) string {
	return fmt.Sprintf("zeebe:%s %s=%q", x.name.Local, a.Name.Local, a.Value)
}

// humanPerformer reads a <humanPerformer>: its formal expression names the one assignee.
func (ut *userTaskReader) humanPerformer(el *element) {
	fe := formalExpression(el)
	if fe == nil {
		return // a resourceRef, or nothing: no one Baton can name
	}
	where := fmt.Sprintf("<humanPerformer> %q", fe.content())
	items := splitList(fe.content())
	switch {
	case len(items) > 1:
		ut.add(fe.line, "%s names %d users; a humanPerformer is one user: name one, or list them in a potentialOwner as user(...)", where, len(items))
	case len(items) == 1:
		if v, ok := ut.juel(fe.line, where, items[0]); ok {
			ut.set(fe.line, "assignee", where, v)
		}
	}
}

// potentialOwner reads a <potentialOwner>: its formal expression lists candidates as user(...)
// and group(...); a bare name is a group, as Camunda reads it, or a user (an actor) in jBPM.
func (ut *userTaskReader) potentialOwner(el *element) {
	fe := formalExpression(el)
	if fe == nil {
		return
	}
	for _, item := range splitList(fe.content()) {
		list, inner := &ut.groups, item
		switch {
		case strings.HasPrefix(item, "user(") && strings.HasSuffix(item, ")"):
			list, inner = &ut.users, item[len("user("):len(item)-1]
		case strings.HasPrefix(item, "group(") && strings.HasSuffix(item, ")"):
			inner = item[len("group(") : len(item)-1]
		case ut.jbpm:
			list = &ut.actors
		}
		if v, ok := ut.juel(fe.line, fmt.Sprintf("<potentialOwner> %q", item), inner); ok && !v.empty() {
			*list = append(*list, v)
		}
	}
}

// formalExpression returns the formalExpression of the resourceAssignmentExpression of the
// resource role el, or nil.
func formalExpression(el *element) *element {
	for _, r := range el.children {
		if !r.is(nsBPMN, "resourceAssignmentExpression") {
			continue
		}
		for _, c := range r.children {
			if c.is(nsBPMN, "formalExpression") || c.is(nsBPMN, "expression") {
				return c
			}
		}
	}
	return nil
}

// jbpmTaskInputs are the data inputs of a jBPM user task that Baton reads.
var jbpmTaskInputs = map[string]bool{"ActorId": true, "GroupId": true, "TaskName": true, "Priority": true}

// isJBPM reports whether the user task el was written by jBPM: it carries a drools attribute or
// extension element, or a data input that only jBPM's human tasks have.
func isJBPM(el *element) bool {
	for _, a := range el.attrs {
		if a.Name.Space == nsDrools {
			return true
		}
	}
	for _, c := range el.children {
		if c.is(nsBPMN, "extensionElements") {
			for _, x := range c.children {
				if x.name.Space == nsDrools {
					return true
				}
			}
		}
	}
	for _, name := range jbpmInputs(el) {
		if jbpmTaskInputs[name] || name == "Skippable" {
			return true
		}
	}
	return false
}

// jbpmInputs maps the ids of the data inputs of the activity el's ioSpecification to their names.
func jbpmInputs(el *element) map[string]string {
	names := map[string]string{}
	for _, io := range el.children {
		if !io.is(nsBPMN, "ioSpecification") {
			continue
		}
		for _, c := range io.children {
			if id := strings.TrimSpace(c.attr("id")); c.is(nsBPMN, "dataInput") && id != "" {
				names[id] = strings.TrimSpace(c.attr("name"))
			}
		}
	}
	return names
}

// jbpmInput reads one dataInputAssociation a of a jBPM user task: the value its assignment gives
// (or the process variable its sourceRef names) to the data input ActorId, GroupId, TaskName or
// Priority. Every other data input, and a value Baton cannot resolve, is ignored.
func (ut *userTaskReader) jbpmInput(a *element, inputs map[string]string) {
	var target, source string
	var from *element
	for _, c := range a.children {
		switch {
		case c.is(nsBPMN, "targetRef") && target == "":
			target = c.content()
		case c.is(nsBPMN, "sourceRef") && source == "":
			source = c.content()
		case c.is(nsBPMN, "assignment") && from == nil:
			for _, f := range c.children {
				if f.is(nsBPMN, "from") {
					from = f
					break
				}
			}
		}
	}
	name := inputs[target]
	if !jbpmTaskInputs[name] {
		return
	}
	line, text := a.line, ""
	switch {
	case from != nil:
		line, text = from.line, from.content()
	case variableName.MatchString(source):
		text = "#{" + source + "}"
	default:
		return
	}
	where := fmt.Sprintf("the jBPM data input %s %q", name, text)
	switch name {
	case "ActorId":
		ut.actors = append(ut.actors, ut.juelList(line, where, text)...)
	case "GroupId":
		ut.groups = append(ut.groups, ut.juelList(line, where, text)...)
	case "TaskName":
		if from != nil {
			ut.form(line, where, text)
		}
	case "Priority":
		if v, ok := ut.juel(line, where, text); ok {
			ut.set(line, "priority", where, v)
		}
	}
}

// juel translates the JUEL value s read from where, reporting a mistake; ok is false then.
func (ut *userTaskReader) juel(line int, where, s string) (juelValue, bool) {
	v, msg := juel(s)
	if msg != "" {
		ut.add(line, "%s %s", where, msg)
		return juelValue{}, false
	}
	return v, true
}

// juelList translates the comma-separated JUEL list s read from where: one value per element,
// empty elements dropped. A comma inside ${...} does not separate.
func (ut *userTaskReader) juelList(line int, where, s string) []juelValue {
	var out []juelValue
	for _, item := range splitList(s) {
		if v, ok := ut.juel(line, where, item); ok && !v.empty() {
			out = append(out, v)
		}
	}
	return out
}

// feel translates the Zeebe value s read from where: =... is a FEEL expression, anything else a
// constant string (empty: no value). An empty expression is reported; ok is false then.
func (ut *userTaskReader) feel(line int, where, s string) (juelValue, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "=") {
		if s == "" {
			return juelValue{}, true
		}
		return juelValue{value: s}, true
	}
	e := model.NormalizeExpression(s)
	if e == "" {
		ut.add(line, "%s is an empty expression; write an expression after the =, or a constant", where)
		return juelValue{}, false
	}
	return juelValue{expr: e}, true
}

// feelList translates the Zeebe candidate list s read from where: one FEEL expression (whose
// value is a list, or a comma-separated string), or comma-separated constants.
func (ut *userTaskReader) feelList(line int, where, s string) []juelValue {
	if strings.HasPrefix(strings.TrimSpace(s), "=") {
		if v, ok := ut.feel(line, where, s); ok {
			return []juelValue{v}
		}
		return nil
	}
	var out []juelValue
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, juelValue{value: item})
		}
	}
	return out
}

// set records the single value v of target (assignee, dueDate, followUpDate or priority) read
// from where; two different values of one target are a problem. A constant priority must be an
// integer and becomes an int64.
func (ut *userTaskReader) set(line int, target, where string, v juelValue) {
	if v.empty() {
		return
	}
	m := &model.Mapping{Target: target, Expr: v.expr, Value: v.value}
	if s, ok := v.value.(string); ok && target == "priority" {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			ut.add(line, "%s is neither an integer nor an expression; write a number such as 50 or an expression such as ${priority}", where)
			return
		}
		m.Value = n
	}
	var field **model.Mapping
	switch target {
	case "assignee":
		field = &ut.u.Assignee
	case "dueDate":
		field = &ut.u.DueDate
	case "followUpDate":
		field = &ut.u.FollowUpDate
	default:
		field = &ut.u.Priority
	}
	switch old := *field; {
	case old == nil:
		*field, ut.from[target] = m, where
	case old.Expr != m.Expr || !reflect.DeepEqual(old.Value, m.Value):
		ut.add(line, "%s and %s give the user task two different %s; keep one", ut.from[target], where, targetPlurals[target])
	}
}

// targetPlurals names the single values of a user task in messages.
var targetPlurals = map[string]string{
	"assignee": "assignees", "dueDate": "due dates", "followUpDate": "follow-up dates", "priority": "priorities",
}

// form records the form key v read from where; two different forms are a problem.
func (ut *userTaskReader) form(line int, where, v string) {
	switch v = strings.TrimSpace(v); {
	case v == "":
	case ut.u.FormKey == "":
		ut.u.FormKey, ut.formFrom = v, where
	case ut.u.FormKey != v:
		ut.add(line, "%s and %s give the user task two different forms; keep one", ut.formFrom, where)
	}
}

// candidates returns the candidate list vs as the value of target: nil when empty, the
// expression of a single expression, a constant []any when every element is a constant, and
// otherwise one expr-lang list literal.
func candidates(target string, vs []juelValue) *model.Mapping {
	switch {
	case len(vs) == 0:
		return nil
	case len(vs) == 1 && vs[0].expr != "":
		return &model.Mapping{Target: target, Expr: vs[0].expr}
	}
	constants := make([]any, 0, len(vs))
	literals := make([]string, 0, len(vs))
	for _, v := range vs {
		if v.expr == "" {
			constants = append(constants, v.value)
		}
		literals = append(literals, v.literal())
	}
	if len(constants) == len(vs) {
		return &model.Mapping{Target: target, Value: constants}
	}
	return &model.Mapping{Target: target, Expr: "[" + strings.Join(literals, ", ") + "]"}
}

// empty reports whether v is no value: neither an expression nor a constant.
func (v juelValue) empty() bool { return v.expr == "" && v.value == nil }

// describe returns v as written in a message: its expression or its constant.
func describe(v juelValue) string {
	if v.expr != "" {
		return strconv.Quote("${" + v.expr + "}")
	}
	return strconv.Quote(fmt.Sprint(v.value))
}

// splitList splits the comma-separated list s into its trimmed, non-empty elements. A comma inside
// ${...} or #{...} does not separate; \${ is literal text.
func splitList(s string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		if item := strings.TrimSpace(s[start:end]); item != "" {
			out = append(out, item)
		}
		start = end + 1
	}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
		case (s[i] == '$' || s[i] == '#') && i+1 < len(s) && s[i+1] == '{':
			end := closingBrace(s, i+2)
			if end < 0 {
				flush(len(s)) // no closing brace: one element, which juel reports
				return out
			}
			i = end
		case s[i] == ',':
			flush(i)
		}
	}
	flush(len(s))
	return out
}
