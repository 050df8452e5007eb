package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/localserver"
)

// Config configures Run. The zero value measures the standard load.
type Config struct {
	// NATSURL and RedisURL name the servers to measure; empty starts an embedded NATS server
	// (file storage) and a redis-server on free ports.
	NATSURL, RedisURL string
	// Instances run concurrently, each through Tasks async service tasks. Defaults 200 and 20.
	Instances, Tasks int
	// Total is how many instances one round runs, Instances at a time: a new one starts
	// whenever one completes. Default 5 × Instances, so a round measures a steady state.
	Total int
	// Rounds of each measurement, alternating engine and floor; the report gives the median.
	// Default 5.
	Rounds int
	// Concurrency is the jobs one task type runs at once, for the engine and the floor alike.
	// Default 64.
	Concurrency int
	// Out receives the report. Default os.Stdout.
	Out io.Writer
	// Log receives the engine's logs. Default: none.
	Log *zap.Logger
	// Only limits the measured rounds to "engine" or "floor", for profiling one side. Default
	// both, and the report's ratio needs both.
	Only string
	// NATSNodes is the size of the local NATS cluster started when NATSURL is empty; with more
	// than one, the streams get that many replicas. Default 1.
	NATSNodes int
	// RedisNodes is the size of the local Redis Cluster started when RedisURL is empty (3 or
	// more; 1 starts a single redis-server). Default 1.
	RedisNodes int
	// Replicas is the streams' replica count. Default NATSNodes with a local cluster, else 0
	// (existing streams keep theirs).
	Replicas int
	// Durability makes the engine's commits wait for Redis replicas or AOF fsyncs, as
	// --redis-wait-* ask. Default: no waiting.
	Durability baton.Durability
}

