// Package api owns Baton's HTTP interface, served by `baton server` and `baton worker`: the JSON
// API under /v1 (described by docs/openapi.json), the Kubernetes probes /healthz and /readyz,
// and the Prometheus endpoint /metrics.
package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/telemetry"
)

// Config configures a Server. The zero value serves on :8080 without authentication.
type Config struct {
	// Addr is the listen address. Default ":8080".
	Addr string
	// Token, when set, is the bearer token every /v1 request must carry
	// (Authorization: Bearer <token>). The probes and /metrics are open. Default none.
	Token string
	// API serves /v1; false serves only the probes and /metrics (worker pods). Default false.
	API bool
	// ReadyTimeout bounds each readiness check (NATS, Redis). Default 1s.
	ReadyTimeout time.Duration
	// ShutdownTimeout bounds the wait for open requests when the server stops. Default 5s.
	ShutdownTimeout time.Duration
}

// Server is Baton's HTTP server for one process.
type Server struct {
	cfg      Config
	client   *baton.Client
	metrics  *telemetry.Metrics
	log      *zap.Logger
	stopping atomic.Bool
	mux      *http.ServeMux
}

// New returns a server for client's engine. metrics may be nil (no /metrics).
func New(cfg Config, client *baton.Client, metrics *telemetry.Metrics, log *zap.Logger) *Server {
	if cfg.Addr == "" {
		cfg.Addr = ":8080"
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 5 * time.Second
	}
	s := &Server{cfg: cfg, client: client, metrics: metrics, log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if metrics != nil {
		s.mux.Handle("GET /metrics", metrics.Handler())
	}
	if cfg.API {
		s.registerRoutes()
	}
	return s
}

// Handler is the server's handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.mux }

// Listen binds the listen address, so the caller learns the port (":0") before serving.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("http: listen on %s: %w", s.cfg.Addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends. Then /readyz answers 503 at once (a load balancer stops
// sending traffic), open requests get ShutdownTimeout, and Serve returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: zap.NewStdLog(s.log.Named("http"))}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	s.log.Info("http: serving", zap.String("addr", ln.Addr().String()), zap.Bool("api", s.cfg.API),
		zap.Bool("auth", s.cfg.Token != ""))
	select {
	case err := <-done:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http: shutdown: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}

// ServeWhile serves on ln while run runs, for a worker or server process: the probes and
// /metrics answer while in-flight jobs drain, /readyz answers 503 from the moment ctx ends, and
// the server stops once run returned. It returns run's error, else the server's.
func (s *Server) ServeWhile(ctx context.Context, ln net.Listener, run func(context.Context) error) error {
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHTTP()
	done := make(chan error, 1)
	go func() { done <- s.Serve(httpCtx, ln) }()
	go func() {
		select {
		case <-ctx.Done():
			s.Stopping()
		case <-httpCtx.Done():
		}
	}()
	err := run(ctx)
	stopHTTP()
	if herr := <-done; err == nil {
		err = herr
	}
	return err
}

// Stopping makes /readyz answer 503 from now on: the process is shutting down.
func (s *Server) Stopping() { s.stopping.Store(true) }

// healthz answers 200 while the process runs: Kubernetes restarts a process that stops answering.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when NATS and Redis are reachable and the process is not shutting down,
// and 503 with the failing checks otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{}
	if s.stopping.Load() {
		checks["shutdown"] = "the process is shutting down"
	}
	if st := s.client.Engine().Queue().Conn().Status(); st != nats.CONNECTED {
		checks["nats"] = "connection " + st.String()
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	if err := s.client.Engine().Store().Client().Ping(ctx).Err(); err != nil {
		checks["redis"] = err.Error()
	}
	if len(checks) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "checks": checks})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
