package bpmn

import (
	"strconv"
	"strings"

	"github.com/batonhq/baton/engine/model"
)

// Input and output mappings: camunda:inputOutput and zeebe:ioMapping fill Node.Inputs and
// Node.Outputs. Link checks where they are allowed and compiles them.
//
// A Camunda parameter is JUEL, and so is a call activity's sourceExpression or business key.
// Their text is trimmed, as Camunda trims it, and then translated (see juel): empty text sets
// null, one ${...} or #{...} expression becomes that expression, plain text a constant string, and
// text that mixes both (JUEL's composite expression, "Order ${id}") a string concatenation. A
// <camunda:list> or <camunda:map> becomes one expr-lang literal, [(a), "b"] or {"k": (a)}, nested
// lists and maps included.

// juelValue is a translated JUEL value: an expr-lang expression, or a constant (a string, or nil).
type juelValue struct {
	expr  string
	value any
	// composite marks expr as a list or map literal, an operand that needs no parentheses.
	composite bool
}

// literal returns v as an expr-lang operand, for lists and maps.
func (v juelValue) literal() string {
	switch {
	case v.composite:
		return v.expr
	case v.expr != "":
		return "(" + v.expr + ")"
	case v.value == nil:
		return "nil"
	}
	return strconv.Quote(v.value.(string))
}

// mapping returns the mapping of v to target.
func (v juelValue) mapping(target string) model.Mapping {
	return model.Mapping{Target: target, Expr: v.expr, Value: v.value}
}

// juel translates the JUEL text s (trimmed first) into a value; on a mistake it returns what is
// wrong, for a message that names where s came from.
func juel(s string) (juelValue, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return juelValue{}, ""
	}
	parts, ok := splitTemplate(s)
	if !ok {
		return juelValue{}, "has an expression without its closing }"
	}
	var sum []string
	for _, p := range parts {
		switch {
		case !p.expr:
			sum = append(sum, strconv.Quote(p.text))
		case p.text == "":
			return juelValue{}, "has an empty expression"
		case len(parts) == 1:
			return juelValue{expr: p.text}, ""
		default:
			sum = append(sum, "string("+p.text+")")
		}
	}
	if len(parts) == 1 {
		return juelValue{value: parts[0].text}, ""
	}
	return juelValue{expr: strings.Join(sum, " + ")}, ""
}

// templatePart is literal text or, with expr, the inside of one ${...} or #{...}, trimmed.
type templatePart struct {
	text string
	expr bool
}

// splitTemplate splits the JUEL text s into literal text and expressions; \${ is a literal ${.
// ok is false when an expression has no closing brace.
func splitTemplate(s string) (parts []templatePart, ok bool) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, templatePart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		opens := i+1 < len(s) && (s[i] == '$' || s[i] == '#') && s[i+1] == '{'
		switch {
		case s[i] == '\\' && i+2 < len(s) && (s[i+1] == '$' || s[i+1] == '#') && s[i+2] == '{':
			lit.WriteString(s[i+1 : i+3])
			i += 2
		case opens:
			end := closingBrace(s, i+2)
			if end < 0 {
				return nil, false
			}
			flush()
			parts = append(parts, templatePart{text: strings.TrimSpace(s[i+2 : end]), expr: true})
			i = end
		default:
			lit.WriteByte(s[i])
		}
	}
	flush()
	return parts, true
}

// closingBrace returns the index of the } that closes an expression whose inside starts at from,
// skipping nested braces and quoted strings; -1 when there is none.
func closingBrace(s string, from int) int {
	depth := 0
	var quote byte
	for i := from; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '{':
			depth++
		case c == '}' && depth == 0:
			return i
		case c == '}':
			depth--
		}
	}
	return -1
}

// camundaIO reads the parameters of <camunda:inputOutput> io into n's Inputs and Outputs. A
// parameter without a name is kept with an empty target, for Link to report.
func (r *processReader) camundaIO(io *element, n *model.Node) {
	for _, c := range io.children {
		input := c.is(nsCamunda, "inputParameter")
		if !input && !c.is(nsCamunda, "outputParameter") {
			continue
		}
		v, ok := r.parameter(c, n.ID)
		if !ok {
			continue
		}
		m := v.mapping(strings.TrimSpace(c.attr("name")))
		if input {
			n.Inputs = append(n.Inputs, m)
		} else {
			n.Outputs = append(n.Outputs, m)
		}
	}
}

