package engine_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
)

func TestInputMappingsAreLocalAndOutputMappingsCarryValuesOut(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Charge"/>
    <serviceTask id="Charge" baton:type="charge">
      <extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="amount">${price * qty}</camunda:inputParameter>
          <camunda:inputParameter name="currency">EUR</camunda:inputParameter>
          <camunda:outputParameter name="receiptId">${receipt}</camunda:outputParameter>
        </camunda:inputOutput>
      </extensionElements>
    </serviceTask>
    <sequenceFlow id="f1" sourceRef="Charge" targetRef="Ship"/>
    <serviceTask id="Ship" baton:type="ship" baton:asyncBefore="true"/>
    <sequenceFlow id="f2" sourceRef="Ship" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	seen := make(chan map[string]any, 1)
	c.Register("charge", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		seen <- map[string]any{"amount": tk.Var("amount"), "currency": tk.Var("currency"), "price": tk.Var("price")}
		tk.SetLocalVar("receipt", "r-42") // local: leaves only through the output mapping
		tk.SetVar("charged", true)        // defined nowhere: goes to the process
		return nil
	}))
	shipSaw := make(chan any, 1)
	c.Register("ship", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		shipSaw <- tk.Var("amount")
		return nil
	}))
	v := started(t, c, map[string]any{"price": 5, "qty": 3})
	got := <-seen
	if got["amount"] != int64(15) || got["currency"] != "EUR" || got["price"] != int64(5) {
		t.Fatalf("the delegate saw %v; want the mapped amount 15, currency EUR and the process's price", got)
	}
	// The commit at Ship's async-before boundary: Charge's scope is gone.
	if len(v.Tokens) != 1 || v.Tokens[0].ActivityID != "Ship" || v.Tokens[0].Variables != nil {
		t.Fatalf("tokens at the boundary: %+v", v.Tokens)
	}
	for _, name := range []string{"amount", "currency", "receipt"} {
		if _, ok := v.Variables[name]; ok {
			t.Errorf("local variable %q leaked into the process: %v", name, v.Variables)
		}
	}
	if v.Variables["receiptId"] != "r-42" || v.Variables["charged"] != true {
		t.Errorf("process variables %v: want receiptId from the output mapping and charged from SetVar", v.Variables)
	}
	batontestRunTypes(t, c, "ship")
	waitStatus(t, c, v.ID, engine.StatusCompleted)
	if a := <-shipSaw; a != nil {
		t.Errorf("a later activity saw Charge's local amount %v", a)
	}
}

func TestSubprocessHasItsOwnVariableScope(t *testing.T) {
	t.Parallel()
	doc := model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Sub"/>
    <subProcess id="Sub">
      <extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="attempt">${1}</camunda:inputParameter>
          <camunda:outputParameter name="lastAttempt">${attempt}</camunda:outputParameter>
        </camunda:inputOutput>
      </extensionElements>
      <startEvent id="SubStart"/>
      <sequenceFlow id="s0" sourceRef="SubStart" targetRef="Work"/>
      <serviceTask id="Work" baton:type="work" baton:asyncBefore="true"/>
      <sequenceFlow id="s1" sourceRef="Work" targetRef="Bump"/>
      <scriptTask id="Bump" scriptFormat="expr" camunda:resultVariable="attempt"><script>attempt + 1</script></scriptTask>
      <sequenceFlow id="s2" sourceRef="Bump" targetRef="SubEnd"/>
      <endEvent id="SubEnd"/>
    </subProcess>
    <sequenceFlow id="f1" sourceRef="Sub" targetRef="End"/>
    <endEvent id="End"/>`)
	_, c := deployed(t, doc, nil)
	c.Register("work", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		tk.SetLocalVar("scratch", "only in the subprocess")
		tk.SetVar("seen", tk.Var("attempt"))
		return nil
	}))
	v := started(t, c, nil)
	// Committed inside the subprocess: its token holds the scope.
	var sub *engine.TokenView
	for i := range v.Tokens {
		if v.Tokens[i].ActivityID == "Sub" {
			sub = &v.Tokens[i]
		}
	}
	if sub == nil || sub.Variables["attempt"] != int64(1) || v.Variables["attempt"] != nil {
		t.Fatalf("at the boundary inside the subprocess: tokens %+v variables %v; want attempt=1 on the subprocess's token only",
			v.Tokens, v.Variables)
	}
	batontestRunTypes(t, c, "work")
	v = waitStatus(t, c, v.ID, engine.StatusCompleted)
	if v.Variables["lastAttempt"] != int64(2) || v.Variables["seen"] != int64(1) {
		t.Errorf("variables %v: want lastAttempt 2 (the script updated the local) and seen 1", v.Variables)
	}
	for _, name := range []string{"attempt", "scratch"} {
		if _, ok := v.Variables[name]; ok {
			t.Errorf("subprocess variable %q leaked into the process: %v", name, v.Variables)
		}
	}
}

func TestNormalizeNumbersMakesNestedJSONNumbersInt64OrFloat64(t *testing.T) {
	t.Parallel()
	vars := map[string]any{"decision": map[string]any{"amount": json.Number("3"), "rate": json.Number("0.5"),
		"lines": []any{json.Number("7")}}}
	engine.NormalizeNumbers(vars)
	d := vars["decision"].(map[string]any)
	if d["amount"] != int64(3) || d["rate"] != 0.5 || d["lines"].([]any)[0] != int64(7) {
		t.Fatalf("normalized: %#v", d)
	}
}
