package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Durability makes writes wait for Redis replicas (WAIT) or for the AOF to reach disk (WAITAOF)
// before their caller goes on to publish and acknowledge. The zero value waits for nothing:
// Redis acknowledges a write once it is in the master's memory.
//
// It applies to the writes a failover must not lose: instance creation, step commits, failures
// and incidents, buffered messages, task assignment and deployments. Claims, lease renewals and
// releases do not wait: losing one in a failover only lets the job be claimed again. A write
// that is not confirmed in time is still applied on the master; its caller gets an error that
// wraps ErrNotDurable and does not publish or acknowledge on it (see docs/durability.md).
//
// Redis Cluster is not supported: WAIT counts the replicas of the connection's own writes, and a
// cluster pipeline spreads one step's commands over connections to several masters.
type Durability struct {
	// Replicas is how many replicas must acknowledge a write (WAIT, or WAITAOF's numreplicas
	// with AOF). Default 0: none.
	Replicas int
	// AOF waits until the master (and, with Replicas, that many replicas) wrote the write to its
	// append-only file and fsynced it: WAITAOF, Redis 7.2 or later, with appendonly yes.
	// Default false.
	AOF bool
	// Timeout bounds each wait. Default 1s.
	Timeout time.Duration
}

// Enabled reports whether writes wait for anything.
func (d Durability) Enabled() bool { return d.Replicas > 0 || d.AOF }

func (d Durability) timeout() time.Duration {
	if d.Timeout <= 0 {
		return time.Second
	}
	return d.Timeout
}

// ErrNotDurable is wrapped by errors of writes that Redis applied but did not confirm as durable
// as Durability asks within its timeout.
var ErrNotDurable = errors.New("write not confirmed durable")

// DurabilityError says how far a write got: Replicas replicas acknowledged it (and, with AOF,
// Local says whether the master fsynced it) where Durability asked for more.
type DurabilityError struct {
	Want     Durability
	Replicas int
	Local    bool
}

func (e *DurabilityError) Error() string {
	if e.Want.AOF {
		return fmt.Sprintf("%v: within %s the master's AOF fsync %s and %d of %d replicas' fsyncs were confirmed (WAITAOF)",
			ErrNotDurable, e.Want.timeout(), map[bool]string{true: "was", false: "was not"}[e.Local], e.Replicas, e.Want.Replicas)
	}
	return fmt.Sprintf("%v: %d of %d replicas acknowledged it within %s (WAIT)", ErrNotDurable, e.Replicas, e.Want.Replicas, e.Want.timeout())
}

// Unwrap makes errors.Is(err, ErrNotDurable) true.
func (e *DurabilityError) Unwrap() error { return ErrNotDurable }

// leaseOnly are the scripts whose writes need not survive a failover: a lost claim, renewal or
// release only lets the job be claimed again, which fencing makes safe.
var leaseOnly = map[*redis.Script]bool{claimScript: true, renewScript: true, releaseScript: true, inspectScript: true}

// waits reports whether a call of sc must wait for durability.
func (s *Store) waits(sc *redis.Script) bool { return s.dur.Enabled() && !leaseOnly[sc] }

// queueWait adds the wait command to a pipeline after the writes it must cover, and returns the
// check of its reply. WAIT and WAITAOF wait for the connection's last replicated write; a
// pipeline shares one connection, but a call whose script wrote nothing (a retried commit that
// answers DONE) would leave that write older than what the reply reports. So a write to the
// barrier key goes first: the replication stream is ordered, and a replica that has the barrier
// has every write the master made before it.
func queueWait(ctx context.Context, p redis.Pipeliner, d Durability, barrier string) func() error {
	ms := d.timeout().Milliseconds()
	p.Incr(ctx, barrier)
	if d.AOF {
		cmd := p.Do(ctx, "WAITAOF", 1, d.Replicas, ms)
		return func() error {
			v, err := cmd.Int64Slice()
			if err != nil {
				return fmt.Errorf("%w: WAITAOF: %v", ErrNotDurable, err)
			}
			if len(v) != 2 || v[0] < 1 || v[1] < int64(d.Replicas) {
				e := &DurabilityError{Want: d, Local: len(v) > 0 && v[0] >= 1}
				if len(v) == 2 {
					e.Replicas = int(v[1])
				}
				return e
			}
			return nil
		}
	}
	cmd := p.Do(ctx, "WAIT", d.Replicas, ms)
	return func() error {
		n, err := cmd.Int64()
		if err != nil {
			return fmt.Errorf("%w: WAIT: %v", ErrNotDurable, err)
		}
		if n < int64(d.Replicas) {
			return &DurabilityError{Want: d, Replicas: int(n)}
		}
		return nil
	}
}

