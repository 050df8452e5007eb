package engine

import (
	"context"
	"fmt"
	"runtime/debug"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
)

// The atomic operations (DESIGN §2). A runner advances tokens in memory through
// take -> start -> execute -> end -> leave until every token rests at a boundary: an async
// marker, a wait state or the end of the instance. Nothing it does is visible until the step
// commits; an error discards the whole step.

type opKind uint8

const (
	opTake  opKind = iota // move the token along a flow, then arrive at its target
	opStart               // start the activity and execute its behaviour
	opEnd                 // end the activity
	opLeave               // choose outgoing flows
)

type op struct {
	kind  opKind
	token *Token
	flow  string
}

// callResult is what one delegate call produced, recorded so that a step replayed after a
// version conflict re-applies it instead of running the delegate again.
type callResult struct {
	set map[string]any
	// local holds what the delegate set with SetLocalVar.
	local map[string]any
	// bpmnErr is the BPMN error the delegate returned, re-thrown on replay.
	bpmnErr *BPMNError
	// ident is the multi-instance identity of the call (runner.loopIdentity).
	ident []any
	// wait is set when the delegate returned ErrWait: the token parks at its task.
	wait bool
}

// runner executes one step of one instance.
type runner struct {
	ctx    context.Context
	eng    *Engine
	def    *model.Definition
	st     *State
	now    int64
	jobID  string
	fence  int64
	tries  int
	agenda []op
	jobs   []*job.Job
	steps  int
	// events is this step's history, appended to the instance's history by the commit.
	events []HistoryEvent
	// cancel lists committed jobs the step removes (their tokens were terminated).
	cancel []string
	// children lists called instances whose call activities the step removed.
	children []string
	// thrown is the BPMN error a completion ends its wait with.
	thrown *BPMNError
	// resumedEnd is the token an End job resumed, at activity resumedEndAt: its end listeners
	// run here, or fail.
	resumedEnd   *Token
	resumedEndAt string

	// recorded holds delegate results by call key (activity#occurrence) across replays; seen
	// counts occurrences within this run.
	recorded map[string]callResult
	seen     map[string]int
	calls    int
}

func (r *runner) push(kind opKind, t *Token, flow string) {
	r.agenda = append(r.agenda, op{kind: kind, token: t, flow: flow})
}

