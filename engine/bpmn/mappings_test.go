package bpmn

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/batonhq/baton/engine/model"
)

// camundaIO is a task "x" with the Camunda parameters params.
func camundaIO(params string) string {
	return `<task id="x">` + extensions(`<camunda:inputOutput>`+params+`</camunda:inputOutput>`) + `</task>`
}

// zeebeIO is a service task "x" with the Zeebe mappings ms.
func zeebeIO(ms string) string {
	return `<serviceTask id="x">` + extensions(`<zeebe:taskDefinition type="t" /><zeebe:ioMapping>`+ms+`</zeebe:ioMapping>`) + `</serviceTask>`
}

// TestParseMappingFile checks the input/output mappings of a Camunda Modeler file: expressions,
// constants, null, a composite expression, a list and a map.
func TestParseMappingFile(t *testing.T) {
	t.Parallel()
	file := modellerFile{
		file: "camunda7_mappings.bpmn", key: "invoice", name: "Invoice delivery",
		nodes: map[string]wantNode{
			"StartEvent_1":     {kind: model.StartEvent, out: []string{"Flow_1"}},
			"Activity_Prepare": {kind: model.ServiceTask, taskType: "com.acme.invoice.Prepare", in: []string{"Flow_1"}, out: []string{"Flow_2"}},
			"Gateway_Channel":  {kind: model.ExclusiveGateway, def: "Flow_Post", in: []string{"Flow_2"}, out: []string{"Flow_Mail", "Flow_Post"}},
			"Activity_Mail":    {kind: model.ServiceTask, element: "sendTask", taskType: "com.acme.invoice.Mail", in: []string{"Flow_Mail"}, out: []string{"Flow_3"}},
			"Activity_Post":    {kind: model.Task, in: []string{"Flow_Post"}, out: []string{"Flow_4"}},
			"Gateway_Merge":    {kind: model.ExclusiveGateway, in: []string{"Flow_3", "Flow_4"}, out: []string{"Flow_5"}},
			"EndEvent_1":       {kind: model.EndEvent, in: []string{"Flow_5"}},
		},
		flows: map[string]wantFlow{
			"Flow_1": {"StartEvent_1", "Activity_Prepare", ""}, "Flow_2": {"Activity_Prepare", "Gateway_Channel", ""},
			"Flow_Mail": {"Gateway_Channel", "Activity_Mail", `channel == "email"`}, "Flow_Post": {"Gateway_Channel", "Activity_Post", ""},
			"Flow_3": {"Activity_Mail", "Gateway_Merge", ""}, "Flow_4": {"Activity_Post", "Gateway_Merge", ""},
			"Flow_5": {"Gateway_Merge", "EndEvent_1", ""},
		},
	}
	checkModellerFile(t, file)
	defs, err := ParseFile(filepath.Join("testdata", file.file))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id      string
		in, out []model.Mapping
	}{
		{id: "Activity_Prepare", in: []model.Mapping{
			{Target: "invoiceId", Expr: "invoice.id"},
			{Target: "channel", Value: "email"},
			{Target: "note"},
			{Target: "greeting", Expr: `"Dear " + string(customer.name) + ","`},
			{Target: "recipients", Expr: `[(customer.email), "billing@acme.com"]`},
			{Target: "headers", Expr: `{"priority": "high", "total": (amount * 1.2)}`},
		}, out: []model.Mapping{{Target: "documentId", Expr: "result.documentId"}, {Target: "channel", Expr: "channel"}}},
		{id: "Activity_Mail", in: []model.Mapping{{Target: "to", Expr: "customer.email"}}},
		{id: "Activity_Post"},
		{id: "StartEvent_1"},
	}
	for _, tt := range tests {
		n := defs[0].Nodes[tt.id]
		if got := plainMappings(n.Inputs); !reflect.DeepEqual(got, tt.in) {
			t.Errorf("node %q inputs\n got  %#v\n want %#v", tt.id, got, tt.in)
		}
		if got := plainMappings(n.Outputs); !reflect.DeepEqual(got, tt.out) {
			t.Errorf("node %q outputs\n got  %#v\n want %#v", tt.id, got, tt.out)
		}
		checkCompiled(t, n)
	}
}

