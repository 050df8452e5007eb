package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

func TestVariablesAreReadSetAndTheirChangesKept(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Sub"/>
    <subProcess id="Sub">
      <startEvent id="SubStart"/>
      <sequenceFlow id="s0" sourceRef="SubStart" targetRef="Review"/>
      <userTask id="Review" camunda:candidateGroups="sales"/>
      <sequenceFlow id="s1" sourceRef="Review" targetRef="SubEnd"/>
      <endEvent id="SubEnd"/>
    </subProcess>
    <sequenceFlow id="f1" sourceRef="Sub" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	ctx := context.Background()
	v := started(t, c, map[string]any{"amount": 10})
	var sub, review string
	for _, tk := range v.Tokens {
		switch tk.ActivityID {
		case "Sub":
			sub = tk.ID
		case "Review":
			review = tk.ID
		}
	}
	if err := c.SetVariables(ctx, baton.SetVariablesRequest{InstanceID: v.ID, Variables: map[string]any{"amount": 12}}); err != nil {
		t.Fatal(err)
	}
	// Set in the Review token's nearest scope: the subprocess's.
	if err := c.SetVariables(ctx, baton.SetVariablesRequest{InstanceID: v.ID, TokenID: review, Variables: map[string]any{"note": "check"}}); err != nil {
		t.Fatal(err)
	}
	process, err := c.Variables(ctx, v.ID, "")
	if err != nil || process["amount"] != int64(12) || process["note"] != nil {
		t.Fatalf("process variables %v %v", process, err)
	}
	seen, err := c.Variables(ctx, v.ID, review)
	if err != nil || seen["amount"] != int64(12) || seen["note"] != "check" {
		t.Fatalf("variables Review sees: %v %v", seen, err)
	}
	hist, err := c.VariableHistory(ctx, v.ID, "")
	if err != nil || len(hist) != 2 || hist[0].Variable != "amount" || hist[0].Value != int64(12) || hist[0].Token != "" ||
		hist[1].Variable != "note" || hist[1].Token != sub {
		t.Fatalf("history %+v %v", hist, err)
	}
	if _, err := c.Cancel(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.SetVariables(ctx, baton.SetVariablesRequest{InstanceID: v.ID, Variables: map[string]any{"x": 1}}); !errors.Is(err, baton.ErrEnded) {
		t.Fatalf("set on an ended instance: %v, want ErrEnded", err)
	}
	_ = engine.EventVariableSet
}
