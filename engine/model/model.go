// Package model owns the immutable, parsed process graph that the engine executes: process
// definitions, their flow nodes and sequence flows, and the async markers that decide where the
// engine commits. It knows nothing of XML, Redis or NATS; engine/bpmn builds it and the runtime
// walks it.
package model

import (
	"fmt"

	"github.com/expr-lang/expr/vm"
)

// DefaultEngineType is the task type that carries jobs whose segment does not start at a service
// task (async-after, async-before on gateways and events, the async start event). It is served by
// `baton server` and by any worker that opts in.
const DefaultEngineType = "_engine"

// NodeKind says which BPMN element a Node is and so which behaviour the runtime applies to it.
type NodeKind string

// The node kinds the engine runs.
const (
	StartEvent NodeKind = "startEvent"
	// EndEvent ends its token; with Terminate it ends the whole instance.
	EndEvent NodeKind = "endEvent"
	Task     NodeKind = "task" // a plain task: no behaviour, the token passes through
	// ServiceTask calls the delegate registered for its TaskType. Send and business-rule tasks,
	// and tasks that name a task type, are service tasks too (Element keeps the BPMN name).
	ServiceTask NodeKind = "serviceTask"
	// ThrowEvent is an intermediate throw event of type none: the token passes through.
	ThrowEvent       NodeKind = "intermediateThrowEvent"
	ExclusiveGateway NodeKind = "exclusiveGateway"
	ParallelGateway  NodeKind = "parallelGateway"
	// InclusiveGateway forks along every flow whose condition is true (else its default) and
	// joins by waiting only for the tokens that can still arrive.
	InclusiveGateway NodeKind = "inclusiveGateway"
	// ScriptTask evaluates Script (ScriptFormat "expr" or "javascript") on the variables and
	// stores the result in ResultVariable.
	ScriptTask NodeKind = "scriptTask"
	// BoundaryEvent is attached to an activity (AttachedTo). An error boundary (EventType empty)
	// catches a BPMN error the activity throws, by ErrorCode (empty: any code), and the token
	// leaves along the boundary's flows instead. A timer or message boundary (EventType "timer"
	// or "message", EventRef) fires while the activity runs: it interrupts it, or with
	// NonInterrupting starts a new token beside it.
	BoundaryEvent NodeKind = "boundaryEvent"
	// SubProcess is an embedded subprocess: a scope whose flow nodes (Parent = its id) start at
	// its own none start event (Start) and which ends when its last token ends.
	SubProcess NodeKind = "subProcess"
	// CallActivity starts a child instance of another deployed process (Call) and continues
	// when the child completes.
	CallActivity NodeKind = "callActivity"
	// EventGateway is an event-based gateway: the first of the catch events after it to occur
	// wins. It is parsed and validated; its catch events are wait states, which Baton does not
	// run yet, so a model with one is rejected at deploy.
	EventGateway NodeKind = "eventBasedGateway"
	// CatchEvent is an intermediate catch event (EventType message, timer, signal or
	// conditional). A message catch waits for a correlated message; the others are parsed and
	// validated but rejected at deploy for now.
	CatchEvent NodeKind = "intermediateCatchEvent"
	// ReceiveTask waits for a correlated message (EventRef).
	ReceiveTask NodeKind = "receiveTask"
	// UserTask is a wait state: work for people (User). The token waits until the task is
	// completed through the API, the CLI or NATS.
	UserTask NodeKind = "userTask"
)