func (c *Config) defaults() {
	if c.Instances <= 0 {
		c.Instances = 200
	}
	if c.Tasks <= 0 {
		c.Tasks = 20
	}
	if c.Rounds <= 0 {
		c.Rounds = 5
	}
	if c.Total <= 0 {
		c.Total = 5 * c.Instances
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 64
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.Log == nil {
		c.Log = zap.NewNop()
	}
	if c.NATSNodes <= 0 {
		c.NATSNodes = 1
	}
	if c.RedisNodes <= 0 {
		c.RedisNodes = 1
	}
	if c.Replicas <= 0 && c.NATSURL == "" && c.NATSNodes > 1 {
		c.Replicas = c.NATSNodes
	}
}

// Report is the median of the rounds.
type Report struct {
	Engine, Floor Result
	// Ratio is the median over rounds of engine continuations/s over the floor's hops/s in the
	// same round: pairing adjacent runs cancels the machine's drift.
	Ratio float64
}

// Run measures and prints the report.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.defaults()
	out := cfg.Out
	natsURL, redisURL, stop, err := servers(ctx, cfg)
	if err != nil {
		return Report{}, err
	}
	defer stop()

	rdb, err := redisClient(redisURL, 4*cfg.Concurrency)
	if err != nil {
		return Report{}, err
	}
	defer rdb.Close()
	rt := &roundTrips{}
	rdb.AddHook(rt)
	prefix := fmt.Sprintf("bench:%d:", time.Now().UnixNano())

	obs := &observer{lat: &latencies{}}
	c, err := baton.Connect(ctx, baton.Config{NATSURL: natsURL, Redis: rdb, Prefix: prefix, Logger: cfg.Log,
		Engine: baton.EngineConfig{Observer: obs}, Queue: baton.QueueConfig{Replicas: cfg.Replicas}, Durability: cfg.Durability})
	if err != nil {
		return Report{}, err
	}
	defer c.Close()
	c.Register(StepType, engine.DelegateFunc(func(context.Context, *engine.Task) error { return nil }))
	if _, err := c.DeployBytes(ctx, "bench.bpmn", Model(cfg.Tasks)); err != nil {
		return Report{}, err
	}
	wctx, stopWorker := context.WithCancel(ctx)
	workerDone := make(chan error, 1)
	go func() {
		workerDone <- c.RunWorker(wctx, baton.WorkerConfig{TaskTypes: []string{StepType}, Concurrency: cfg.Concurrency,
			ShutdownGrace: 5 * time.Second})
	}()
	defer func() { stopWorker(); <-workerDone }()
	fl := &floor{q: c.Engine().Queue(), rdb: rdb, prefix: prefix, concurrency: cfg.Concurrency}

	fmt.Fprintf(out, "baton bench: %d concurrent instances x %d async service tasks (%d instances a round), %d rounds, concurrency %d per task type\n",
		cfg.Instances, cfg.Tasks, cfg.Total, cfg.Rounds, cfg.Concurrency)
	fmt.Fprintf(out, "servers: NATS %s (%s), Redis %s (%s)\n", baton.RedactURL(natsURL), natsShape(cfg), baton.RedactURL(redisURL), redisShape(rdb))
	// Warm up both paths (connections, script cache, consumers) outside the measurement.
	if _, err := engineRun(ctx, c, obs, rt, cfg.Instances, cfg.Instances, cfg.Tasks); err != nil {
		return Report{}, fmt.Errorf("warm-up: %w", err)
	}
	if _, err := fl.run(ctx, cfg.Instances, cfg.Instances, cfg.Tasks, rt, -1); err != nil {
		return Report{}, fmt.Errorf("warm-up: %w", err)
	}
	fmt.Fprintf(out, "\n%-6s %14s %9s %9s %8s   %14s %9s %9s %8s   %6s\n", "round", "engine cont/s", "p50", "p99", "RT/cont",
		"floor hops/s", "p50", "p99", "RT/hop", "ratio")
	var engines, floors []Result
	var ratios []float64
	cpu := cpuMeter{rdb: rdb}
	for r := 0; r < cfg.Rounds; r++ {
		e, f := Result{Hops: 1, Elapsed: 1}, Result{Hops: 1, Elapsed: 1}
		if cfg.Only != "floor" {
			if e, err = cpu.measure(ctx, func() (Result, error) {
				return engineRun(ctx, c, obs, rt, cfg.Instances, cfg.Total, cfg.Tasks)
			}); err != nil {
				return Report{}, err
			}
		}
		if cfg.Only != "engine" {
			if f, err = cpu.measure(ctx, func() (Result, error) {
				return fl.run(ctx, cfg.Instances, cfg.Total, cfg.Tasks, rt, r)
			}); err != nil {
				return Report{}, err
			}
		}
		engines, floors = append(engines, e), append(floors, f)
		ratios = append(ratios, e.PerSecond()/f.PerSecond())
		fmt.Fprintf(out, "%-6d %14.0f %9s %9s %8.2f   %14.0f %9s %9s %8.2f   %6.2f\n", r+1, e.PerSecond(), ms(e.P50), ms(e.P99),
			e.RoundTripsPerHop(), f.PerSecond(), ms(f.P50), ms(f.P99), f.RoundTripsPerHop(), ratios[r])
	}
	rep := Report{Engine: median(engines), Floor: median(floors)}
	slices.Sort(ratios)
	rep.Ratio = ratios[len(ratios)/2]
	fmt.Fprintf(out, "\nengine (median): %.0f continuations/s, hop latency p50 %s p99 %s, %.2f Redis round trips per continuation\n",
		rep.Engine.PerSecond(), ms(rep.Engine.P50), ms(rep.Engine.P99), rep.Engine.RoundTripsPerHop())
	fmt.Fprintf(out, "raw floor (median): %.0f hops/s, hop latency p50 %s p99 %s, %.2f Redis round trips per hop\n",
		rep.Floor.PerSecond(), ms(rep.Floor.P50), ms(rep.Floor.P99), rep.Floor.RoundTripsPerHop())
	fmt.Fprintf(out, "ratio engine/floor (median of the rounds' ratios): %.2f (target >= 0.50); Redis round trips per continuation: %.2f (target <= 3), carrying %.2f commands\n",
		rep.Ratio, rep.Engine.RoundTripsPerHop(), float64(rep.Engine.Commands)/float64(rep.Engine.Hops))
	ep, er := rep.Engine.CPUPerHop()
	fp, fr := rep.Floor.CPUPerHop()
	fmt.Fprintf(out, "CPU per hop: engine %s in this process + %s in redis-server; floor %s + %s (this process includes an embedded NATS server)\n",
		us(ep), us(er), us(fp), us(fr))
	return rep, nil
}

