package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Suspension. What is suspended lives in one hash, <prefix>suspended, field = scope, value = when
// (Unix ms): "process:<key>", "process:<key>:<version>", "activity:<key>:<activityId>" and
// "type:<taskType>" (a paused task type). An instance's own suspension is the field susp of its
// hash, so the claim script refuses its jobs atomically (SUSPENDED). Jobs a worker found suspended
// are parked: acknowledged on NATS and listed in <prefix>parked (a sorted set of job ids), to be
// published again on activation; they stay in their outbox, which is the authority on them.

func (s *Store) suspendedKey() string { return s.prefix + "suspended" }
func (s *Store) parkedKey() string    { return s.prefix + "parked" }

// ErrSuspended means the instance (or its definition, or the job's activity) is suspended.
var ErrSuspended = errors.New("suspended")

// Suspend records scope as suspended.
func (s *Store) Suspend(ctx context.Context, scope string) error {
	if err := s.rdb.HSetNX(ctx, s.suspendedKey(), scope, time.Now().UnixMilli()).Err(); err != nil {
		return fmt.Errorf("suspend %s: %w", scope, err)
	}
	return nil
}

// Activate removes scope's suspension; it reports whether scope was suspended.
func (s *Store) Activate(ctx context.Context, scope string) (bool, error) {
	n, err := s.rdb.HDel(ctx, s.suspendedKey(), scope).Result()
	if err != nil {
		return false, fmt.Errorf("activate %s: %w", scope, err)
	}
	return n == 1, nil
}

// Suspensions returns every suspended scope with when it was suspended.
func (s *Store) Suspensions(ctx context.Context) (map[string]time.Time, error) {
	all, err := s.rdb.HGetAll(ctx, s.suspendedKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("read suspensions: %w", err)
	}
	out := make(map[string]time.Time, len(all))
	for k, v := range all {
		ms, _ := strconv.ParseInt(v, 10, 64)
		out[k] = time.UnixMilli(ms)
	}
	return out, nil
}

// suspendInstanceScript: ARGV = 1 (suspend) or 0 (activate). Returns {'OK', changed} or
// {'NONE'} for an unknown instance; a finished instance cannot be suspended ({'ENDED'}).
var suspendInstanceScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'NONE'} end
if ARGV[1] == '1' then
  if st == 'completed' or st == 'cancelled' then return {'ENDED'} end
  return {'OK', tostring(redis.call('HSETNX', KEYS[1], 'susp', '1'))}
end
return {'OK', tostring(redis.call('HDEL', KEYS[1], 'susp'))}
`)

// SuspendInstance suspends (or, with suspend false, activates) instance id and reports whether
// that changed anything. It returns ErrNotFound for an unknown instance and ErrEnded for a
// finished one.
func (s *Store) SuspendInstance(ctx context.Context, id string, suspend bool) (bool, error) {
	arg := "0"
	if suspend {
		arg = "1"
	}
	res, err := s.evalPipe(ctx, suspendInstanceScript, s.keys(id), []any{arg}, nil)
	if err != nil {
		return false, fmt.Errorf("suspend instance %s: %w", id, err)
	}
	switch str(res[0]) {
	case "NONE":
		return false, fmt.Errorf("instance %s: %w", id, ErrNotFound)
	case "ENDED":
		return false, fmt.Errorf("instance %s: %w", id, ErrEnded)
	}
	return str(res[1]) == "1", nil
}

// ErrEnded means the instance has completed or was cancelled.
var ErrEnded = errors.New("the instance has ended")

// Park lists jobID among the parked jobs.
func (s *Store) Park(ctx context.Context, jobID string) error {
	if err := s.rdb.ZAddNX(ctx, s.parkedKey(), redis.Z{Score: float64(time.Now().UnixMilli()), Member: jobID}).Err(); err != nil {
		return fmt.Errorf("park %s: %w", jobID, err)
	}
	return nil
}

// Parked returns the parked job ids, oldest first.
func (s *Store) Parked(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, s.parkedKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list parked jobs: %w", err)
	}
	return ids, nil
}

// Unpark removes jobIDs from the parked jobs.
func (s *Store) Unpark(ctx context.Context, jobIDs ...string) error {
	if len(jobIDs) == 0 {
		return nil
	}
	m := make([]any, len(jobIDs))
	for i, id := range jobIDs {
		m[i] = id
	}
	if err := s.rdb.ZRem(ctx, s.parkedKey(), m...).Err(); err != nil {
		return fmt.Errorf("unpark: %w", err)
	}
	return nil
}
