package api

import (
	"net/http"
	"strconv"

	"github.com/batonhq/baton/pkg/baton"
)

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) error {
	f := baton.JobFilter{TaskType: query(r, "taskType"), ProcessKey: query(r, "processKey"), InstanceID: query(r, "instanceId"),
		ActivityID: query(r, "activityId")}
	for name, to := range map[string]*bool{"incident": &f.Incident, "leased": &f.Leased} {
		switch v := query(r, name); v {
		case "", "false":
		case "true":
			*to = true
		default:
			return fieldErr("query."+name, "%q: want true or false", v)
		}
	}
	if v := query(r, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fieldErr("query.limit", "%q: want 1 to 1000", v)
		}
		f.Limit = n
	}
	list, err := s.client.Jobs(r.Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []baton.OutstandingJob{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": list})
	return nil
}
