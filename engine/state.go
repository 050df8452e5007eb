package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
)

// Instance statuses as stored in Redis and shown by the API.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusIncident  = "incident"
)

// Wait says why a token is not moving.
type Wait string

const (
	// WaitJob: the token waits at an async boundary for its job (Token.Job).
	WaitJob Wait = "job"
	// WaitJoin: the token arrived at a parallel join that waits for its other branches.
	WaitJoin Wait = "join"
	// WaitScope: the token is at an embedded subprocess, or a multi-instance body, whose child
	// tokens run.
	WaitScope Wait = "scope"
	// WaitCall: the token is at a call activity whose child instance (Token.Child) runs.
	WaitCall Wait = "call"
	// WaitEvents: the token is at an event-based gateway, waiting for the first of its events
	// (one wait job each, Token.Events).
	WaitEvents Wait = "events"
)

// Multi-instance roles of a token (Token.Loop).
const (
	// LoopBody: the token is a multi-instance body; its inner instances are its child tokens.
	LoopBody = "body"
	// LoopInner: the token is one inner instance of the body it runs in (Parent).
	LoopInner = "inner"
)

// State is an instance's execution tree and variables, stored msgpack-encoded in Redis. It is
// private to one step: a runner works on its own decoded copy.
type State struct {
	ID                string         `msgpack:"id"`
	ProcessKey        string         `msgpack:"pk"`
	DefinitionVersion int            `msgpack:"dv"`
	BusinessKey       string         `msgpack:"bk,omitempty"`
	Variables         map[string]any `msgpack:"vars"`
	Tokens            []*Token       `msgpack:"tok"`
	// Seq numbers tokens: token ids are "t<Seq>".
	Seq int `msgpack:"seq"`
	// Started and Ended are Unix milliseconds; Ended is 0 while the instance runs.
	Started int64 `msgpack:"st"`
	Ended   int64 `msgpack:"en,omitempty"`
	// Caller is set on an instance a call activity started: where its completion goes.
	Caller *Caller `msgpack:"cl,omitempty"`
	// Thrown is the BPMN error that ended a called instance: no boundary inside caught it, so
	// its Return job throws it at the call activity.
	Thrown *BPMNError `msgpack:"th,omitempty"`
}

// Caller is the call activity that started an instance: the parent instance, its token waiting
// at the call activity, and the job that started the child (the token waits for that job until
// the parent commits the call).
type Caller struct {
	Instance string `msgpack:"i"`
	Token    string `msgpack:"t"`
	Activity string `msgpack:"a"`
	Job      string `msgpack:"j"`
}

// Token is one execution: a position in the process graph.
type Token struct {
	ID       string `msgpack:"id"`
	Activity string `msgpack:"a"`
	Wait     Wait   `msgpack:"w,omitempty"`
	// Job is the id of the job the token waits for when Wait is WaitJob.
	Job string `msgpack:"j,omitempty"`
	// Via is the sequence flow the token arrived by; a parallel join waits for one token on
	// each of its incoming flows.
	Via string `msgpack:"v,omitempty"`
	// Parent is the token waiting at the embedded subprocess (or multi-instance body) this token
	// runs in; empty at process level.
	Parent string `msgpack:"p,omitempty"`
	// Locals are the variables of the scope this token opened at its activity: input mappings,
	// a subprocess's variables, a multi-instance body's counters, an inner instance's element.
	// Nil when the activity opened no scope; they go when the activity ends.
	Locals map[string]any `msgpack:"l,omitempty"`
	// Loop is the token's multi-instance role: LoopBody, LoopInner or empty.
	Loop string `msgpack:"lp,omitempty"`
	// Items is a multi-instance body's collection, evaluated once when the body started.
	Items []any `msgpack:"it,omitempty"`
	// Child is the instance a call activity started, while the token waits for it.
	Child string `msgpack:"c,omitempty"`
	// Result holds a completed child's variables, and Thrown the BPMN error that ended it,
	// between the child's return and the call activity's End job, which applies them.
	Result map[string]any `msgpack:"rs,omitempty"`
	Thrown *BPMNError     `msgpack:"th,omitempty"`
	// ResultKey is the completed child's business key, for the call's output mappings.
	ResultKey string `msgpack:"rk,omitempty"`
	// Events are the wait jobs of the events an event-based gateway's token waits for.
	Events []string `msgpack:"ev,omitempty"`
	// Armed is set once the timer and message boundary events of the token's activity are
	// armed; Boundaries are their jobs.
	Armed      bool     `msgpack:"ar,omitempty"`
	Boundaries []string `msgpack:"bd,omitempty"`
}

// History event types.
const (
	EventActivityStart = "activityStart"
	EventActivityEnd   = "activityEnd"
)

