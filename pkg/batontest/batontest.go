// Package batontest sets up real NATS and Redis for tests of Baton and of code built on it: an
// embedded NATS server per test (its own JetStream store in t.TempDir()) and one redis-server
// per test binary, with a key prefix per test so tests run in parallel. REDIS_URL and NATS_URL
// point it at external servers instead; with NATS_URL, tests that use NATS run one at a time,
// because Baton's streams have fixed names.
package batontest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/localserver"
	"github.com/batonhq/baton/queue"
)

// Env is one test's NATS and Redis.
type Env struct {
	// NATS is the embedded server; nil when NATS_URL is set.
	NATS     *localserver.NATS
	NATSURL  string
	RedisURL string
	// Prefix is this test's Redis key prefix.
	Prefix string
	Log    *zap.Logger
	t      testing.TB
}

var (
	redisOnce   sync.Once
	sharedRedis string
	redisErr    error
	externalMu  sync.Mutex
	seq         atomic.Int64
)

// New starts an embedded NATS server for t (or uses NATS_URL) and a Redis for the test binary
// (or uses REDIS_URL). Everything is cleaned up when t ends.
func New(t testing.TB) *Env {
	t.Helper()
	e := &Env{t: t, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))}
	e.RedisURL = os.Getenv("REDIS_URL")
	if e.RedisURL == "" {
		redisOnce.Do(func() {
			r, err := localserver.StartRedis(context.Background(), localserver.RedisOptions{})
			if err != nil {
				redisErr = err
				return
			}
			sharedRedis = r.URL
		})
		if redisErr != nil {
			t.Fatalf("start redis-server (install it: apt-get install -y redis-server, or set REDIS_URL): %v", redisErr)
		}
		e.RedisURL = sharedRedis
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	e.Prefix = fmt.Sprintf("test:%s:%d:%d:", name, time.Now().UnixNano(), seq.Add(1))
	if url := os.Getenv("NATS_URL"); url != "" {
		externalMu.Lock()
		t.Cleanup(externalMu.Unlock)
		e.NATSURL = url
		e.purgeStreams()
	} else {
		n, err := localserver.StartNATS(localserver.NATSOptions{Port: -1, StoreDir: t.TempDir()})
		if err != nil {
			t.Fatalf("start embedded nats: %v", err)
		}
		t.Cleanup(n.Shutdown)
		e.NATS, e.NATSURL = n, n.URL
	}
	return e
}

func (e *Env) purgeStreams() {
	nc, err := nats.Connect(e.NATSURL)
	if err != nil {
		e.t.Fatalf("connect to NATS_URL: %v", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for _, s := range []string{queue.JobsStream, queue.StartStream, queue.MsgStream, queue.EventsStream, queue.DeadStream} {
		_ = js.DeleteStream(context.Background(), s)
	}
}

// Config returns a client configuration for this environment with test-friendly timings: 2s
// leases and ack waits, 100ms first retry delay, and a reconciler that republishes after 1s.
func (e *Env) Config() baton.Config {
	return baton.Config{
		NATSURL:  e.NATSURL,
		RedisURL: e.RedisURL,
		Prefix:   e.Prefix,
		Logger:   e.Log,
		Engine: baton.EngineConfig{
			LeaseDuration: 2 * time.Second,
			RetryDelay:    100 * time.Millisecond,
			OverdueAfter:  time.Second,
		},
		Queue: baton.QueueConfig{AckWait: 2 * time.Second},
	}
}

// Client connects a client with cfg (use Config and adjust it) and closes it when the test ends.
func (e *Env) Client(cfg baton.Config) *baton.Client {
	e.t.Helper()
	c, err := baton.Connect(context.Background(), cfg)
	if err != nil {
		e.t.Fatalf("connect: %v", err)
	}
	e.t.Cleanup(c.Close)
	return c
}

// Redis returns a raw client of this environment's Redis, closed when the test ends.
func (e *Env) Redis() *redis.Client {
	opts, err := redis.ParseURL(e.RedisURL)
	if err != nil {
		e.t.Fatalf("redis url: %v", err)
	}
	c := redis.NewClient(opts)
	e.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Eventually polls cond every 20ms until it returns true or timeout passes, then fails the test
// with msg. Tests wait on conditions, never on fixed sleeps.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: "+msg, append([]any{timeout}, args...)...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// RunWorker runs c's worker with cfg until the test ends, and waits for it to stop.
func RunWorker(t testing.TB, c *baton.Client, cfg baton.WorkerConfig) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.RunWorker(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
}

// RedisWithReplica starts a redis-server of the test's own with one linked replica (not the
// shared Redis), for tests that take the replica away; both are stopped when t ends.
func RedisWithReplica(t testing.TB) (master, replica *localserver.Redis) {
	t.Helper()
	ctx := context.Background()
	master, err := localserver.StartRedis(ctx, localserver.RedisOptions{})
	if err != nil {
		t.Fatalf("redis master: %v", err)
	}
	t.Cleanup(master.Stop)
	replica, err = localserver.StartRedisReplica(ctx, master)
	if err != nil {
		t.Fatalf("redis replica: %v", err)
	}
	t.Cleanup(replica.Stop)
	return master, replica
}
