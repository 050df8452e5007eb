package engine

import (
	"slices"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
)

// Timer and message boundary events. They are armed when a step commits with a token resting
// inside their activity: waiting for the activity's job (async before, a user task, a waiting
// delegate, a called child) or for the tokens of its subprocess. Arming adds a job per boundary
// (a Timer job, or a message Wait job), not exclusive, so it fires even while a worker runs the
// activity's delegate; the token lists them (Token.Boundaries). Whatever way the token leaves the
// activity, they are cancelled in the same commit. When one fires first:
//   - interrupting: the activity is cancelled with its job (a worker still running its delegate
//     then finds its commit refused: the result is fenced off), its subprocess tokens or its
//     called child, and the token leaves through the boundary event;
//   - non-interrupting: a new token leaves through the boundary event; the activity goes on.

// eventBoundaries reports whether n has timer or message boundary events.
func eventBoundaries(def *model.Definition, n *model.Node) bool {
	for _, b := range n.Boundaries {
		if def.Nodes[b].EventType != "" {
			return true
		}
	}
	return false
}

// armBoundaries arms the boundary events of the activities where the step leaves tokens resting.
func (r *runner) armBoundaries() error {
	for _, t := range r.st.Tokens {
		if t.Armed || t.Loop == LoopInner {
			continue
		}
		n := r.def.Nodes[t.Activity]
		if n == nil || !eventBoundaries(r.def, n) || !r.restsInside(t) {
			continue
		}
		for _, id := range n.Boundaries {
			b := r.def.Nodes[id]
			switch b.EventType {
			case "timer":
				due, err := r.timerDue(t, b)
				if err != nil {
					return &DelegateError{Activity: b.ID, Err: err}
				}
				r.jobs = append(r.jobs, &job.Job{Instance: r.st.ID, Type: r.def.EngineType, Kind: job.Timer, Token: t.ID,
					Activity: b.ID, Created: r.now, Due: due})
			case "message", "signal":
				sub, err := r.subscription(t, b)
				if err != nil {
					return err
				}
				r.jobs = append(r.jobs, &job.Job{Instance: r.st.ID, Type: MessageType, Kind: job.Wait, Token: t.ID,
					Activity: b.ID, Created: r.now, Msg: sub})
			}
		}
		t.Armed = true
	}
	return nil
}

// restsInside reports whether t waits inside its activity at the end of the step: for the
// activity's own job (not an async-after one), or for its subprocess's tokens or called child.
func (r *runner) restsInside(t *Token) bool {
	switch t.Wait {
	case WaitScope, WaitCall:
		return true
	case WaitJob:
		for _, j := range r.jobs {
			if j.Token == t.ID && j.Activity == t.Activity {
				return j.Kind != job.After
			}
		}
	}
	return false
}

// disarm cancels t's boundary jobs: committed ones leave the outbox with the step, and the
// step's own are dropped.
func (r *runner) disarm(t *Token) {
	if !t.Armed {
		return
	}
	r.cancel = append(r.cancel, t.Boundaries...)
	t.Armed, t.Boundaries = false, nil
}

// boundaryFired runs boundary event j.Activity of t's activity: its job fired (a timer) or was
// completed (a message, with vars).
func (r *runner) boundaryFired(t *Token, j *job.Job, vars map[string]any) error {
	b := r.def.Nodes[j.Activity]
	t.Boundaries = slices.DeleteFunc(t.Boundaries, func(id string) bool { return id == j.ID })
	if b.NonInterrupting {
		if j.Kind == job.Timer {
			if err := r.rearmCycle(t, b, j); err != nil {
				return err
			}
		}
		nt := r.st.newToken(b.ID)
		nt.Parent = t.Parent
		r.history(EventActivityStart, nt)
		r.resumeWait(nt, vars)
		return r.run()
	}
	// Interrupt the activity.
	r.disarm(t)
	a := r.def.Nodes[t.Activity]
	switch t.Wait {
	case WaitJob:
		if t.Job != "" {
			r.cancel = append(r.cancel, t.Job)
		}
	case WaitScope:
		r.removeScope(t.ID)
	case WaitCall:
		r.children = append(r.children, t.Child)
	}
	if t.Loop == LoopBody {
		r.historyAt(EventActivityCancel, t, a.ID+bodySuffix)
	} else {
		r.history(EventActivityCancel, t)
	}
	t.Locals, t.Items, t.Loop, t.Child, t.Result, t.Thrown, t.ResultKey = nil, nil, "", "", nil, nil, ""
	t.Activity, t.Via, t.Wait, t.Job = b.ID, "", "", ""
	r.history(EventActivityStart, t)
	r.resumeWait(t, vars)
	return r.run()
}
