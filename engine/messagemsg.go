package engine

import (
	"fmt"
	"time"
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
	if err := decodeBody(data, contentType, "message", false, &m); err != nil {
		return nil, 0, err
	}
	m.Variables = normalizeVariables(m.Variables)
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
