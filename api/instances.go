package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/pkg/baton"
)

// deploy deploys the BPMN document in the body (Content-Type application/xml); ?name= names it
// in error messages (default "request.bpmn").
func (s *Server) deploy(w http.ResponseWriter, r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if !strings.Contains(ct, "xml") {
		return fieldErr("header.Content-Type", "%q: send the BPMN document as application/xml", ct)
	}
	name := query(r, "name")
	if name == "" {
		name = "request.bpmn"
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return fieldErr("body", "%v", err)
	}
	if len(data) > maxBody {
		return fieldErr("body", "larger than %d bytes", maxBody)
	}
	deps, err := s.client.DeployBytes(r.Context(), name, data)
	if err != nil {
		return err
	}
	type deployed struct {
		ProcessKey string `json:"processKey"`
		Version    int    `json:"version"`
		Unchanged  bool   `json:"unchanged"`
	}
	out := make([]deployed, 0, len(deps))
	for _, d := range deps {
		out = append(out, deployed{d.Key, d.Version, d.Unchanged})
	}
	writeJSON(w, http.StatusCreated, map[string]any{"deployed": out})
	return nil
}

// startBody starts an instance.
type startBody struct {
	ProcessKey  string         `json:"processKey"`
	Version     int            `json:"version"`
	BusinessKey string         `json:"businessKey"`
	InstanceID  string         `json:"instanceId"`
	Variables   map[string]any `json:"variables"`
}

func (s *Server) start(w http.ResponseWriter, r *http.Request) error {
	var b startBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.ProcessKey) == "" {
		return fieldErr("processKey", "is required")
	}
	if b.Version < 0 {
		return fieldErr("version", "%d: want 0 (the latest) or a deployed version", b.Version)
	}
	res, err := s.client.Start(r.Context(), baton.StartRequest{ProcessKey: b.ProcessKey, Version: b.Version,
		BusinessKey: b.BusinessKey, InstanceID: b.InstanceID, Variables: b.Variables})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK // the same instance id again: nothing ran
	}
	writeJSON(w, status, map[string]any{"instanceId": res.InstanceID, "created": res.Created, "status": res.Status,
		"definitionVersion": res.DefinitionVersion})
	return nil
}

func (s *Server) instance(w http.ResponseWriter, r *http.Request) error {
	v, err := s.client.Instance(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) error {
	res, err := s.client.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	cancelled := res.Cancelled
	if cancelled == nil {
		cancelled = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cancelled": cancelled, "status": res.Status})
	return nil
}

// modifyBody modifies an instance.
type modifyBody struct {
	Instructions []struct {
		Kind       string `json:"kind"`
		TokenID    string `json:"tokenId"`
		ActivityID string `json:"activityId"`
	} `json:"instructions"`
	Variables map[string]any `json:"variables"`
}

func (s *Server) modify(w http.ResponseWriter, r *http.Request) error {
	var b modifyBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if len(b.Instructions) == 0 && len(b.Variables) == 0 {
		return fieldErr("instructions", "is required: at least one of cancel, startBefore, startAfter or move (or variables to set)")
	}
	req := baton.ModifyRequest{InstanceID: r.PathValue("id"), Variables: b.Variables}
	for i, in := range b.Instructions {
		switch in.Kind {
		case "cancel", "startBefore", "startAfter", "move":
		default:
			return fieldErr(fmt.Sprintf("instructions[%d].kind", i), "%q: want cancel, startBefore, startAfter or move", in.Kind)
		}
		req.Instructions = append(req.Instructions, baton.Instruction{Kind: in.Kind, TokenID: in.TokenID, ActivityID: in.ActivityID})
	}
	res, err := s.client.Modify(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": res.Status, "version": res.Version})
	return nil
}

func (s *Server) getVariables(w http.ResponseWriter, r *http.Request) error {
	vars, err := s.client.Variables(r.Context(), r.PathValue("id"), query(r, "tokenId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"variables": vars})
	return nil
}

// setVariablesBody sets variables.
type setVariablesBody struct {
	TokenID   string         `json:"tokenId"`
	Variables map[string]any `json:"variables"`
}

func (s *Server) setVariables(w http.ResponseWriter, r *http.Request) error {
	var b setVariablesBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if len(b.Variables) == 0 {
		return fieldErr("variables", "is required: an object of at least one variable")
	}
	if err := s.client.SetVariables(r.Context(), baton.SetVariablesRequest{InstanceID: r.PathValue("id"), TokenID: b.TokenID,
		Variables: b.Variables}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) variableHistory(w http.ResponseWriter, r *http.Request) error {
	h, err := s.client.VariableHistory(r.Context(), r.PathValue("id"), query(r, "name"))
	if err != nil {
		return err
	}
	if h == nil {
		h = []baton.HistoryEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": h})
	return nil
}

// parseTime reads an RFC 3339 query parameter; empty gives the zero time.
func parseTime(r *http.Request, name string) (time.Time, error) {
	v := query(r, name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fieldErr("query."+name, "%q: want an RFC 3339 time such as 2026-12-01T00:00:00Z", v)
	}
	return t, nil
}

func (s *Server) instances(w http.ResponseWriter, r *http.Request) error {
	f := baton.InstanceFilter{ProcessKey: query(r, "processKey"), Status: query(r, "status"), BusinessKey: query(r, "businessKey")}
	switch f.Status {
	case "", "running", "incident", "completed", "cancelled":
	default:
		return fieldErr("query.status", "%q: want running, incident, completed or cancelled", f.Status)
	}
	var err error
	if f.StartedAfter, err = parseTime(r, "startedAfter"); err != nil {
		return err
	}
	if f.StartedBefore, err = parseTime(r, "startedBefore"); err != nil {
		return err
	}
	if v := query(r, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fieldErr("query.limit", "%q: want 1 to 1000", v)
		}
		f.Limit = n
	}
	list, err := s.client.Instances(r.Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []baton.InstanceSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"instances": list})
	return nil
}
