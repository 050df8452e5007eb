// Package store owns Baton's state in Redis: process definitions, instance state with its
// optimistic version, the per-instance outbox of jobs with leases and fencing tokens, and the
// due index the reconciler scans. Every change to an instance is one Lua script on the instance's
// own hash slot (DESIGN §4); indexes that span instances are best-effort and repaired by the
// reconciler.
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix used when Config.Prefix is empty.
const DefaultPrefix = "baton:"

// Config configures a Store.
type Config struct {
	// Prefix is prepended to every key, so several deployments or tests can share one Redis.
	// Default DefaultPrefix ("baton:").
	Prefix string
	// NoAutoPipeline sends every script call on its own round trip. Default false: concurrent
	// calls share pipelines (see batcher), which cuts Redis's and the client's per-call socket
	// work under load at no latency cost when idle.
	NoAutoPipeline bool
	// PipelineFlushers is how many pipelines may be in flight at once. Default 4.
	PipelineFlushers int
	// MaxPipeline caps the calls in one pipeline. Default 64.
	MaxPipeline int
	// Durability makes writes wait for replicas or AOF fsyncs. Default: no waiting.
	Durability Durability
}

// Store reads and writes Baton's state in Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	due    string
	batch  *batcher
	dur    Durability
	// IndexFailures counts due-index writes that failed even when retried; the reconciler's
	// repair sweep re-adds those entries.
	IndexFailures atomic.Int64
}

// New returns a Store on rdb (a single node, Sentinel or Cluster client).
func New(rdb redis.UniversalClient, cfg Config) *Store {
	p := cfg.Prefix
	if p == "" {
		p = DefaultPrefix
	}
	s := &Store{rdb: rdb, prefix: p, due: p + "due", dur: cfg.Durability}
	if !cfg.NoAutoPipeline {
		if cfg.PipelineFlushers <= 0 {
			cfg.PipelineFlushers = 4
		}
		if cfg.MaxPipeline <= 0 {
			cfg.MaxPipeline = 64
		}
		s.batch = newBatcher(rdb, s.due, cfg.PipelineFlushers, cfg.MaxPipeline, cfg.Durability, s.barrierKey())
	}
	return s
}

// Close stops the store's pipeline flushers after sending what is queued. It does not close
// the Redis client, which the caller owns.
func (s *Store) Close() {
	if s.batch != nil {
		s.batch.close()
	}
}

// Client is the underlying Redis client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Prefix is the key prefix in use.
func (s *Store) Prefix() string { return s.prefix }

// LoadScripts loads every script into Redis's script cache, so steady-state calls are one
// EVALSHA each. Calls still fall back to EVAL when Redis lost its cache (a restart, a failover).
func (s *Store) LoadScripts(ctx context.Context) error {
	for _, sc := range allScripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("load redis scripts: %w", err)
		}
	}
	return nil
}

func (s *Store) instKey(id string) string { return s.prefix + "inst:{" + id + "}" }
func (s *Store) jobsKey(id string) string { return s.prefix + "inst:{" + id + "}:jobs" }
func (s *Store) histKey(id string) string { return s.prefix + "inst:{" + id + "}:hist" }
func (s *Store) keys(id string) []string  { return []string{s.instKey(id), s.jobsKey(id)} }

// stepKeys are the keys of scripts that apply a step: the instance, its outbox, its history.
func (s *Store) stepKeys(id string) []string {
	return []string{s.instKey(id), s.jobsKey(id), s.histKey(id)}
}

// Errors and outcomes of the commit protocol. They are values for errors.Is.
var (
	// ErrStale means the job is no longer outstanding: a commit already consumed it. The message
	// that carried it can be acked.
	ErrStale = errors.New("job is no longer outstanding")
	// ErrFenced means the caller's lease was taken over by another claim: its fencing token is
	// stale and its result must not be applied.
	ErrFenced = errors.New("lease was taken over (stale fencing token)")
	// ErrIncident means the job has exhausted its retries and waits for an operator.
	ErrIncident = errors.New("job has an open incident")
	// ErrNotFound means no instance or definition has that id.
	ErrNotFound = errors.New("not found")
)

