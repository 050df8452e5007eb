package model

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/dop251/goja"
	"github.com/expr-lang/expr"
)

// Problem is one thing wrong with a model, located at a file, line and element.
type Problem struct {
	// Source is the file the model came from; empty when unknown.
	Source string
	// Line is the element's line in Source; 0 when unknown.
	Line int
	// ElementID is the id of the offending element; empty when the problem is not tied to one.
	ElementID string
	// Message says what is wrong and, where possible, what to do instead.
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Source != "" {
		b.WriteString(p.Source)
	} else {
		b.WriteString("<model>")
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.ElementID != "" {
		fmt.Fprintf(&b, ": element %q", p.ElementID)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a model. Nothing of a model with problems is
// deployed. Test for it with errors.As.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "invalid process model:\n  " + strings.Join(lines, "\n  ")
}

// IsValidationError reports whether err is or wraps a *ValidationError.
func IsValidationError(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

// NormalizeExpression strips the wrappers that modellers put around expressions: Camunda's and
// Flowable's ${...} and #{...}, and Zeebe's leading "=" (FEEL), whose single "=" equality becomes
// "==". What remains is evaluated by expr-lang.
func NormalizeExpression(s string) string {
	s = strings.TrimSpace(s)
	if (strings.HasPrefix(s, "${") || strings.HasPrefix(s, "#{")) && strings.HasSuffix(s, "}") {
		return strings.TrimSpace(s[2 : len(s)-1])
	}
	if strings.HasPrefix(s, "=") {
		return feelEquality(strings.TrimSpace(s[1:]))
	}
	return s
}

// feelEquality rewrites FEEL's "a = b" into "a == b", leaving ==, !=, <= and >= and string
// literals alone.
func feelEquality(s string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			b.WriteByte(c)
			if c == quote {
				quote = 0
			}
			continue
		}
		if c == '"' || c == '\'' {
			quote = c
			b.WriteByte(c)
			continue
		}
		if c == '=' {
			prev := byte(0)
			if i > 0 {
				prev = s[i-1]
			}
			next := byte(0)
			if i+1 < len(s) {
				next = s[i+1]
			}
			if prev != '=' && prev != '!' && prev != '<' && prev != '>' && next != '=' {
				b.WriteString("==")
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Link checks the graph and compiles every condition. It returns a *ValidationError listing all
// problems, or nil. It must run before a Definition is executed; engine/bpmn calls it.
func (d *Definition) Link() error {
	var probs []Problem
	add := func(line int, id, format string, args ...any) {
		probs = append(probs, Problem{Source: d.Source, Line: line, ElementID: id, Message: fmt.Sprintf(format, args...)})
	}
	if d.EngineType == "" {
		d.EngineType = DefaultEngineType
	}
	if d.Key == "" {
		add(0, "", "the process has no id; set the id attribute of <process>")
	}
	for _, id := range sortedKeys(d.Flows) {
		f := d.Flows[id]
		src, okSrc := d.Nodes[f.Source]
		dst, okDst := d.Nodes[f.Target]
		if !okSrc {
			add(f.Line, f.ID, "sourceRef %q names no flow node of this process", f.Source)
		}
		if !okDst {
			add(f.Line, f.ID, "targetRef %q names no flow node of this process", f.Target)
		}
		if okSrc && okDst && src.Parent != dst.Parent {
			add(f.Line, f.ID, "the flow crosses a subprocess boundary (%q to %q); connect the subprocess itself instead", f.Source, f.Target)
		}
		d.linkFlowListeners(f, add)
		if okSrc && src.Kind == EventGateway && f.Condition != "" {
			add(f.Line, f.ID, "a flow out of an event-based gateway cannot have a condition")
		}
		if f.Condition != "" {
			prog, err := expr.Compile(f.Condition, expr.AllowUndefinedVariables(), expr.AsBool())
			if err != nil {
				add(f.Line, f.ID, "condition %q does not compile: %v", f.Condition, oneLine(err))
			} else {
				f.program = prog
			}
		}
	}
	starts, eventStarts := 0, 0
	d.StartID = ""
	for _, n := range d.Nodes {
		n.Boundaries, n.Start = nil, "" // Link may run again on the same definition
	}
	for _, id := range sortedKeys(d.Nodes) {
		n := d.Nodes[id]
		switch n.Kind {
		case StartEvent:
			if n.EventType != "" {
				// A message, signal or timer start event: the message, the signal or the
				// timer starts an instance.
				if n.EventType == "timer" {
					d.linkTimer(n, add)
				}
				if n.Parent != "" {
					add(n.Line, n.ID, "a %s start event inside a subprocess (an event subprocess) is not supported; use a none start event", n.EventType)
				}
				eventStarts++
				if len(n.Incoming) > 0 {
					add(n.Line, n.ID, "a start event cannot have incoming sequence flows")
				}
				break
			}
			if p, ok := d.Nodes[n.Parent]; ok {
				if p.Start != "" && p.Start != n.ID {
					add(n.Line, n.ID, "subprocess %q has two start events; an embedded subprocess has exactly one none start event", p.ID)
				}
				p.Start = n.ID
			} else {
				starts++
				d.StartID = n.ID
			}
			if len(n.Incoming) > 0 {
				add(n.Line, n.ID, "a start event cannot have incoming sequence flows")
			}
		case SubProcess:
		case EndEvent:
			if len(n.Outgoing) > 0 {
				add(n.Line, n.ID, "an end event cannot have outgoing sequence flows")
			}
		case ServiceTask:
			if n.TaskType == "" {
				el := n.Element
				if el == "" {
					el = string(ServiceTask)
				}
				add(n.Line, n.ID, "%s has no implementation; set camunda:class, zeebe:taskDefinition type, flowable:class or baton:type", el)
			}
		case ExclusiveGateway, InclusiveGateway:
			if n.Default != "" {
				if f, ok := d.Flows[n.Default]; !ok || f.Source != n.ID {
					add(n.Line, n.ID, "default flow %q is not an outgoing flow of this gateway", n.Default)
				}
			}
		case ScriptTask:
			switch {
			case n.Script == "":
				add(n.Line, n.ID, "script task has no script")
			case n.ScriptFormat == "expr":
				if _, err := expr.Compile(n.Script, expr.AllowUndefinedVariables()); err != nil {
					add(n.Line, n.ID, "expr script does not compile: %v", oneLine(err))
				}
			case n.ScriptFormat == "javascript":
				if _, err := goja.Compile(n.ID, n.Script, false); err != nil {
					add(n.Line, n.ID, "javascript does not compile: %v", oneLine(err))
				}
			default:
				add(n.Line, n.ID, "scriptFormat %q is not supported; use javascript or expr", n.ScriptFormat)
			}
		case BoundaryEvent:
			a, ok := d.Nodes[n.AttachedTo]
			switch {
			case !ok:
				add(n.Line, n.ID, "attachedToRef %q names no activity of this process", n.AttachedTo)
			case n.EventType != "":
				d.linkEventBoundary(n, a, add)
			case a.Kind == Task && a.Element != "":
				// A stand-in for an element reported as unsupported: one problem is enough.
			case a.Kind != ServiceTask && a.Kind != SubProcess && a.Kind != CallActivity:
				add(n.Line, n.ID, "an error boundary event catches BPMN errors of delegates, subprocesses and called processes; the %s %q never throws one",
					a.Kind, a.ID)
			default:
				for _, other := range a.Boundaries {
					if o := d.Nodes[other]; o.EventType == "" && o.ErrorCode == n.ErrorCode {
						add(n.Line, n.ID, "boundary event %q on %q already catches %s; keep one", other, a.ID, codeName(n.ErrorCode))
					}
				}
				a.Boundaries = append(a.Boundaries, n.ID)
			}
			if n.AsyncBefore || n.AsyncAfter || n.AsyncExpr != "" {
				add(n.Line, n.ID, "async markers on a boundary event are not supported; mark the activity after it instead")
			}
			if len(n.Incoming) > 0 {
				add(n.Line, n.ID, "a boundary event cannot have incoming sequence flows")
			}
		case CallActivity:
		case UserTask:
			d.linkUserTask(n, add)
		case EventGateway:
			d.linkEventGateway(n, add)
		case CatchEvent, ReceiveTask:
			d.linkMessageCatch(n, add)
		case Task, ParallelGateway, ThrowEvent:
		default:
			add(n.Line, n.ID, "unsupported element kind %q", n.Kind)
		}
		d.linkActivity(n, add)
		for _, fid := range n.Outgoing {
			if f, ok := d.Flows[fid]; !ok || f.Source != n.ID {
				add(n.Line, n.ID, "outgoing flow %q does not start at this element", fid)
			}
		}
		if n.AsyncExpr != "" {
			prog, err := expr.Compile(n.AsyncExpr, expr.AllowUndefinedVariables(), expr.AsBool())
			if err != nil {
				add(n.Line, n.ID, "baton:async expression %q does not compile: %v", n.AsyncExpr, oneLine(err))
			} else {
				n.asyncProgram = prog
			}
		}
	}
	for _, id := range sortedKeys(d.Nodes) {
		n := d.Nodes[id]
		if n.Kind == SubProcess && n.Start == "" {
			add(n.Line, n.ID, "the subprocess has no none start event")
		}
		if n.RetryCycle != "" {
			if _, err := ParseRetryCycle(n.RetryCycle); err != nil {
				add(n.Line, n.ID, "failedJobRetryTimeCycle: %v", err)
			}
		}
		n.priorityProgram = nil
		if p := strings.TrimSpace(n.Priority); p != "" {
			if _, err := strconv.ParseInt(p, 10, 64); err != nil {
				e := NormalizeExpression(p)
				if e == p && !strings.HasPrefix(p, "${") && !strings.HasPrefix(p, "#{") {
					add(n.Line, n.ID, "jobPriority %q: write a whole number such as 10, or an expression such as ${priority}", p)
				} else if prog, err := expr.Compile(e, expr.AllowUndefinedVariables()); err != nil {
					add(n.Line, n.ID, "jobPriority %q does not compile: %v", p, oneLine(err))
				} else {
					n.priorityProgram = prog
				}
			}
		}
	}
	if d.RetryCycle != "" {
		if _, err := ParseRetryCycle(d.RetryCycle); err != nil {
			add(0, d.Key, "the process's failedJobRetryTimeCycle: %v", err)
		}
	}
	switch {
	case starts == 0 && eventStarts == 0 && len(d.Nodes) > 0:
		add(0, d.Key, "the process has no start event")
	case starts > 1:
		add(0, d.Key, "the process has %d none start events; exactly one is supported", starts)
	}
	if len(probs) > 0 {
		sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
		return &ValidationError{Problems: probs}
	}
	return nil
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func codeName(code string) string {
	if code == "" {
		return "every error"
	}
	return fmt.Sprintf("error code %q", code)
}
