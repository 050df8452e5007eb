package model

import (
	"slices"
	"sort"
)

// Segment is one transaction of a process: the activities that run together, in memory,
// between two commits.
type Segment struct {
	// Entry is where the segment starts: "start" (run by whoever starts the instance), "event
	// <id>" (a message, signal or timer start event: run by whoever correlates or signals, or by
	// a server's reconciler when the timer is due), or a
	// job: "before <id>", "after <id>", "each <id>" and "after-each <id>" (a multi-instance
	// activity's inner instance), "call <id>" (starts a call activity's child) and
	// "return <id>" (the End job that a completed child leaves: the call activity ends), or
	// "complete <id>" (a wait state's completion, run by whoever completes it; JobType empty),
	// or "fire <id>" (a timer or message boundary event fires).
	Entry string `json:"entry"`
	// JobType is the task type whose subject carries the entry job; empty for "start".
	JobType string `json:"jobType,omitempty"`
	// Activities lists the flow nodes the segment runs, in the order it reaches them.
	Activities []string `json:"activities"`
	// TaskTypes lists the task types whose delegates the segment calls, sorted.
	TaskTypes []string `json:"taskTypes"`
	// Ends lists where the segment commits: "before <id>" and "after <id>" (async markers),
	// "before each <id>" and "after each <id>" (a multi-instance activity's inner markers),
	// "maybe before <id>" (a baton:async expression decides), "end <id>" (an end event),
	// "join <id>" (a join where the token may wait for others; "join <id>#multiInstanceBody"
	// where a parallel multi-instance body waits for its other instances), "error <id>" (an error end
	// event), "call <id>" (a call activity: its Call job starts the child), "child of <id>"
	// (the parent waits for the child; the child's Return job continues it) and "wait <id>" (a
	// user task or message catch waits for its completion).
	Ends []string `json:"commitsAt"`
}

// Segments lists the transaction segments of d, the start segment first and the others in the
// order they are found. Service tasks whose delegate the running process lacks are boundaries
// too, decided at run time; the report cannot know them.
func Segments(d *Definition) []Segment {
	var out []Segment
	seen := map[string]bool{}
	var work []string
	if s := d.Nodes[d.StartID]; s != nil && s.AsyncBefore {
		work = []string{"before " + d.StartID}
	} else if s != nil {
		work = []string{"start"}
	}
	for _, id := range sortedKeys(d.Nodes) {
		// A message, signal or timer start event starts instances in whoever correlates or
		// signals, or in a server's reconciler.
		if n := d.Nodes[id]; n.Kind == StartEvent && n.EventType != "" && n.Parent == "" {
			work = append(work, "event "+id)
		}
	}
	for len(work) > 0 {
		entry := work[0]
		work = work[1:]
		if seen[entry] {
			continue
		}
		seen[entry] = true
		w := &walker{d: d, seg: Segment{Entry: entry}, visited: map[string]bool{}, types: map[string]bool{}}
		kind, id := entry, ""
		if entry != "start" {
			kind, id = splitEntry(entry)
		}
		switch kind {
		case "start":
			w.arrive(d.StartID)
		case "event":
			w.arrive(id)
		case "before":
			n := d.Nodes[id]
			w.seg.JobType = d.EngineType
			if n.Loop == nil { // a multi-instance body's job is the engine's
				w.seg.JobType = beforeJobType(d, n)
			}
			w.run(id)
		case "after":
			w.seg.JobType = d.EngineType
			w.leave(id)
		case "each":
			// An inner instance of a multi-instance activity, async before.
			w.seg.JobType = beforeJobType(d, d.Nodes[id])
			w.runInner(id)
		case "after-each":
			w.seg.JobType = d.EngineType
			w.innerEnd(id)
		case "call":
			// The Call job starts the child instance; the token then waits for it.
			w.seg.JobType = d.EngineType
			w.seg.Activities = append(w.seg.Activities, id)
			w.end("child of " + id)
			w.next = append(w.next, "return "+id)
		case "complete":
			// A wait state's completion (a user task, a message) runs the rest in the caller; a
			// timer's, in the Timer job's worker.
			if n := d.Nodes[id]; n.Kind == CatchEvent && n.EventType == "timer" {
				w.seg.JobType = d.EngineType
			}
			w.activityEnd(id)
		case "return":
			// The End job that the child's return left: the call activity ends (end listeners,
			// or its error boundary events when the child ended with a BPMN error).
			n := d.Nodes[id]
			w.seg.JobType = d.EngineType
			for _, l := range n.Listeners {
				if l.Event == ListenerEnd {
					if w.seg.JobType == d.EngineType {
						w.seg.JobType = l.TaskType
					}
					w.types[l.TaskType] = true
				}
			}
			w.activityEnd(id)
			for _, b := range n.Boundaries {
				if w.d.Nodes[b].EventType == "" {
					w.run(b)
				}
			}
		case "fire":
			// A timer or message boundary event fires (a Timer job, or a message's completion).
			if d.Nodes[id].EventType == "timer" {
				w.seg.JobType = d.EngineType
			}
			w.run(id)
		}
		w.seg.TaskTypes = []string{}
		for t := range w.types {
			w.seg.TaskTypes = append(w.seg.TaskTypes, t)
		}
		sort.Strings(w.seg.TaskTypes)
		out = append(out, w.seg)
		work = append(work, w.next...)
	}
	return out
}