func median(rs []Result) Result {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b Result) int {
		switch {
		case a.PerSecond() < b.PerSecond():
			return -1
		case a.PerSecond() > b.PerSecond():
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d.Nanoseconds())/1000) }

// servers returns the URLs to measure, starting local servers when none are given: a NATS
// server or cluster of cfg.NATSNodes, and a redis-server or Redis Cluster of cfg.RedisNodes. A
// Redis Cluster's URL is its comma-separated seed list.
func servers(ctx context.Context, cfg Config) (natsURL, redisURL string, stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	natsURL, redisURL = cfg.NATSURL, cfg.RedisURL
	if natsURL == "" {
		dir, err := os.MkdirTemp("", "baton-bench-")
		if err != nil {
			return "", "", nil, err
		}
		stops = append(stops, func() { _ = os.RemoveAll(dir) })
		if cfg.NATSNodes > 1 {
			nc, err := localserver.StartNATSCluster(cfg.NATSNodes, dir)
			if err != nil {
				stop()
				return "", "", nil, err
			}
			stops = append(stops, nc.Shutdown)
			natsURL = nc.URL
		} else {
			n, err := localserver.StartNATS(localserver.NATSOptions{Port: -1, StoreDir: dir})
			if err != nil {
				stop()
				return "", "", nil, err
			}
			stops = append(stops, n.Shutdown)
			natsURL = n.URL
		}
	}
	if redisURL == "" {
		if cfg.RedisNodes > 1 {
			rc, err := localserver.StartRedisCluster(ctx, cfg.RedisNodes)
			if err != nil {
				stop()
				return "", "", nil, err
			}
			stops = append(stops, rc.Stop)
			redisURL = "redis://" + strings.Join(rc.Addrs, ",redis://")
		} else {
			r, err := localserver.StartRedis(ctx, localserver.RedisOptions{})
			if err != nil {
				stop()
				return "", "", nil, err
			}
			stops = append(stops, r.Stop)
			redisURL = r.URL
		}
	}
	return natsURL, redisURL, stop, nil
}

// redisClient is a client of one Redis, or of a Redis Cluster when url is a comma-separated
// seed list, with poolSize connections per node.
func redisClient(url string, poolSize int) (redis.UniversalClient, error) {
	urls := strings.Split(url, ",")
	if len(urls) == 1 {
		opts, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", err)
		}
		opts.PoolSize = poolSize
		return redis.NewClient(opts), nil
	}
	var addrs []string
	for _, u := range urls {
		opts, err := redis.ParseURL(strings.TrimSpace(u))
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", err)
		}
		addrs = append(addrs, opts.Addr)
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, PoolSize: poolSize}), nil
}

func natsShape(cfg Config) string {
	if cfg.NATSURL != "" {
		return fmt.Sprintf("streams R%d", max(cfg.Replicas, 1))
	}
	if cfg.NATSNodes > 1 {
		return fmt.Sprintf("%d embedded nodes, streams R%d", cfg.NATSNodes, max(cfg.Replicas, 1))
	}
	return "embedded, streams R1"
}

func redisShape(rdb redis.UniversalClient) string {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		var n atomic.Int64 // ForEachMaster calls in parallel
		_ = cc.ForEachMaster(context.Background(), func(context.Context, *redis.Client) error { n.Add(1); return nil })
		return fmt.Sprintf("Redis Cluster of %d masters", n.Load())
	}
	return "one server"
}
