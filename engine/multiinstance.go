package engine

import (
	"fmt"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
)

// Multi-instance activities, as in Camunda 7. The token that arrives is the body (Loop =
// LoopBody, history activity "<id>#multiInstanceBody"): it evaluates the collection or the
// cardinality once and waits (WaitScope) while inner instances, child tokens with Loop =
// LoopInner, run the activity: all at once, or one after another when sequential. The body's
// scope holds nrOfInstances, nrOfActiveInstances and nrOfCompletedInstances; each inner
// instance's scope holds loopCounter and the element variable. Zeebe's names of the counters
// (numberOfInstances, numberOfActiveInstances, numberOfCompletedInstances) are set too. The node's async markers apply
// to the body and the MultiInstance's to the inner activity.

// Variables of multi-instance scopes.
const (
	VarNrOfInstances          = "nrOfInstances"
	VarNrOfActiveInstances    = "nrOfActiveInstances"
	VarNrOfCompletedInstances = "nrOfCompletedInstances"
	VarLoopCounter            = "loopCounter"
)

// bodySuffix marks a multi-instance body's history events, as Camunda names the body.
const bodySuffix = "#multiInstanceBody"

// startBody starts a multi-instance body: it counts the inner instances and starts the first
// (sequential) or all (parallel) of them. With none, the body ends at once.
func (r *runner) startBody(t *Token, n *model.Node) error {
	mi := n.Loop
	r.historyAt(EventActivityStart, t, n.ID+bodySuffix)
	count, items, err := r.loopItems(t, n)
	if err != nil {
		return &DelegateError{Activity: n.ID, Err: err}
	}
	t.Loop, t.Items = LoopBody, items
	active := count
	if mi.Sequential {
		active = min(count, 1)
	}
	t.Locals = map[string]any{}
	setCounter(t, VarNrOfInstances, int64(count))
	setCounter(t, VarNrOfActiveInstances, int64(active))
	setCounter(t, VarNrOfCompletedInstances, 0)
	if mi.OutputCollection != "" {
		t.Locals[mi.OutputCollection] = make([]any, count)
	}
	if count == 0 {
		r.push(opEnd, t, "")
		return nil
	}
	t.Wait = WaitScope
	for i := 0; i < active; i++ {
		if err := r.startInner(t, n, i); err != nil {
			return err
		}
	}
	return nil
}

// loopItems evaluates the collection (its elements) or the cardinality (nil items).
func (r *runner) loopItems(t *Token, n *model.Node) (int, []any, error) {
	mi := n.Loop
	if p := mi.CollectionProgram(); p != nil {
		v, err := r.eval(t, p)
		if err != nil {
			return 0, nil, fmt.Errorf("multi-instance collection %q: %w", mi.Collection, err)
		}
		items, ok := v.([]any)
		if !ok {
			if v == nil {
				return 0, nil, fmt.Errorf("multi-instance collection %q is not set", mi.Collection)
			}
			return 0, nil, fmt.Errorf("multi-instance collection %q is a %T, not a list", mi.Collection, v)
		}
		return len(items), deepCopy(items).([]any), nil
	}
	v, err := r.eval(t, mi.CardinalityProgram())
	if err != nil {
		return 0, nil, fmt.Errorf("loopCardinality %q: %w", mi.Cardinality, err)
	}
	var count int64
	switch x := v.(type) {
	case int:
		count = int64(x)
	case int64:
		count = x
	case float64:
		count = int64(x)
		if float64(count) != x {
			return 0, nil, fmt.Errorf("loopCardinality %q is %v, not a whole number", mi.Cardinality, x)
		}
	default:
		return 0, nil, fmt.Errorf("loopCardinality %q is a %T, not a number", mi.Cardinality, v)
	}
	if count < 0 {
		return 0, nil, fmt.Errorf("loopCardinality %q is %d, below zero", mi.Cardinality, count)
	}
	return int(count), nil, nil
}

// startInner starts inner instance i of body.
func (r *runner) startInner(body *Token, n *model.Node, i int) error {
	in := r.st.newToken(n.ID)
	in.Parent, in.Loop = body.ID, LoopInner
	in.Locals = map[string]any{VarLoopCounter: int64(i)}
	if ev := n.Loop.ElementVariable; ev != "" && body.Items != nil {
		in.Locals[ev] = deepCopy(body.Items[i])
	}
	return r.arrive(in)
}