// Definition is one deployed version of a process: an immutable graph. The zero value is not
// usable; build it with engine/bpmn or by hand and call Link.
type Definition struct {
	// Key is the BPMN process id; instances are started by key (subject baton.start.<Key>).
	Key string `msgpack:"k"`
	// Name is the process name from the model; empty when the model has none.
	Name string `msgpack:"n,omitempty"`
	// Version counts deployments of Key with distinct content, from 1. Set by the store on deploy.
	Version int `msgpack:"v"`
	// Hash is the hex SHA-256 of the deployed source; deploying the same content is a no-op.
	Hash string `msgpack:"h"`
	// Source names where the model came from (a file name), used in error messages.
	Source string `msgpack:"src,omitempty"`
	// EngineType is the task type for jobs that do not start at a service task. Default
	// DefaultEngineType.
	EngineType string `msgpack:"et,omitempty"`
	// StartID is the id of the process's none start event.
	StartID string `msgpack:"s"`
	// RetryCycle is the process's default failed-job retry cycle (a failedJobRetryTimeCycle in
	// the process's extension elements), for activities that set none; empty: the engine's.
	RetryCycle string `msgpack:"rc,omitempty"`
	// Nodes holds every flow node by id.
	Nodes map[string]*Node `msgpack:"nd"`
	// Flows holds every sequence flow by id.
	Flows map[string]*Flow `msgpack:"fl"`
}

// ID is the definition reference stored on instances: "<key>:<version>".
func (d *Definition) ID() string { return fmt.Sprintf("%s:%d", d.Key, d.Version) }

