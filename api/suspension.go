package api

import (
	"net/http"

	"github.com/batonhq/baton/pkg/baton"
)

func (s *Server) suspend(w http.ResponseWriter, r *http.Request) error {
	var sc baton.Scope
	if err := decodeJSON(r, &sc); err != nil {
		return err
	}
	if err := s.client.Suspend(r.Context(), sc); err != nil {
		return scopeErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"suspended": sc})
	return nil
}

func (s *Server) activate(w http.ResponseWriter, r *http.Request) error {
	var sc baton.Scope
	if err := decodeJSON(r, &sc); err != nil {
		return err
	}
	n, err := s.client.Activate(r.Context(), sc)
	if err != nil {
		return scopeErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"activated": sc, "republished": n})
	return nil
}

func (s *Server) suspensions(w http.ResponseWriter, r *http.Request) error {
	list, err := s.client.Suspensions(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"suspensions": list})
	return nil
}

// scopeErr turns a scope that names nothing sensible into a 400 on the body.
func scopeErr(err error) error {
	if baton.IsScopeError(err) {
		return fieldErr("body", "%v", err)
	}
	return err
}
