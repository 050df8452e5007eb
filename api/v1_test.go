package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/batonhq/baton/api"
	"github.com/batonhq/baton/engine"
)

// approvalModel waits for a user task Approve, then for the message "paid" (key: the business
// key), then for the signal "shipped"; a boundary on nothing else.
const approvalModel = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <message id="M" name="paid"><extensionElements/></message>
  <signal id="S" name="shipped"/>
  <process id="approval" isExecutable="true">
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Approve"/>
    <userTask id="Approve" camunda:candidateGroups="sales"/>
    <sequenceFlow id="f1" sourceRef="Approve" targetRef="Paid"/>
    <receiveTask id="Paid" messageRef="M"/>
    <sequenceFlow id="f2" sourceRef="Paid" targetRef="Shipped"/>
    <intermediateCatchEvent id="Shipped"><signalEventDefinition signalRef="S"/></intermediateCatchEvent>
    <sequenceFlow id="f3" sourceRef="Shipped" targetRef="End"/>
    <endEvent id="End"/>
  </process>
</definitions>`

// postXML deploys a BPMN document and returns the status and body.
func (s *testServer) postXML(path, doc string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.url+path, strings.NewReader(doc))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/xml")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func (s *testServer) expect(code int, wantCode int, body string) {
	s.t.Helper()
	if code != wantCode {
		s.t.Fatalf("status %d, want %d: %s", code, wantCode, body)
	}
}

func TestTheAPIRunsAProcessThroughItsWaitStates(t *testing.T) {
	t.Parallel()
	s := newServer(t, api.Config{})
	code, body := s.postXML("/v1/deployments?name=approval.bpmn", approvalModel)
	s.expect(code, http.StatusCreated, body)
	if !strings.Contains(body, `"processKey": "approval"`) || !strings.Contains(body, `"version": 1`) {
		t.Fatalf("deploy: %s", body)
	}
	code, body = s.do("POST", "/v1/instances", map[string]any{"processKey": "approval", "businessKey": "o-1", "instanceId": "i-1",
		"variables": map[string]any{"amount": 120}})
	s.expect(code, http.StatusCreated, body)
	// The same instance id again runs nothing.
	code, body = s.do("POST", "/v1/instances", map[string]any{"processKey": "approval", "instanceId": "i-1"})
	s.expect(code, http.StatusOK, body)

	var tasks struct {
		Tasks []struct{ ID, ActivityID string }
	}
	code, body = s.do("GET", "/v1/tasks?candidateUser=ann&candidateGroups=sales", nil)
	s.expect(code, http.StatusOK, body)
	s.decode(body, &tasks)
	if len(tasks.Tasks) != 1 || tasks.Tasks[0].ActivityID != "Approve" {
		t.Fatalf("tasks: %s", body)
	}
	task := tasks.Tasks[0].ID
	code, body = s.do("POST", "/v1/tasks/"+task+"/claim", map[string]any{"user": "ann"})
	s.expect(code, http.StatusNoContent, body)
	code, body = s.do("POST", "/v1/tasks/"+task+"/claim", map[string]any{"user": "bob"})
	s.expect(code, http.StatusConflict, body)
	code, body = s.do("POST", "/v1/tasks/"+task+"/complete", map[string]any{"variables": map[string]any{"approved": true}})
	s.expect(code, http.StatusOK, body)
	code, body = s.do("POST", "/v1/tasks/"+task+"/complete", nil)
	s.expect(code, http.StatusConflict, body)

	code, body = s.do("PATCH", "/v1/instances/i-1/variables", map[string]any{"variables": map[string]any{"note": "rush"}})
	s.expect(code, http.StatusNoContent, body)
	code, body = s.do("GET", "/v1/instances/i-1/variables", nil)
	s.expect(code, http.StatusOK, body)
	if !strings.Contains(body, `"approved": true`) || !strings.Contains(body, `"note": "rush"`) || !strings.Contains(body, `"amount": 120`) {
		t.Fatalf("variables: %s", body)
	}
	code, body = s.do("GET", "/v1/instances/i-1/variables/history?name=note", nil)
	s.expect(code, http.StatusOK, body)
	if !strings.Contains(body, `"variable": "note"`) {
		t.Fatalf("history: %s", body)
	}

	code, body = s.do("POST", "/v1/messages", map[string]any{"name": "paid", "correlationKey": "o-1", "messageId": "pay-1"})
	s.expect(code, http.StatusOK, body)
	if !strings.Contains(body, `"i-1"`) {
		t.Fatalf("correlate: %s", body)
	}
	code, body = s.do("POST", "/v1/messages", map[string]any{"name": "paid", "correlationKey": "o-1", "messageId": "pay-1"})
	s.expect(code, http.StatusOK, body)
	if !strings.Contains(body, `"duplicate": true`) {
		t.Fatalf("the same message again: %s", body)
	}
	code, body = s.do("POST", "/v1/signals", map[string]any{"name": "shipped"})
	s.expect(code, http.StatusOK, body)

	var v struct{ Status string }
	code, body = s.do("GET", "/v1/instances/i-1", nil)
	s.expect(code, http.StatusOK, body)
	s.decode(body, &v)
	if v.Status != engine.StatusCompleted {
		t.Fatalf("instance: %s", body)
	}
	code, body = s.do("POST", "/v1/instances/i-1/cancel", nil)
	s.expect(code, http.StatusOK, body)
	if !strings.Contains(body, `"cancelled": []`) {
		t.Fatalf("cancelling an ended instance: %s", body)
	}
}

func TestAPIErrorsAreProblemsThatNameTheField(t *testing.T) {
	t.Parallel()
	s := newServer(t, api.Config{})
	code, body := s.postXML("/v1/deployments?name=approval.bpmn", approvalModel)
	s.expect(code, http.StatusCreated, body)
	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		field, detail      string
	}{
		{"unknown field", "POST", "/v1/instances", map[string]any{"processKey": "approval", "colour": "red"}, 400, "colour", "unknown field"},
		{"wrong type", "POST", "/v1/instances", map[string]any{"processKey": "approval", "version": "two"}, 400, "version", "is string; want int"},
		{"missing field", "POST", "/v1/instances", map[string]any{"businessKey": "x"}, 400, "processKey", "is required"},
		{"unknown process", "POST", "/v1/instances", map[string]any{"processKey": "nope"}, 404, "", "unknown process"},
		{"bad query", "GET", "/v1/tasks?dueBefore=tomorrow", nil, 400, "query.dueBefore", "want an RFC 3339 time"},
		{"bad instruction", "POST", "/v1/instances/i-9/modify", map[string]any{"instructions": []any{map[string]any{"kind": "jump"}}}, 400, "instructions[0].kind", "want cancel, startBefore"},
		{"unknown instance", "GET", "/v1/instances/i-9", nil, 404, "", "not found"},
		{"no such task", "POST", "/v1/tasks/i-9:1:0/complete", nil, 409, "", "nothing waits for this completion"},
		{"no incident", "POST", "/v1/incidents/i-9:1:0/retry", nil, 404, "", "no open incident"},
		{"no route", "GET", "/v1/processes", nil, 404, "", "is no operation of the API"},
	} {
		code, body := s.do(c.method, c.path, c.body)
		var p api.Problem
		s.decode(body, &p)
		if code != c.status || p.Status != c.status || !strings.Contains(p.Detail, c.detail) {
			t.Errorf("%s: %d %s; want %d saying %q", c.name, code, body, c.status, c.detail)
			continue
		}
		if c.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != c.field) {
			t.Errorf("%s: errors %+v; want the field %q", c.name, p.Errors, c.field)
		}
	}
	// A model with problems names each place, and deploys nothing.
	bad := strings.Replace(approvalModel, `targetRef="Paid"`, `targetRef="Nowhere"`, 1)
	code, body = s.postXML("/v1/deployments?name=bad.bpmn", bad)
	var p api.Problem
	s.decode(body, &p)
	if code != http.StatusUnprocessableEntity || len(p.Errors) == 0 || !strings.HasPrefix(p.Errors[0].Field, "bad.bpmn:") || p.Errors[0].Element != "f1" {
		t.Fatalf("bad model: %d %s", code, body)
	}
}

func TestTheBearerTokenProtectsTheAPIButNotTheProbes(t *testing.T) {
	t.Parallel()
	s := newServer(t, api.Config{Token: "s3cret"})
	if code, body := s.do("GET", "/v1/incidents", nil); code != http.StatusOK {
		t.Fatalf("with the token: %d %s", code, body)
	}
	s.token = "wrong"
	code, body := s.do("GET", "/v1/incidents", nil)
	if code != http.StatusUnauthorized || !strings.Contains(body, "bearer token is required") {
		t.Fatalf("with a wrong token: %d %s", code, body)
	}
	s.token = ""
	if code, _ := s.do("GET", "/v1/tasks", nil); code != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", code)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if code, _ := s.do("GET", p, nil); code != http.StatusOK {
			t.Errorf("%s without a token: %d, want 200", p, code)
		}
	}
}

func TestAWrongMethodIsAnsweredWithTheAllowedOnes(t *testing.T) {
	t.Parallel()
	s := newServer(t, api.Config{})
	code, body := s.do("DELETE", "/v1/instances/i-1", nil)
	var p api.Problem
	s.decode(body, &p)
	if code != http.StatusMethodNotAllowed || !strings.Contains(p.Detail, "use GET") {
		t.Fatalf("DELETE an instance: %d %s", code, body)
	}
}
