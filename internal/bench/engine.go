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

// observer counts committed jobs and their latencies, and reports each completed instance.
type observer struct {
	commits  atomic.Int64
	target   atomic.Int64
	last     string
	done     chan struct{}
	finished chan struct{}
	lat      *latencies
}

func (o *observer) JobCommitted(j *job.Job, latency time.Duration) {
	o.lat.add(latency)
	if j.Activity == o.last {
		select {
		case o.finished <- struct{}{}:
		default:
		}
	}
	if n := o.commits.Add(1); n == o.target.Load() {
		close(o.done)
	}
}

// engineRun runs total instances of tasks continuations each through the full engine, keeping
// concurrent instances in flight: a new one starts whenever one completes.
func engineRun(ctx context.Context, c *baton.Client, obs *observer, rt *roundTrips, concurrent, total, tasks int) (Result, error) {
	obs.lat.reset()
	obs.commits.Store(0)
	obs.target.Store(int64(total * tasks))
	obs.last = fmt.Sprintf("T%d", tasks)
	obs.done = make(chan struct{})
	obs.finished = make(chan struct{}, total)
	rt0, c0 := rt.n.Load(), rt.cmds.Load()
	start := time.Now()
	startOne := func(ctx context.Context) error {
		_, err := c.Engine().Start(ctx, engine.StartRequest{ProcessKey: ProcessKey})
		return err
	}
	// The first wave starts concurrently, as many callers would; then each completion starts
	// the next instance, from a few starters so that starting never lags completing.
	var started atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for i := 0; i < min(concurrent, total); i++ {
		started.Add(1)
		g.Go(func() error { return startOne(gctx) })
	}
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	sctx, stopStarters := context.WithCancel(ctx)
	defer stopStarters()
	starters, _ := errgroup.WithContext(sctx)
	for i := 0; i < 4; i++ {
		starters.Go(func() error {
			for {
				select {
				case <-sctx.Done():
					return nil
				case <-obs.finished:
					if started.Add(1) > int64(total) {
						return nil
					}
					if err := startOne(sctx); err != nil && sctx.Err() == nil {
						return err
					}
				}
			}
		})
	}
	select {
	case <-obs.done:
	case <-time.After(5 * time.Minute):
		return Result{}, fmt.Errorf("engine: %d of %d continuations after 5m", obs.commits.Load(), total*tasks)
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	elapsed := time.Since(start)
	stopStarters()
	if err := starters.Wait(); err != nil {
		return Result{}, err
	}
	return Result{Hops: total * tasks, Elapsed: elapsed, P50: obs.lat.percentile(50),
		P99: obs.lat.percentile(99), RoundTrips: rt.n.Load() - rt0, Commands: rt.cmds.Load() - c0}, nil
}
