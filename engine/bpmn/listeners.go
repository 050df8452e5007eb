package bpmn

import (
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// Execution listeners become delegates: Listener.TaskType names the delegate that runs at the
// listener's event, in the step of the node or flow it listens on. A listener is read from
// <prefix>:executionListener (Camunda 7, Flowable, Activiti) with class or delegateExpression ${name},
// and from Zeebe's zeebe:executionListeners. Expressions, scripts and field injection cannot name a
// delegate and are reported, as are jBPM's on-entry and on-exit scripts.

// javaDialects lists the Java engines' namespaces whose extension elements and attributes for
// listeners, call activities and multi-instance Baton reads: executionListener, in and out,
// collection and elementVariable.
var javaDialects = []struct{ ns, prefix string }{
	{nsCamunda, "camunda"},
	{nsFlowable, "flowable"},
	{nsActiviti, "activiti"},
}

// asDelegates ends the problem text of a listener that does not name a delegate.
const asDelegates = "execution listeners run as delegates: name a task type with class or delegateExpression"

// listeners reads the extension element c of the flow node or sequence flow id when it declares
// execution listeners, and returns them; nil for any other element. flow says whether id is a
// sequence flow, whose listeners default to the take event.
func (r *processReader) listeners(c *element, id string, flow bool) []model.Listener {
	var ls []model.Listener
	if c.is(nsZeebe, "executionListeners") {
		for _, z := range c.children {
			if l, ok := r.zeebeListener(z, id); ok {
				ls = append(ls, l)
			}
		}
		return ls
	}
	for _, d := range javaDialects {
		if c.is(d.ns, "executionListener") {
			if l, ok := r.listener(c, d.prefix, id, flow); ok {
				ls = append(ls, l)
			}
		}
	}
	return ls
}

// listener reads one <prefix>:executionListener el. ok is false after a problem was reported; a
// listener that names no delegate at all is kept for Link to report.
func (r *processReader) listener(el *element, prefix, id string, flow bool) (l model.Listener, ok bool) {
	name := prefix + ":executionListener"
	ok = true
	fail := func(line int, format string, args ...any) {
		r.p.add(line, id, format, args...)
		ok = false
	}
	l.Event = strings.TrimSpace(el.attr("event"))
	if flow && l.Event == "" {
		l.Event = model.ListenerTake
	}
	class := strings.TrimSpace(el.attr("class"))
	delegate := strings.TrimSpace(el.attr("delegateExpression"))
	switch {
	case class != "" && delegate != "":
		fail(el.line, "%s has both class=%q and delegateExpression=%q; keep one", name, class, delegate)
	case class != "":
		l.TaskType = class
	case delegate != "":
		typ := model.NormalizeExpression(delegate)
		if !delegateName.MatchString(typ) || typ == delegate {
			fail(el.line, "%s delegateExpression=%q must name a delegate as ${name}; Baton takes the name as the task type (register a delegate under it)", name, delegate)
		}
		l.TaskType = typ
	}
	if v := el.attr("expression"); v != "" {
		fail(el.line, "%s expression=%q is not supported: %s", name, v, asDelegates)
	}
	if v := el.attr("onTransaction"); v != "" {
		fail(el.line, "%s onTransaction=%q is not supported: a listener runs in the step of the element it listens on", name, v)
	}
	for _, c := range el.children {
		switch {
		case c.is(el.name.Space, "script"):
			fail(c.line, "a <%s:script> in an execution listener is not supported: %s", prefix, asDelegates)
		case c.is(el.name.Space, "field"):
			fail(c.line, "<%s:field name=%q> in an execution listener is not supported: %s, and read values from variables instead of fields",
				prefix, c.attr("name"), asDelegates)
		}
	}
	return l, ok
}

// zeebeListener reads one zeebe:executionListener el: eventType and a fixed task type. Its retries
// are not read: a Listener has no retry setting of its own.
func (r *processReader) zeebeListener(el *element, id string) (model.Listener, bool) {
	if !el.is(nsZeebe, "executionListener") {
		return model.Listener{}, false
	}
	l := model.Listener{Event: strings.TrimSpace(el.attr("eventType")), TaskType: strings.TrimSpace(el.attr("type"))}
	if strings.HasPrefix(l.TaskType, "=") {
		r.p.add(el.line, id, "zeebe:executionListener type %q is a FEEL expression, which is not supported; write a fixed task type", l.TaskType)
		return l, false
	}
	return l, true
}

// droolsScript reports jBPM's drools:onEntry-script or drools:onExit-script el on the node id.
// An empty script, which jBPM's designer writes on many nodes, is ignored.
func (r *processReader) droolsScript(el *element, id string) {
	text := el.content()
	for _, c := range el.children {
		if c.is(nsDrools, "script") {
			text += c.content()
		}
	}
	if strings.TrimSpace(text) == "" {
		return
	}
	r.p.add(el.line, id, "drools:%s is not supported: execution listeners must be delegates; move the script into a scriptTask before or after the node",
		el.name.Local)
}

// processExtensions reads the extension elements of the <process> el: the process's default
// failed-job retry cycle, and execution listeners, which it reports (Baton runs listeners on flow
// nodes and sequence flows only).
func (r *processReader) processExtensions(el *element) {
	const msg = "process-level execution listeners are not supported; put them on the start or end event"
	for _, ext := range el.children {
		if !ext.is(nsBPMN, "extensionElements") {
			continue
		}
		for _, c := range ext.children {
			if c.is(nsZeebe, "executionListeners") {
				for _, z := range c.children {
					if z.is(nsZeebe, "executionListener") {
						r.p.add(z.line, r.def.Key, "%s", msg)
					}
				}
				continue
			}
			for _, d := range javaDialects {
				if c.is(d.ns, "executionListener") {
					r.p.add(c.line, r.def.Key, "%s", msg)
				}
			}
			// The process's default retry cycle, for activities that set none.
			for i := range dialects {
				if d := &dialects[i]; d.retryCycle != "" && c.is(d.ns, d.retryCycle) {
					if r.def.RetryCycle != "" && r.def.RetryCycle != c.content() {
						r.p.add(c.line, r.def.Key, "two different process retry cycles, %q and %q; keep one", r.def.RetryCycle, c.content())
					}
					r.def.RetryCycle = c.content()
				}
			}
		}
	}
}