// Node is one flow node of a process.
type Node struct {
	asyncProgram    *vm.Program
	correlation     *vm.Program
	priorityProgram *vm.Program

	ID   string   `msgpack:"id"`
	Name string   `msgpack:"n,omitempty"`
	Kind NodeKind `msgpack:"k"`
	// Element is the BPMN element name when it differs from Kind (sendTask, businessRuleTask,
	// a task with a task type); empty otherwise.
	Element string `msgpack:"e,omitempty"`
	// TaskType names the delegate of a service task (Camunda's class, Zeebe's task definition
	// type, ...). Empty for every other kind.
	TaskType string `msgpack:"t,omitempty"`
	// AsyncExpr, when set (baton:async="${...}"), decides at run time whether the node is async
	// before: the expression is evaluated on the instance's variables when a token arrives.
	AsyncExpr string `msgpack:"ax,omitempty"`
	// Terminate marks a terminate end event: reaching it ends every token of the instance.
	Terminate bool `msgpack:"term,omitempty"`
	// RetryCycle is the failed-job retry configuration as modelled (camunda:failedJobRetryTimeCycle,
	// e.g. "R3/PT5M" or "PT10S,PT1M"; see ParseRetryCycle): the retry policy of the jobs that
	// fail at this activity.
	RetryCycle string `msgpack:"rc,omitempty"`
	// Retries is Zeebe's task definition retries (0: not set): attempts in all, with the
	// engine's backoff.
	Retries int `msgpack:"rt,omitempty"`
	// Priority is the job priority as modelled (camunda:jobPriority: a whole number, or an
	// expression evaluated when the job is created): above 0 its jobs travel in the task type's
	// high band, below 0 in its low band.
	Priority string `msgpack:"pr,omitempty"`
	// Parent is the id of the embedded subprocess the node belongs to; empty for the process.
	Parent string `msgpack:"par,omitempty"`
	// Start is a subprocess's none start event.
	Start string `msgpack:"-"`
	// ErrorEnd marks an error end event: it throws ErrorCode to its enclosing scope.
	ErrorEnd bool `msgpack:"ee,omitempty"`
	// AttachedTo is a boundary event's activity.
	AttachedTo string `msgpack:"at,omitempty"`
	// NonInterrupting marks a timer or message boundary event with cancelActivity="false": the
	// activity goes on and a new token leaves through the event.
	NonInterrupting bool `msgpack:"ni,omitempty"`
	// ErrorCode is the error code an error boundary catches; empty catches every BPMN error.
	ErrorCode string `msgpack:"ec,omitempty"`
	// ErrorCodeVariable and ErrorMessageVariable name variables that receive the caught
	// error's code and message (camunda:errorCodeVariable, camunda:errorMessageVariable).
	ErrorCodeVariable    string `msgpack:"ecv,omitempty"`
	ErrorMessageVariable string `msgpack:"emv,omitempty"`
	// ScriptFormat is a script task's language: "expr" or "javascript".
	ScriptFormat string `msgpack:"sf,omitempty"`
	// Script is a script task's source.
	Script string `msgpack:"sc,omitempty"`
	// ResultVariable receives a script task's result; empty discards it.
	ResultVariable string `msgpack:"rv,omitempty"`
	// Boundaries lists the ids of the boundary events attached to this activity; set by Link.
	Boundaries []string `msgpack:"-"`
	// External marks an external task (camunda:type="external" with camunda:topic, or
	// flowable:type="external-worker"); TaskType then holds the topic. Stored now; external
	// workers come with the wait-state work.
	External bool `msgpack:"ext,omitempty"`
	// AsyncBefore makes the engine commit before the node starts; the continuation becomes a job.
	AsyncBefore bool `msgpack:"ab,omitempty"`
	// AsyncAfter makes the engine commit after the node ends, before it leaves.
	AsyncAfter bool `msgpack:"aa,omitempty"`
	// NotExclusive lets this node's jobs run concurrently with other jobs of the same instance.
	// Jobs are exclusive by default, as in Camunda.
	NotExclusive bool `msgpack:"nx,omitempty"`
	// Default is the id of an exclusive gateway's default flow; empty when it has none.
	Default string `msgpack:"df,omitempty"`
	// Incoming and Outgoing list sequence flow ids in document order.
	Incoming []string `msgpack:"in,omitempty"`
	Outgoing []string `msgpack:"out,omitempty"`
	// Inputs are the activity's input mappings (camunda:inputOutput, zeebe:ioMapping): when it
	// starts they create local variables of its scope, visible to its behaviour only.
	Inputs []Mapping `msgpack:"io,omitempty"`
	// Outputs are its output mappings: when it ends they are evaluated in its scope and set in
	// the enclosing one.
	Outputs []Mapping `msgpack:"oo,omitempty"`
	// Listeners are the node's start and end execution listeners, in model order.
	Listeners []Listener `msgpack:"ls,omitempty"`
	// Call is a call activity's called process and variable mappings; nil for other kinds.
	Call *CallSpec `msgpack:"call,omitempty"`
	// User is a user task's assignment, form and dates; nil for other kinds.
	User *UserTaskSpec `msgpack:"ut,omitempty"`
	// Loop makes the node a multi-instance activity; nil for a single instance.
	Loop *MultiInstance `msgpack:"mi,omitempty"`
	// EventType is a catch event's trigger: "message", "timer", "signal" or "conditional".
	EventType string `msgpack:"evt,omitempty"`
	// EventRef is what the trigger refers to: the message or signal name, or the timer's
	// expression as modelled.
	EventRef string `msgpack:"evr,omitempty"`
	// CorrelationKey is a message catch's correlation key expression (Zeebe's
	// zeebe:subscription correlationKey), evaluated when the token starts waiting; a message
	// correlates when its key equals the value. Empty: the instance's business key is the key,
	// as Camunda correlates by business key.
	CorrelationKey string `msgpack:"ck,omitempty"`
	// Line is the line of the element in Source, for error messages; 0 when unknown.
	Line int `msgpack:"l,omitempty"`
}

// Flow is one sequence flow.
type Flow struct {
	ID     string `msgpack:"id"`
	Source string `msgpack:"s"`
	Target string `msgpack:"t"`
	// Condition is the flow's condition as an expr-lang expression (the ${...} or =... wrapper
	// removed); empty means unconditional.
	Condition string `msgpack:"c,omitempty"`
	// Listeners are the flow's take execution listeners.
	Listeners []Listener `msgpack:"ls,omitempty"`
	// Line is the line of the element in Source; 0 when unknown.
	Line int `msgpack:"l,omitempty"`

	program *vm.Program
}

// Program is the compiled Condition, or nil when the flow is unconditional or Link has not run.
func (f *Flow) Program() *vm.Program { return f.program }

// AsyncProgram is the compiled AsyncExpr, or nil when the node has none or Link has not run.
func (n *Node) AsyncProgram() *vm.Program { return n.asyncProgram }