// parameter translates the content of a Camunda parameter or map entry el: its text, or its one
// child element. ok is false after a problem was reported.
func (r *processReader) parameter(el *element, id string) (v juelValue, ok bool) {
	switch len(el.children) {
	case 0:
		return r.juelText(el, id)
	case 1:
		return r.parameterValue(el.children[0], id)
	}
	r.p.add(el.children[1].line, id, "<camunda:%s> holds %d elements; a parameter holds text, or one <camunda:list>, <camunda:map> or <camunda:value>",
		el.name.Local, len(el.children))
	return juelValue{}, false
}

// parameterValue translates the value element el of a parameter, list or map entry.
func (r *processReader) parameterValue(el *element, id string) (juelValue, bool) {
	switch {
	case el.is(nsCamunda, "value"):
		return r.juelText(el, id)
	case el.is(nsCamunda, "list"):
		items := make([]string, 0, len(el.children))
		ok := true
		for _, c := range el.children {
			v, good := r.parameterValue(c, id)
			ok = ok && good
			items = append(items, v.literal())
		}
		return juelValue{expr: "[" + strings.Join(items, ", ") + "]", composite: true}, ok
	case el.is(nsCamunda, "map"):
		return r.parameterMap(el, id)
	case el.is(nsCamunda, "script"):
		r.p.add(el.line, id, "a <camunda:script> as a parameter value is not supported; write the value as an expression such as ${a + b}, or compute it in a scriptTask")
		return juelValue{}, false
	}
	r.p.add(el.line, id, "unsupported element <%s> in a parameter; write text, <camunda:list> with <camunda:value> items, or <camunda:map> with <camunda:entry key=\"...\">",
		el.name.Local)
	return juelValue{}, false
}

// parameterMap translates a <camunda:map> into an expr-lang map literal; a key that is an
// expression becomes a computed key.
func (r *processReader) parameterMap(el *element, id string) (juelValue, bool) {
	entries := make([]string, 0, len(el.children))
	ok := true
	for _, c := range el.children {
		if !c.is(nsCamunda, "entry") {
			r.p.add(c.line, id, "unsupported element <%s> in a <camunda:map>; write <camunda:entry key=\"...\"> entries", c.name.Local)
			ok = false
			continue
		}
		key, msg := juel(c.attr("key"))
		switch {
		case msg != "":
			r.p.add(c.line, id, "the key %q of a <camunda:entry> %s", c.attr("key"), msg)
			ok = false
			continue
		case key.expr == "" && key.value == nil:
			r.p.add(c.line, id, "a <camunda:entry> without a key; set its key attribute")
			ok = false
			continue
		}
		v, good := r.parameter(c, id)
		ok = ok && good
		entries = append(entries, key.literal()+": "+v.literal())
	}
	return juelValue{expr: "{" + strings.Join(entries, ", ") + "}", composite: true}, ok
}

// juelText translates the text of el as JUEL, reporting a mistake.
func (r *processReader) juelText(el *element, id string) (juelValue, bool) {
	v, msg := juel(string(el.text))
	if msg != "" {
		r.p.add(el.line, id, "the value of <camunda:%s> %s: %q", el.name.Local, msg, el.content())
		return juelValue{}, false
	}
	return v, true
}

// zeebeIO reads <zeebe:ioMapping> io into n's Inputs and Outputs. A source starting with = is a
// FEEL expression; any other source is a constant string, and an empty one sets null.
func (r *processReader) zeebeIO(io *element, n *model.Node) {
	for _, c := range io.children {
		input := c.is(nsZeebe, "input")
		if !input && !c.is(nsZeebe, "output") {
			continue
		}
		target := strings.TrimSpace(c.attr("target"))
		if strings.ContainsAny(target, ".[") {
			r.p.add(c.line, n.ID, "zeebe:%s target %q: nested targets are not supported; map to a top-level variable", c.name.Local, target)
			continue
		}
		m := model.Mapping{Target: target}
		switch source := c.attr("source"); {
		case strings.HasPrefix(strings.TrimSpace(source), "="):
			if m.Expr = model.NormalizeExpression(source); m.Expr == "" {
				r.p.add(c.line, n.ID, "zeebe:%s source %q is an empty expression; write an expression such as =order.id", c.name.Local, source)
				continue
			}
		case source != "":
			m.Value = source
		}
		if input {
			n.Inputs = append(n.Inputs, m)
		} else {
			n.Outputs = append(n.Outputs, m)
		}
	}
}
