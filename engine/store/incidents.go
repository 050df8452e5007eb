package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Incidents. An incident lives with its job (J:i in the instance's outbox). The index
// <prefix>incidents (a sorted set of job ids by when they were raised) spans instances, so it
// lives outside their slots and is best-effort: Incidents checks each entry against its instance
// and drops stale ones, and the reconciler re-adds a missing one when it looks at the job.

func (s *Store) incidentsKey() string { return s.prefix + "incidents" }

// IndexIncident adds the incident of jobID, raised at at, to the incident index.
func (s *Store) IndexIncident(ctx context.Context, jobID string, at time.Time) error {
	if err := s.rdb.ZAddNX(ctx, s.incidentsKey(), redis.Z{Score: float64(at.UnixMilli()), Member: jobID}).Err(); err != nil {
		return fmt.Errorf("index the incident of %s: %w", jobID, err)
	}
	return nil
}

// UnindexIncident removes jobIDs from the incident index.
func (s *Store) UnindexIncident(ctx context.Context, jobIDs ...string) error {
	if len(jobIDs) == 0 {
		return nil
	}
	members := make([]any, len(jobIDs))
	for i, id := range jobIDs {
		members[i] = id
	}
	if err := s.rdb.ZRem(ctx, s.incidentsKey(), members...).Err(); err != nil {
		return fmt.Errorf("unindex incidents: %w", err)
	}
	return nil
}

// IncidentIndex returns the indexed incident job ids, oldest first.
func (s *Store) IncidentIndex(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, s.incidentsKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return ids, nil
}

// IncidentCount returns how many incidents the index lists (stale entries included until a
// listing drops them).
func (s *Store) IncidentCount(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.incidentsKey()).Result()
	if err != nil {
		return 0, fmt.Errorf("count incidents: %w", err)
	}
	return n, nil
}

// ErrNoIncident means the job has no open incident (it was resolved, or never had one).
var ErrNoIncident = errors.New("the job has no open incident")

// resolveScript: ARGV = id, retries (0: the job's policy). Clears the incident of job id and its
// failure counts, so the job runs again with fresh attempts; returns {'OK', envelope} or
// {'NONE'}.
var resolveScript = redis.NewScript(`
local id = ARGV[1]
local j = redis.call('HMGET', KEYS[2], id, id .. ':i')
if not j[1] or not j[2] then return {'NONE'} end
redis.call('HDEL', KEYS[2], id .. ':i', id .. ':a', id .. ':f', id .. ':x', id .. ':l', id .. ':g')
if tonumber(ARGV[2]) > 0 then redis.call('HSET', KEYS[2], id .. ':g', ARGV[2]) end
local inc = redis.call('HINCRBY', KEYS[1], 'inc', -1)
if inc <= 0 then
  redis.call('HDEL', KEYS[1], 'inc')
  if redis.call('HGET', KEYS[1], 'status') == 'incident' then redis.call('HSET', KEYS[1], 'status', 'running') end
end
return {'OK', j[1]}
`)

// Resolve clears the open incident of jobID so that the job runs again with fresh attempts:
// retries of them (0: as many as its retry policy gives). It returns the job's envelope, or
// ErrNoIncident.
func (s *Store) Resolve(ctx context.Context, jobID string, retries int) ([]byte, error) {
	instance := InstanceOfJob(jobID)
	res, err := s.evalPipe(ctx, resolveScript, s.keys(instance), []any{jobID, retries}, nil)
	if err != nil {
		return nil, fmt.Errorf("resolve the incident of %s: %w", jobID, err)
	}
	if str(res[0]) != "OK" {
		return nil, fmt.Errorf("resolve %s: %w", jobID, ErrNoIncident)
	}
	return []byte(str(res[1])), nil
}

// raiseScript: ARGV = id, incidentJSON. Raises an incident on job id unless it is gone, has one,
// or runs under a live lease; returns {'OK'}, {'GONE'}, {'HAS'} or {'LEASED'}.
var raiseScript = redis.NewScript(luaNow + luaClearExclusive + `
local id = ARGV[1]
local j = redis.call('HMGET', KEYS[2], id, id .. ':i', id .. ':l')
if not j[1] then return {'GONE'} end
if j[2] then return {'HAS'} end
-- A live lease: a worker runs the job from the outbox's own envelope; its outcome decides.
if j[3] and tonumber(string.match(j[3], '^%d+|(%d+)|')) > now then return {'LEASED'} end
redis.call('HSET', KEYS[2], id .. ':i', ARGV[2])
redis.call('HDEL', KEYS[2], id .. ':l')
clear_xl(id)
redis.call('HINCRBY', KEYS[1], 'inc', 1)
if redis.call('HGET', KEYS[1], 'status') == 'running' then redis.call('HSET', KEYS[1], 'status', 'incident') end
return {'OK'}
`)

// RaiseIncident puts an incident (incidentJSON) on job jobID, which waits for an operator then.
// It returns false when the job is gone or has an incident already.
func (s *Store) RaiseIncident(ctx context.Context, jobID string, incidentJSON []byte) (bool, error) {
	res, err := s.evalPipe(ctx, raiseScript, s.keys(InstanceOfJob(jobID)), []any{jobID, incidentJSON}, nil)
	if err != nil {
		return false, fmt.Errorf("raise an incident on %s: %w", jobID, err)
	}
	return str(res[0]) == "OK", nil
}
