// Command worker is a worker process for the order example, built with the SDK the way a user
// builds one: connect, register delegates, run until SIGTERM or SIGINT.
//
//	worker --nats nats://127.0.0.1:4222 --redis redis://127.0.0.1:6379 [--types order.charge,order.ship] [--http :9090]
//
// With --http it serves /healthz, /readyz and /metrics for Kubernetes probes and Prometheus.
// BATON_NATS_URL, BATON_REDIS_URL and BATON_PREFIX are read when the flags are not given.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/api"
	"github.com/batonhq/baton/examples/order"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/telemetry"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	natsURL := flag.String("nats", "", "NATS URL (default $BATON_NATS_URL, else nats://127.0.0.1:4222)")
	redisURL := flag.String("redis", "", "Redis URL (default $BATON_REDIS_URL, else redis://127.0.0.1:6379)")
	prefix := flag.String("prefix", "", "Redis key prefix (default $BATON_PREFIX, else baton:)")
	types := flag.String("types", "", "comma-separated task types to serve (default: all of the example's)")
	concurrency := flag.Int("concurrency", 16, "jobs of one task type run at once")
	lease := flag.Duration("lease", 30*time.Second, "job lease; renewed while a delegate runs")
	ackWait := flag.Duration("ack-wait", 30*time.Second, "JetStream ack wait of the job consumers")
	httpAddr := flag.String("http", "", "listen address of /healthz, /readyz and /metrics, such as :9090 (default: none)")
	flag.Parse()

	log, err := zap.NewProduction()
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	metrics := telemetry.NewMetrics()
	cfg := baton.ConfigFromEnv(baton.Config{NATSURL: *natsURL, RedisURL: *redisURL, Prefix: *prefix, Logger: log,
		Engine: baton.EngineConfig{LeaseDuration: *lease, Observer: metrics}, Queue: baton.QueueConfig{AckWait: *ackWait}})
	c, err := baton.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	order.Register(c)
	wc := baton.WorkerConfig{Concurrency: *concurrency}
	if *types != "" {
		wc.TaskTypes = strings.Split(*types, ",")
	}
	if *httpAddr == "" {
		return c.RunWorker(ctx, wc)
	}
	metrics.Watch(c.Engine(), log)
	srv := api.New(api.Config{Addr: *httpAddr}, c, metrics, log)
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	return srv.ServeWhile(ctx, ln, func(ctx context.Context) error { return c.RunWorker(ctx, wc) })
}
