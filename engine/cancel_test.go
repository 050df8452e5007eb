package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

// parkedDoc: "p" forks to a user task Approve, a call activity Call of "child" (which waits at
// its own user task Inspect), and a user task Review after which p ends with a terminate end
// event when stop is true.
var parkedDoc = []byte(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="d" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Fork"/>
    <parallelGateway id="Fork"/>
    <sequenceFlow id="f1" sourceRef="Fork" targetRef="Approve"/>
    <sequenceFlow id="f2" sourceRef="Fork" targetRef="Call"/>
    <sequenceFlow id="f3" sourceRef="Fork" targetRef="Review"/>
    <userTask id="Review" camunda:candidateGroups="ops"/>
    <sequenceFlow id="f8" sourceRef="Review" targetRef="Decide"/>
    <userTask id="Approve" camunda:candidateGroups="sales"/>
    <callActivity id="Call" calledElement="child"/>
    <exclusiveGateway id="Decide" default="f5"/>
    <sequenceFlow id="f4" sourceRef="Decide" targetRef="Stop"><conditionExpression>${stop}</conditionExpression></sequenceFlow>
    <sequenceFlow id="f5" sourceRef="Decide" targetRef="Done"/>
    <endEvent id="Stop"><terminateEventDefinition/></endEvent>
    <endEvent id="Done"/>
    <sequenceFlow id="f6" sourceRef="Approve" targetRef="Done2"/>
    <sequenceFlow id="f7" sourceRef="Call" targetRef="Done3"/>
    <endEvent id="Done2"/>
    <endEvent id="Done3"/>
  </process>
  <process id="child" isExecutable="true">
    <startEvent id="ChildStart"/>
    <sequenceFlow id="c0" sourceRef="ChildStart" targetRef="Inspect"/>
    <userTask id="Inspect" camunda:candidateGroups="qa"/>
    <sequenceFlow id="c1" sourceRef="Inspect" targetRef="ChildEnd"/>
    <endEvent id="ChildEnd"/>
  </process>
</definitions>`)

// parked starts p and waits until the child waits at Inspect; it returns p's and the child's ids.
func parked(t *testing.T, c *baton.Client) (string, string) {
	t.Helper()
	v := started(t, c, map[string]any{"stop": false})
	var call string
	for _, j := range v.Jobs {
		if j.Kind == "call" {
			call = j.ID
		}
	}
	batontestRunTypes(t, c)
	child := engine.ChildInstanceID("child", call)
	waitFor(t, c, child, func(v *baton.InstanceView) bool { return len(v.Jobs) == 1 && v.Jobs[0].Kind == "wait" },
		"the child never waited at Inspect")
	return v.ID, child
}

func TestCancelEndsAnInstanceWithItsJobsTasksAndCalledChildren(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, parkedDoc, nil)
	ctx := context.Background()
	parent, child := parked(t, c)
	if _, err := c.Cancel(ctx, child); !errors.Is(err, baton.ErrCalledInstance) {
		t.Fatalf("cancel of a called instance: %v, want ErrCalledInstance", err)
	}
	res, err := c.Cancel(ctx, parent)
	if err != nil || res.Status != engine.StatusCancelled || len(res.Cancelled) != 2 || res.Cancelled[0] != child {
		t.Fatalf("cancel: %+v %v, want the child and then the parent cancelled", res, err)
	}
	for _, id := range []string{parent, child} {
		v := show(t, c, id)
		if v.Status != engine.StatusCancelled || len(v.Tokens) != 0 || len(v.Jobs) != 0 || v.Ended == nil ||
			count(v.History, engine.EventInstanceCancel, v.ProcessKey) != 1 {
			t.Fatalf("instance %s after cancel: %+v", id, v)
		}
	}
	if tasks, err := c.Tasks(ctx, baton.TaskFilter{}); err != nil || len(tasks) != 0 {
		t.Fatalf("tasks of cancelled instances are still listed: %+v %v", tasks, err)
	}
	if again, err := c.Cancel(ctx, parent); err != nil || len(again.Cancelled) != 0 {
		t.Fatalf("cancelling again: %+v %v, want nothing done", again, err)
	}
}

func TestATerminatedCallActivityCancelsItsChild(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, parkedDoc, nil)
	ctx := context.Background()
	parent, child := parked(t, c)
	review, err := c.Tasks(ctx, baton.TaskFilter{InstanceID: parent, CandidateGroups: []string{"ops"}})
	if err != nil || len(review) != 1 {
		t.Fatalf("Review: %+v %v", review, err)
	}
	if _, err := c.Complete(ctx, baton.CompleteRequest{TaskID: review[0].ID, Variables: map[string]any{"stop": true}}); err != nil {
		t.Fatal(err)
	}
	// The terminate end event removed the call activity's token: its child is cancelled, and
	// the parent's other user task is gone from the task list.
	if v := show(t, c, parent); v.Status != engine.StatusCompleted || count(v.History, engine.EventActivityCancel, "Call") != 1 {
		t.Fatalf("parent: %s %+v", v.Status, v.History)
	}
	if cv := show(t, c, child); cv.Status != engine.StatusCancelled || len(cv.Jobs) != 0 {
		t.Fatalf("child: %s jobs %+v, want cancelled", cv.Status, cv.Jobs)
	}
	if tasks, err := c.Tasks(ctx, baton.TaskFilter{}); err != nil || len(tasks) != 0 {
		t.Fatalf("tasks still listed: %+v %v", tasks, err)
	}
}
