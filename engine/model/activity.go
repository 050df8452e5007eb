package model

import (
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// What an activity carries beside its behaviour: variable mappings, execution listeners, the
// called element of a call activity and multi-instance characteristics. Every expression here is
// an expr-lang expression (NormalizeExpression has removed ${...} or =), compiled by Link.

// Mapping is one input or output mapping: Target receives the value of Expr, or Value when Expr
// is empty (a constant, as Camunda's inputParameter with plain text).
type Mapping struct {
	// Target is the variable that receives the value. Required.
	Target string `msgpack:"t"`
	// Expr is evaluated on the variables visible in the mapping's scope; empty means Value.
	Expr string `msgpack:"x,omitempty"`
	// Value is the constant used when Expr is empty; nil sets the variable to null.
	Value any `msgpack:"v,omitempty"`

	program *vm.Program
}

// Program is the compiled Expr, or nil when the mapping is a constant or Link has not run.
func (m *Mapping) Program() *vm.Program { return m.program }

// Listener events.
const (
	ListenerStart = "start" // the activity starts: after input mappings, before its behaviour
	ListenerEnd   = "end"   // the activity ends: after output mappings, before async-after and leave
	ListenerTake  = "take"  // a token takes a sequence flow
)

// Listener is an execution listener implemented as a delegate: the delegate registered for
// TaskType runs at Event, in the same step as the activity or flow it listens on.
type Listener struct {
	// Event is ListenerStart or ListenerEnd on activities, ListenerTake on sequence flows.
	Event string `msgpack:"e"`
	// TaskType names the listener's delegate (camunda:class, camunda:delegateExpression ${name},
	// zeebe:executionListener type, flowable:class).
	TaskType string `msgpack:"t"`
}

// Call bindings: which version of the called process a call activity starts.
const (
	BindingLatest     = "latest"     // the latest version when the call activity starts (default)
	BindingVersion    = "version"    // CallSpec.Version
	BindingDeployment = "deployment" // the version deployed in the same file as the caller
)

// CallSpec is a call activity's called process and how variables cross into and out of it.
type CallSpec struct {
	// ProcessKey is the called process's id (calledElement, zeebe:calledElement processId).
	ProcessKey string `msgpack:"k"`
	// Binding is BindingLatest (default when empty), BindingVersion or BindingDeployment.
	Binding string `msgpack:"b,omitempty"`
	// Version is the called version with BindingVersion.
	Version int `msgpack:"v,omitempty"`
	// InAll passes every variable visible at the call activity to the child (camunda:in
	// variables="all", flowable:inheritVariables, Zeebe's default propagateAllParentVariables).
	InAll bool `msgpack:"ia,omitempty"`
	// InLocals passes the call activity's own local variables (its input mappings) to the
	// child even without InAll: Zeebe's semantics, where the input mappings are exactly what a
	// child with propagateAllParentVariables="false" receives. Camunda passes only In.
	InLocals bool `msgpack:"il,omitempty"`
	// In maps values into the child: Expr is evaluated at the call activity, Target is the
	// child's variable.
	In []Mapping `msgpack:"in,omitempty"`
	// OutAll copies every variable of the completed child back (camunda:out variables="all",
	// Zeebe's default propagateAllChildVariables).
	OutAll bool `msgpack:"oa,omitempty"`
	// OutLocals puts every variable of the completed child into the call activity's local scope,
	// where its output mappings read them, even without OutAll: Zeebe's semantics, where
	// output mappings always see the child's variables. With OutAll and no output mappings the
	// variables go to the enclosing scopes instead.
	OutLocals bool `msgpack:"ol,omitempty"`
	// Out maps values out of the completed child: Expr is evaluated on the child's variables,
	// Target is set at the call activity's scope.
	Out []Mapping `msgpack:"out,omitempty"`
	// BusinessKey, when set, is evaluated at the call activity and becomes the child's business
	// key (camunda:in businessKey="${...}").
	BusinessKey string `msgpack:"bk,omitempty"`

	businessKey *vm.Program
}

// BusinessKeyProgram is the compiled BusinessKey, or nil.
func (c *CallSpec) BusinessKeyProgram() *vm.Program { return c.businessKey }

// MultiInstance makes an activity run once per element of a collection or LoopCardinality
// times, all at once (parallel) or one after another (Sequential). The activity with its
// MultiInstance is the multi-instance body; each run is an inner instance.
type MultiInstance struct {
	// Sequential runs the inner instances one after another; default parallel.
	Sequential bool `msgpack:"sq,omitempty"`
	// Cardinality is the number of inner instances, an expression (loopCardinality). One of
	// Cardinality and Collection is required.
	Cardinality string `msgpack:"c,omitempty"`
	// Collection is an expression whose value, a list, gives one inner instance per element
	// (camunda:collection, zeebe inputCollection).
	Collection string `msgpack:"col,omitempty"`
	// ElementVariable is the inner instance's local variable holding its element.
	ElementVariable string `msgpack:"ev,omitempty"`
	// CompletionCondition, when true after an inner instance ends, ends the body and cancels
	// the inner instances still running.
	CompletionCondition string `msgpack:"cc,omitempty"`
	// OutputCollection is a variable of the body's scope that collects OutputElement of each
	// inner instance, by loopCounter (Zeebe's outputCollection/outputElement).
	OutputCollection string `msgpack:"oc,omitempty"`
	OutputElement    string `msgpack:"oe,omitempty"`
	// AsyncBefore, AsyncAfter and NotExclusive mark the inner activity (Camunda's markers on
	// multiInstanceLoopCharacteristics); the Node's own markers apply to the body.
	AsyncBefore  bool `msgpack:"ab,omitempty"`
	AsyncAfter   bool `msgpack:"aa,omitempty"`
	NotExclusive bool `msgpack:"nx,omitempty"`

	cardinality, collection, completion, outputElement *vm.Program
}

// CardinalityProgram, CollectionProgram, CompletionProgram and OutputElementProgram are the
// compiled expressions, nil when unset or before Link.
func (m *MultiInstance) CardinalityProgram() *vm.Program   { return m.cardinality }
func (m *MultiInstance) CollectionProgram() *vm.Program    { return m.collection }
func (m *MultiInstance) CompletionProgram() *vm.Program    { return m.completion }
func (m *MultiInstance) OutputElementProgram() *vm.Program { return m.outputElement }

// linkActivity compiles and checks what n carries beside its behaviour.
func (d *Definition) linkActivity(n *Node, add func(line int, id, format string, args ...any)) {
	compile := func(what, src string, opts ...expr.Option) *vm.Program {
		if src == "" {
			return nil
		}
		p, err := expr.Compile(src, append([]expr.Option{expr.AllowUndefinedVariables()}, opts...)...)
		if err != nil {
			add(n.Line, n.ID, "%s %q does not compile: %v", what, src, oneLine(err))
			return nil
		}
		return p
	}
	mappings := func(what string, ms []Mapping) {
		seen := map[string]bool{}
		for i := range ms {
			m := &ms[i]
			if m.Target == "" {
				add(n.Line, n.ID, "%s mapping without a target variable name", what)
				continue
			}
			if seen[m.Target] {
				add(n.Line, n.ID, "two %s mappings set %q; keep one", what, m.Target)
			}
			seen[m.Target] = true
			m.program = compile(what+" mapping of "+fmt.Sprintf("%q", m.Target), m.Expr)
		}
	}
	mappings("input", n.Inputs)
	mappings("output", n.Outputs)
	// Events take mappings as in Zeebe (an output mapping on a start or boundary event is
	// common); gateways have no scope to map into.
	if len(n.Inputs)+len(n.Outputs) > 0 && (n.Kind == ParallelGateway || n.Kind == ExclusiveGateway ||
		n.Kind == InclusiveGateway || n.Kind == EventGateway) {
		add(n.Line, n.ID, "input/output mappings on a gateway are not supported; put them on an activity or event")
	}
	for _, l := range n.Listeners {
		switch {
		case l.TaskType == "":
			add(n.Line, n.ID, "execution listener on %q has no delegate; name its task type with class or delegateExpression", l.Event)
		case l.Event != ListenerStart && l.Event != ListenerEnd:
			add(n.Line, n.ID, "execution listener event %q is not supported on a flow node; use start or end", l.Event)
		}
	}
	if c := n.Call; c != nil {
		if n.Kind != CallActivity {
			add(n.Line, n.ID, "called element on a %s", n.Kind)
		}
		if c.ProcessKey == "" {
			add(n.Line, n.ID, "call activity has no called element; set calledElement (or zeebe:calledElement processId)")
		}
		switch c.Binding {
		case "", BindingLatest, BindingDeployment:
		case BindingVersion:
			if c.Version < 1 {
				add(n.Line, n.ID, "calledElementBinding version needs calledElementVersion, a version number from 1")
			}
		default:
			add(n.Line, n.ID, "calledElementBinding %q is not supported; use latest, deployment or version", c.Binding)
		}
		mappings("call input", c.In)
		mappings("call output", c.Out)
		c.businessKey = compile("business key", c.BusinessKey)
	} else if n.Kind == CallActivity {
		add(n.Line, n.ID, "call activity has no called element; set calledElement (or zeebe:calledElement processId)")
	}
	if mi := n.Loop; mi != nil {
		switch n.Kind {
		case Task, ServiceTask, ScriptTask, SubProcess, CallActivity, UserTask:
		default:
			add(n.Line, n.ID, "multi-instance on the %s is not supported; put it on a task, subprocess or call activity", n.Kind)
		}
		if (mi.Cardinality == "") == (mi.Collection == "") {
			add(n.Line, n.ID, "multi-instance needs exactly one of loopCardinality and a collection")
		}
		if mi.OutputElement != "" && mi.OutputCollection == "" {
			add(n.Line, n.ID, "multi-instance outputElement needs outputCollection")
		}
		mi.cardinality = compile("loopCardinality", mi.Cardinality)
		mi.collection = compile("multi-instance collection", mi.Collection)
		mi.completion = compile("completionCondition", mi.CompletionCondition, expr.AsBool())
		mi.outputElement = compile("multi-instance outputElement", mi.OutputElement)
	}
}

// linkFlowListeners checks a sequence flow's take listeners.
func (d *Definition) linkFlowListeners(f *Flow, add func(line int, id, format string, args ...any)) {
	for _, l := range f.Listeners {
		switch {
		case l.TaskType == "":
			add(f.Line, f.ID, "execution listener has no delegate; name its task type with class or delegateExpression")
		case l.Event != ListenerTake:
			add(f.Line, f.ID, "execution listener event %q is not supported on a sequence flow; use take", l.Event)
		}
	}
}

// linkEventGateway checks an event-based gateway: at least two outgoing flows, each to an
// intermediate catch event (message, timer, signal, conditional) or a receive task with no
// other incoming flow.
func (d *Definition) linkEventGateway(n *Node, add func(line int, id, format string, args ...any)) {
	if len(n.Outgoing) < 2 {
		add(n.Line, n.ID, "an event-based gateway needs at least two outgoing flows, one per event it waits for")
	}
	for _, fid := range n.Outgoing {
		f, ok := d.Flows[fid]
		if !ok {
			continue
		}
		t, ok := d.Nodes[f.Target]
		if !ok {
			continue
		}
		switch {
		case t.Kind != CatchEvent && t.Kind != ReceiveTask:
			add(f.Line, f.ID, "an event-based gateway's flow must lead to an intermediate catch event or a receive task, not the %s %q", t.Kind, t.ID)
		case t.Kind == CatchEvent && t.EventType == "":
			add(t.Line, t.ID, "an event after an event-based gateway needs a message, timer, signal or conditional event definition")
		case len(t.Incoming) > 1:
			add(t.Line, t.ID, "an event after an event-based gateway cannot have other incoming flows")
		}
	}
}
