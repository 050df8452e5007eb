package api

import (
	"crypto/subtle"
	_ "embed"
	"errors"
	"net/http"
	"strings"
)

// route is one operation of the /v1 API.
type route struct {
	method, path string
	handle       func(s *Server, w http.ResponseWriter, r *http.Request) error
}

// routes lists the /v1 API. Every entry is an operation of openapi.json (a test checks both ways).
var routes = []route{
	{"GET", "/v1/openapi.json", (*Server).openAPI},
	{"POST", "/v1/deployments", (*Server).deploy},
	{"POST", "/v1/instances", (*Server).start},
	{"GET", "/v1/instances", (*Server).instances},
	{"GET", "/v1/instances/{id}", (*Server).instance},
	{"POST", "/v1/instances/{id}/cancel", (*Server).cancel},
	{"POST", "/v1/instances/{id}/modify", (*Server).modify},
	{"GET", "/v1/instances/{id}/variables", (*Server).getVariables},
	{"PATCH", "/v1/instances/{id}/variables", (*Server).setVariables},
	{"GET", "/v1/instances/{id}/variables/history", (*Server).variableHistory},
	{"GET", "/v1/tasks", (*Server).tasks},
	{"POST", "/v1/tasks/{id}/claim", (*Server).claimTask},
	{"POST", "/v1/tasks/{id}/unclaim", (*Server).unclaimTask},
	{"POST", "/v1/tasks/{id}/complete", (*Server).completeTask},
	{"POST", "/v1/completions", (*Server).complete},
	{"POST", "/v1/messages", (*Server).correlate},
	{"POST", "/v1/signals", (*Server).signal},
	{"GET", "/v1/jobs", (*Server).jobs},
	{"GET", "/v1/incidents", (*Server).incidents},
	{"POST", "/v1/incidents/{jobId}/retry", (*Server).retryIncident},
	{"GET", "/v1/timers", (*Server).timers},
	{"GET", "/v1/suspensions", (*Server).suspensions},
	{"POST", "/v1/suspend", (*Server).suspend},
	{"POST", "/v1/activate", (*Server).activate},
	{"GET", "/v1/dead-letters", (*Server).deadLetters},
	{"GET", "/v1/dead-letters/{seq}", (*Server).deadLetter},
	{"POST", "/v1/dead-letters/{seq}/requeue", (*Server).requeueDeadLetter},
	{"DELETE", "/v1/dead-letters/{seq}", (*Server).deleteDeadLetter},
}

// OpenAPI is the API's description, served at /v1/openapi.json; docs/openapi.json is a copy.
//
//go:embed openapi.json
var OpenAPI []byte

// registerRoutes adds the /v1 API to the mux, behind the bearer token when one is set.
func (s *Server) registerRoutes() {
	for _, rt := range routes {
		s.mux.Handle(rt.method+" "+rt.path, s.authorized(func(w http.ResponseWriter, r *http.Request) {
			if err := rt.handle(s, w, r); err != nil {
				writeProblem(w, err)
			}
		}))
	}
	s.mux.Handle("/v1/", s.authorized(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowed(r.URL.Path); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeProblem(w, errMethod{r.Method, r.URL.Path, allow})
			return
		}
		writeProblem(w, errNoRoute{r.Method + " " + r.URL.Path})
	}))
}

// allowed returns the methods the API serves on path.
func allowed(path string) []string {
	var out []string
	for _, rt := range routes {
		if pathMatches(rt.path, path) {
			out = append(out, rt.method)
		}
	}
	return out
}

// pathMatches reports whether path fits pattern, whose {name} segments match any one segment.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != xs[i] && !(strings.HasPrefix(ps[i], "{") && xs[i] != "") {
			return false
		}
	}
	return true
}

// errMethod answers a request whose path the API serves with other methods.
type errMethod struct {
	method, path string
	allow        []string
}

func (e errMethod) Error() string {
	return e.method + " is not served on " + e.path + "; use " + strings.Join(e.allow, " or ")
}

// errNoRoute answers a request for no operation of the API.
type errNoRoute struct{ what string }

func (e errNoRoute) Error() string {
	return e.what + " is no operation of the API; see GET /v1/openapi.json"
}

// authorized requires the bearer token, when the server has one.
func (s *Server) authorized(next http.HandlerFunc) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	want := []byte("Bearer " + s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="baton"`)
			writeProblem(w, errUnauthorized)
			return
		}
		next(w, r)
	})
}

var errUnauthorized = errors.New("a valid bearer token is required: send Authorization: Bearer <token>")

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(OpenAPI)
	return err
}

// query returns the trimmed query parameter name.
func query(r *http.Request, name string) string { return strings.TrimSpace(r.URL.Query().Get(name)) }
