package main

import (
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/batonhq/baton/internal/bench"
)

func newBenchCommand(g *globals) *cobra.Command {
	var (
		cfg        bench.Config
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure continuation throughput, hop latency and Redis round trips against the raw floor",
		Long: `Bench runs --instances concurrent instances through --tasks async service tasks each (a no-op
delegate) and measures continuations per second, hop latency p50 and p99 (from the commit that
creates a job to the commit that consumes it) and Redis round trips per continuation.

In the same run, on the same servers, it measures the raw floor: JetStream consume, one Lua
compare-and-set, publish the next message, ack, with the same concurrency. It prints the ratio
of the two. Rounds alternate engine and floor; the summary is the median.

Without --nats and --redis it starts an embedded NATS server (file storage) and a redis-server
on free ports; with them it measures those servers (it uses the key prefix bench:<time>: and a
stream BENCH_FLOOR, which it deletes and recreates). --nats-nodes 3 and --redis-nodes 3 start
local clusters instead: 3 embedded NATS nodes with R3 streams, a 3-master Redis Cluster.`,
		Example: `  baton bench
  baton bench --instances 500 --rounds 5 --nats nats://nats:4222 --redis redis://redis:6379
  baton bench --nats-nodes 3 --redis-nodes 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			env := g.config(nil)
			cfg.NATSURL, cfg.RedisURL, cfg.Durability = env.NATSURL, env.RedisURL, env.Durability
			cfg.Out = cmd.OutOrStdout()
			_, err := bench.Run(cmd.Context(), cfg)
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Instances, "instances", 200, "concurrent instances")
	f.IntVar(&cfg.Tasks, "tasks", 20, "async service tasks per instance")
	f.IntVar(&cfg.Total, "total", 0, "instances a round runs, --instances at a time (default 5 x --instances)")
	f.IntVar(&cfg.Rounds, "rounds", 5, "rounds of each measurement (the summary is the median)")
	f.IntVar(&cfg.Concurrency, "concurrency", 64, "jobs one task type runs at once")
	f.StringVar(&cfg.Only, "only", "", "measure only engine or floor (for profiling one side)")
	f.IntVar(&cfg.NATSNodes, "nats-nodes", 1, "without --nats: start a NATS cluster of this many embedded nodes, with streams of as many replicas")
	f.IntVar(&cfg.RedisNodes, "redis-nodes", 1, "without --redis: start a Redis Cluster of this many redis-server nodes (3 or more)")
	f.IntVar(&cfg.Replicas, "replicas", 0, "stream replicas (default: --nats-nodes on a local cluster, else the streams' own)")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of this process (engine, floor and embedded NATS) to FILE")
	return cmd
}