// beforeJobType is the task type of an async-before job at n, as the runtime routes it: a
// service task's own, else its first start listener's, else the engine type.
func beforeJobType(d *Definition, n *Node) string {
	if n.Kind == ServiceTask {
		return n.TaskType
	}
	for _, l := range n.Listeners {
		if l.Event == ListenerStart {
			return l.TaskType
		}
	}
	return d.EngineType
}

func splitEntry(e string) (string, string) {
	for i := 0; i < len(e); i++ {
		if e[i] == ' ' {
			return e[:i], e[i+1:]
		}
	}
	return e, ""
}

// walker follows one segment through the graph.
type walker struct {
	d       *Definition
	seg     Segment
	visited map[string]bool
	types   map[string]bool
	next    []string
}

func (w *walker) end(s string) {
	if !slices.Contains(w.seg.Ends, s) {
		w.seg.Ends = append(w.seg.Ends, s)
	}
}

// arrive is a token reaching id along a flow.
func (w *walker) arrive(id string) {
	n := w.d.Nodes[id]
	switch {
	case n.AsyncBefore:
		w.end("before " + id)
		w.next = append(w.next, "before "+id)
		return
	case n.AsyncExpr != "":
		w.end("maybe before " + id)
		w.next = append(w.next, "before "+id)
	}
	w.run(id)
}

// run is the node starting, executing and ending in this segment; for a multi-instance
// activity, its body.
func (w *walker) run(id string) {
	n := w.d.Nodes[id]
	if n.Loop == nil {
		w.runInner(id)
		return
	}
	if w.visited["body "+id] {
		return
	}
	w.visited["body "+id] = true
	w.seg.Activities = append(w.seg.Activities, id+"#multiInstanceBody")
	if n.Loop.AsyncBefore {
		w.end("before each " + id)
		w.next = append(w.next, "each "+id)
		return
	}
	w.runInner(id)
}

// innerEnd continues after an inner instance of multi-instance activity id ended: the next
// sequential instance starts (a commit when it is async before), or the body waits for the
// other parallel instances (a join), or the body ends.
func (w *walker) innerEnd(id string) {
	n := w.d.Nodes[id]
	switch {
	case n.Loop.Sequential && n.Loop.AsyncBefore:
		w.end("before each " + id)
	case n.Loop.Sequential && n.Kind == CallActivity:
		w.end("call " + id) // the next instance's Call job
	case n.Loop.Sequential:
	case n.Loop.AsyncBefore || n.Loop.AsyncAfter || n.Kind == CallActivity:
		// Parallel instances that commit on their own (each child returns in its own step)
		// end in different steps: all but the last wait for the others.
		w.end("join " + id + "#multiInstanceBody")
	}
	w.bodyEnd(id)
}

