package engine

import (
	"github.com/batonhq/baton/engine/model"
)

// inclusiveJoin reports whether an inclusive join fires now that t arrived: it does when no
// other token can still arrive, that is, no token outside the join rests at a node from which
// the join is reachable. The waiting tokens merge into t.
func (r *runner) inclusiveJoin(t *Token, n *model.Node) bool {
	if r.canStillArrive(t, n) {
		return false
	}
	for i := 0; i < len(r.st.Tokens); {
		o := r.st.Tokens[i]
		if o != t && o.Activity == n.ID && o.Wait == WaitJoin && o.Parent == t.Parent {
			r.st.Tokens = append(r.st.Tokens[:i], r.st.Tokens[i+1:]...)
			continue
		}
		i++
	}
	return true
}

// canStillArrive reports whether a token other than t (and those waiting at the join) may
// still reach join n.
func (r *runner) canStillArrive(t *Token, n *model.Node) bool {
	upstream := r.eng.upstreamOf(r.def, n.ID)
	for _, o := range r.st.Tokens {
		if o == t || o.Parent != t.Parent || (o.Activity == n.ID && o.Wait == WaitJoin) {
			continue // only tokens of the same run of the scope can arrive at this join
		}
		// A token at the join itself that waits for its async-before job is still arriving.
		if o.Activity == n.ID || upstream[o.Activity] {
			return true
		}
	}
	return false
}

// wakeInclusiveJoins runs when a step's agenda is empty: a token may have ended or moved away
// from every path to an inclusive join where others wait, so that join can fire now. It queues
// the first such waiting token and reports whether it did.
func (r *runner) wakeInclusiveJoins() bool {
	for _, t := range r.st.Tokens {
		if t.Wait != WaitJoin {
			continue
		}
		n := r.def.Nodes[t.Activity]
		if n.Kind == model.InclusiveGateway && !r.canStillArrive(t, n) {
			t.Wait = ""
			r.push(opStart, t, "")
			return true
		}
	}
	return false
}

// upstreamOf returns the nodes from which join can be reached without passing through it,
// cached per definition and join: definitions never change, so neither does the answer.
func (e *Engine) upstreamOf(def *model.Definition, join string) map[string]bool {
	key := def.ID() + "/" + join
	if v, ok := e.upstream.Load(key); ok {
		return v.(map[string]bool)
	}
	seen := map[string]bool{}
	queue := []string{join}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		n := def.Nodes[id]
		sources := make([]string, 0, len(n.Incoming)+1)
		for _, fid := range n.Incoming {
			sources = append(sources, def.Flows[fid].Source)
		}
		if n.Kind == model.BoundaryEvent {
			// A token at the activity can still get here through the boundary event.
			sources = append(sources, n.AttachedTo)
		}
		for _, src := range sources {
			if src != join && !seen[src] {
				seen[src] = true
				queue = append(queue, src)
			}
		}
	}
	e.upstream.Store(key, seen)
	return seen
}
