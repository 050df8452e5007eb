package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/batonhq/baton/pkg/baton"
)

// correlateBody correlates a message.
type correlateBody struct {
	Name           string         `json:"name"`
	CorrelationKey string         `json:"correlationKey"`
	MessageID      string         `json:"messageId"`
	Variables      map[string]any `json:"variables"`
	All            bool           `json:"all"`
	// TTL is a Go duration ("1h", "0s": do not buffer); empty: the default.
	TTL string `json:"ttl"`
}

func (s *Server) correlate(w http.ResponseWriter, r *http.Request) error {
	var b correlateBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.Name) == "" {
		return fieldErr("name", "is required: the message name")
	}
	req := baton.CorrelateRequest{Name: b.Name, CorrelationKey: b.CorrelationKey, MessageID: b.MessageID,
		Variables: b.Variables, All: b.All}
	if b.TTL != "" {
		d, err := time.ParseDuration(b.TTL)
		if err != nil || d < 0 {
			return fieldErr("ttl", "%q: want a duration such as 1h, or 0s to refuse buffering", b.TTL)
		}
		req.TTL = d
		if d == 0 {
			req.TTL = -1
		}
	}
	res, err := s.client.Correlate(r.Context(), req)
	if err != nil {
		return err
	}
	instances := res.Instances
	if instances == nil {
		instances = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messageId": res.MessageID, "instances": instances,
		"buffered": res.Buffered, "duplicate": res.Duplicate})
	return nil
}

func (s *Server) signal(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Name      string         `json:"name"`
		Variables map[string]any `json:"variables"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.Name) == "" {
		return fieldErr("name", "is required: the signal name")
	}
	res, err := s.client.Signal(r.Context(), b.Name, b.Variables)
	if err != nil {
		return err
	}
	instances := res.Instances
	if instances == nil {
		instances = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"instances": instances})
	return nil
}

func (s *Server) incidents(w http.ResponseWriter, r *http.Request) error {
	list, err := s.client.Incidents(r.Context(), baton.IncidentFilter{ProcessKey: query(r, "processKey"),
		InstanceID: query(r, "instanceId"), ActivityID: query(r, "activityId"), TaskType: query(r, "taskType")})
	if err != nil {
		return err
	}
	if list == nil {
		list = []baton.OpenIncident{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": list})
	return nil
}

func (s *Server) retryIncident(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Retries   int            `json:"retries"`
		Variables map[string]any `json:"variables"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &b); err != nil {
			return err
		}
	}
	if b.Retries < 0 {
		return fieldErr("retries", "%d: want 0 (the retry policy's) or more", b.Retries)
	}
	if err := s.client.RetryIncident(r.Context(), baton.RetryRequest{JobID: r.PathValue("jobId"), Retries: b.Retries,
		Variables: b.Variables}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobId": r.PathValue("jobId"), "resolved": true})
	return nil
}

func (s *Server) timers(w http.ResponseWriter, r *http.Request) error {
	list, err := s.client.StartTimers(r.Context())
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(list))
	for _, t := range list {
		out = append(out, map[string]any{"processKey": t.ProcessKey, "version": t.Version, "event": t.Event,
			"fired": t.Fired, "due": t.Due.UTC()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"timers": out})
	return nil
}
