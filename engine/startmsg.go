package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

// StartMessage is the body of a message on baton.start.<processKey>: msgpack by default, JSON
// when the header Content-Type is application/json. Field names are the same in both.
type StartMessage struct {
	// Variables are the instance's initial variables.
	Variables map[string]any `msgpack:"variables,omitempty" json:"variables,omitempty"`
	// BusinessKey is optional.
	BusinessKey string `msgpack:"businessKey,omitempty" json:"businessKey,omitempty"`
	// Version pins a deployed version; 0 or absent means the latest.
	Version int `msgpack:"version,omitempty" json:"version,omitempty"`
}

// DecodeStartMessage parses a start message body. contentType is the message's Content-Type
// header. Errors name the offending field; unknown fields are errors, so a typo is not
// silently ignored. An empty body is a start without variables.
func DecodeStartMessage(data []byte, contentType string) (*StartMessage, error) {
	var m StartMessage
	if err := decodeBody(data, contentType, "start message", false, &m); err != nil {
		return nil, err
	}
	m.Variables = normalizeVariables(m.Variables)
	if m.Version < 0 {
		return nil, fmt.Errorf("start message: field version: must be 0 (latest) or a deployed version, got %d", m.Version)
	}
	return &m, nil
}

// decodeBody decodes a message body into v (a struct with msgpack and json tags): JSON with
// Content-Type application/json, msgpack with an msgpack type (or none, unless jsonDefault).
// Unknown fields are errors, naming the field; an empty body decodes to nothing. what names the
// body in errors.
func decodeBody(data []byte, contentType, what string, jsonDefault bool, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	if ct == "" && jsonDefault {
		ct = "application/json"
	}
	switch ct {
	case "application/json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("%s (JSON): %w", what, err)
		}
	case "", "application/msgpack", "application/x-msgpack", "application/vnd.msgpack":
		dec := msgpack.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields(true)
		dec.UseLooseInterfaceDecoding(true)
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("%s (msgpack; set Content-Type: application/json for JSON): %w", what, err)
		}
	default:
		return fmt.Errorf("%s: unsupported Content-Type %q (use application/json or msgpack)", what, contentType)
	}
	return nil
}

// normalizeVariables makes decoded variables uniform whatever the body's encoding: JSON numbers
// and msgpack integers become int64 (float64 when not integral).
func normalizeVariables(vars map[string]any) map[string]any {
	NormalizeNumbers(vars)
	return vars
}