// bodyEnd continues after a multi-instance body ends.
func (w *walker) bodyEnd(id string) {
	if n := w.d.Nodes[id]; n.AsyncAfter {
		w.end("after " + id)
		w.next = append(w.next, "after "+id)
		return
	}
	w.leave(id)
}

// activityEnd continues after activity id ended: its async-after marker (the inner one of a
// multi-instance activity, whose body then ends), or its outgoing flows.
func (w *walker) activityEnd(id string) {
	n := w.d.Nodes[id]
	switch {
	case n.Loop != nil && n.Loop.AsyncAfter:
		w.end("after each " + id)
		w.next = append(w.next, "after-each "+id)
	case n.Loop != nil:
		w.innerEnd(id)
	case n.AsyncAfter:
		w.end("after " + id)
		w.next = append(w.next, "after "+id)
	default:
		w.leave(id)
	}
}

// runInner is the activity itself (an inner instance when it is multi-instance).
func (w *walker) runInner(id string) {
	if w.visited[id] {
		return
	}
	w.visited[id] = true
	n := w.d.Nodes[id]
	w.seg.Activities = append(w.seg.Activities, id)
	if n.Kind == ServiceTask {
		w.types[n.TaskType] = true
	}
	for _, l := range n.Listeners {
		// A call activity ends in its End job's segment ("return <id>").
		if n.Kind != CallActivity || l.Event == ListenerStart {
			w.types[l.TaskType] = true
		}
	}
	// A caught BPMN error leaves through a boundary event, in the same segment (a called
	// process's error: in the End job's).
	for _, b := range n.Boundaries {
		switch {
		case w.d.Nodes[b].EventType != "":
			// A timer or message boundary fires in a step of its own.
			w.next = append(w.next, "fire "+b)
		case n.Kind != CallActivity:
			defer w.run(b)
		}
	}
	if (n.Kind == ParallelGateway || n.Kind == InclusiveGateway) && len(n.Incoming) > 1 {
		w.end("join " + id)
	}
	switch {
	case n.Kind == SubProcess:
		w.arrive(n.Start)
	case n.Kind == CallActivity:
		w.end("call " + id)
		w.next = append(w.next, "call "+id)
	case n.Kind == UserTask || n.Kind == ReceiveTask || n.Kind == CatchEvent:
		w.end("wait " + id)
		w.next = append(w.next, "complete "+id)
	case n.Kind == EventGateway:
		// The first of its events to occur continues; each is a "complete" segment.
		w.end("wait " + id)
		for _, fid := range n.Outgoing {
			w.next = append(w.next, "complete "+w.d.Flows[fid].Target)
		}
	case n.Kind == EndEvent && n.ErrorEnd:
		w.end("error " + id)
	case n.Kind == EndEvent && n.Parent != "":
		// The subprocess ends when its last token does; its own token continues from there.
		w.scopeEnd(n.Parent)
	case n.Kind == EndEvent:
		w.end("end " + id)
	default:
		w.activityEnd(id)
	}
}

// scopeEnd continues after subprocess sub ends.
func (w *walker) scopeEnd(sub string) {
	if w.visited["end of "+sub] {
		return
	}
	w.visited["end of "+sub] = true
	w.activityEnd(sub)
}

func (w *walker) leave(id string) {
	n := w.d.Nodes[id]
	if len(n.Outgoing) == 0 && n.Parent != "" {
		w.scopeEnd(n.Parent) // an implicit end ends the scope too
		return
	}
	for _, fid := range n.Outgoing {
		f := w.d.Flows[fid]
		for _, l := range f.Listeners {
			w.types[l.TaskType] = true
		}
		w.arrive(f.Target)
	}
}
