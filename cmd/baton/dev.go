package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/zap"

	"github.com/batonhq/baton/api"
	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/order"
	"github.com/batonhq/baton/examples/shipment"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/localserver"
	"github.com/batonhq/baton/queue"
	"github.com/batonhq/baton/telemetry"
)

type devFlags struct {
	example     string
	instances   int
	concurrency int
	timeout     time.Duration
	natsPort    int
	latency     int
	keepRunning bool
	httpAddr    string
}

func newDevCommand(g *globals) *cobra.Command {
	var f devFlags
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a complete local Baton and an example: embedded NATS, Redis, server and worker",
		Long: `Dev starts everything on this machine and runs an example process end to end:

  - an embedded NATS server with JetStream (port 4222, or a free port when 4222 is taken);
  - Redis: the one given by --redis, else a redis-server from PATH that it starts itself, else
    an in-process, memory-only Redis (miniredis); it says which;
  - the server (start messages, engine jobs, reconciler) and a worker with the example's
    delegates, in this process.

It deploys the example (--example: order, the default, or shipment), publishes --instances
start messages to baton.start.<process> (baton.start.order, baton.start.shipment), shows
progress every second and prints a summary with continuations per second. It exits 0 only when
every instance completed. With --keep-running it then stays up, so the other commands can
inspect what ran (it prints the flags to use).`,
		Example: `  baton dev
  baton dev --example shipment --instances 200
  baton dev --instances 10000 --concurrency 128
  baton dev --redis redis://127.0.0.1:6379 --keep-running`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDev(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.example, "example", "order", "the example to run: order (async service tasks, gateways) or shipment (a multi-instance call activity, mappings, listeners, an error boundary)")
	fl.IntVar(&f.instances, "instances", 1000, "instances of the example to start")
	fl.IntVar(&f.concurrency, "concurrency", 64, "jobs per task type run at once")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "give up when the instances have not completed by then")
	fl.IntVar(&f.natsPort, "nats-port", 4222, "port for the embedded NATS server (a free one when taken)")
	fl.IntVar(&f.latency, "latency-ms", 0, "simulated delegate latency in milliseconds")
	fl.BoolVar(&f.keepRunning, "keep-running", false, "stay up after the run until interrupted")
	fl.StringVar(&f.httpAddr, "http", "127.0.0.1:8080", "listen address of the HTTP API, probes and metrics (a free port when taken); empty: none")
	return cmd
}

// devExample is an example `baton dev` can run.
type devExample struct {
	file      string // shown as the deployed file's name
	bpmn      []byte
	key       string // the process its start messages start
	register  func(r order.Registrar)
	variables func(n int) map[string]any // start variables of instance n
}

// devExamples returns the examples by --example name.
func devExamples() map[string]devExample {
	return map[string]devExample{
		"order": {file: "examples/order/order.bpmn", bpmn: order.BPMN, key: order.ProcessKey, register: order.Register,
			variables: func(i int) map[string]any {
				return map[string]any{"amount": int64(20 + (i*37)%200), "orderNo": int64(i)}
			}},
		"shipment": {file: "examples/shipment/shipment.bpmn", bpmn: shipment.BPMN, key: shipment.ProcessKey,
			register: func(r order.Registrar) { shipment.Register(r) }, variables: shipment.Variables},
	}
}