// run drains the agenda. FIFO order keeps parallel branches deterministic.
func (r *runner) run() error {
	for len(r.agenda) > 0 || r.wakeInclusiveJoins() {
		o := r.agenda[0]
		r.agenda = r.agenda[1:]
		if r.st.token(o.token.ID) != o.token {
			continue // the token was removed meanwhile (a terminate end event)
		}
		r.steps++
		if r.steps > r.eng.cfg.MaxStepsPerSegment {
			return &DelegateError{Activity: o.token.Activity, Err: fmt.Errorf(
				"step exceeds %d atomic operations without reaching a boundary; add an async marker to break the loop",
				r.eng.cfg.MaxStepsPerSegment)}
		}
		var err error
		switch o.kind {
		case opTake:
			err = r.take(o.token, o.flow)
		case opStart:
			err = r.start(o.token)
		case opEnd:
			err = r.end(o.token)
		case opLeave:
			err = r.leave(o.token)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) history(typ string, t *Token) {
	r.historyAt(typ, t, t.Activity)
}

// historyAt records an event of t at activity (a multi-instance body's own name).
func (r *runner) historyAt(typ string, t *Token, activity string) {
	r.events = append(r.events, HistoryEvent{Type: typ, Activity: activity, Token: t.ID, Time: r.now})
}

// take moves t along flow and arrives at the target: an async-before marker, or a service task
// whose delegate this process does not have, makes a boundary there.
func (r *runner) take(t *Token, flowID string) error {
	f := r.def.Flows[flowID]
	if len(f.Listeners) > 0 {
		if thrown, err := r.takeListeners(t, f); err != nil || thrown {
			return err
		}
	}
	t.Activity = f.Target
	t.Via = flowID
	return r.arrive(t)
}

func (r *runner) arrive(t *Token) error {
	n := r.def.Nodes[t.Activity]
	async, prog := n.AsyncBefore, n.AsyncProgram()
	if t.Loop == LoopInner {
		async, prog = n.Loop.AsyncBefore, nil // the body decided already
	}
	if prog != nil && !async {
		// baton:async: the node decides on the current variables whether to commit before it.
		v, err := r.eval(t, prog)
		if err != nil {
			return &DelegateError{Activity: n.ID, Err: fmt.Errorf("baton:async expression %q: %w", n.AsyncExpr, err)}
		}
		async, _ = v.(bool)
	}
	if async {
		r.boundary(t, n, job.Before)
		return nil
	}
	if typ := r.missingDelegate(t, n); typ != "" {
		// An implicit async boundary: routing never fails. The job goes to the type's subject
		// and waits there for a worker that serves it.
		r.eng.stats.ImplicitBoundaries.Add(1)
		r.eng.log.Debug("implicit async boundary: no local delegate",
			zap.String("instance", r.st.ID), zap.String("activity", n.ID), zap.String("taskType", typ))
		r.boundaryOn(t, n, job.Before, typ)
		return nil
	}
	r.push(opStart, t, "")
	return nil
}

func (r *runner) boundary(t *Token, n *model.Node, kind job.Kind) {
	typ := r.def.EngineType
	switch {
	case kind != job.Before || (n.Loop != nil && t.Loop != LoopInner):
		// After jobs, and a multi-instance body's, need no delegate of the node.
	case n.Kind == model.ServiceTask && !r.eng.isExternal(n):
		typ = n.TaskType
	case n.Kind == model.ServiceTask:
		// An external task's worker is not a Go worker: the engine parks the token.
	default:
		for _, l := range n.Listeners {
			if l.Event == model.ListenerStart {
				typ = l.TaskType // whoever starts the node runs its start listeners
				break
			}
		}
	}
	r.boundaryOn(t, n, kind, typ)
}

// boundaryOn makes t wait at n for a job of kind on task type typ.
func (r *runner) boundaryOn(t *Token, n *model.Node, kind job.Kind, typ string) *job.Job {
	exclusive := !n.NotExclusive
	if n.Loop != nil && t.Loop == LoopInner {
		exclusive = !n.Loop.NotExclusive
	}
	j := &job.Job{Instance: r.st.ID, Type: typ, Kind: kind, Token: t.ID, Activity: n.ID,
		Exclusive: exclusive, Created: r.now}
	r.jobs = append(r.jobs, j)
	t.Wait = WaitJob
	t.Job = "" // set when the commit's version is known (assignJobIDs)
	return j
}

// assignJobIDs gives the step's jobs their deterministic ids for the version ver the commit
// will produce, and points each waiting token at its job.
func (r *runner) assignJobIDs(ver int64) {
	for i, j := range r.jobs {
		j.ID = job.ID(r.st.ID, ver, i)
		if j.Kind == job.Return || j.Kind == job.Signal {
			continue // its token is the caller's, in the parent; or the thrower, gone on
		}
		t := r.st.token(j.Token)
		r.prioritize(j, t)
		switch {
		case t == nil:
		case t.Armed && j.Activity != t.Activity && r.def.Nodes[j.Activity].Kind == model.BoundaryEvent:
			t.Boundaries = append(t.Boundaries, j.ID)
		case t.Wait == WaitEvents:
			t.Events = append(t.Events, j.ID)
		default:
			t.Job = j.ID
		}
	}
}

func (r *runner) start(t *Token) error {
	n := r.def.Nodes[t.Activity]
	if n.Kind == model.ParallelGateway && len(n.Incoming) > 1 && !r.join(t, n) {
		t.Wait = WaitJoin
		return nil
	}
	if n.Kind == model.InclusiveGateway && len(n.Incoming) > 1 && !r.inclusiveJoin(t, n) {
		t.Wait = WaitJoin
		return nil
	}
	t.Wait = ""
	if n.Loop != nil && t.Loop != LoopInner {
		return r.startBody(t, n)
	}
	r.history(EventActivityStart, t)
	if err := r.enterScope(t, n); err != nil {
		return err
	}
	if thrown, err := r.listeners(t, n, model.ListenerStart); err != nil || thrown {
		return err // a thrown BPMN error moved the token to its boundary event
	}
	switch n.Kind {
	case model.ServiceTask:
		if r.eng.isExternal(n) {
			r.createExternal(t, n)
			return nil
		}
		thrown, err := r.callDelegate(t, n, n.TaskType, "", n.ID)
		if err != nil || thrown {
			return err
		}
	case model.ScriptTask:
		if err := r.runScript(t, n); err != nil {
			return err
		}
	case model.SubProcess:
		// The token waits at the subprocess while a child token runs its flow; the last child
		// to end ends the subprocess (scopeEnded).
		t.Wait = WaitScope
		child := r.st.newToken(n.Start)
		child.Parent = t.ID
		return r.arrive(child)
	case model.CallActivity:
		// Starting the child touches another instance: it is a job of its own (callactivity.go).
		r.boundaryOn(t, n, job.Call, r.def.EngineType)
		return nil
	case model.UserTask:
		return r.createUserTask(t, n)
	case model.CatchEvent:
		if n.EventType == "timer" {
			return r.createTimer(t, n)
		}
		return r.createMessageCatch(t, n)
	case model.ThrowEvent:
		if n.EventType == "signal" {
			r.throwSignal(t, n)
		}
	case model.ReceiveTask:
		return r.createMessageCatch(t, n)
	case model.EventGateway:
		return r.waitForEvents(t, n)
	}
	r.push(opEnd, t, "")
	return nil
}

// join reports whether a parallel join fires now that t arrived: it does when every incoming
// flow has a token (t's own flow counts). The arriving token continues and one waiting token of
// each other flow merges into it; extra tokens on a flow wait for the next firing.
func (r *runner) join(t *Token, n *model.Node) bool {
	byFlow := map[string]*Token{t.Via: t}
	var unknown []*Token // waiting since before tokens recorded their flow
	for _, o := range r.st.Tokens {
		// Only tokens of the same run of the scope meet at a join.
		if o != t && o.Activity == n.ID && o.Wait == WaitJoin && o.Parent == t.Parent {
			if o.Via == "" {
				unknown = append(unknown, o)
			} else if _, seen := byFlow[o.Via]; !seen {
				byFlow[o.Via] = o
			}
		}
	}
	for _, f := range n.Incoming {
		if byFlow[f] == nil && len(unknown) > 0 {
			byFlow[f], unknown = unknown[0], unknown[1:]
		}
		if byFlow[f] == nil {
			return false
		}
	}
	for _, f := range n.Incoming {
		if o := byFlow[f]; o != t {
			r.st.removeToken(o.ID)
		}
	}
	return true
}

func (r *runner) end(t *Token) error {
	n := r.def.Nodes[t.Activity]
	r.disarm(t) // the activity ends: its timer and message boundary events go
	if n.Loop != nil && t.Loop == LoopBody {
		return r.endBody(t, n)
	}
	if typ := r.missingEndListener(t, n); typ != "" {
		// An implicit boundary before the end listeners: a worker that serves them ends it.
		r.eng.stats.ImplicitBoundaries.Add(1)
		r.boundaryOn(t, n, job.End, typ)
		return nil
	}
	r.history(EventActivityEnd, t)
	if err := r.leaveScope(t, n); err != nil {
		return err
	}
	if thrown, err := r.listeners(t, n, model.ListenerEnd); err != nil || thrown {
		return err
	}
	if t.Loop != LoopInner {
		t.Locals = nil
	}
	asyncAfter := n.AsyncAfter
	if n.Loop != nil {
		asyncAfter = n.Loop.AsyncAfter // t is an inner instance
	}
	switch {
	case n.Kind == model.EndEvent && n.Terminate:
		r.terminate(t.Parent)
	case n.Kind == model.EndEvent && n.ErrorEnd:
		return r.throwFromScope(t, &BPMNError{Code: n.ErrorCode})
	case n.Kind == model.EndEvent:
		if n.EventType == "signal" {
			r.throwSignal(t, n)
		}
		r.st.removeToken(t.ID)
		r.scopeEnded(t.Parent)
	case asyncAfter:
		r.boundary(t, n, job.After)
	default:
		r.push(opLeave, t, "")
	}
	return nil
}

func (r *runner) leave(t *Token) error {
	n := r.def.Nodes[t.Activity]
	if t.Loop == LoopInner {
		return r.innerEnded(t, n)
	}
	flows, err := r.outgoing(t, n)
	if err != nil {
		return &DelegateError{Activity: n.ID, Err: err}
	}
	if len(flows) == 0 {
		// No outgoing flow: the token ends here (an implicit end event).
		r.st.removeToken(t.ID)
		r.scopeEnded(t.Parent)
		return nil
	}
	for i, f := range flows {
		tok := t
		if i > 0 {
			tok = r.st.newToken(t.Activity)
			tok.Parent = t.Parent // a fork's tokens stay in its scope
		}
		r.push(opTake, tok, f)
	}
	return nil
}

// outgoing picks the flows a token leaves n by: every flow of a parallel gateway; the first
// true condition, else the default, of an exclusive gateway; every true condition, else the
// default, of an inclusive gateway; and for other activities every flow without a condition or
// with a true one (BPMN's conditional flows).
func (r *runner) outgoing(t *Token, n *model.Node) ([]string, error) {
	switch n.Kind {
	case model.ParallelGateway:
		return n.Outgoing, nil
	case model.InclusiveGateway, model.ExclusiveGateway:
		return r.chooseFlows(t, n, n.Kind == model.ExclusiveGateway)
	}
	out := make([]string, 0, len(n.Outgoing))
	for _, fid := range n.Outgoing {
		ok, err := r.condition(t, r.def.Flows[fid])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, fid)
		}
	}
	return out, nil
}

