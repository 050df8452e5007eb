package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/batonhq/baton/api"
	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/telemetry"
)

// runtimeFlags are the flags of the long-running commands (server, worker).
type runtimeFlags struct {
	concurrency  int
	lease        time.Duration
	ackWait      time.Duration
	grace        time.Duration
	overdueAfter time.Duration
	maxAttempts  int
	replicas     int
	httpAddr     string
	retainEnded  time.Duration
	retainArch   time.Duration
	// flags are the command's flags, to tell --replicas 0 from no --replicas.
	flags *pflag.FlagSet
}

// register adds the flags; httpAddr is the default listen address of the HTTP server, and api
// says whether it serves the /v1 API (guarded by the global --api-token).
func (r *runtimeFlags) register(cmd *cobra.Command, httpAddr string, api bool) {
	f := cmd.Flags()
	r.flags = f
	what := "/healthz, /readyz and /metrics"
	if api {
		f.DurationVar(&r.retainEnded, "retain-ended", 24*time.Hour, "how long an ended instance keeps its hot keys before it is archived (negative: for ever)")
		f.DurationVar(&r.retainArch, "retain-archive", 30*24*time.Hour, "how long an archived instance's record stays in Redis")
		what = "the /v1 API, " + what
	}
	f.StringVar(&r.httpAddr, "http", httpAddr, "listen address of the HTTP server ("+what+"); empty: none")
	f.IntVar(&r.concurrency, "concurrency", 16, "jobs of one task type this process runs at once")
	f.DurationVar(&r.lease, "lease", 30*time.Second, "job lease; renewed every third of it while a delegate runs")
	f.DurationVar(&r.ackWait, "ack-wait", 30*time.Second, "JetStream ack wait of the consumers (keep it >= --lease)")
	f.DurationVar(&r.grace, "shutdown-grace", 30*time.Second, "on SIGTERM, how long in-flight jobs may finish before they are released")
	f.DurationVar(&r.overdueAfter, "overdue-after", time.Minute, "how long a committed job may wait unconsumed before the reconciler republishes it")
	f.IntVar(&r.maxAttempts, "max-attempts", 3, "attempts of a failing job before it raises an incident")
	f.IntVar(&r.replicas, "replicas", 0, "JetStream stream replicas: 3 on a 3-node NATS cluster; 0 keeps existing streams' count and creates new ones with 3 on a cluster that can place them, else 1 (env BATON_NATS_REPLICAS)")
}

func (r *runtimeFlags) apply(cfg *baton.Config) {
	cfg.Engine.LeaseDuration = r.lease
	cfg.Engine.OverdueAfter = r.overdueAfter
	cfg.Engine.MaxAttempts = r.maxAttempts
	cfg.Queue.AckWait = r.ackWait
	if r.replicas != 0 || r.flags != nil && r.flags.Changed("replicas") {
		cfg.Queue.Replicas = r.replicas // given as 0, it wins over BATON_NATS_REPLICAS
	}
}

func newServerCommand(g *globals) *cobra.Command {
	var rf runtimeFlags
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Baton server: start messages, messages, external task answers, engine jobs and the reconciler",
		Long: `Server consumes start messages (baton.start.>), correlates messages (baton.msg.>), applies
external workers' answers (baton.ext.cmd.>), runs the engine's own jobs (task type _engine:
async-after continuations, async start events, gateways, timers, call activities' Call, Return
and End jobs, signal broadcasts) and the reconciler that republishes committed jobs that were
never consumed, fires overdue timers and repairs the task and message indexes. Run any number
of replicas; they share the durable consumers. Service tasks run in worker processes that
register their task types.

It stops on SIGTERM or SIGINT: no new jobs are fetched, in-flight jobs get --shutdown-grace to
finish and are released after it, and it exits 0.`,
		Example: `  baton server --nats nats://nats:4222 --redis redis://redis:6379`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWorker(cmd, g, &rf, baton.WorkerConfig{ServeEngineType: true, StartMessages: true, Messages: true, ExternalCommands: true, Reconciler: true}, nil)
		},
	}
	rf.register(cmd, ":8080", true)
	return cmd
}

func newWorkerCommand(g *globals) *cobra.Command {
	var (
		rf         runtimeFlags
		types      []string
		engineType bool
		examples   []string
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a generic worker for the engine type and the built-in example delegates",
		Long: `Worker serves task types from their durable consumers (w-<taskType>). Delegates are Go code,
so production workers are programs built with the SDK (package pkg/baton, see
examples/order/worker). This generic worker serves the engine type (--engine-type, on by
default) and, with --examples, the delegates of the built-in examples.`,
		Example: `  baton worker --examples order
  baton worker --examples order,shipment
  baton worker --examples order --types order.charge --concurrency 64`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			wc := baton.WorkerConfig{TaskTypes: types, ServeEngineType: engineType}
			return runWorker(cmd, g, &rf, wc, func(c *baton.Client) error {
				for _, e := range examples {
					ex, ok := devExamples()[e]
					if !ok {
						return fmt.Errorf("--examples %q: the built-in examples are: order, shipment", e)
					}
					ex.register(c)
				}
				return nil
			})
		},
	}
	rf.register(cmd, ":9090", false)
	cmd.Flags().StringSliceVar(&types, "types", nil, "task types to serve (default: every registered one)")
	cmd.Flags().BoolVar(&engineType, "engine-type", true, "also serve the engine type _engine")
	cmd.Flags().StringSliceVar(&examples, "examples", nil, "register the delegates of built-in examples: order, shipment")
	return cmd
}

func runWorker(cmd *cobra.Command, g *globals, rf *runtimeFlags, wc baton.WorkerConfig, register func(*baton.Client) error) error {
	log, err := g.logger()
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck
	cfg := g.config(log)
	rf.apply(&cfg)
	metrics := telemetry.NewMetrics()
	cfg.Engine.Observer = metrics
	flush, err := g.tracing(cmd.Context(), &cfg, "baton-"+cmd.Name())
	if err != nil {
		return err
	}
	defer flush()
	c, err := baton.Connect(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	metrics.Watch(c.Engine(), log)
	if register != nil {
		if err := register(c); err != nil {
			return err
		}
	}
	wc.Concurrency = rf.concurrency
	wc.ShutdownGrace = rf.grace
	wc.Retention = engine.RetentionConfig{RetainFor: rf.retainEnded, ArchiveFor: rf.retainArch}
	log.Info("connected", zap.String("nats", baton.RedactURL(cfg.NATSURL)), zap.String("prefix", c.Engine().Store().Prefix()))
	if rf.httpAddr == "" {
		return c.RunWorker(cmd.Context(), wc)
	}
	token := g.token
	if token == "" {
		token = os.Getenv("BATON_API_TOKEN")
	}
	srv := api.New(api.Config{Addr: rf.httpAddr, Token: token, API: wc.Reconciler}, c, metrics, log)
	ln, err := srv.Listen()
	if err != nil {
		return fmt.Errorf("--http: %w", err)
	}
	// The HTTP server stops after the worker: probes and metrics answer while jobs drain, and
	// /readyz says 503 from the first moment of the shutdown.
	return srv.ServeWhile(cmd.Context(), ln, func(ctx context.Context) error { return c.RunWorker(ctx, wc) })
}
