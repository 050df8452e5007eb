package engine

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/queue"
)

// Tracing. With Config.TracerProvider set, the engine records OpenTelemetry spans: "start
// <processKey>" for a start, "job <taskType>" for each job's execution, "delegate <taskType>"
// for each delegate or listener call inside it (the delegate's ctx carries it, so a delegate's
// own spans nest under it), and "commit" for the step's commit. Every job it publishes carries
// the publishing span's W3C trace context in its NATS headers (traceparent), and a worker that
// executes the job continues that trace: one instance's trace crosses workers.

// tracerName names the instrumentation.
const tracerName = "github.com/batonhq/baton/engine"

// propagator is W3C trace context.
var propagator = propagation.TraceContext{}

// tracerOf returns the tracer of tp, or a no-op one.
func tracerOf(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(tracerName)
}

// ExtractTrace returns ctx with the trace context carried in NATS headers h (a job or start
// message), so the spans of its handling continue the publisher's trace.
func ExtractTrace(ctx context.Context, h nats.Header) context.Context {
	if len(h) == 0 {
		return ctx
	}
	return propagator.Extract(ctx, queue.HeaderCarrier(h))
}

// injectTrace puts ctx's trace context into the headers of m, creating them when needed.
func injectTrace(ctx context.Context, m *queue.Message) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	if m.Header == nil {
		m.Header = nats.Header{}
	}
	propagator.Inject(ctx, queue.HeaderCarrier(m.Header))
}

// jobAttributes describe job j on its span.
func jobAttributes(j *job.Job) []attribute.KeyValue {
	return []attribute.KeyValue{attribute.String("baton.instance", j.Instance), attribute.String("baton.job", j.ID),
		attribute.String("baton.task_type", j.Type), attribute.String("baton.activity", j.Activity),
		attribute.String("baton.job_kind", j.Kind.String())}
}

// endSpan records err (if any) on span and ends it.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