// TestParseMappings checks the input and output mappings of the node "x" in every dialect.
func TestParseMappings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		node    string
		in, out []model.Mapping
	}{
		{"camunda hash expression", camundaIO(`<camunda:inputParameter name="a">#{order.total}</camunda:inputParameter>`),
			[]model.Mapping{{Target: "a", Expr: "order.total"}}, nil},
		{"camunda constant is trimmed", camundaIO("<camunda:inputParameter name=\"a\">\n   plain  text \n</camunda:inputParameter>"),
			[]model.Mapping{{Target: "a", Value: "plain  text"}}, nil},
		{"camunda empty and blank are null", camundaIO(`<camunda:inputParameter name="a" /><camunda:inputParameter name="b">  </camunda:inputParameter>`),
			[]model.Mapping{{Target: "a"}, {Target: "b"}}, nil},
		{"camunda composite expression", camundaIO(`<camunda:inputParameter name="a">Order ${id} for #{customer.name}!</camunda:inputParameter>`),
			[]model.Mapping{{Target: "a", Expr: `"Order " + string(id) + " for " + string(customer.name) + "!"`}}, nil},
		{"camunda escaped expression is text", camundaIO(`<camunda:inputParameter name="a">\${literal}</camunda:inputParameter>`),
			[]model.Mapping{{Target: "a", Value: "${literal}"}}, nil},
		{"camunda braces and quotes inside an expression", camundaIO(`<camunda:inputParameter name="a">${ {"k": "}"}.k }</camunda:inputParameter>`),
			[]model.Mapping{{Target: "a", Expr: `{"k": "}"}.k`}}, nil},
		{"camunda CDATA", camundaIO(`<camunda:inputParameter name="a"><![CDATA[${a < b}]]></camunda:inputParameter>`),
			[]model.Mapping{{Target: "a", Expr: "a < b"}}, nil},
		{"camunda nested list", camundaIO(`<camunda:inputParameter name="a"><camunda:list>
              <camunda:value>${a}</camunda:value>
              <camunda:value>b "quoted"</camunda:value>
              <camunda:value />
              <camunda:list><camunda:value>c</camunda:value></camunda:list>
              <camunda:map><camunda:entry key="k">${k}</camunda:entry></camunda:map>
            </camunda:list></camunda:inputParameter>`),
			[]model.Mapping{{Target: "a", Expr: `[(a), "b \"quoted\"", nil, ["c"], {"k": (k)}]`}}, nil},
		{"camunda nested map", camundaIO(`<camunda:inputParameter name="a"><camunda:map>
              <camunda:entry key="${prefix}">v</camunda:entry>
              <camunda:entry key="list"><camunda:list><camunda:value>1</camunda:value></camunda:list></camunda:entry>
              <camunda:entry key="none" />
            </camunda:map></camunda:inputParameter>`),
			[]model.Mapping{{Target: "a", Expr: `{(prefix): "v", "list": ["1"], "none": nil}`}}, nil},
		{"camunda empty list and map", camundaIO(`<camunda:inputParameter name="a"><camunda:list /></camunda:inputParameter><camunda:inputParameter name="b"><camunda:map /></camunda:inputParameter>`),
			[]model.Mapping{{Target: "a", Expr: "[]"}, {Target: "b", Expr: "{}"}}, nil},
		{"camunda outputs", camundaIO(`<camunda:outputParameter name="total">${sum}</camunda:outputParameter><camunda:inputParameter name="a">1</camunda:inputParameter><camunda:outputParameter name="status">done</camunda:outputParameter>`),
			[]model.Mapping{{Target: "a", Value: "1"}}, []model.Mapping{{Target: "total", Expr: "sum"}, {Target: "status", Value: "done"}}},
		{"zeebe mappings", zeebeIO(`<zeebe:input source="=order.id" target="id" /><zeebe:input source="express" target="service" /><zeebe:input target="empty" /><zeebe:output source="=status = &#34;ok&#34;" target="ok" />`),
			[]model.Mapping{{Target: "id", Expr: "order.id"}, {Target: "service", Value: "express"}, {Target: "empty"}},
			[]model.Mapping{{Target: "ok", Expr: `status == "ok"`}}},
		{"camunda and zeebe in model order", `<scriptTask id="x" scriptFormat="expr"><extensionElements>
          <camunda:inputOutput><camunda:inputParameter name="a">${1}</camunda:inputParameter></camunda:inputOutput>
          <zeebe:ioMapping><zeebe:input source="=2" target="b" /></zeebe:ioMapping>
        </extensionElements><script>a + b</script></scriptTask>`,
			[]model.Mapping{{Target: "a", Expr: "1"}, {Target: "b", Expr: "2"}}, nil},
		{"subprocess", `<subProcess id="x">` + extensions(`<camunda:inputOutput><camunda:inputParameter name="local">${0}</camunda:inputParameter><camunda:outputParameter name="sum">${local}</camunda:outputParameter></camunda:inputOutput>`) + `
      ` + subFlow + `</subProcess>`,
			[]model.Mapping{{Target: "local", Expr: "0"}}, []model.Mapping{{Target: "sum", Expr: "local"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := parseOne(t, inlineModel(around(tt.node))).Nodes["x"]
			if got := plainMappings(n.Inputs); !reflect.DeepEqual(got, tt.in) {
				t.Errorf("inputs\n got  %#v\n want %#v", got, tt.in)
			}
			if got := plainMappings(n.Outputs); !reflect.DeepEqual(got, tt.out) {
				t.Errorf("outputs\n got  %#v\n want %#v", got, tt.out)
			}
			checkCompiled(t, n)
		})
	}
}