// chooseFlows returns a gateway's flows whose condition is true (only the first when first is
// set), else its default flow; a gateway with neither is an error.
func (r *runner) chooseFlows(t *Token, n *model.Node, first bool) ([]string, error) {
	var out []string
	for _, fid := range n.Outgoing {
		if fid == n.Default {
			continue
		}
		ok, err := r.condition(t, r.def.Flows[fid])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, fid)
			if first {
				break
			}
		}
	}
	switch {
	case len(out) > 0:
		return out, nil
	case n.Default != "":
		return []string{n.Default}, nil
	}
	return nil, fmt.Errorf("%s: no outgoing flow's condition is true and there is no default flow", n.Kind)
}

func (r *runner) condition(t *Token, f *model.Flow) (bool, error) {
	prog := f.Program()
	if prog == nil {
		return true, nil
	}
	v, err := r.eval(t, prog)
	if err != nil {
		return false, fmt.Errorf("condition of flow %q (%s): %w", f.ID, f.Condition, err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition of flow %q (%s) is %T, not a boolean", f.ID, f.Condition, v)
	}
	return b, nil
}

func safeExecute(ctx context.Context, d Delegate, t *Task) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("delegate panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return d.Execute(ctx, t)
}

// status is the instance status after the step.
func (r *runner) status() string { return statusOf(r.st) }

// statusOf is an instance's status by its tokens: completed when none is left.
func statusOf(st *State) string {
	if len(st.Tokens) == 0 {
		return StatusCompleted
	}
	return StatusRunning
}
