// Package bpmn owns reading BPMN 2.0 XML, as Camunda 7 and 8, Flowable, Activiti, jBPM and
// Baton's own conventions save it, into model.Definition. It knows which BPMN elements Baton runs,
// how each modeller's dialect spells async markers and task types, and it reports every problem
// of a model at once with file, line and element id. It knows nothing of running processes.
package bpmn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/batonhq/baton/engine/model"
)

// Parse reads one BPMN 2.0 document; source names it in problems (e.g. "order.bpmn"). It returns
// every executable process of the document in document order, each linked (model.Definition.Link)
// and carrying Source and the hex SHA-256 of data as Hash; Version is left for the store to set.
// When anything is wrong it returns no definitions and a *model.ValidationError that lists every
// problem found, each with the line and element id and what to do instead.
func Parse(source string, data []byte) ([]*model.Definition, error) {
	p := &problems{source: source}
	root := readTree(data, p)
	if root == nil {
		return nil, p.err()
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	defs := readDefinitions(root, p)
	for _, d := range defs {
		d.Source = source
		d.Hash = hash
		// Link runs even when problems were found already: unsupported elements stand in as
		// placeholders, so its problems are real ones and the report is complete.
		p.merge(d.Link())
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return defs, nil
}

// ParseFile reads the BPMN 2.0 file at path with Parse, naming it path in problems. A file that
// cannot be read gives the read error, not a *model.ValidationError.
func ParseFile(path string) ([]*model.Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read BPMN model: %w", err)
	}
	return Parse(path, data)
}

// readDefinitions checks the <definitions> root and reads its executable processes.
func readDefinitions(root *element, p *problems) []*model.Definition {
	if !root.is(nsBPMN, "definitions") {
		p.add(root.line, root.attr("id"), "root element <%s> in namespace %q is not BPMN 2.0: a BPMN file starts with <definitions xmlns=%q>",
			root.name.Local, root.name.Space, nsBPMN)
		return nil
	}
	checkIDs(root, p)
	roots := readRoots(root)
	var defs []*model.Definition
	processes := 0
	for _, c := range root.children {
		if !c.is(nsBPMN, "process") {
			continue // collaborations, messages, signals, item definitions, ...: nothing to run
		}
		processes++
		if v, ok := c.lookup("", "isExecutable"); ok {
			exec, valid := parseBool(v)
			if !valid {
				p.add(c.line, c.attr("id"), "isExecutable=%q is not a boolean; write \"true\" or \"false\"", v)
			} else if !exec {
				continue
			}
		}
		defs = append(defs, readProcess(c, roots, p))
	}
	switch {
	case processes == 0:
		p.add(root.line, root.attr("id"), "the document has no <process>; model a process with a start event to run it")
	case len(defs) == 0:
		p.add(root.line, root.attr("id"), "no executable process: every <process> has isExecutable=\"false\"; set isExecutable=\"true\" on the process to run")
	}
	return defs
}

// checkIDs reports every BPMN element whose id an earlier element of the document already uses.
func checkIDs(root *element, p *problems) {
	seen := map[string]*element{}
	stack := []*element{root}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for i := len(e.children) - 1; i >= 0; i-- {
			stack = append(stack, e.children[i])
		}
		id := e.attr("id")
		if e.name.Space != nsBPMN || id == "" {
			continue
		}
		if first, ok := seen[id]; ok {
			p.add(e.line, id, "duplicate id %q: <%s> at line %d already uses it; give every element a unique id",
				id, first.name.Local, first.line)
			continue
		}
		seen[id] = e
	}
}
