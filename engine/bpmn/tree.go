package bpmn

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// element is one XML element of the document with the line of its start tag. The whole model is
// read into a tree of elements first (diagram interchange excluded) so that the BPMN rules can
// look at children and attributes freely.
type element struct {
	name     xml.Name
	attrs    []xml.Attr
	line     int
	children []*element
	text     []byte // character data directly inside the element, CDATA included
}

// is reports whether the element is local in namespace space.
func (e *element) is(space, local string) bool {
	return e.name.Space == space && e.name.Local == local
}

// lookup returns the value of the attribute local in namespace space ("" for unqualified).
func (e *element) lookup(space, local string) (string, bool) {
	for _, a := range e.attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// attr returns the value of the unqualified attribute local, or "" when it is absent.
func (e *element) attr(local string) string {
	v, _ := e.lookup("", local)
	return v
}

// content returns the element's character data with surrounding white space removed.
func (e *element) content() string { return strings.TrimSpace(string(e.text)) }

// readTree decodes data token by token into a tree of elements, recording each start tag's line.
// It skips BPMN diagram interchange (shapes and edges) but still checks that it is well-formed.
// On malformed XML it adds one problem at the failing line and returns nil.
func readTree(data []byte, p *problems) *element {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	fail := func(err error) *element {
		line, _ := d.InputPos()
		msg := err.Error()
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			line, msg = se.Line, se.Msg
		}
		p.add(line, "", "malformed XML: %s; the file must be complete, well-formed XML as a BPMN modeller saves it", msg)
		return nil
	}
	var root *element
	var stack []*element
	for {
		// Character data, comments and the like are tokens of their own, so the position before
		// a start element is the position of its '<'.
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == nsDI && len(stack) > 0 {
				if err := d.Skip(); err != nil {
					return fail(err)
				}
				continue
			}
			e := &element{name: t.Name, attrs: append([]xml.Attr(nil), t.Attr...), line: line}
			switch {
			case len(stack) > 0:
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, e)
			case root == nil:
				root = e
			default:
				p.add(line, e.attr("id"), "second root element <%s>: a BPMN file holds exactly one <definitions> element", t.Name.Local)
				return nil
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.text = append(top.text, t...)
			}
		}
	}
	if root == nil {
		p.add(1, "", "the file holds no XML element; a BPMN file starts with <definitions>")
		return nil
	}
	return root
}

// charsetReader lets the decoder read the few non-UTF-8 encodings that BPMN files declare.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1":
		raw, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(raw))
		for _, b := range raw {
			out = utf8.AppendRune(out, rune(b))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("encoding %q is not supported; save the file as UTF-8", label)
}
