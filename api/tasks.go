package api

import (
	"net/http"
	"strings"

	"github.com/batonhq/baton/pkg/baton"
)

func (s *Server) tasks(w http.ResponseWriter, r *http.Request) error {
	f := baton.TaskFilter{Assignee: query(r, "assignee"), CandidateUser: query(r, "candidateUser"),
		ProcessKey: query(r, "processKey"), InstanceID: query(r, "instanceId")}
	for _, g := range strings.Split(query(r, "candidateGroups"), ",") {
		if g = strings.TrimSpace(g); g != "" {
			f.CandidateGroups = append(f.CandidateGroups, g)
		}
	}
	switch u := query(r, "unassigned"); u {
	case "", "false":
	case "true":
		f.Unassigned = true
	default:
		return fieldErr("query.unassigned", "%q: want true or false", u)
	}
	due, err := parseTime(r, "dueBefore")
	if err != nil {
		return err
	}
	f.DueBefore = due
	list, err := s.client.Tasks(r.Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []baton.TaskView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": list})
	return nil
}

func (s *Server) claimTask(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		User string `json:"user"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.User) == "" {
		return fieldErr("user", "is required: the user who takes the task")
	}
	if err := s.client.ClaimTask(r.Context(), r.PathValue("id"), b.User); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) unclaimTask(w http.ResponseWriter, r *http.Request) error {
	if err := s.client.UnclaimTask(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// bpmnErrorBody ends a wait with a BPMN error instead of completing it.
type bpmnErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// completeBody completes a user task (its id in the path) or a waiting delegate (jobId,
// fenceToken and optionally activityId and tokenId).
type completeBody struct {
	JobID      string         `json:"jobId"`
	FenceToken int64          `json:"fenceToken"`
	ActivityID string         `json:"activityId"`
	TokenID    string         `json:"tokenId"`
	Variables  map[string]any `json:"variables"`
	Error      *bpmnErrorBody `json:"error"`
}

func (b *completeBody) request() (baton.CompleteRequest, error) {
	req := baton.CompleteRequest{JobID: b.JobID, FenceToken: b.FenceToken, ActivityID: b.ActivityID, TokenID: b.TokenID,
		Variables: b.Variables}
	if b.Error != nil {
		if strings.TrimSpace(b.Error.Code) == "" {
			return req, fieldErr("error.code", "is required: the BPMN error code an error boundary event catches")
		}
		req.Error = &baton.BPMNError{Code: b.Error.Code, Message: b.Error.Message}
	}
	return req, nil
}

func (s *Server) completeTask(w http.ResponseWriter, r *http.Request) error {
	var b completeBody
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &b); err != nil {
			return err
		}
	}
	if b.JobID != "" || b.FenceToken != 0 || b.TokenID != "" {
		return fieldErr("jobId", "not for a user task: complete a waiting delegate with POST /v1/completions")
	}
	req, err := b.request()
	if err != nil {
		return err
	}
	req.TaskID = r.PathValue("id")
	return s.completeWith(w, r, req)
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request) error {
	var b completeBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if b.JobID == "" {
		return fieldErr("jobId", "is required: the waiting delegate's Task.JobID")
	}
	req, err := b.request()
	if err != nil {
		return err
	}
	return s.completeWith(w, r, req)
}

func (s *Server) completeWith(w http.ResponseWriter, r *http.Request, req baton.CompleteRequest) error {
	res, err := s.client.Complete(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"instanceId": res.InstanceID, "taskId": res.TaskID, "status": res.Status})
	return nil
}
