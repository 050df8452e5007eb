package engine_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

func TestOneInstancesTraceFollowsItsJobsAcrossWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	env, starter := deployed(t, model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="A"/>
    <serviceTask id="A" baton:type="a" baton:asyncBefore="true"/>
    <sequenceFlow id="f1" sourceRef="A" targetRef="B"/>
    <serviceTask id="B" baton:type="b" baton:asyncBefore="true"/>
    <sequenceFlow id="f2" sourceRef="B" targetRef="End"/>
    <endEvent id="End"/>`), func(c *baton.Config) { c.Engine.TracerProvider = tp })
	// Two workers, one per task type: the trace has to cross from one to the other.
	for _, typ := range []string{"a", "b"} {
		cfg := env.Config()
		cfg.Engine.TracerProvider = tp
		w := env.Client(cfg)
		w.Register(typ, baton.DelegateFunc(func(ctx context.Context, _ *baton.Task) error {
			// A delegate's own span nests under the delegate span.
			_, span := tp.Tracer("test").Start(ctx, "charge the card "+typ)
			span.End()
			return nil
		}))
		batontest.RunWorker(t, w, baton.WorkerConfig{TaskTypes: []string{typ}})
	}
	ctx, root := tp.Tracer("test").Start(ctx, "the caller")
	res, err := starter.Start(ctx, baton.StartRequest{ProcessKey: "p"})
	root.End()
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, starter, res.InstanceID, engine.StatusCompleted)
	byName := map[string]sdktrace.ReadOnlySpan{}
	batontest.Eventually(t, 10*time.Second, func() bool {
		for _, s := range rec.Ended() {
			byName[s.Name()] = s
		}
		_, ok := byName["job b"]
		return ok
	}, "the spans of job b never ended")
	want := root.SpanContext().TraceID()
	parentOf := func(name string) trace.SpanID {
		t.Helper()
		s, ok := byName[name]
		if !ok {
			t.Fatalf("no span %q among %v", name, names(byName))
		}
		if s.SpanContext().TraceID() != want {
			t.Fatalf("span %q is in trace %s, want the caller's %s", name, s.SpanContext().TraceID(), want)
		}
		return s.Parent().SpanID()
	}
	// caller -> start p -> job a -> delegate a -> charge the card a; job a -> commit; job a -> job b ...
	for child, parent := range map[string]string{"start p": "the caller", "job a": "start p", "delegate a": "job a",
		"charge the card a": "delegate a", "job b": "job a", "delegate b": "job b", "charge the card b": "delegate b"} {
		if got := parentOf(child); got != byName[parent].SpanContext().SpanID() {
			t.Errorf("the parent of %q is not %q", child, parent)
		}
	}
	if _, ok := byName["commit"]; !ok {
		t.Error("no commit span")
	}
}

func names(m map[string]sdktrace.ReadOnlySpan) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
