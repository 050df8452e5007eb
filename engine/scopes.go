package engine

import "github.com/batonhq/baton/engine/job"

// Embedded subprocesses are scopes: a token waits at the subprocess (WaitScope) while child
// tokens (Parent = its id) run the subprocess's flow.

// scopeEnded is called when a token of scope ended. When it was the scope's last token, the
// subprocess ends and its token continues (end listeners, async-after, leave).
func (r *runner) scopeEnded(scope string) {
	if scope == "" {
		return
	}
	for _, t := range r.st.Tokens {
		if t.Parent == scope {
			return
		}
	}
	// A multi-instance body ends by its own count (innerEnded), not when a child token ends.
	if st := r.st.token(scope); st != nil && st.Wait == WaitScope && st.Loop != LoopBody {
		st.Wait = ""
		r.push(opEnd, st, "")
	}
}

// inScope reports whether t runs inside scope, at any depth.
func (r *runner) inScope(t *Token, scope string) bool {
	for p := t.Parent; p != ""; {
		if p == scope {
			return true
		}
		pt := r.st.token(p)
		if pt == nil {
			return false
		}
		p = pt.Parent
	}
	return false
}

// removeScope removes every token inside scope (not the scope's own token). Jobs the removed
// tokens waited for leave the outbox in the same commit; jobs this step created for them are
// dropped.
func (r *runner) removeScope(scope string) {
	gone := map[string]bool{}
	// A new slice: inScope looks parents up in the full list while this one is built.
	kept := make([]*Token, 0, len(r.st.Tokens))
	for _, t := range r.st.Tokens {
		if scope == "" || r.inScope(t, scope) {
			gone[t.ID] = true
			if t.Wait == WaitScope || t.Wait == WaitCall {
				r.history(EventActivityCancel, t) // a subprocess or call activity that had started
			}
			if t.Wait == WaitCall && t.Child != "" {
				r.children = append(r.children, t.Child) // cancelled after the commit
			}
			if t.Wait == WaitJob && t.Job != "" {
				r.cancel = append(r.cancel, t.Job)
			}
			r.cancel = append(r.cancel, t.Events...)     // an event-based gateway's waits
			r.cancel = append(r.cancel, t.Boundaries...) // its activity's boundary events
			continue
		}
		kept = append(kept, t)
	}
	r.st.Tokens = kept
	jobs := r.jobs[:0]
	for _, j := range r.jobs {
		// A signal thrown, or a child's return, does not belong to the token that made it.
		if !gone[j.Token] || j.Kind == job.Signal || j.Kind == job.Return {
			jobs = append(jobs, j)
		}
	}
	r.jobs = jobs
}

// terminate handles a terminate end event in scope: at process level it ends every token of the
// instance; inside a subprocess it ends every token of that subprocess, which then ends.
func (r *runner) terminate(scope string) {
	r.removeScope(scope)
	if scope == "" {
		return
	}
	if st := r.st.token(scope); st != nil {
		st.Wait = ""
		r.push(opEnd, st, "")
	}
}
