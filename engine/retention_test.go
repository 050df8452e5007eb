package engine_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

func TestInstancesAreListedNewestFirstAndFiltered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := deployed(t, model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Gate"/>
    <exclusiveGateway id="Gate" default="toEnd"/>
    <sequenceFlow id="toWait" sourceRef="Gate" targetRef="Review"><conditionExpression>${wait}</conditionExpression></sequenceFlow>
    <sequenceFlow id="toEnd" sourceRef="Gate" targetRef="End"/>
    <userTask id="Review"/>
    <sequenceFlow id="f1" sourceRef="Review" targetRef="End"/>
    <endEvent id="End"/>`), nil)
	var ids []string
	for i, bk := range []string{"a", "b", "c"} {
		res, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p", BusinessKey: bk, Variables: map[string]any{"wait": i == 1}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.InstanceID)
		// Distinct start times (milliseconds), so the order is defined.
		next := time.Now().UnixMilli() + 1
		batontest.Eventually(t, time.Second, func() bool { return time.Now().UnixMilli() > next }, "time stood still")
	}
	all, err := c.Instances(ctx, baton.InstanceFilter{})
	if err != nil || len(all) != 3 || all[0].ID != ids[2] || all[2].ID != ids[0] {
		t.Fatalf("all: %+v %v; want newest first", all, err)
	}
	running, _ := c.Instances(ctx, baton.InstanceFilter{Status: engine.StatusRunning})
	byKey, _ := c.Instances(ctx, baton.InstanceFilter{BusinessKey: "c"})
	limited, _ := c.Instances(ctx, baton.InstanceFilter{Limit: 2})
	later, _ := c.Instances(ctx, baton.InstanceFilter{StartedAfter: all[1].Started})
	if len(running) != 1 || running[0].BusinessKey != "b" || len(byKey) != 1 || byKey[0].ID != ids[2] || len(limited) != 2 || len(later) != 2 {
		t.Fatalf("running %+v, by key %+v, limited %d, later %d", running, byKey, len(limited), len(later))
	}
	if all[0].Ended == nil || all[1].Ended != nil {
		t.Fatalf("ended times: %+v", all)
	}
}

func TestRetentionArchivesEndedInstancesAndKeepsRunningOnes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := deployed(t, approvalModel, nil)
	c.Register("archive", baton.DelegateFunc(func(context.Context, *baton.Task) error { return nil }))
	done, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p", BusinessKey: "done", Variables: map[string]any{"team": "ops", "prio": 1}})
	if err != nil {
		t.Fatal(err)
	}
	tasks, _ := c.Tasks(ctx, baton.TaskFilter{InstanceID: done.InstanceID})
	if _, err := c.Complete(ctx, baton.CompleteRequest{TaskID: tasks[0].ID, Variables: map[string]any{"approved": true}}); err != nil {
		t.Fatal(err)
	}
	open, err := c.Start(ctx, baton.StartRequest{ProcessKey: "p", BusinessKey: "open", Variables: map[string]any{"team": "ops", "prio": 1}})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := c.Instance(ctx, done.InstanceID)
	cfg := engine.RetentionConfig{RetainFor: time.Millisecond, ArchiveFor: time.Hour}
	// Nothing ended long enough ago yet: the cutoff is before the end.
	if n, err := c.Engine().RetainOnce(ctx, cfg, before.Ended.Add(-time.Second)); err != nil || n != 0 {
		t.Fatalf("early pass archived %d (%v)", n, err)
	}
	n, err := c.Engine().RetainOnce(ctx, cfg, time.Now().Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("archived %d (%v), want the ended instance", n, err)
	}
	// The hot keys are gone; the archive answers for it, with its history and variables.
	if _, err := c.Engine().Store().Load(ctx, done.InstanceID); !baton.IsNotFound(err) {
		t.Fatalf("hot keys after archiving: %v", err)
	}
	v, err := c.Instance(ctx, done.InstanceID)
	if err != nil || !v.Archived || v.Status != engine.StatusCompleted || v.Variables["approved"] != true || len(v.History) != len(before.History) {
		t.Fatalf("archived view %+v %v", v, err)
	}
	if v, err := c.Instance(ctx, open.InstanceID); err != nil || v.Archived || v.Status != engine.StatusRunning {
		t.Fatalf("the running instance: %+v %v", v, err)
	}
	// Listed as archived; the record is on BATON_EVENTS.
	list, _ := c.Instances(ctx, baton.InstanceFilter{BusinessKey: "done"})
	if len(list) != 1 || !list[0].Archived || list[0].Status != engine.StatusCompleted {
		t.Fatalf("listing %+v", list)
	}
	s, err := c.Engine().Queue().JetStream().Stream(ctx, queue.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(ctx, queue.EventPrefix+"archive.p")
	if err != nil {
		t.Fatal(err)
	}
	var rec engine.InstanceView
	if err := json.Unmarshal(m.Data, &rec); err != nil || rec.ID != done.InstanceID || len(rec.History) != len(before.History) {
		t.Fatalf("event record %+v %v", rec, err)
	}
	// A second pass changes nothing.
	if n, err := c.Engine().RetainOnce(ctx, cfg, time.Now().Add(time.Second)); err != nil || n != 0 {
		t.Fatalf("second pass archived %d (%v)", n, err)
	}
}
