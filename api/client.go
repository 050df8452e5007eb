package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/pkg/baton"
)

// Client calls a Baton server's /v1 API: the same operations as baton.Client, over HTTP, for
// the CLI's --api mode and for programs that cannot reach NATS and Redis. Its zero value is not
// usable; use NewClient.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient returns a client of the API at base (such as http://baton:8080), sending token as
// the bearer token when it is not empty. Requests time out after 60s.
func NewClient(base, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api url %q: want http://host:port or https://host:port", base)
	}
	return &Client{base: u.String(), token: token, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// APIError is an error answer of the API: its problem document.
type APIError struct{ Problem Problem }

func (e *APIError) Error() string {
	s := e.Problem.Detail
	for _, f := range e.Problem.Errors {
		if !strings.Contains(s, f.Detail) {
			s += "\n  " + f.Field + ": " + f.Detail
		}
	}
	return s
}

// Is matches the sentinel errors of package baton by their text, which the server's detail
// carries (baton.ErrNotWaiting, baton.ErrNoIncident, ...).
func (e *APIError) Is(target error) bool {
	return target != nil && strings.Contains(e.Problem.Detail, target.Error())
}

// do sends a request and decodes a JSON answer into out (nil: none expected).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/xml"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("api: %w", err)
		}
		rd, ct = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("api %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("api %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var p Problem
		if json.Unmarshal(data, &p) != nil || p.Detail == "" {
			p = Problem{Status: resp.StatusCode, Detail: fmt.Sprintf("%s %s: %s", method, path, resp.Status)}
		}
		return &APIError{Problem: p}
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("api %s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// DeployFile deploys the BPMN file at path.
func (c *Client) DeployFile(ctx context.Context, path string) ([]baton.Deployed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out struct {
		Deployed []struct {
			ProcessKey string
			Version    int
			Unchanged  bool
		}
	}
	if err := c.do(ctx, "POST", "/v1/deployments?name="+url.QueryEscape(filepath.Base(path)), data, &out); err != nil {
		return nil, err
	}
	deps := make([]baton.Deployed, 0, len(out.Deployed))
	for _, d := range out.Deployed {
		deps = append(deps, baton.Deployed{Key: d.ProcessKey, Version: d.Version, Unchanged: d.Unchanged})
	}
	return deps, nil
}

// Start starts an instance.
func (c *Client) Start(ctx context.Context, req baton.StartRequest) (baton.StartResult, error) {
	var out struct {
		InstanceID        string
		Created           bool
		Status            string
		DefinitionVersion int
	}
	err := c.do(ctx, "POST", "/v1/instances", startBody{ProcessKey: req.ProcessKey, Version: req.Version, BusinessKey: req.BusinessKey,
		InstanceID: req.InstanceID, Variables: req.Variables}, &out)
	return baton.StartResult{InstanceID: out.InstanceID, Created: out.Created, Status: out.Status, DefinitionVersion: out.DefinitionVersion}, err
}

// Instance reads an instance.
func (c *Client) Instance(ctx context.Context, id string) (*baton.InstanceView, error) {
	var v baton.InstanceView
	if err := c.do(ctx, "GET", "/v1/instances/"+url.PathEscape(id), nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Instances lists instances.
func (c *Client) Instances(ctx context.Context, f baton.InstanceFilter) ([]baton.InstanceSummary, error) {
	q := url.Values{}
	set(q, "processKey", f.ProcessKey)
	set(q, "status", f.Status)
	set(q, "businessKey", f.BusinessKey)
	setTime(q, "startedAfter", f.StartedAfter)
	setTime(q, "startedBefore", f.StartedBefore)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct{ Instances []baton.InstanceSummary }
	err := c.do(ctx, "GET", "/v1/instances?"+q.Encode(), nil, &out)
	return out.Instances, err
}

// Cancel cancels an instance.
func (c *Client) Cancel(ctx context.Context, id string) (baton.CancelResult, error) {
	var out baton.CancelResult
	err := c.do(ctx, "POST", "/v1/instances/"+url.PathEscape(id)+"/cancel", nil, &out)
	return out, err
}

// Modify modifies an instance.
func (c *Client) Modify(ctx context.Context, req baton.ModifyRequest) (baton.ModifyResult, error) {
	var b modifyBody
	b.Variables = req.Variables
	for _, in := range req.Instructions {
		b.Instructions = append(b.Instructions, struct {
			Kind       string `json:"kind"`
			TokenID    string `json:"tokenId"`
			ActivityID string `json:"activityId"`
		}{in.Kind, in.TokenID, in.ActivityID})
	}
	var out baton.ModifyResult
	err := c.do(ctx, "POST", "/v1/instances/"+url.PathEscape(req.InstanceID)+"/modify", b, &out)
	return out, err
}

// Variables reads the variables an instance, or one of its tokens, sees.
func (c *Client) Variables(ctx context.Context, instanceID, tokenID string) (map[string]any, error) {
	q := url.Values{}
	set(q, "tokenId", tokenID)
	var out struct{ Variables map[string]any }
	err := c.do(ctx, "GET", "/v1/instances/"+url.PathEscape(instanceID)+"/variables?"+q.Encode(), nil, &out)
	return out.Variables, err
}

// SetVariables sets variables.
func (c *Client) SetVariables(ctx context.Context, req baton.SetVariablesRequest) error {
	return c.do(ctx, "PATCH", "/v1/instances/"+url.PathEscape(req.InstanceID)+"/variables",
		setVariablesBody{TokenID: req.TokenID, Variables: req.Variables}, nil)
}

// VariableHistory reads the variable changes of an instance.
func (c *Client) VariableHistory(ctx context.Context, instanceID, name string) ([]baton.HistoryEvent, error) {
	q := url.Values{}
	set(q, "name", name)
	var out struct{ History []baton.HistoryEvent }
	err := c.do(ctx, "GET", "/v1/instances/"+url.PathEscape(instanceID)+"/variables/history?"+q.Encode(), nil, &out)
	return out.History, err
}

// Tasks lists open user tasks.
func (c *Client) Tasks(ctx context.Context, f baton.TaskFilter) ([]baton.TaskView, error) {
	q := url.Values{}
	set(q, "assignee", f.Assignee)
	set(q, "candidateUser", f.CandidateUser)
	set(q, "candidateGroups", strings.Join(f.CandidateGroups, ","))
	set(q, "processKey", f.ProcessKey)
	set(q, "instanceId", f.InstanceID)
	setTime(q, "dueBefore", f.DueBefore)
	if f.Unassigned {
		q.Set("unassigned", "true")
	}
	var out struct{ Tasks []baton.TaskView }
	err := c.do(ctx, "GET", "/v1/tasks?"+q.Encode(), nil, &out)
	return out.Tasks, err
}

// ClaimTask claims a task for user.
func (c *Client) ClaimTask(ctx context.Context, taskID, user string) error {
	return c.do(ctx, "POST", "/v1/tasks/"+url.PathEscape(taskID)+"/claim", map[string]string{"user": user}, nil)
}

// UnclaimTask gives a task back.
func (c *Client) UnclaimTask(ctx context.Context, taskID string) error {
	return c.do(ctx, "POST", "/v1/tasks/"+url.PathEscape(taskID)+"/unclaim", nil, nil)
}

// Complete completes a user task (TaskID) or a waiting delegate (JobID and FenceToken).
func (c *Client) Complete(ctx context.Context, req baton.CompleteRequest) (baton.CompleteResult, error) {
	b := completeBody{JobID: req.JobID, FenceToken: req.FenceToken, ActivityID: req.ActivityID, TokenID: req.TokenID, Variables: req.Variables}
	if req.Error != nil {
		b.Error = &bpmnErrorBody{Code: req.Error.Code, Message: req.Error.Message}
	}
	path := "/v1/completions"
	if req.TaskID != "" {
		path = "/v1/tasks/" + url.PathEscape(req.TaskID) + "/complete"
	}
	var out baton.CompleteResult
	err := c.do(ctx, "POST", path, b, &out)
	return out, err
}

// Correlate correlates a message.
func (c *Client) Correlate(ctx context.Context, req baton.CorrelateRequest) (baton.CorrelateResult, error) {
	b := correlateBody{Name: req.Name, CorrelationKey: req.CorrelationKey, MessageID: req.MessageID, Variables: req.Variables, All: req.All}
	switch {
	case req.TTL < 0:
		b.TTL = "0s"
	case req.TTL > 0:
		b.TTL = req.TTL.String()
	}
	var out baton.CorrelateResult
	err := c.do(ctx, "POST", "/v1/messages", b, &out)
	return out, err
}

// Signal broadcasts a signal.
func (c *Client) Signal(ctx context.Context, name string, vars map[string]any) (baton.SignalResult, error) {
	var out baton.SignalResult
	err := c.do(ctx, "POST", "/v1/signals", map[string]any{"name": name, "variables": vars}, &out)
	return out, err
}

// Jobs lists outstanding jobs.
func (c *Client) Jobs(ctx context.Context, f baton.JobFilter) ([]baton.OutstandingJob, error) {
	q := url.Values{}
	set(q, "taskType", f.TaskType)
	set(q, "processKey", f.ProcessKey)
	set(q, "instanceId", f.InstanceID)
	set(q, "activityId", f.ActivityID)
	if f.Incident {
		q.Set("incident", "true")
	}
	if f.Leased {
		q.Set("leased", "true")
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct{ Jobs []baton.OutstandingJob }
	err := c.do(ctx, "GET", "/v1/jobs?"+q.Encode(), nil, &out)
	return out.Jobs, err
}

// Incidents lists open incidents.
func (c *Client) Incidents(ctx context.Context, f baton.IncidentFilter) ([]baton.OpenIncident, error) {
	q := url.Values{}
	set(q, "processKey", f.ProcessKey)
	set(q, "instanceId", f.InstanceID)
	set(q, "activityId", f.ActivityID)
	set(q, "taskType", f.TaskType)
	var out struct{ Incidents []baton.OpenIncident }
	err := c.do(ctx, "GET", "/v1/incidents?"+q.Encode(), nil, &out)
	return out.Incidents, err
}

// RetryIncident resolves an incident.
func (c *Client) RetryIncident(ctx context.Context, req baton.RetryRequest) error {
	return c.do(ctx, "POST", "/v1/incidents/"+url.PathEscape(req.JobID)+"/retry",
		map[string]any{"retries": req.Retries, "variables": req.Variables}, nil)
}

// StartTimers lists the scheduled timer start events.
func (c *Client) StartTimers(ctx context.Context) ([]baton.StartTimer, error) {
	var out struct {
		Timers []struct {
			ProcessKey, Event string
			Version, Fired    int
			Due               time.Time
		}
	}
	if err := c.do(ctx, "GET", "/v1/timers", nil, &out); err != nil {
		return nil, err
	}
	list := make([]baton.StartTimer, 0, len(out.Timers))
	for _, t := range out.Timers {
		list = append(list, baton.StartTimer{ProcessKey: t.ProcessKey, Event: t.Event, Version: t.Version, Fired: t.Fired, Due: t.Due})
	}
	return list, nil
}

// DeadLetters lists dead letters.
func (c *Client) DeadLetters(ctx context.Context, after uint64, limit int) ([]baton.DeadLetterRecord, uint64, error) {
	var out struct {
		DeadLetters []baton.DeadLetterRecord
		Next        uint64
	}
	err := c.do(ctx, "GET", fmt.Sprintf("/v1/dead-letters?after=%d&limit=%d", after, limit), nil, &out)
	return out.DeadLetters, out.Next, err
}

// DeadLetter reads one dead letter.
func (c *Client) DeadLetter(ctx context.Context, seq uint64) (baton.DeadLetterRecord, error) {
	var out baton.DeadLetterRecord
	err := c.do(ctx, "GET", fmt.Sprintf("/v1/dead-letters/%d", seq), nil, &out)
	return out, err
}

// RequeueDeadLetter publishes a dead letter again and deletes it.
func (c *Client) RequeueDeadLetter(ctx context.Context, seq uint64) (baton.DeadLetterRecord, error) {
	var out struct{ Subject string }
	err := c.do(ctx, "POST", fmt.Sprintf("/v1/dead-letters/%d/requeue", seq), nil, &out)
	return baton.DeadLetterRecord{Seq: seq, Subject: out.Subject}, err
}

// DeleteDeadLetter deletes a dead letter.
func (c *Client) DeleteDeadLetter(ctx context.Context, seq uint64) error {
	return c.do(ctx, "DELETE", fmt.Sprintf("/v1/dead-letters/%d", seq), nil, nil)
}

// Suspend suspends a scope.
func (c *Client) Suspend(ctx context.Context, s baton.Scope) error {
	return c.do(ctx, "POST", "/v1/suspend", s, nil)
}

// Activate ends a suspension; it returns how many parked jobs were published again.
func (c *Client) Activate(ctx context.Context, s baton.Scope) (int, error) {
	var out struct{ Republished int }
	err := c.do(ctx, "POST", "/v1/activate", s, &out)
	return out.Republished, err
}

// Suspensions lists what is suspended.
func (c *Client) Suspensions(ctx context.Context) ([]baton.Suspension, error) {
	var out struct{ Suspensions []baton.Suspension }
	err := c.do(ctx, "GET", "/v1/suspensions", nil, &out)
	return out.Suspensions, err
}

func set(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

func setTime(q url.Values, k string, t time.Time) {
	if !t.IsZero() {
		q.Set(k, t.UTC().Format(time.RFC3339))
	}
}
