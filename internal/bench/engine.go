package bench

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/pkg/baton"
)

// StepType is the task type of every service task of the benchmark process.
const StepType = "bench.step"

// ProcessKey is the benchmark process's key.
const ProcessKey = "bench"

// Model returns a process of tasks service tasks in a row, each async before, all of type
// StepType.
func Model(tasks int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:baton="https://github.com/batonhq/baton/schema/bpmn" id="bench-definitions" targetNamespace="bench">
  <process id="` + ProcessKey + `" isExecutable="true">
    <startEvent id="Start"/>
`)
	prev := "Start"
	for i := 1; i <= tasks; i++ {
		id := fmt.Sprintf("T%d", i)
		fmt.Fprintf(&b, "    <sequenceFlow id=\"F%d\" sourceRef=%q targetRef=%q/>\n", i, prev, id)
		fmt.Fprintf(&b, "    <serviceTask id=%q baton:type=%q baton:asyncBefore=\"true\"/>\n", id, StepType)
		prev = id
	}
	fmt.Fprintf(&b, "    <sequenceFlow id=\"FEnd\" sourceRef=%q targetRef=\"End\"/>\n    <endEvent id=\"End\"/>\n  </process>\n</definitions>\n", prev)
	return []byte(b.String())
}

// observer counts committed jobs and their latencies.
type observer struct {
	commits atomic.Int64
	target  atomic.Int64
	done    chan struct{}
	lat     *latencies
}

func (o *observer) JobCommitted(_ *job.Job, latency time.Duration) {
	o.lat.add(latency)
	if n := o.commits.Add(1); n == o.target.Load() {
		close(o.done)
	}
}

// engineRun starts instances×tasks continuations through the full engine and waits for the
// last commit.
func engineRun(ctx context.Context, c *baton.Client, obs *observer, rt *roundTrips, instances, tasks int) (Result, error) {
	obs.lat.reset()
	obs.commits.Store(0)
	obs.target.Store(int64(instances * tasks))
	obs.done = make(chan struct{})
	rt0, c0 := rt.n.Load(), rt.cmds.Load()
	start := time.Now()
	// Start the instances concurrently, as many callers would, so the run is not limited by one
	// caller's round trips (the floor publishes its chain heads asynchronously too).
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := 0; i < instances; i++ {
		g.Go(func() error {
			_, err := c.Engine().Start(gctx, engine.StartRequest{ProcessKey: ProcessKey})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	select {
	case <-obs.done:
	case <-time.After(5 * time.Minute):
		return Result{}, fmt.Errorf("engine: %d of %d continuations after 5m", obs.commits.Load(), instances*tasks)
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	return Result{Hops: instances * tasks, Elapsed: time.Since(start), P50: obs.lat.percentile(50),
		P99: obs.lat.percentile(99), RoundTrips: rt.n.Load() - rt0, Commands: rt.cmds.Load() - c0}, nil
}