func runDev(cmd *cobra.Command, g *globals, f devFlags) error {
	if f.instances < 0 {
		return fmt.Errorf("--instances must be >= 0, got %d", f.instances)
	}
	ex, ok := devExamples()[f.example]
	if !ok {
		return fmt.Errorf("--example %q: there is no such example; choose order or shipment", f.example)
	}
	if g.logLevel == "info" && !cmd.Flags().Changed("log-level") {
		g.logLevel = "warn" // the progress lines are the output; logs only for trouble
	}
	log, err := g.logger()
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck
	ctx := cmd.Context()
	out := cmd.OutOrStdout()

	dir, err := os.MkdirTemp("", "baton-dev-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ns, err := localserver.StartNATS(localserver.NATSOptions{Port: f.natsPort, StoreDir: dir})
	if err != nil {
		return err
	}
	defer ns.Shutdown()
	natsNote := "embedded"
	if ns.URL != fmt.Sprintf("nats://127.0.0.1:%d", f.natsPort) {
		natsNote = fmt.Sprintf("embedded; port %d is in use, so it took a free port", f.natsPort)
	}
	fmt.Fprintf(out, "NATS   %s (%s)\n", ns.URL, natsNote)

	redisURL, redisNote, stopRedis, err := devRedis(ctx, g)
	if err != nil {
		return err
	}
	defer stopRedis()
	fmt.Fprintf(out, "Redis  %s (%s)\n", baton.RedactURL(redisURL), redisNote)

	devCfg := baton.Config{NATSURL: ns.URL, RedisURL: redisURL, Prefix: g.prefix, Logger: log}
	devCfg.Engine.ExternalTaskTypes = g.external // the embedded servers need no credentials
	metrics := telemetry.NewMetrics()
	devCfg.Engine.Observer = metrics
	flush, err := g.tracing(ctx, &devCfg, "baton-dev")
	if err != nil {
		return err
	}
	defer flush()
	cfg := baton.ConfigFromEnv(devCfg)
	// The embedded NATS asks for no credentials or TLS, whatever the environment says.
	cfg.Queue.User, cfg.Queue.Password, cfg.Queue.Token, cfg.Queue.NKeySeedFile, cfg.Queue.CredsFile = "", "", "", "", ""
	cfg.Queue.TLS = baton.TLSFiles{}
	// Nor do production's durability settings apply: the embedded NATS is one node, and the
	// embedded Redis has no replica (miniredis knows no WAIT).
	cfg.Queue.Replicas, cfg.Durability = 0, baton.Durability{}
	c, err := baton.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	metrics.Watch(c.Engine(), log)
	if f.httpAddr != "" {
		stop, err := devHTTP(ctx, out, c, metrics, log, f.httpAddr)
		if err != nil {
			return err
		}
		defer stop()
	}
	ex.register(c)
	deps, err := c.DeployBytes(ctx, ex.file, ex.bpmn)
	if err != nil {
		return err
	}
	for _, d := range deps {
		fmt.Fprintf(out, "deployed %s version %d\n", d.Key, d.Version)
	}

	wctx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan error, 1)
	go func() {
		workerDone <- c.RunWorker(wctx, baton.WorkerConfig{ServeEngineType: true, StartMessages: true, Messages: true, ExternalCommands: true,
			Reconciler: true, Concurrency: f.concurrency, ShutdownGrace: 10 * time.Second})
	}()
	defer func() { stopWorker(); <-workerDone }()

	ok, err = runDevInstances(ctx, out, c, f, ex)
	if err != nil {
		return err
	}
	if f.keepRunning {
		fmt.Fprintf(out, "\nstill running; inspect with:\n  baton --nats %s --redis %s instance show <id>\nCtrl-C stops.\n", ns.URL, baton.RedactURL(redisURL))
		<-ctx.Done()
	}
	if !ok {
		return &exitError{code: 1}
	}
	return nil
}

