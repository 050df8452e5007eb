package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/batonhq/baton/api"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/telemetry"
)

// testServer is a Baton client with metrics, served over real HTTP on a free port.
type testServer struct {
	t      *testing.T
	env    *batontest.Env
	client *baton.Client
	srv    *api.Server
	url    string
	token  string
}

// newServer starts a server with the API on; cfg configures it, and tweaks adjust the client's
// configuration.
func newServer(t *testing.T, cfg api.Config, tweaks ...func(*baton.Config)) *testServer {
	t.Helper()
	env := batontest.New(t)
	metrics := telemetry.NewMetrics()
	bc := env.Config()
	for _, tw := range tweaks {
		tw(&bc)
	}
	bc.Engine.Observer = metrics
	c := env.Client(bc)
	metrics.Watch(c.Engine(), zap.NewNop())
	cfg.Addr, cfg.API = "127.0.0.1:0", true
	srv := api.New(cfg, c, metrics, env.Log)
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{t: t, env: env, client: c, srv: srv, url: "http://" + ln.Addr().String(), token: cfg.Token}
}

// do sends a request with a JSON body (nil: none) and returns the status and the body.
func (s *testServer) do(method, path string, body any) (int, string) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// decode decodes a JSON body into v, failing the test on malformed JSON.
func (s *testServer) decode(body string, v any) {
	s.t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		s.t.Fatalf("decode %q: %v", body, err)
	}
}

// metric returns the value of the sample name{labels} in a /metrics scrape, and false when absent.
func metric(scrape, name, labels string) (float64, bool) {
	sel := regexp.QuoteMeta(name)
	if labels != "" {
		sel += regexp.QuoteMeta("{" + labels + "}")
	}
	m := regexp.MustCompile(`(?m)^` + sel + ` (\S+)$`).FindStringSubmatch(scrape)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

func (s *testServer) mustMetric(scrape, name, labels string) float64 {
	s.t.Helper()
	v, ok := metric(scrape, name, labels)
	if !ok {
		s.t.Fatalf("no sample %s{%s} in the scrape", name, labels)
	}
	return v
}
