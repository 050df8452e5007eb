package bpmn

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// wantNode is what a test expects of one node; Line is checked against the model text.
type wantNode struct {
	kind         model.NodeKind
	element      string
	taskType     string
	external     bool
	before       bool
	after        bool
	asyncExpr    string
	notExclusive bool
	terminate    bool
	def          string
	retryCycle   string
	retries      int
	priority     string
	parent       string
	errorEnd     bool
	attachedTo   string
	errorCode    string
	errorCodeVar string
	errorMsgVar  string
	scriptFormat string
	script       string
	resultVar    string
	in, out      []string
}

// nodeOf returns what n is, in the terms of wantNode.
func nodeOf(n *model.Node) wantNode {
	return wantNode{kind: n.Kind, element: n.Element, taskType: n.TaskType, external: n.External,
		before: n.AsyncBefore, after: n.AsyncAfter, asyncExpr: n.AsyncExpr, notExclusive: n.NotExclusive,
		terminate: n.Terminate, def: n.Default, retryCycle: n.RetryCycle, retries: n.Retries, priority: n.Priority,
		parent: n.Parent, errorEnd: n.ErrorEnd, attachedTo: n.AttachedTo, errorCode: n.ErrorCode, errorCodeVar: n.ErrorCodeVariable, errorMsgVar: n.ErrorMessageVariable,
		scriptFormat: n.ScriptFormat, script: n.Script, resultVar: n.ResultVariable,
		in: n.Incoming, out: n.Outgoing}
}

// equal reports whether w and o agree; in and out are compared only when wiring is set.
func (w wantNode) equal(o wantNode, wiring bool) bool {
	if wiring && (!slices.Equal(w.in, o.in) || !slices.Equal(w.out, o.out)) {
		return false
	}
	w.in, w.out, o.in, o.out = nil, nil, nil, nil
	return reflect.DeepEqual(w, o)
}

// wantFlow is what a test expects of one sequence flow.
type wantFlow struct{ source, target, cond string }

// modellerFile is what a test expects of a valid testdata model holding one process.
type modellerFile struct {
	file, key, name string
	nodes           map[string]wantNode
	flows           map[string]wantFlow
}

