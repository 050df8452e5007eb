package workers_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

// oneTask is start -> A (async before, task type typ) -> end.
func oneTask(typ string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:baton="https://github.com/batonhq/baton/schema/bpmn" id="d" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="Start"/>
    <sequenceFlow id="f1" sourceRef="Start" targetRef="A"/>
    <serviceTask id="A" baton:type="` + typ + `" baton:asyncBefore="true"/>
    <sequenceFlow id="f2" sourceRef="A" targetRef="End"/>
    <endEvent id="End"/>
  </process>
</definitions>`)
}

func deployOneTask(t *testing.T, typ string, tweak func(*baton.Config)) (*batontest.Env, *baton.Client) {
	t.Helper()
	env := batontest.New(t)
	cfg := env.Config()
	if tweak != nil {
		tweak(&cfg)
	}
	c := env.Client(cfg)
	if _, err := c.DeployBytes(context.Background(), "one.bpmn", oneTask(typ)); err != nil {
		t.Fatal(err)
	}
	return env, c
}

func TestLeaseRenewalKeepsALongDelegateFromBeingTakenOver(t *testing.T) {
	t.Parallel()
	short := func(c *baton.Config) {
		c.Engine.LeaseDuration = 300 * time.Millisecond
		c.Queue.AckWait = 300 * time.Millisecond
	}
	env, c := deployOneTask(t, "long", short)
	cfg := env.Config()
	short(&cfg)
	cfg.Engine.Owner = "rival"
	rival := env.Client(cfg)
	var calls atomic.Int64
	long := baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		calls.Add(1)
		// Work that outlasts the lease several times over: only renewal keeps it ours.
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		tk.SetVar("fence", tk.FenceToken)
		return nil
	})
	c.Register("long", long)
	rival.Register("long", long)
	batontest.RunWorker(t, c, baton.WorkerConfig{})
	batontest.RunWorker(t, rival, baton.WorkerConfig{})
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	v := waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if calls.Load() != 1 {
		t.Errorf("delegate ran %d times: the renewed lease must keep redeliveries away", calls.Load())
	}
	if v.Variables["fence"] != int64(1) {
		t.Errorf("committed with fence %v, want the first claim's 1", v.Variables["fence"])
	}
}

func TestShutdownReleasesInFlightJobsToAnotherWorker(t *testing.T) {
	t.Parallel()
	env, c := deployOneTask(t, "slow", nil)
	started := make(chan struct{}, 1)
	c.Register("slow", baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		started <- struct{}{}
		<-ctx.Done() // never finishes by itself: shutdown must cancel and release it
		return ctx.Err()
	}))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() {
		stopped <- c.RunWorker(ctx, baton.WorkerConfig{ShutdownGrace: 200 * time.Millisecond})
	}()
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel() // SIGTERM
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("worker stopped with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("worker did not stop within its grace period")
	}
	v, _ := c.Instance(context.Background(), res.InstanceID)
	if len(v.Jobs) != 1 || v.Jobs[0].Leased || v.Jobs[0].Attempts != 0 {
		t.Fatalf("the in-flight job must be released without counting an attempt: %+v", v.Jobs)
	}
	// Another worker picks it up and completes the instance.
	other := env.Client(env.Config())
	other.Register("slow", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	batontest.RunWorker(t, other, baton.WorkerConfig{})
	waitStatus(t, other, res.InstanceID, engine.StatusCompleted)
}

func TestPoisonJobMessageIsDeadLetteredAndTheConsumerGoesOn(t *testing.T) {
	t.Parallel()
	_, c := deployOneTask(t, "ok", nil)
	c.Register("ok", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	batontest.RunWorker(t, c, baton.WorkerConfig{})
	poison := nats.NewMsg(queue.JobSubject("ok"))
	poison.Data = []byte("not a job")
	if _, err := c.Engine().Queue().JetStream().PublishMsg(context.Background(), poison); err != nil {
		t.Fatal(err)
	}
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p"})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	batontest.Eventually(t, 10*time.Second, func() bool {
		s, err := c.Engine().Queue().JetStream().Stream(context.Background(), queue.DeadStream)
		if err != nil {
			return false
		}
		m, err := s.GetLastMsgForSubject(context.Background(), queue.DeadPrefix+">")
		return err == nil && m.Header.Get(queue.HeaderDeadSubject) == queue.JobSubject("ok") &&
			m.Header.Get(queue.HeaderDeadReason) != "" && string(m.Data) == "not a job"
	}, "the poison message was not dead-lettered with its reason")
}
