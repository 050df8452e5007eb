package engine

import (
	"errors"
	"fmt"
	"go.opentelemetry.io/otel/attribute"
	"reflect"
	"strconv"

	"github.com/batonhq/baton/engine/model"
)

// Delegates: a service task's, and execution listeners', which are delegates too. Each call is
// recorded under a key (its activity, listener and occurrence in the step), so that a step
// replayed after a version conflict re-applies the result instead of calling again.

// callDelegate runs the delegate of taskType for token t at activity n, or re-applies its
// recorded result. event is the listener event ("" for a service task's delegate) and key
// names the call site (the activity, or a listener on it). It reports
// thrown when the delegate returned a BPMN error that a boundary event caught (the token has
// moved there).
func (r *runner) callDelegate(t *Token, n *model.Node, taskType, event, key string) (thrown bool, err error) {
	res, err := r.invoke(t, n, taskType, event, key)
	if err != nil {
		return false, err
	}
	if res.bpmnErr != nil {
		return true, r.throwBPMNError(t, n, res.bpmnErr)
	}
	r.applyResult(t, res)
	if res.wait {
		if event != "" {
			return false, &DelegateError{Activity: n.ID, TaskType: taskType, Err: errors.New("an execution listener cannot wait")}
		}
		r.park(t, n)
		return true, nil
	}
	return false, nil
}

// invoke returns the result of one delegate call, calling the delegate unless the result was
// recorded by an earlier run of the same step.
func (r *runner) invoke(t *Token, n *model.Node, taskType, event, site string) (callResult, error) {
	key := site + "#" + strconv.Itoa(r.seen[site])
	r.seen[site]++
	ident := r.loopIdentity(t)
	if res, ok := r.recorded[key]; ok && reflect.DeepEqual(res.ident, ident) {
		return res, nil
	}
	d, found := r.eng.delegate(taskType)
	if !found {
		return callResult{}, &DelegateError{Activity: n.ID, TaskType: taskType, Err: fmt.Errorf(
			"no delegate registered; a worker that runs this activity must also serve its listeners' task types")}
	}
	task := &Task{JobID: r.jobID, FenceToken: r.fence, Attempt: r.tries, InstanceID: r.st.ID,
		ProcessKey: r.st.ProcessKey, BusinessKey: r.st.BusinessKey, ActivityID: n.ID, TokenID: t.ID, TaskType: taskType,
		ListenerEvent: event, vars: r.vars(t)}
	r.calls++
	dctx, span := r.eng.tracer.Start(r.ctx, "delegate")
	if span.IsRecording() {
		span.SetName("delegate " + taskType)
		span.SetAttributes(attribute.String("baton.instance", r.st.ID), attribute.String("baton.activity", n.ID),
			attribute.String("baton.task_type", taskType), attribute.String("baton.listener_event", event))
	}
	err := safeExecute(dctx, d, task)
	endSpan(span, err)
	var (
		be  *BPMNError
		res callResult
	)
	switch {
	case errors.As(err, &be):
		res = callResult{bpmnErr: be}
	case err != nil && !errors.Is(err, ErrWait):
		return callResult{}, &DelegateError{Activity: n.ID, TaskType: taskType, Err: err}
	default:
		for _, m := range []map[string]any{task.set, task.local} {
			for k, v := range m {
				if err := checkDepth(k, v); err != nil {
					return callResult{}, &DelegateError{Activity: n.ID, TaskType: taskType, Err: err}
				}
			}
		}
		res = callResult{set: task.set, local: task.local, wait: err != nil}
	}
	res.ident = ident
	r.recorded[key] = res
	return res, nil
}

// loopIdentity identifies which inner instances of multi-instance activities t runs in: the
// loop counter and element of each, innermost first; nil outside any. A step replayed after a
// version conflict may evaluate a collection anew: a recorded result is re-applied only to the
// instance it was recorded for.
func (r *runner) loopIdentity(t *Token) []any {
	var ident []any
	for cur := t; cur != nil; cur = r.parentToken(cur) {
		if cur.Loop != LoopInner {
			continue
		}
		n := r.def.Nodes[cur.Activity]
		ident = append(ident, cur.Activity, cur.Locals[VarLoopCounter])
		if n.Loop != nil && n.Loop.ElementVariable != "" {
			ident = append(ident, cur.Locals[n.Loop.ElementVariable])
		}
	}
	return ident
}

// applyResult writes a delegate's variables: SetVar's where they are defined (else the root
// scope), SetLocalVar's in the token's nearest scope.
func (r *runner) applyResult(t *Token, res callResult) {
	for k, v := range res.set {
		r.setVar(t, k, v)
	}
	for k, v := range res.local {
		r.setLocal(t, k, v)
	}
}

// listeners runs n's execution listeners for event, in model order. A BPMN error from one is
// thrown from the activity, like its delegate's.
func (r *runner) listeners(t *Token, n *model.Node, event string) (thrown bool, err error) {
	for i, l := range n.Listeners {
		if l.Event != event {
			continue
		}
		thrown, err := r.callDelegate(t, n, l.TaskType, event, n.ID+"/"+event+"/"+strconv.Itoa(i))
		if err != nil || thrown {
			return thrown, err
		}
	}
	return false, nil
}

// takeListeners runs a sequence flow's take listeners while t is still at the flow's source. A
// BPMN error from one is thrown to the enclosing scopes' boundary events.
func (r *runner) takeListeners(t *Token, f *model.Flow) (thrown bool, err error) {
	src := r.def.Nodes[f.Source]
	for i, l := range f.Listeners {
		res, err := r.invoke(t, src, l.TaskType, model.ListenerTake, f.ID+"/take/"+strconv.Itoa(i))
		if err != nil {
			return false, err
		}
		if res.bpmnErr != nil {
			return true, r.throwFromScope(t, res.bpmnErr)
		}
		r.applyResult(t, res)
	}
	return false, nil
}

// missingDelegate returns the task type whose subject should carry t's job when starting n here
// needs a delegate this engine does not serve (a service task's own, or a start listener's):
// the service task's type, else the missing listener's. Empty when all are here.
// A multi-instance body needs none: its inner instances run the delegates.
func (r *runner) missingDelegate(t *Token, n *model.Node) string {
	if n.Loop != nil && t.Loop != LoopInner {
		return ""
	}
	missing := ""
	if n.Kind == model.ServiceTask && !r.eng.isExternal(n) && !r.eng.hasDelegate(n.TaskType) {
		missing = n.TaskType
	}
	for _, l := range n.Listeners {
		// End listeners are not needed to start: missingEndListener routes the end.
		if missing == "" && l.Event == model.ListenerStart && !r.eng.hasDelegate(l.TaskType) {
			missing = l.TaskType
		}
	}
	if missing != "" && n.Kind == model.ServiceTask && !r.eng.isExternal(n) {
		// The worker that serves the task most likely serves its listeners too.
		return n.TaskType
	}
	return missing
}

// missingEndListener returns the task type of t's first end listener at n whose delegate this
// engine does not serve, unless an End job resumed t here (then the listener fails, naming its
// type, rather than bouncing between workers). Empty when every one is here.
func (r *runner) missingEndListener(t *Token, n *model.Node) string {
	if t == r.resumedEnd && t.Activity == r.resumedEndAt {
		return ""
	}
	for _, l := range n.Listeners {
		if l.Event == model.ListenerEnd && !r.eng.hasDelegate(l.TaskType) {
			return l.TaskType
		}
	}
	return ""
}