// HistoryEvent records an activity starting or ending. A step's events are appended to the
// instance's history list in Redis by the commit that applies the step, so the hot state blob
// does not grow with the instance's past.
type HistoryEvent struct {
	Type     string `msgpack:"t" json:"type"`
	Activity string `msgpack:"a" json:"activityId"`
	Token    string `msgpack:"tk" json:"tokenId"`
	// Time is Unix milliseconds.
	Time int64 `msgpack:"ts" json:"time"`
	// Variable and Value are set on EventVariableSet: the variable and its new value. Token is
	// then the scope's token, empty for the process's variables.
	Variable string `msgpack:"vr,omitempty" json:"variable,omitempty"`
	Value    any    `msgpack:"vl,omitempty" json:"value,omitempty"`
}

// EventVariableSet records a variable set by a delegate, a script, a mapping, a completion or the
// variables API.
const EventVariableSet = "variableSet"

func (s *State) token(id string) *Token {
	for _, t := range s.Tokens {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (s *State) removeToken(id string) {
	for i, t := range s.Tokens {
		if t.ID == id {
			s.Tokens = append(s.Tokens[:i], s.Tokens[i+1:]...)
			return
		}
	}
}

func (s *State) newToken(activity string) *Token {
	s.Seq++
	t := &Token{ID: fmt.Sprintf("t%d", s.Seq), Activity: activity}
	s.Tokens = append(s.Tokens, t)
	return t
}

// EncodeHistory encodes one step's history events.
func EncodeHistory(events []HistoryEvent) ([]byte, error) {
	if len(events) == 0 {
		return nil, nil
	}
	b, err := msgpack.Marshal(events)
	if err != nil {
		return nil, fmt.Errorf("encode history: %w", err)
	}
	return b, nil
}

// DecodeHistory decodes and concatenates the stored steps' history events.
func DecodeHistory(steps [][]byte) ([]HistoryEvent, error) {
	out := []HistoryEvent{}
	for _, b := range steps {
		var events []HistoryEvent
		if err := msgpack.Unmarshal(b, &events); err != nil {
			return nil, fmt.Errorf("decode history: %w", err)
		}
		out = append(out, events...)
	}
	return out, nil
}

// errDecode marks stored data that cannot be decoded: it fails the same way every time.
var errDecode = errors.New("undecodable stored data")

// EncodeState returns the msgpack encoding of s.
func EncodeState(s *State) ([]byte, error) {
	b, err := msgpack.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode state of %s: %w", s.ID, err)
	}
	return b, nil
}

// DecodeState parses a stored state. Numbers in variables decode as int64, uint64 or float64.
func DecodeState(b []byte) (*State, error) {
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.UseLooseInterfaceDecoding(true)
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode instance state: %w", err)
	}
	if s.Variables == nil {
		s.Variables = map[string]any{}
	}
	NormalizeNumbers(s.Variables)
	for _, t := range s.Tokens {
		NormalizeNumbers(t.Locals)
		NormalizeNumbers(t.Result)
		for i := range t.Items {
			t.Items[i] = normalizeNumber(t.Items[i])
		}
	}
	return &s, nil
}

// NormalizeNumbers makes every integer in a decoded variable tree an int64 (msgpack stores
// non-negative integers unsigned, so a Go int would otherwise come back as uint64 or int64
// depending on its size), and every json.Number an int64, or a float64 when it is not integral.
// Integers above math.MaxInt64 stay uint64.
func NormalizeNumbers(vars map[string]any) {
	for k, v := range vars {
		vars[k] = normalizeNumber(v)
	}
}

func normalizeNumber(v any) any {
	switch x := v.(type) {
	case json.Number: // decoded from JSON with UseNumber: integral numbers stay exact
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x)
		}
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
	case map[string]any:
		NormalizeNumbers(x)
	case []any:
		for i := range x {
			x[i] = normalizeNumber(x[i])
		}
	}
	return v
}

// MaxVariableDepth bounds how deeply maps and lists may nest in a variable. It turns a cyclic
// value (a map that contains itself) into an error instead of endless recursion.
const MaxVariableDepth = 64

// checkDepth reports an error when v nests maps and lists deeper than MaxVariableDepth.
func checkDepth(name string, v any) error {
	var walk func(v any, depth int) bool
	walk = func(v any, depth int) bool {
		if depth > MaxVariableDepth {
			return false
		}
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				if !walk(e, depth+1) {
					return false
				}
			}
		case []any:
			for _, e := range x {
				if !walk(e, depth+1) {
					return false
				}
			}
		}
		return true
	}
	if !walk(v, 0) {
		return fmt.Errorf("variable %q nests deeper than %d levels or contains itself", name, MaxVariableDepth)
	}
	return nil
}
