package api

import (
	"net/http"
	"strconv"

	"github.com/batonhq/baton/pkg/baton"
)

// seqParam reads the path parameter seq: a positive dead-letter sequence.
func seqParam(r *http.Request) (uint64, error) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		return 0, fieldErr("path.seq", "%q: want a positive dead-letter sequence", r.PathValue("seq"))
	}
	return seq, nil
}

func (s *Server) deadLetters(w http.ResponseWriter, r *http.Request) error {
	var after uint64
	if v := query(r, "after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fieldErr("query.after", "%q: want a sequence", v)
		}
		after = n
	}
	limit := 100
	if v := query(r, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fieldErr("query.limit", "%q: want 1 to 1000", v)
		}
		limit = n
	}
	list, next, err := s.client.DeadLetters(r.Context(), after, limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []baton.DeadLetterRecord{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deadLetters": list, "next": next})
	return nil
}

func (s *Server) deadLetter(w http.ResponseWriter, r *http.Request) error {
	seq, err := seqParam(r)
	if err != nil {
		return err
	}
	d, err := s.client.DeadLetter(r.Context(), seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) requeueDeadLetter(w http.ResponseWriter, r *http.Request) error {
	seq, err := seqParam(r)
	if err != nil {
		return err
	}
	d, err := s.client.RequeueDeadLetter(r.Context(), seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"seq": seq, "subject": d.Subject, "requeued": true})
	return nil
}

func (s *Server) deleteDeadLetter(w http.ResponseWriter, r *http.Request) error {
	seq, err := seqParam(r)
	if err != nil {
		return err
	}
	if err := s.client.DeleteDeadLetter(r.Context(), seq); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
