package bpmn

import (
	"errors"
	"fmt"
	"sort"

	"github.com/batonhq/baton/engine/model"
)

// problems collects everything wrong with one document, so that Parse reports all of it at once
// instead of stopping at the first mistake.
type problems struct {
	source string
	list   []model.Problem
}

// add records one problem at line of the source, tied to the element id (empty when none).
func (p *problems) add(line int, id, format string, args ...any) {
	p.list = append(p.list, model.Problem{
		Source:    p.source,
		Line:      line,
		ElementID: id,
		Message:   fmt.Sprintf(format, args...),
	})
}

// merge adds the problems of err, which is normally the *model.ValidationError of Link.
func (p *problems) merge(err error) {
	if err == nil {
		return
	}
	var v *model.ValidationError
	if !errors.As(err, &v) {
		p.add(0, "", "%v", err)
		return
	}
	for _, pr := range v.Problems {
		if pr.Source == "" {
			pr.Source = p.source
		}
		p.list = append(p.list, pr)
	}
}

// empty reports whether no problem was found.
func (p *problems) empty() bool { return len(p.list) == 0 }

// err returns the collected problems ordered by line as a *model.ValidationError, or nil.
func (p *problems) err() error {
	if p.empty() {
		return nil
	}
	list := append([]model.Problem(nil), p.list...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	return &model.ValidationError{Problems: list}
}
