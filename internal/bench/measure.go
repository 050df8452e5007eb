// Package bench measures Baton's continuation throughput, hop latency and Redis round trips,
// and, in the same run and on the same servers, the raw floor: what JetStream and Redis alone
// allow for one hop (consume, one Lua compare-and-set, publish the next message, ack). `baton
// bench` and `make bench` print its report.
package bench

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// roundTrips counts Redis round trips (every command sent alone, and every pipeline, is one)
// and the commands they carry.
type roundTrips struct{ n, cmds atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		r.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		r.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// latencies collects hop latencies.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) reset() {
	l.mu.Lock()
	l.d = l.d[:0]
	l.mu.Unlock()
}

// percentile returns the p-th percentile (0..100).
func (l *latencies) percentile(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// Result is one measured run.
type Result struct {
	Hops       int
	Elapsed    time.Duration
	P50, P99   time.Duration
	RoundTrips int64
	// Commands counts the Redis commands those round trips carried.
	Commands int64
	// ProcessCPU is the CPU time of this process (the engine or floor, and an embedded NATS
	// server), RedisCPU that of redis-server, both during the run.
	ProcessCPU, RedisCPU time.Duration
}

// cpuMeter reads this process's and Redis's CPU time.
type cpuMeter struct{ rdb redis.UniversalClient }

func (m cpuMeter) read(ctx context.Context) (proc, rds time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		proc = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if cc, ok := m.rdb.(*redis.ClusterClient); ok {
		// A cluster: the CPU of every master and replica.
		var mu sync.Mutex
		_ = cc.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error {
			d := redisCPU(ctx, c)
			mu.Lock()
			rds += d
			mu.Unlock()
			return nil
		})
		return proc, rds
	}
	rds = redisCPU(ctx, m.rdb)
	return proc, rds
}

// redisCPU is the CPU time one redis-server has used, from INFO cpu; 0 when it does not answer.
func redisCPU(ctx context.Context, rdb redis.UniversalClient) time.Duration {
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0
	}
	var d time.Duration
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			d += time.Duration(f * float64(time.Second))
		}
	}
	return d
}

// measure runs f and records the CPU both sides spent in it.
func (m cpuMeter) measure(ctx context.Context, f func() (Result, error)) (Result, error) {
	p0, r0 := m.read(ctx)
	res, err := f()
	p1, r1 := m.read(ctx)
	res.ProcessCPU, res.RedisCPU = p1-p0, r1-r0
	return res, err
}

// CPUPerHop is the CPU spent per hop by this process and by Redis.
func (r Result) CPUPerHop() (proc, rds time.Duration) {
	return r.ProcessCPU / time.Duration(r.Hops), r.RedisCPU / time.Duration(r.Hops)
}

// PerSecond is hops per second.
func (r Result) PerSecond() float64 { return float64(r.Hops) / r.Elapsed.Seconds() }

// RoundTripsPerHop is Redis round trips per hop.
func (r Result) RoundTripsPerHop() float64 { return float64(r.RoundTrips) / float64(r.Hops) }
