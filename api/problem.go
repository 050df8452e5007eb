package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/pkg/baton"
)

// Problem is an error response (RFC 9457, Content-Type application/problem+json).
type Problem struct {
	// Type is a URI that names the kind of problem; "about:blank" when the status says it all.
	Type string `json:"type"`
	// Title is the status's short text.
	Title  string `json:"title"`
	Status int    `json:"status"`
	// Detail says what went wrong in this request.
	Detail string `json:"detail"`
	// Errors lists the fields (or model places) that are wrong, when known.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names one wrong field of a request: a JSON field path ("variables.amount"), a query
// parameter ("query.dueBefore"), a path parameter ("path.id") or a place in a BPMN model
// ("order.bpmn:12").
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
	// Element is the BPMN element id, for a model problem.
	Element string `json:"element,omitempty"`
}

// badRequest is a request error that names its field.
type badRequest struct {
	field, detail string
}

func (e *badRequest) Error() string { return e.field + ": " + e.detail }

// fieldErr returns a 400 error for field.
func fieldErr(field, format string, args ...any) error {
	return &badRequest{field: field, detail: fmt.Sprintf(format, args...)}
}

// writeProblem writes err as problem+json, with the status its kind calls for.
func writeProblem(w http.ResponseWriter, err error) {
	p := Problem{Type: "about:blank", Detail: err.Error()}
	var (
		br *badRequest
		ve *model.ValidationError
	)
	var (
		nr errNoRoute
		em errMethod
	)
	switch {
	case errors.As(err, &em):
		p.Status = http.StatusMethodNotAllowed
	case errors.Is(err, errUnauthorized):
		p.Status = http.StatusUnauthorized
	case errors.As(err, &nr):
		p.Status = http.StatusNotFound
	case errors.As(err, &br):
		p.Status, p.Type = http.StatusBadRequest, "https://github.com/batonhq/baton/blob/main/docs/api.md#invalid-request"
		p.Errors = []FieldError{{Field: br.field, Detail: br.detail}}
	case errors.As(err, &ve):
		p.Status, p.Type = http.StatusUnprocessableEntity, "https://github.com/batonhq/baton/blob/main/docs/api.md#invalid-model"
		for _, pr := range ve.Problems {
			p.Errors = append(p.Errors, FieldError{Field: fmt.Sprintf("%s:%d", pr.Source, pr.Line), Element: pr.ElementID, Detail: pr.Message})
		}
	case baton.IsNotFound(err), errors.Is(err, engine.ErrUnknownProcess), errors.Is(err, engine.ErrNoSubscription),
		errors.Is(err, engine.ErrNoIncident), errors.Is(err, engine.ErrNoDeadLetter):
		p.Status = http.StatusNotFound
	case errors.Is(err, engine.ErrNotWaiting), errors.Is(err, engine.ErrTaskTaken), errors.Is(err, engine.ErrAmbiguous),
		errors.Is(err, engine.ErrIncident), errors.Is(err, engine.ErrEnded), errors.Is(err, engine.ErrCalledInstance),
		errors.Is(err, engine.ErrSuspended):
		p.Status = http.StatusConflict
	case errors.As(err, new(*engine.DelegateError)):
		p.Status = http.StatusUnprocessableEntity // the first step failed; nothing was stored
	default:
		p.Status = http.StatusInternalServerError
	}
	p.Title = http.StatusText(p.Status)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

// maxBody bounds a request body: 4 MiB, enough for a large BPMN file.
const maxBody = 4 << 20

// decodeJSON decodes the request body into v strictly: unknown fields, wrong types and trailing
// data are errors that name the field.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fieldErr("header.Content-Type", "%q: send application/json", ct)
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonFieldErr(err)
	}
	if dec.More() {
		return fieldErr("body", "trailing data after the JSON object")
	}
	return nil
}

// jsonFieldErr turns a decoding error into one that names the field.
func jsonFieldErr(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF):
		return fieldErr("body", "empty; send a JSON object")
	case errors.As(err, &te):
		return fieldErr(te.Field, "is %s; want %s", te.Value, te.Type)
	case errors.As(err, &se):
		return fieldErr("body", "malformed JSON at byte %d: %v", se.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldErr(f, "unknown field")
	}
	return fieldErr("body", "%v", err)
}
