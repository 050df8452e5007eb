// Package external is Baton's example of an external task: the model's service task is
// camunda:type="external" with the topic "invoice-archive", and its worker, worker.mjs, is a
// Node.js program that speaks only NATS (docs/external-workers.md).
//
//	npm ci && NATS_URL=nats://127.0.0.1:4222 TOPIC=invoice-archive node worker.mjs
package external

import _ "embed"

// BPMN is the process model (process key "invoice-archive").
//
//go:embed external.bpmn
var BPMN []byte

// ProcessKey is the id of the process in BPMN; Topic is its external task's topic.
const (
	ProcessKey = "invoice-archive"
	Topic      = "invoice-archive"
)
