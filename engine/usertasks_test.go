package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

var approvalModel = model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Approve"/>
    <userTask id="Approve" name="Approve the invoice" camunda:candidateGroups="sales, ${team}"
      camunda:formKey="embedded:app:forms/approve.html" camunda:dueDate="${due}" camunda:priority="${prio}"/>
    <sequenceFlow id="f1" sourceRef="Approve" targetRef="Archive"/>
    <serviceTask id="Archive" baton:type="archive"/>
    <sequenceFlow id="f2" sourceRef="Archive" targetRef="End"/>
    <endEvent id="End"/>`)

func TestAUserTaskIsListedClaimedAndCompletedOnce(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, approvalModel, nil)
	var archived atomic.Int64
	c.Register("archive", baton.DelegateFunc(func(context.Context, *baton.Task) error { archived.Add(1); return nil }))
	ctx := context.Background()
	v := started(t, c, map[string]any{"team": "ops", "due": "2026-12-01T10:00:00Z", "prio": 70})
	if v.Status != engine.StatusRunning || len(v.Jobs) != 1 || v.Jobs[0].Kind != "wait" || v.Tokens[0].ActivityID != "Approve" {
		t.Fatalf("after start: status %s tokens %+v jobs %+v: want the token waiting at the user task", v.Status, v.Tokens, v.Jobs)
	}
	list := func(f baton.TaskFilter) []baton.TaskView {
		t.Helper()
		tasks, err := c.Tasks(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return tasks
	}
	tasks := list(baton.TaskFilter{CandidateGroups: []string{"ops"}})
	if len(tasks) != 1 {
		t.Fatalf("tasks offered to ops: %+v", tasks)
	}
	task := tasks[0]
	due := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if task.InstanceID != v.ID || task.ActivityID != "Approve" || task.Name != "Approve the invoice" || task.Assignee != "" ||
		len(task.CandidateGroups) != 2 || task.CandidateGroups[1] != "ops" || task.FormKey != "embedded:app:forms/approve.html" ||
		task.Due == nil || !task.Due.Equal(due) || task.Priority != 70 || task.ProcessKey != "p" {
		t.Fatalf("task %+v", task)
	}
	if got := list(baton.TaskFilter{CandidateGroups: []string{"hr"}}); len(got) != 0 {
		t.Errorf("a task offered to sales and ops is listed for hr: %+v", got)
	}
	if err := c.ClaimTask(ctx, task.ID, "ann"); err != nil {
		t.Fatal(err)
	}
	if err := c.ClaimTask(ctx, task.ID, "bob"); !errors.Is(err, baton.ErrTaskTaken) {
		t.Fatalf("bob claims ann's task: %v, want ErrTaskTaken", err)
	}
	if got := list(baton.TaskFilter{Assignee: "ann"}); len(got) != 1 {
		t.Fatalf("ann's tasks: %+v", got)
	}
	if got := list(baton.TaskFilter{CandidateGroups: []string{"ops"}}); len(got) != 0 {
		t.Errorf("a claimed task is still offered: %+v", got)
	}
	if err := c.UnclaimTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.ClaimTask(ctx, task.ID, "bob"); err != nil {
		t.Fatalf("bob claims the released task: %v", err)
	}
	res, err := c.Complete(ctx, baton.CompleteRequest{TaskID: task.ID, Variables: map[string]any{"approved": true}})
	if err != nil || res.Status != engine.StatusCompleted {
		t.Fatalf("complete: %+v %v", res, err)
	}
	if _, err := c.Complete(ctx, baton.CompleteRequest{TaskID: task.ID}); !errors.Is(err, baton.ErrNotWaiting) {
		t.Fatalf("second completion: %v, want ErrNotWaiting", err)
	}
	if err := c.ClaimTask(ctx, task.ID, "ann"); !errors.Is(err, baton.ErrNotWaiting) {
		t.Fatalf("claim of a completed task: %v, want ErrNotWaiting", err)
	}
	v = show(t, c, v.ID)
	if v.Variables["approved"] != true || archived.Load() != 1 || count(v.History, engine.EventActivityEnd, "Approve") != 1 {
		t.Fatalf("variables %v archived %d history %+v", v.Variables, archived.Load(), v.History)
	}
	if got := list(baton.TaskFilter{}); len(got) != 0 {
		t.Errorf("a completed task is still listed: %+v", got)
	}
}

func TestTheReconcilerRewritesALostTaskIndexEntry(t *testing.T) {
	t.Parallel()
	env, c := deployed(t, approvalModel, nil)
	ctx := context.Background()
	v := started(t, c, map[string]any{"team": "ops", "prio": 1})
	// The commit's index write was lost (a crash right after the commit).
	if err := env.Redis().Del(ctx, env.Prefix+"tasks").Err(); err != nil {
		t.Fatal(err)
	}
	if tasks, _ := c.Tasks(ctx, baton.TaskFilter{}); len(tasks) != 0 {
		t.Fatalf("the index is not empty: %+v", tasks)
	}
	batontest.Eventually(t, 30*time.Second, func() bool {
		if _, err := c.Engine().ReconcileOnce(ctx, 100); err != nil {
			t.Fatal(err)
		}
		tasks, err := c.Tasks(ctx, baton.TaskFilter{InstanceID: v.ID})
		return err == nil && len(tasks) == 1
	}, "the reconciler never re-indexed the open task")
}