// runDevInstances publishes the start messages and reports progress until every instance has
// completed, the timeout passes or the command is interrupted. It reports whether all completed.
func runDevInstances(ctx context.Context, out io.Writer, c *baton.Client, f devFlags, ex devExample) (bool, error) {
	q := c.Engine().Queue()
	if err := q.EnsureStreams(ctx); err != nil {
		return false, err
	}
	run := time.Now().UnixNano()
	ids := make([]string, f.instances)
	msgs := make([]queue.Message, 0, 256)
	began := time.Now()
	for i := 0; i < f.instances; i++ {
		msgID := fmt.Sprintf("dev-%d-%d", run, i)
		ids[i] = engine.DerivedInstanceID(ex.key, msgID)
		vars := ex.variables(i)
		if f.latency > 0 {
			vars["simulateLatencyMs"] = int64(f.latency)
		}
		body, err := msgpack.Marshal(engine.StartMessage{Variables: vars, BusinessKey: fmt.Sprintf("%s-%d", ex.key, i)})
		if err != nil {
			return false, err
		}
		msgs = append(msgs, queue.Message{Subject: queue.StartSubject(ex.key), MsgID: msgID, Data: body,
			Header: nats.Header{}})
		if len(msgs) == cap(msgs) || i == f.instances-1 {
			if err := q.Publish(ctx, msgs...); err != nil {
				return false, err
			}
			msgs = msgs[:0]
		}
	}
	fmt.Fprintf(out, "published %d start messages to %s in %s\n", f.instances, queue.StartSubject(ex.key),
		time.Since(began).Round(time.Millisecond))

	rdb := c.Engine().Store().Client()
	prefix := c.Engine().Store().Prefix()
	stats := c.Engine().Stats()
	deadline := time.NewTimer(f.timeout)
	defer deadline.Stop()
	// Completion is checked every 100ms so the summary's rate is accurate; progress is printed
	// once a second.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastPrint := time.Time{}
	for {
		counts, err := statusCounts(ctx, rdb, prefix, ids)
		if err != nil {
			return false, err
		}
		elapsed := time.Since(began)
		commits := stats.Commits.Load()
		done := counts[engine.StatusCompleted] == f.instances
		if done || time.Since(lastPrint) >= time.Second {
			lastPrint = time.Now()
			fmt.Fprintf(out, "[%6.1fs] completed %*d/%d  running %d  incident %d  continuations %d (%.0f/s)\n",
				elapsed.Seconds(), len(fmt.Sprint(f.instances)), counts[engine.StatusCompleted], f.instances,
				counts[engine.StatusRunning]+counts[""], counts[engine.StatusIncident], commits, float64(commits)/elapsed.Seconds())
		}
		if done {
			fmt.Fprintf(out, "\nall %d instances completed in %s: %d continuations, %.0f continuations/s, %d delegate calls\n",
				f.instances, elapsed.Round(time.Millisecond), commits, float64(commits)/elapsed.Seconds(), stats.DelegateCalls.Load())
			return true, nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(out, "\ninterrupted: %d of %d instances completed\n", counts[engine.StatusCompleted], f.instances)
			return false, nil
		case <-deadline.C:
			fmt.Fprintf(out, "\ntimed out after %s: %d of %d instances completed, %d with incidents\n", f.timeout,
				counts[engine.StatusCompleted], f.instances, counts[engine.StatusIncident])
			return false, nil
		case <-tick.C:
		}
	}
}

// statusCounts reads the status of every instance in one pipeline; "" counts instances not
// created yet.
func statusCounts(ctx context.Context, rdb redis.UniversalClient, prefix string, ids []string) (map[string]int, error) {
	cmds := make([]*redis.StringCmd, len(ids))
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGet(ctx, prefix+"inst:{"+id+"}", "status")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read instance statuses: %w", err)
	}
	counts := map[string]int{}
	for _, c := range cmds {
		counts[c.Val()]++
	}
	return counts, nil
}

// devRedis picks the Redis of `baton dev`: --redis (or BATON_REDIS_URL), else a redis-server
// from PATH on a free port, else an in-process, memory-only miniredis.
func devRedis(ctx context.Context, g *globals) (url, note string, stop func(), err error) {
	if url := baton.ConfigFromEnv(baton.Config{RedisURL: g.redisURL}).RedisURL; url != "" {
		return url, "given", func() {}, nil
	}
	r, err := localserver.StartRedis(ctx, localserver.RedisOptions{})
	if err == nil {
		return r.URL, "redis-server started by baton dev; nothing is persisted", r.Stop, nil
	}
	if !errors.Is(err, localserver.ErrNoRedisServer) {
		return "", "", nil, err
	}
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		return "", "", nil, fmt.Errorf("in-process redis: %w", err)
	}
	return "redis://" + m.Addr(), "no redis-server on PATH: in-process, memory-only Redis", m.Close, nil
}

// devHTTP serves the HTTP API, probes and metrics on addr, or on a free port when addr is taken,
// and says where. stop ends it.
func devHTTP(ctx context.Context, out io.Writer, c *baton.Client, metrics *telemetry.Metrics, log *zap.Logger, addr string) (func(), error) {
	note := ""
	srv := api.New(api.Config{Addr: addr, API: true}, c, metrics, log)
	ln, err := srv.Listen()
	if err != nil {
		host, _, _ := net.SplitHostPort(addr)
		srv = api.New(api.Config{Addr: net.JoinHostPort(host, "0"), API: true}, c, metrics, log)
		if ln, err = srv.Listen(); err != nil {
			return nil, err
		}
		note = fmt.Sprintf(" (%s is in use, so it took a free port)", addr)
	}
	fmt.Fprintf(out, "HTTP   http://%s/v1 (API), /metrics, /healthz%s\n", ln.Addr(), note)
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(hctx, ln) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			log.Warn("http server", zap.Error(err))
		}
	}, nil
}
