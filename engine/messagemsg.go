package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// MessageBody is the body of a message on baton.msg.<messageName>: msgpack by default, JSON when
// the header Content-Type is application/json. Field names are the same in both. The message id
// is the Nats-Msg-Id header.
type MessageBody struct {
	// CorrelationKey selects the waiting instances.
	CorrelationKey string `msgpack:"correlationKey,omitempty" json:"correlationKey,omitempty"`
	// Variables are set on the instances the message reaches.
	Variables map[string]any `msgpack:"variables,omitempty" json:"variables,omitempty"`
	// All correlates to every waiting instance.
	All bool `msgpack:"all,omitempty" json:"all,omitempty"`
	// TTL is how long the message waits for a subscription, as a Go duration ("30m"); default
	// one hour; "0s" or a negative value: do not wait.
	TTL string `msgpack:"ttl,omitempty" json:"ttl,omitempty"`
}

// DecodeMessageBody parses a message body; errors name the field. Unknown fields are errors.
func DecodeMessageBody(data []byte, contentType string) (*MessageBody, time.Duration, error) {
	var m MessageBody
	if len(bytes.TrimSpace(data)) > 0 {
		ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
		switch ct {
		case "application/json":
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				return nil, 0, fmt.Errorf("message (JSON): %w", err)
			}
			m.Variables = normalizeJSON(m.Variables)
		case "", "application/msgpack", "application/x-msgpack", "application/vnd.msgpack":
			dec := msgpack.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields(true)
			dec.UseLooseInterfaceDecoding(true)
			if err := dec.Decode(&m); err != nil {
				return nil, 0, fmt.Errorf("message (msgpack; set Content-Type: application/json for JSON): %w", err)
			}
			NormalizeNumbers(m.Variables)
		default:
			return nil, 0, fmt.Errorf("message: unsupported Content-Type %q (use application/json or msgpack)", contentType)
		}
	}
	ttl := time.Duration(0)
	if m.TTL != "" {
		d, err := time.ParseDuration(m.TTL)
		if err != nil {
			return nil, 0, fmt.Errorf("message: field ttl: %q is not a duration such as 30m", m.TTL)
		}
		ttl = d
		if d <= 0 {
			ttl = -1 // do not wait
		}
	}
	return &m, ttl, nil
}
