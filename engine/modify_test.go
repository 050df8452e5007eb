package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

// reviewFlow: Draft (user task) -> Review (user task) -> End; and a subprocess Sub with one user
// task Inner, after which After (user task) waits.
var reviewFlow = model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Draft"/>
    <userTask id="Draft" camunda:candidateGroups="authors"/>
    <sequenceFlow id="f1" sourceRef="Draft" targetRef="Review"/>
    <userTask id="Review" camunda:candidateGroups="editors"/>
    <sequenceFlow id="f2" sourceRef="Review" targetRef="End"/>
    <endEvent id="End"/>
    <subProcess id="Sub">
      <startEvent id="SubStart"/>
      <sequenceFlow id="s0" sourceRef="SubStart" targetRef="Inner"/>
      <userTask id="Inner" camunda:candidateGroups="authors"/>
      <sequenceFlow id="s1" sourceRef="Inner" targetRef="SubEnd"/>
      <endEvent id="SubEnd"/>
    </subProcess>
    <sequenceFlow id="f3" sourceRef="Sub" targetRef="After"/>
    <userTask id="After" camunda:candidateGroups="editors"/>
    <sequenceFlow id="f4" sourceRef="After" targetRef="End2"/>
    <endEvent id="End2"/>`)

func tokenAt(t *testing.T, v *baton.InstanceView, activity string) string {
	t.Helper()
	for _, tk := range v.Tokens {
		if tk.ActivityID == activity {
			return tk.ID
		}
	}
	t.Fatalf("no token at %s: %+v", activity, v.Tokens)
	return ""
}

func TestModificationMovesStartsAndCancelsTokensAtomically(t *testing.T) {
	t.Parallel()
	_, c := deployed(t, reviewFlow, nil)
	ctx := context.Background()
	v := started(t, c, nil)
	draft := tokenAt(t, v, "Draft")
	// Skip the draft: move its token to Review, and start the subprocess beside it.
	res, err := c.Modify(ctx, baton.ModifyRequest{InstanceID: v.ID, Variables: map[string]any{"skipped": true},
		Instructions: []baton.Instruction{{Kind: engine.ModifyMove, TokenID: draft, ActivityID: "Review"},
			{Kind: engine.ModifyStartBefore, ActivityID: "Sub"}}})
	if err != nil || res.Status != engine.StatusRunning {
		t.Fatalf("modify: %+v %v", res, err)
	}
	v = show(t, c, v.ID)
	if count(v.History, engine.EventActivityCancel, "Draft") != 1 || v.Variables["skipped"] != true {
		t.Fatalf("after the move: %+v %v", v.History, v.Variables)
	}
	tokenAt(t, v, "Review")
	inner := tokenAt(t, v, "Inner")
	if tasks, _ := c.Tasks(ctx, baton.TaskFilter{CandidateGroups: []string{"authors"}}); len(tasks) != 1 || tasks[0].ActivityID != "Inner" {
		t.Fatalf("authors' tasks: %+v, want Inner only (Draft's went with its token)", tasks)
	}
	// Moving the subprocess's only token within it keeps the subprocess running.
	if _, err := c.Modify(ctx, baton.ModifyRequest{InstanceID: v.ID,
		Instructions: []baton.Instruction{{Kind: engine.ModifyMove, TokenID: inner, ActivityID: "Inner"}}}); err != nil {
		t.Fatalf("move within the subprocess: %v", err)
	}
	v = show(t, c, v.ID)
	if moved := tokenAt(t, v, "Inner"); moved == inner || count(v.History, engine.EventActivityEnd, "Sub") != 0 {
		t.Fatalf("after the move within: tokens %+v history %+v", v.Tokens, v.History)
	} else {
		inner = moved
	}
	// Cancelling the subprocess's last token ends the subprocess, which continues at After.
	if _, err := c.Modify(ctx, baton.ModifyRequest{InstanceID: v.ID,
		Instructions: []baton.Instruction{{Kind: engine.ModifyCancel, TokenID: inner}}}); err != nil {
		t.Fatal(err)
	}
	v = show(t, c, v.ID)
	tokenAt(t, v, "After")
	if count(v.History, engine.EventActivityEnd, "Sub") != 1 {
		t.Fatalf("the emptied subprocess did not end: %+v", v.History)
	}
	// A modification with a bad instruction changes nothing.
	before := v.Version
	_, err = c.Modify(ctx, baton.ModifyRequest{InstanceID: v.ID, Instructions: []baton.Instruction{
		{Kind: engine.ModifyStartBefore, ActivityID: "Draft"}, {Kind: engine.ModifyCancel, TokenID: "t999"}}})
	if err == nil || !strings.Contains(err.Error(), `no token "t999"`) {
		t.Fatalf("bad instruction: %v", err)
	}
	if v := show(t, c, v.ID); v.Version != before {
		t.Fatalf("a failed modification changed the instance: version %d -> %d", before, v.Version)
	}
	if _, err := c.Modify(ctx, baton.ModifyRequest{InstanceID: v.ID, Instructions: []baton.Instruction{
		{Kind: engine.ModifyStartBefore, ActivityID: "Inner"}}}); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("start inside a subprocess that is not running: %v", err)
	}
}