// barrierKey is the key queueWait writes before each wait.
func (s *Store) barrierKey() string { return s.prefix + "durable" }

// WaitDurable waits until every write this store's Redis applied so far is as durable as
// Durability asks (a barrier write, then WAIT or WAITAOF). It returns nil at once without
// Durability, and an error wrapping ErrNotDurable on a shortfall.
func (s *Store) WaitDurable(ctx context.Context) error {
	if !s.dur.Enabled() {
		return nil
	}
	var check func() error
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		check = queueWait(ctx, p, s.dur, s.barrierKey())
		return nil
	})
	if err != nil && check == nil {
		return fmt.Errorf("%w: %v", ErrNotDurable, err)
	}
	return check()
}

// runDurable runs sc on its own round trip, followed by the durability wait when one is set; a
// shortfall is the command's error.
func (s *Store) runDurable(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	cmd, _, err := s.direct(ctx, sc, keys, args, nil, s.dur.Enabled())
	if err != nil && cmd.Err() == nil {
		cmd.SetErr(err)
	}
	return cmd
}

// CheckDurability checks that Redis can give the durability asked for: not a Redis Cluster,
// WAITAOF known (Redis 7.2 or later) and appendonly on when AOF is set. Fewer connected replicas
// than asked for is not an error here (they may connect later); it is returned as a warning.
func (s *Store) CheckDurability(ctx context.Context) (warning string, err error) {
	d := s.dur
	if !d.Enabled() {
		return "", nil
	}
	if _, ok := s.rdb.(*redis.ClusterClient); ok {
		return "", errors.New("waiting for Redis replicas or AOF fsyncs (--redis-wait-replicas, --redis-wait-aof) is not supported on a Redis Cluster: " +
			"WAIT counts one connection's writes, and a cluster spreads them over several masters; see docs/durability.md")
	}
	if d.Timeout < 0 || d.Timeout > 0 && d.Timeout < time.Millisecond {
		return "", fmt.Errorf("--redis-wait-timeout %s: want at least 1ms (WAIT takes milliseconds, and 0 would wait for ever)", d.Timeout)
	}
	if c, ok := s.rdb.(*redis.Client); ok {
		// The wait's reply must come before the client gives up reading: a read timeout would
		// make a shortfall look like a lost reply.
		if rt := c.Options().ReadTimeout; rt > 0 && d.timeout()+500*time.Millisecond > rt {
			return "", fmt.Errorf("--redis-wait-timeout %s: want it at least 500ms shorter than the Redis client's read timeout (%s)", d.timeout(), rt)
		}
	}
	if d.AOF {
		server, err := s.rdb.Info(ctx, "server").Result()
		if err != nil {
			return "", fmt.Errorf("redis INFO: %w", err)
		}
		if v := infoField(server, "redis_version"); !versionAtLeast(v, 7, 2) {
			return "", fmt.Errorf("--redis-wait-aof needs WAITAOF, Redis 7.2 or later; this server is Redis %s", v)
		}
		persistence, err := s.rdb.Info(ctx, "persistence").Result()
		if err != nil {
			return "", fmt.Errorf("redis INFO: %w", err)
		}
		if infoField(persistence, "aof_enabled") != "1" {
			return "", errors.New("--redis-wait-aof needs the append-only file: this Redis runs with appendonly no (set appendonly yes)")
		}
	}
	if d.Replicas > 0 {
		info, err := s.rdb.Info(ctx, "replication").Result()
		if err != nil {
			return "", fmt.Errorf("redis INFO: %w", err)
		}
		if n, _ := strconv.Atoi(infoField(info, "connected_slaves")); n < d.Replicas {
			return fmt.Sprintf("Redis has %d connected replicas and --redis-wait-replicas asks for %d: writes fail as not durable until they connect", n, d.Replicas), nil
		}
	}
	return "", nil
}

// infoField is one field of an INFO reply.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

// versionAtLeast reports whether the dotted version v is at least major.minor.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}
