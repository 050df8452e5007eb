package model

import (
	"slices"
	"sort"
)

// Segment is one transaction of a process: the activities that run together, in memory,
// between two commits.
type Segment struct {
	// Entry is where the segment starts: "start" (run by whoever starts the instance), or
	// "before <id>" / "after <id>" (a job).
	Entry string `json:"entry"`
	// JobType is the task type whose subject carries the entry job; empty for "start".
	JobType string `json:"jobType,omitempty"`
	// Activities lists the flow nodes the segment runs, in the order it reaches them.
	Activities []string `json:"activities"`
	// TaskTypes lists the task types whose delegates the segment calls, sorted.
	TaskTypes []string `json:"taskTypes"`
	// Ends lists where the segment commits: "before <id>" and "after <id>" (async markers),
	// "maybe before <id>" (a baton:async expression decides), "end <id>" (an end event), and
	// "join <id>" (a join where the token may wait for others), and "error <id>" (an error end
	// event).
	Ends []string `json:"commitsAt"`
}

// Segments lists the transaction segments of d, the start segment first and the others in the
// order they are found. Service tasks whose delegate the running process lacks are boundaries
// too, decided at run time; the report cannot know them.
func Segments(d *Definition) []Segment {
	var out []Segment
	seen := map[string]bool{}
	work := []string{"start"}
	if s := d.Nodes[d.StartID]; s != nil && s.AsyncBefore {
		work = []string{"before " + d.StartID}
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
		case "before":
			n := d.Nodes[id]
			w.seg.JobType = d.EngineType
			if n.Kind == ServiceTask {
				w.seg.JobType = n.TaskType
			}
			w.run(id)
		case "after":
			w.seg.JobType = d.EngineType
			w.leave(id)
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

// run is the node starting, executing and ending in this segment.
func (w *walker) run(id string) {
	if w.visited[id] {
		return
	}
	w.visited[id] = true
	n := w.d.Nodes[id]
	w.seg.Activities = append(w.seg.Activities, id)
	if n.Kind == ServiceTask {
		w.types[n.TaskType] = true
	}
	// A caught BPMN error leaves through a boundary event, in the same segment.
	for _, b := range n.Boundaries {
		defer w.run(b)
	}
	if (n.Kind == ParallelGateway || n.Kind == InclusiveGateway) && len(n.Incoming) > 1 {
		w.end("join " + id)
	}
	switch {
	case n.Kind == SubProcess:
		w.arrive(n.Start)
	case n.Kind == EndEvent && n.ErrorEnd:
		w.end("error " + id)
	case n.Kind == EndEvent && n.Parent != "":
		// The subprocess ends when its last token does; its own token continues from there.
		w.scopeEnd(n.Parent)
	case n.Kind == EndEvent:
		w.end("end " + id)
	case n.AsyncAfter:
		w.end("after " + id)
		w.next = append(w.next, "after "+id)
	default:
		w.leave(id)
	}
}

// scopeEnd continues after subprocess sub ends.
func (w *walker) scopeEnd(sub string) {
	if w.visited["end of "+sub] {
		return
	}
	w.visited["end of "+sub] = true
	if n := w.d.Nodes[sub]; n.AsyncAfter {
		w.end("after " + sub)
		w.next = append(w.next, "after "+sub)
		return
	}
	w.leave(sub)
}

func (w *walker) leave(id string) {
	n := w.d.Nodes[id]
	if len(n.Outgoing) == 0 && n.Parent != "" {
		w.scopeEnd(n.Parent) // an implicit end ends the scope too
		return
	}
	for _, fid := range n.Outgoing {
		w.arrive(w.d.Flows[fid].Target)
	}
}