func TestParseModellerFiles(t *testing.T) {
	t.Parallel()
	tests := []modellerFile{
		{
			file: "camunda7_order.bpmn", key: "order", name: "Order fulfilment",
			nodes: map[string]wantNode{
				"StartEvent_1":     {kind: model.StartEvent, before: true, out: []string{"Flow_1"}},
				"Activity_Check":   {kind: model.ServiceTask, taskType: "com.acme.order.CheckOrder", after: true, in: []string{"Flow_1"}, out: []string{"Flow_2"}},
				"Gateway_Amount":   {kind: model.ExclusiveGateway, def: "Flow_Small", in: []string{"Flow_2"}, out: []string{"Flow_Big", "Flow_Small"}},
				"Activity_Approve": {kind: model.ServiceTask, taskType: "approve-order", external: true, priority: "10", in: []string{"Flow_Big"}, out: []string{"Flow_3"}},
				"Gateway_Merge":    {kind: model.ExclusiveGateway, in: []string{"Flow_Small", "Flow_3"}, out: []string{"Flow_4"}},
				"Gateway_Fork":     {kind: model.ParallelGateway, in: []string{"Flow_4"}, out: []string{"Flow_5", "Flow_6"}},
				"Activity_Charge":  {kind: model.ServiceTask, taskType: "com.acme.order.ChargeCard", before: true, notExclusive: true, retryCycle: "R3/PT10S", in: []string{"Flow_5"}, out: []string{"Flow_7"}},
				"Activity_Ship":    {kind: model.Task, before: true, in: []string{"Flow_6"}, out: []string{"Flow_8"}},
				"Gateway_Join":     {kind: model.ParallelGateway, in: []string{"Flow_7", "Flow_8"}, out: []string{"Flow_9"}},
				"EndEvent_1":       {kind: model.EndEvent, in: []string{"Flow_9"}},
			},
			flows: map[string]wantFlow{
				"Flow_1": {"StartEvent_1", "Activity_Check", ""}, "Flow_2": {"Activity_Check", "Gateway_Amount", ""},
				"Flow_Big": {"Gateway_Amount", "Activity_Approve", "amount > 100"}, "Flow_Small": {"Gateway_Amount", "Gateway_Merge", ""},
				"Flow_3": {"Activity_Approve", "Gateway_Merge", ""}, "Flow_4": {"Gateway_Merge", "Gateway_Fork", ""},
				"Flow_5": {"Gateway_Fork", "Activity_Charge", ""}, "Flow_6": {"Gateway_Fork", "Activity_Ship", ""},
				"Flow_7": {"Activity_Charge", "Gateway_Join", ""}, "Flow_8": {"Activity_Ship", "Gateway_Join", ""},
				"Flow_9": {"Gateway_Join", "EndEvent_1", ""},
			},
		},
		{
			file: "zeebe_order.bpmn", key: "order-process", name: "Order process",
			nodes: map[string]wantNode{
				"StartEvent_1":      {kind: model.StartEvent, out: []string{"Flow_0k1"}},
				"Activity_Check":    {kind: model.ServiceTask, taskType: "check-order", retries: 3, in: []string{"Flow_0k1"}, out: []string{"Flow_1p2"}},
				"Gateway_Decide":    {kind: model.ExclusiveGateway, def: "Flow_Reject", in: []string{"Flow_1p2"}, out: []string{"Flow_Big", "Flow_Ok", "Flow_Reject"}},
				"EndEvent_Rejected": {kind: model.EndEvent, in: []string{"Flow_Reject"}},
				"Activity_Approve":  {kind: model.ServiceTask, taskType: "approve-order", in: []string{"Flow_Big"}, out: []string{"Flow_2a9"}},
				"Gateway_Merge":     {kind: model.ExclusiveGateway, in: []string{"Flow_Ok", "Flow_2a9"}, out: []string{"Flow_3b1"}},
				"Gateway_Fork":      {kind: model.ParallelGateway, in: []string{"Flow_3b1"}, out: []string{"Flow_4c2", "Flow_5d3"}},
				"Activity_Charge":   {kind: model.ServiceTask, taskType: "charge", retries: 5, in: []string{"Flow_4c2"}, out: []string{"Flow_6e4"}},
				"Activity_Ship":     {kind: model.Task, in: []string{"Flow_5d3"}, out: []string{"Flow_7f5"}},
				"Gateway_Join":      {kind: model.ParallelGateway, in: []string{"Flow_6e4", "Flow_7f5"}, out: []string{"Flow_8g6"}},
				"EndEvent_Done":     {kind: model.EndEvent, in: []string{"Flow_8g6"}},
			},
			flows: map[string]wantFlow{
				"Flow_0k1": {"StartEvent_1", "Activity_Check", ""}, "Flow_1p2": {"Activity_Check", "Gateway_Decide", ""},
				"Flow_Big": {"Gateway_Decide", "Activity_Approve", "amount > 100"}, "Flow_Ok": {"Gateway_Decide", "Gateway_Merge", `status == "ok"`},
				"Flow_Reject": {"Gateway_Decide", "EndEvent_Rejected", ""}, "Flow_2a9": {"Activity_Approve", "Gateway_Merge", ""},
				"Flow_3b1": {"Gateway_Merge", "Gateway_Fork", ""}, "Flow_4c2": {"Gateway_Fork", "Activity_Charge", ""},
				"Flow_5d3": {"Gateway_Fork", "Activity_Ship", ""}, "Flow_6e4": {"Activity_Charge", "Gateway_Join", ""},
				"Flow_7f5": {"Activity_Ship", "Gateway_Join", ""}, "Flow_8g6": {"Gateway_Join", "EndEvent_Done", ""},
			},
		},
		{
			file: "flowable_order.bpmn", key: "orderProcess", name: "Order process",
			nodes: map[string]wantNode{
				"startEvent1":     {kind: model.StartEvent, before: true, out: []string{"sid-1A2B3C4D"}},
				"checkOrder":      {kind: model.ServiceTask, taskType: "com.acme.order.CheckOrder", before: true, after: true, in: []string{"sid-1A2B3C4D"}, out: []string{"sid-5E6F7A8B"}},
				"amountGateway":   {kind: model.ExclusiveGateway, def: "smallFlow", in: []string{"sid-5E6F7A8B"}, out: []string{"bigFlow", "smallFlow"}},
				"approveOrder":    {kind: model.ServiceTask, taskType: "approve-order", external: true, notExclusive: true, in: []string{"bigFlow"}, out: []string{"sid-9C0D1E2F"}},
				"mergeGateway":    {kind: model.ExclusiveGateway, in: []string{"sid-9C0D1E2F", "smallFlow"}, out: []string{"sid-3A4B5C6D"}},
				"forkGateway":     {kind: model.ParallelGateway, in: []string{"sid-3A4B5C6D"}, out: []string{"sid-7E8F9A0B", "sid-1C2D3E4F"}},
				"chargeCard":      {kind: model.ServiceTask, taskType: "com.acme.order.ChargeCard", before: true, notExclusive: true, retryCycle: "R5/PT1M", in: []string{"sid-7E8F9A0B"}, out: []string{"sid-5A6B7C8D"}},
				"prepareShipment": {kind: model.Task, after: true, in: []string{"sid-1C2D3E4F"}, out: []string{"sid-9E0F1A2B"}},
				"joinGateway":     {kind: model.ParallelGateway, in: []string{"sid-5A6B7C8D", "sid-9E0F1A2B"}, out: []string{"sid-3C4D5E6F"}},
				"endEvent1":       {kind: model.EndEvent, in: []string{"sid-3C4D5E6F"}},
			},
			flows: map[string]wantFlow{
				"sid-1A2B3C4D": {"startEvent1", "checkOrder", ""}, "sid-5E6F7A8B": {"checkOrder", "amountGateway", ""},
				"bigFlow": {"amountGateway", "approveOrder", "amount > 100"}, "smallFlow": {"amountGateway", "mergeGateway", ""},
				"sid-9C0D1E2F": {"approveOrder", "mergeGateway", ""}, "sid-3A4B5C6D": {"mergeGateway", "forkGateway", ""},
				"sid-7E8F9A0B": {"forkGateway", "chargeCard", ""}, "sid-1C2D3E4F": {"forkGateway", "prepareShipment", ""},
				"sid-5A6B7C8D": {"chargeCard", "joinGateway", ""}, "sid-9E0F1A2B": {"prepareShipment", "joinGateway", ""},
				"sid-3C4D5E6F": {"joinGateway", "endEvent1", ""},
			},
		},
		{
			file: "activiti_order.bpmn", key: "orderProcess", name: "Order process",
			nodes: map[string]wantNode{
				"startevent1":       {kind: model.StartEvent, out: []string{"flow1"}},
				"servicetask1":      {kind: model.ServiceTask, taskType: "com.acme.order.CheckOrder", before: true, in: []string{"flow1"}, out: []string{"flow2"}},
				"exclusivegateway1": {kind: model.ExclusiveGateway, def: "flow4", in: []string{"flow2"}, out: []string{"flow3", "flow4"}},
				"servicetask2":      {kind: model.ServiceTask, taskType: "com.acme.order.ChargeCard", before: true, notExclusive: true, in: []string{"flow3"}, out: []string{"flow5"}},
				"task1":             {kind: model.Task, in: []string{"flow4"}, out: []string{"flow6"}},
				"exclusivegateway2": {kind: model.ExclusiveGateway, in: []string{"flow5", "flow6"}, out: []string{"flow7"}},
				"endevent1":         {kind: model.EndEvent, in: []string{"flow7"}},
			},
			flows: map[string]wantFlow{
				"flow1": {"startevent1", "servicetask1", ""}, "flow2": {"servicetask1", "exclusivegateway1", ""},
				"flow3": {"exclusivegateway1", "servicetask2", "amount > 100"}, "flow4": {"exclusivegateway1", "task1", ""},
				"flow5": {"servicetask2", "exclusivegateway2", ""}, "flow6": {"task1", "exclusivegateway2", ""},
				"flow7": {"exclusivegateway2", "endevent1", ""},
			},
		},
		{
			file: "jbpm_order.bpmn", key: "com.acme.order", name: "order",
			nodes: map[string]wantNode{
				"_Start":   {kind: model.StartEvent, out: []string{"_Flow1"}},
				"_Check":   {kind: model.ServiceTask, taskType: "com.acme.order.OrderService.check", before: true, in: []string{"_Flow1"}, out: []string{"_Flow2"}},
				"_Gateway": {kind: model.ExclusiveGateway, def: "_FlowSmall", in: []string{"_Flow2"}, out: []string{"_FlowBig", "_FlowSmall"}},
				"_Approve": {kind: model.ServiceTask, element: "task", taskType: "Approval", before: true, in: []string{"_FlowBig"}, out: []string{"_Flow3"}},
				"_Merge":   {kind: model.ExclusiveGateway, in: []string{"_FlowSmall", "_Flow3"}, out: []string{"_Flow4"}},
				"_Email":   {kind: model.ServiceTask, element: "task", taskType: "Email", in: []string{"_Flow4"}, out: []string{"_Flow5"}},
				"_End":     {kind: model.EndEvent, in: []string{"_Flow5"}},
			},
			flows: map[string]wantFlow{
				"_Flow1": {"_Start", "_Check", ""}, "_Flow2": {"_Check", "_Gateway", ""},
				"_FlowBig": {"_Gateway", "_Approve", "amount > 100"}, "_FlowSmall": {"_Gateway", "_Merge", ""},
				"_Flow3": {"_Approve", "_Merge", ""}, "_Flow4": {"_Merge", "_Email", ""}, "_Flow5": {"_Email", "_End", ""},
			},
		},
		{
			file: "baton_order.bpmn", key: "baton-order", name: "Baton order",
			nodes: map[string]wantNode{
				"Start":   {kind: model.StartEvent, before: true, out: []string{"Flow_1"}},
				"Reserve": {kind: model.ServiceTask, element: "task", taskType: "reserve-stock", after: true, in: []string{"Flow_1"}, out: []string{"Flow_2"}},
				"Decide":  {kind: model.ExclusiveGateway, before: true, def: "Flow_Free", in: []string{"Flow_2"}, out: []string{"Flow_Pay", "Flow_Free"}},
				"Charge":  {kind: model.ServiceTask, taskType: "charge", before: true, notExclusive: true, in: []string{"Flow_Pay"}, out: []string{"Flow_3"}},
				"Paid":    {kind: model.EndEvent, in: []string{"Flow_3"}},
				"Free":    {kind: model.EndEvent, in: []string{"Flow_Free"}},
			},
			flows: map[string]wantFlow{
				"Flow_1": {"Start", "Reserve", ""}, "Flow_2": {"Reserve", "Decide", ""},
				"Flow_Pay": {"Decide", "Charge", `total >= 10 && currency == "EUR"`}, "Flow_Free": {"Decide", "Free", ""},
				"Flow_3": {"Charge", "Paid", ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			checkModellerFile(t, tt)
		})
	}
}

// checkModellerFile parses testdata/tt.file and asserts that it holds exactly the one linked
// process tt describes.
func checkModellerFile(t *testing.T, tt modellerFile) {
	t.Helper()
	text := readTestdata(t, tt.file)
	path := filepath.Join("testdata", tt.file)
	defs, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 1 {
		t.Fatalf("got %d definitions, want 1", len(defs))
	}
	d := defs[0]
	sum := sha256.Sum256([]byte(text))
	if d.Key != tt.key || d.Name != tt.name || d.Source != path || d.Hash != hex.EncodeToString(sum[:]) || d.Version != 0 {
		t.Errorf("definition key %q name %q source %q hash %q version %d; want %q %q %q sha256 0",
			d.Key, d.Name, d.Source, d.Hash, d.Version, tt.key, tt.name, path)
	}
	if d.EngineType != model.DefaultEngineType || d.Nodes[d.StartID] == nil || d.Nodes[d.StartID].Kind != model.StartEvent {
		t.Errorf("definition not linked: engine type %q, start %q", d.EngineType, d.StartID)
	}
	checkNodes(t, text, d, tt.nodes)
	checkFlows(t, text, d, tt.flows)
}

// checkNodes asserts that d has exactly the wanted nodes, each at the line of its id in text.
func checkNodes(t *testing.T, text string, d *model.Definition, want map[string]wantNode) {
	t.Helper()
	if len(d.Nodes) != len(want) {
		t.Errorf("got %d nodes, want %d", len(d.Nodes), len(want))
	}
	for id, w := range want {
		n := d.Nodes[id]
		if n == nil {
			t.Errorf("node %q missing", id)
			continue
		}
		if got := nodeOf(n); !got.equal(w, true) {
			t.Errorf("node %q:\n got  %+v\n want %+v", id, got, w)
		}
		if (n.AsyncExpr != "") != (n.AsyncProgram() != nil) {
			t.Errorf("node %q: async expression %q compiled to %v", id, n.AsyncExpr, n.AsyncProgram())
		}
		if n.ID != id {
			t.Errorf("node %q has ID %q", id, n.ID)
		}
		if line := lineOf(t, text, id); n.Line != line {
			t.Errorf("node %q at line %d, want %d", id, n.Line, line)
		}
	}
}

// checkFlows asserts that d has exactly the wanted flows, each at the line of its id in text and
// with its condition compiled.
func checkFlows(t *testing.T, text string, d *model.Definition, want map[string]wantFlow) {
	t.Helper()
	if len(d.Flows) != len(want) {
		t.Errorf("got %d flows, want %d", len(d.Flows), len(want))
	}
	for id, w := range want {
		f := d.Flows[id]
		if f == nil {
			t.Errorf("flow %q missing", id)
			continue
		}
		if got := (wantFlow{f.Source, f.Target, f.Condition}); got != w {
			t.Errorf("flow %q: got %+v, want %+v", id, got, w)
		}
		if (f.Condition != "") != (f.Program() != nil) {
			t.Errorf("flow %q: condition %q compiled to %v", id, f.Condition, f.Program())
		}
		if line := lineOf(t, text, id); f.Line != line {
			t.Errorf("flow %q at line %d, want %d", id, f.Line, line)
		}
	}
}