// TestParseMappingProblems checks that each mistake in a mapping gives one problem at the right
// line and element.
func TestParseMappingProblems(t *testing.T) {
	t.Parallel()
	param := func(content string) string {
		return inlineModel(around(camundaIO(`<camunda:inputParameter name="a">` + content + `</camunda:inputParameter>`)))
	}
	tests := []problemCase{
		{"camunda script value", param(`<camunda:script scriptFormat="groovy">1 + 1</camunda:script>`),
			[]wantProblem{{id: "x", needle: "<camunda:script", msg: "a <camunda:script> as a parameter value is not supported; write the value as an expression"}}},
		{"script inside a list", param(`<camunda:list><camunda:value>a</camunda:value><camunda:script scriptFormat="js">1</camunda:script></camunda:list>`),
			[]wantProblem{{id: "x", needle: "<camunda:script", msg: "a <camunda:script> as a parameter value is not supported"}}},
		{"two values", param(`<camunda:list /><camunda:map />`),
			[]wantProblem{{id: "x", needle: "<camunda:map />", msg: "<camunda:inputParameter> holds 2 elements; a parameter holds text, or one <camunda:list>"}}},
		{"unknown list item", param(`<camunda:list><camunda:item>1</camunda:item></camunda:list>`),
			[]wantProblem{{id: "x", needle: "<camunda:item>", msg: "unsupported element <item> in a parameter"}}},
		{"map entry without key", param(`<camunda:map><camunda:entry>v</camunda:entry></camunda:map>`),
			[]wantProblem{{id: "x", needle: "<camunda:entry>", msg: "a <camunda:entry> without a key"}}},
		{"map with another element", param(`<camunda:map><camunda:value>v</camunda:value></camunda:map>`),
			[]wantProblem{{id: "x", needle: "<camunda:value>", msg: "unsupported element <value> in a <camunda:map>"}}},
		{"map key without closing brace", param(`<camunda:map><camunda:entry key="${k">v</camunda:entry></camunda:map>`),
			[]wantProblem{{id: "x", needle: "<camunda:entry", msg: `the key "${k" of a <camunda:entry> has an expression without its closing }`}}},
		{"expression without closing brace", param(`${a`),
			[]wantProblem{{id: "x", needle: `<camunda:inputParameter`, msg: `the value of <camunda:inputParameter> has an expression without its closing }: "${a"`}}},
		{"empty expression", param(`${ }`),
			[]wantProblem{{id: "x", needle: `<camunda:inputParameter`, msg: "has an empty expression"}}},
		{"empty expression in text", param(`a #{} b`),
			[]wantProblem{{id: "x", needle: `<camunda:inputParameter`, msg: "has an empty expression"}}},
		{"expression that does not compile", param(`${a +}`),
			[]wantProblem{{id: "x", msg: `input mapping of "a" "a +" does not compile`}}},
		{"list item that does not compile", param(`<camunda:list><camunda:value>${a +}</camunda:value></camunda:list>`),
			[]wantProblem{{id: "x", msg: `input mapping of "a" "[(a +)]" does not compile`}}},
		{"camunda parameter without name", inlineModel(around(camundaIO(`<camunda:outputParameter>${a}</camunda:outputParameter>`))),
			[]wantProblem{{id: "x", msg: "output mapping without a target variable name"}}},
		{"two outputs to one variable", inlineModel(around(camundaIO(`<camunda:outputParameter name="a">${b}</camunda:outputParameter><camunda:outputParameter name="a">${c}</camunda:outputParameter>`))),
			[]wantProblem{{id: "x", msg: `two output mappings set "a"; keep one`}}},
		{"zeebe nested target", inlineModel(around(zeebeIO(`<zeebe:output source="=total" target="order.total" />`))),
			[]wantProblem{{id: "x", needle: "<zeebe:output", msg: `zeebe:output target "order.total": nested targets are not supported; map to a top-level variable`}}},
		{"zeebe empty expression", inlineModel(around(zeebeIO(`<zeebe:input source="= " target="a" />`))),
			[]wantProblem{{id: "x", needle: "<zeebe:input", msg: `zeebe:input source "= " is an empty expression`}}},
		{"zeebe input without target", inlineModel(around(zeebeIO(`<zeebe:input source="=a" />`))),
			[]wantProblem{{id: "x", msg: "input mapping without a target variable name"}}},
		{"mappings on a gateway", inlineModel(around(`<parallelGateway id="x">` + extensions(`<camunda:inputOutput><camunda:inputParameter name="a">1</camunda:inputParameter></camunda:inputOutput>`) + `</parallelGateway>`)),
			[]wantProblem{{id: "x", msg: "input/output mappings on a gateway are not supported"}}},
	}
	checkProblemCases(t, tests)
}

// TestJUEL checks the translation of JUEL text on its own.
func TestJUEL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want juelValue
		msg  string
	}{
		{in: "", want: juelValue{}},
		{in: " ${ a } ", want: juelValue{expr: "a"}},
		{in: "#{a}", want: juelValue{expr: "a"}},
		{in: "$ {a}", want: juelValue{value: "$ {a}"}},
		{in: "${a}${b}", want: juelValue{expr: "string(a) + string(b)"}},
		{in: `${m["}"]} and ${'{'}`, want: juelValue{expr: `string(m["}"]) + " and " + string('{')`}},
		{in: `${"a\"}"}`, want: juelValue{expr: `"a\"}"`}},
		{in: `#\${x}`, want: juelValue{value: "#${x}"}},
		{in: "${a", msg: "has an expression without its closing }"},
		{in: "${}", msg: "has an empty expression"},
		{in: "x ${ } y", msg: "has an empty expression"},
	}
	for _, tt := range tests {
		got, msg := juel(tt.in)
		if got != tt.want || msg != tt.msg {
			t.Errorf("juel(%q) = %#v, %q; want %#v, %q", tt.in, got, msg, tt.want, tt.msg)
		}
	}
}
