package bpmn

import (
	"maps"
	"slices"
	"strconv"

	"github.com/batonhq/baton/engine/model"
)

// ignoredInSubProcess lists the children of a <subProcess> that belong to the subprocess as an
// activity rather than to its scope: its wiring, data associations and loop markers (read, or
// reported, by children). The children ignoredInProcess lists are ignored in a subprocess too.
var ignoredInSubProcess = map[string]bool{
	"incoming":                         true,
	"outgoing":                         true,
	"dataInputAssociation":             true,
	"dataOutputAssociation":            true,
	"categoryValueRef":                 true,
	"multiInstanceLoopCharacteristics": true,
	"standardLoopCharacteristics":      true,
}

// scope reads the flow elements of el, a <process> (parent "") or the embedded subprocess whose id
// is parent: its flow nodes, sequence flows and, recursively, its subprocesses. Every node read
// gets parent as its Parent.
func (r *processReader) scope(el *element, parent string) {
	for _, c := range el.children {
		if c.name.Space != nsBPMN {
			continue // foreign elements outside extensionElements carry nothing Baton runs
		}
		local := c.name.Local
		switch {
		case local == "subProcess":
			r.subProcess(c, parent)
		case nodeKinds[local] != "":
			r.node(c, parent)
		case local == "sequenceFlow":
			r.flow(c, parent)
		case ignoredInProcess[local], parent != "" && ignoredInSubProcess[local]:
		default:
			r.unsupported(c, parent)
		}
	}
}

// subProcess reads the <subProcess> el of the scope parent: an embedded subprocess becomes a node
// and its contents are read as its scope; an event subprocess is reported.
func (r *processReader) subProcess(el *element, parent string) {
	if v, ok := el.lookup("", "triggeredByEvent"); ok {
		switch event, valid := parseBool(v); {
		case !valid:
			r.p.add(el.line, el.attr("id"), "triggeredByEvent=%q is not a boolean; write \"true\" or \"false\"", v)
		case event:
			r.placeholder(el, parent, "event subprocesses are not supported yet: catch errors with an error boundary event on the activity or embedded subProcess that raises them")
			return
		}
	}
	// Without a node of its own (no id, or a duplicate one, both reported) the contents would
	// land in no scope or in another element's: they are not read.
	if n := r.node(el, parent); n != nil {
		r.scope(el, n.ID)
	}
}

// checkScopes reports sequence flows declared in another scope than the elements they connect,
// and boundary events declared in another scope than their activity. Flows between two scopes are
// left to Link.
func (r *processReader) checkScopes() {
	nodes := r.def.Nodes
	for _, f := range r.flows {
		src, dst, declared := nodes[f.Source], nodes[f.Target], r.flowScopes[f.ID]
		if src != nil && dst != nil && src.Parent == dst.Parent && src.Parent != declared {
			r.p.add(f.Line, f.ID, "the sequence flow is declared in %s but connects elements of %s; declare it next to the elements it connects",
				scopeName(declared), scopeName(src.Parent))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(nodes)) {
		n := nodes[id]
		if a := nodes[n.AttachedTo]; n.Kind == model.BoundaryEvent && a != nil && a.Parent != n.Parent {
			r.p.add(n.Line, n.ID, "the boundary event is declared in %s but its activity %q is in %s; declare it next to its activity",
				scopeName(n.Parent), a.ID, scopeName(a.Parent))
		}
	}
}

// scopeName names the scope parent for messages: the process, or a subprocess.
func scopeName(parent string) string {
	if parent == "" {
		return "the process"
	}
	return "subprocess " + strconv.Quote(parent)
}
