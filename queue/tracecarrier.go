package queue

import (
	"strings"

	"github.com/nats-io/nats.go"
)

// HeaderCarrier carries OpenTelemetry trace context (the W3C traceparent and tracestate
// headers) in NATS message headers, so one instance's trace follows its jobs from worker to
// worker. Keys are matched without regard to case, as W3C trace context asks.
type HeaderCarrier nats.Header

// Get returns the first value of key.
func (c HeaderCarrier) Get(key string) string {
	if v, ok := c[key]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range c {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// Set sets key to value.
func (c HeaderCarrier) Set(key, value string) { c[key] = []string{value} }

// Keys lists the keys.
func (c HeaderCarrier) Keys() []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	return out
}