// LeasedError means the job cannot be claimed now: another worker holds its lease (Busy false),
// or another exclusive job of the same instance does (Busy true). Retry after RetryAfter.
type LeasedError struct {
	Busy       bool
	RetryAfter time.Duration
}

func (e *LeasedError) Error() string {
	if e.Busy {
		return fmt.Sprintf("another exclusive job of the instance is running (retry in %s)", e.RetryAfter)
	}
	return fmt.Sprintf("job is leased by another worker (retry in %s)", e.RetryAfter)
}

// ConflictError means the instance version moved since the claim: reload and re-apply.
type ConflictError struct {
	// Current is the instance's version now.
	Current int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("instance version moved to %d (optimistic lock conflict)", e.Current)
}

// evalPipe runs one script and, in the same round trip, adds due-index entries. Only the
// script's own reply decides the outcome: a failed index write is retried on its own (the index
// is best-effort and the reconciler's repair sweep re-adds what is still missing), and a
// transport error is returned as the script's error, meaning its outcome is unknown. It uses
// EVALSHA and falls back to EVAL when Redis answers NOSCRIPT (the script did not run then).
// With Durability set, a write that must survive a failover is followed by the wait, and a
// shortfall is returned as a *DurabilityError although the script ran.
func (s *Store) evalPipe(ctx context.Context, sc *redis.Script, keys []string, args []any, due []redis.Z) ([]any, error) {
	var cmd *redis.Cmd
	var zerr, err error
	wait := s.waits(sc)
	if s.batch != nil {
		cmd, zerr, err = s.batch.do(ctx, sc, keys, args, due, wait)
	} else {
		cmd, zerr, err = s.direct(ctx, sc, keys, args, due, wait)
	}
	if err != nil {
		return nil, err
	}
	if zerr != nil && len(due) > 0 {
		if rerr := s.rdb.ZAdd(context.WithoutCancel(ctx), s.due, due...).Err(); rerr != nil {
			s.IndexFailures.Add(1)
		}
	}
	return resultSlice(cmd)
}

// direct sends one script (and its due entries) on its own round trip.
func (s *Store) direct(ctx context.Context, sc *redis.Script, keys []string, args []any, due []redis.Z, wait bool) (*redis.Cmd, error, error) {
	if len(due) == 0 && !wait {
		cmd := sc.Run(ctx, s.rdb, keys, args...)
		return cmd, nil, cmd.Err()
	}
	send := func(sha bool) (*redis.Cmd, *redis.IntCmd, func() error) {
		var cmd *redis.Cmd
		var z *redis.IntCmd
		var check func() error
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			if sha {
				cmd = sc.EvalSha(ctx, p, keys, args...)
			} else {
				cmd = sc.Eval(ctx, p, keys, args...)
			}
			if len(due) > 0 {
				z = p.ZAdd(ctx, s.due, due...)
			}
			if wait {
				check = queueWait(ctx, p, s.dur, s.barrierKey())
			}
			return nil
		})
		return cmd, z, check
	}
	cmd, z, check := send(true)
	if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
		cmd, z, check = send(false)
	}
	var zerr error
	if z != nil {
		zerr = z.Err()
	}
	if err := cmd.Err(); err != nil || check == nil {
		return cmd, zerr, err
	}
	return cmd, zerr, check()
}

// dueEntries turns new jobs into due-index entries.
func dueEntries(jobs []NewJob) []redis.Z {
	if len(jobs) == 0 {
		return nil
	}
	z := make([]redis.Z, len(jobs))
	for i, j := range jobs {
		z[i] = redis.Z{Score: float64(j.CheckAt.UnixMilli()), Member: j.ID}
	}
	return z
}

func resultSlice(cmd *redis.Cmd) ([]any, error) {
	v, err := cmd.Slice()
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, errors.New("empty script reply")
	}
	return v, nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func num(v any) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(str(v)), 10, 64)
	return n
}