// innerEnded runs when inner instance t has ended (and passed its async-after marker): it
// counts it, collects its output element, and either ends the body (the completion condition
// holds, or every instance has completed) or starts the next sequential instance.
func (r *runner) innerEnded(t *Token, n *model.Node) error {
	mi := n.Loop
	body := r.parentToken(t)
	if body == nil || body.Loop != LoopBody {
		return &DelegateError{Activity: n.ID, Err: fmt.Errorf("inner instance %s has no multi-instance body", t.ID)}
	}
	counter, _ := t.Locals[VarLoopCounter].(int64)
	if p := mi.OutputElementProgram(); p != nil {
		v, err := r.eval(t, p)
		if err != nil {
			return &DelegateError{Activity: n.ID, Err: fmt.Errorf("multi-instance outputElement %q: %w", mi.OutputElement, err)}
		}
		if out, ok := body.Locals[mi.OutputCollection].([]any); ok && int(counter) < len(out) {
			out[counter] = normalizeNumber(deepCopy(v))
		}
	}
	setCounter(body, VarNrOfCompletedInstances, localInt(body, VarNrOfCompletedInstances)+1)
	setCounter(body, VarNrOfActiveInstances, localInt(body, VarNrOfActiveInstances)-1)
	done := false
	if p := mi.CompletionProgram(); p != nil {
		v, err := r.eval(t, p)
		if err != nil {
			return &DelegateError{Activity: n.ID, Err: fmt.Errorf("completionCondition %q: %w", mi.CompletionCondition, err)}
		}
		done, _ = v.(bool)
	}
	r.st.removeToken(t.ID)
	completed, total := localInt(body, VarNrOfCompletedInstances), localInt(body, VarNrOfInstances)
	switch {
	case done:
		r.removeScope(body.ID) // the instances still running are cancelled
		setCounter(body, VarNrOfActiveInstances, 0)
	case completed >= total:
	case mi.Sequential:
		setCounter(body, VarNrOfActiveInstances, 1)
		return r.startInner(body, n, int(completed))
	default:
		return nil // other inner instances still run
	}
	body.Wait = ""
	r.push(opEnd, body, "")
	return nil
}

// endBody ends a multi-instance body: its output collection goes to the enclosing scope and
// the token continues as the activity's (async-after, leave).
func (r *runner) endBody(t *Token, n *model.Node) error {
	r.historyAt(EventActivityEnd, t, n.ID+bodySuffix)
	if oc := n.Loop.OutputCollection; oc != "" {
		r.setVar(r.parentToken(t), oc, t.Locals[oc])
	}
	t.Locals, t.Items, t.Loop = nil, nil, ""
	if n.AsyncAfter {
		r.boundary(t, n, job.After)
		return nil
	}
	r.push(opLeave, t, "")
	return nil
}

// zeebeCounters are Zeebe's names of the body's counters, kept equal to Camunda's.
var zeebeCounters = map[string]string{VarNrOfInstances: "numberOfInstances",
	VarNrOfActiveInstances: "numberOfActiveInstances", VarNrOfCompletedInstances: "numberOfCompletedInstances"}

// setCounter sets a body counter under Camunda's name and Zeebe's.
func setCounter(t *Token, name string, v int64) {
	t.Locals[name] = v
	t.Locals[zeebeCounters[name]] = v
}

// loopBookkeeping reports whether name is a multi-instance variable of a scope t runs in: a
// body's counters, an inner instance's loopCounter or element. A called child's variables
// copied back (Camunda's out variables="all", Zeebe's default) never overwrite them: the child
// received them as they were when it started.
func (r *runner) loopBookkeeping(t *Token, name string) bool {
	for cur := t; cur != nil; cur = r.parentToken(cur) {
		switch cur.Loop {
		case LoopBody:
			if _, ok := cur.Locals[name]; ok {
				return true // a counter, or the output collection
			}
		case LoopInner:
			mi := r.def.Nodes[cur.Activity].Loop
			if name == VarLoopCounter || (mi != nil && mi.ElementVariable == name) {
				return true
			}
		}
	}
	return false
}

func localInt(t *Token, name string) int64 {
	v, _ := t.Locals[name].(int64)
	return v
}
