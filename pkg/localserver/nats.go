// Package localserver starts real servers on this machine for development and tests: a NATS
// server with JetStream inside the process, and redis-server as a child process on a free port.
// `baton dev`, the integration tests and the benchmarks use it; production connects to servers
// it does not own.
package localserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
)

// NATSOptions configures StartNATS.
type NATSOptions struct {
	// Port is the port to try first. Default 4222; -1 picks a free port directly. When the port
	// is taken, a free one is used and the logger says which.
	Port int
	// StoreDir is where JetStream keeps its files. Required for file storage; tests pass
	// t.TempDir().
	StoreDir string
	// Log receives one line saying where the server listens. Default: no logging.
	Log *zap.Logger
	// Configure, when set, adjusts the server's options before it starts (authentication or
	// TLS in tests). Default nil.
	Configure func(*server.Options)
}

// NATS is a running in-process NATS server.
type NATS struct {
	srv  *server.Server
	opts *server.Options
	// URL is the client URL, e.g. nats://127.0.0.1:4222.
	URL string
}

// StartNATS starts a NATS server with JetStream in this process and waits until it accepts
// connections.
func StartNATS(o NATSOptions) (*NATS, error) {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	port := o.Port
	if port == 0 {
		port = 4222
	}
	if port > 0 && !portFree(port) {
		o.Log.Info("port in use; the embedded NATS server takes a free port instead", zap.Int("port", port))
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: "baton-embedded",
		Host:       "127.0.0.1",
		Port:       port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		// Large enough for the benchmarks' bursts of async publishes.
		MaxPayload: 8 << 20,
	}
	if o.Configure != nil {
		o.Configure(opts)
	}
	n := &NATS{opts: opts}
	if err := n.start(); err != nil {
		return nil, err
	}
	o.Log.Info("embedded NATS server listening", zap.String("url", n.URL))
	return n, nil
}

func (n *NATS) start() error {
	srv, err := server.NewServer(n.opts)
	if err != nil {
		return fmt.Errorf("embedded nats: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return errors.New("embedded nats: not ready after 10s")
	}
	n.srv = srv
	addr := srv.Addr().(*net.TCPAddr)
	// Keep the port across restarts so clients reconnect to the same URL.
	n.opts.Port = addr.Port
	scheme := "nats://"
	if n.opts.TLSConfig != nil {
		scheme = "tls://"
	}
	n.URL = scheme + net.JoinHostPort("127.0.0.1", strconv.Itoa(addr.Port))
	return nil
}

// Shutdown stops the server and waits until it is down.
func (n *NATS) Shutdown() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
}

// Restart stops the server and starts it again on the same port and store, as a crash and
// restart would (fault tests).
func (n *NATS) Restart() error {
	n.Shutdown()
	return n.start()
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}
