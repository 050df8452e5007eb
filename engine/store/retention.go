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

// Instance index and retention. Every instance is listed in <prefix>instances, a sorted set of
// ids by start time (best-effort: written after the create). An instance that ended more than
// the retention's RetainFor ago is archived: its hot keys (the instance hash, outbox and history
// list) are replaced, in one script on its slot, by a compact record <prefix>inst:{id}:archive
// that expires after ArchiveFor.

func (s *Store) instancesKey() string        { return s.prefix + "instances" }
func (s *Store) archiveKey(id string) string { return s.prefix + "inst:{" + id + "}:archive" }

// IndexInstance lists instance id, started at created, in the instance index.
func (s *Store) IndexInstance(ctx context.Context, id string, created time.Time) error {
	if err := s.rdb.ZAddNX(ctx, s.instancesKey(), redis.Z{Score: float64(created.UnixMilli()), Member: id}).Err(); err != nil {
		s.IndexFailures.Add(1)
		return fmt.Errorf("index instance %s: %w", id, err)
	}
	return nil
}

// UnindexInstances removes ids from the instance index.
func (s *Store) UnindexInstances(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	m := make([]any, len(ids))
	for i, id := range ids {
		m[i] = id
	}
	return s.rdb.ZRem(ctx, s.instancesKey(), m...).Err()
}

// InstanceIDs returns up to limit ids of instances started in [from, to], newest first when
// newest is set, skipping offset of them. A zero from or to leaves that end open.
func (s *Store) InstanceIDs(ctx context.Context, from, to time.Time, newest bool, offset, limit int) ([]string, error) {
	lo, hi := "-inf", "+inf"
	if !from.IsZero() {
		lo = strconv.FormatInt(from.UnixMilli(), 10)
	}
	if !to.IsZero() {
		hi = strconv.FormatInt(to.UnixMilli(), 10)
	}
	by := &redis.ZRangeBy{Min: lo, Max: hi, Offset: int64(offset), Count: int64(limit)}
	var (
		ids []string
		err error
	)
	if newest {
		ids, err = s.rdb.ZRevRangeByScore(ctx, s.instancesKey(), by).Result()
	} else {
		ids, err = s.rdb.ZRangeByScore(ctx, s.instancesKey(), by).Result()
	}
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	return ids, nil
}

// InstanceSummary is what listing shows of one instance, read from its hash (or its archive).
type InstanceSummary struct {
	ID, Status, ProcessKey, BusinessKey string
	Version                             int
	Created, Ended                      time.Time
	Suspended                           bool
	// Archived is set when the hot keys are gone and Record holds the archive; Gone when
	// neither exists (the archive expired).
	Archived, Gone bool
	Record         []byte
}

// Summaries reads the summary of each id, in one round trip per call.
func (s *Store) Summaries(ctx context.Context, ids []string) ([]InstanceSummary, error) {
	hs := make([]*redis.SliceCmd, len(ids))
	arch := make([]*redis.StringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			hs[i] = p.HMGet(ctx, s.instKey(id), "status", "def", "bk", "created", "ended", "susp")
			arch[i] = p.Get(ctx, s.archiveKey(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read instances: %w", err)
	}
	out := make([]InstanceSummary, len(ids))
	for i, id := range ids {
		v := hs[i].Val()
		sum := InstanceSummary{ID: id}
		field := func(k int) string {
			if k < len(v) && v[k] != nil {
				return fmt.Sprint(v[k])
			}
			return ""
		}
		if field(0) == "" {
			if rec, err := arch[i].Bytes(); err == nil {
				sum.Archived, sum.Record = true, rec
			} else {
				sum.Gone = true
			}
			out[i] = sum
			continue
		}
		sum.Status, sum.BusinessKey, sum.Suspended = field(0), field(2), field(5) != ""
		if k, ver, ok := strings.Cut(field(1), ":"); ok {
			sum.ProcessKey = k
			sum.Version, _ = strconv.Atoi(ver)
		}
		if ms, err := strconv.ParseInt(field(3), 10, 64); err == nil {
			sum.Created = time.UnixMilli(ms)
		}
		if ms, err := strconv.ParseInt(field(4), 10, 64); err == nil {
			sum.Ended = time.UnixMilli(ms)
		}
		out[i] = sum
	}
	return out, nil
}

// archiveScript: KEYS = inst, jobs, hist, archive. ARGV = record, ttl ms, endedBefore ms.
// Replaces an instance that ended before endedBefore, and has no outstanding job, by its archive
// record; returns 'OK', or 'KEEP' when it is running, ended later, still has a job (or is gone).
var archiveScript = redis.NewScript(`
local h = redis.call('HMGET', KEYS[1], 'status', 'ended')
if (h[1] ~= 'completed' and h[1] ~= 'cancelled') or not h[2] or tonumber(h[2]) > tonumber(ARGV[3]) then return 'KEEP' end
-- A job still outstanding (a completed child's Return job, say) keeps the instance hot.
if redis.call('HLEN', KEYS[2]) > 0 then return 'KEEP' end
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 'OK'
`)

// Archive replaces instance id, if it ended before endedBefore, by record (kept for ttl). It
// reports whether it did.
func (s *Store) Archive(ctx context.Context, id string, record []byte, ttl time.Duration, endedBefore time.Time) (bool, error) {
	res, err := archiveScript.Run(ctx, s.rdb, []string{s.instKey(id), s.jobsKey(id), s.histKey(id), s.archiveKey(id)},
		record, max(ttl.Milliseconds(), 1), endedBefore.UnixMilli()).Text()
	if err != nil {
		return false, fmt.Errorf("archive instance %s: %w", id, err)
	}
	return res == "OK", nil
}

// ArchiveRecord returns the archive record of instance id, or ErrNotFound.
func (s *Store) ArchiveRecord(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.archiveKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("instance %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read the archive of %s: %w", id, err)
	}
	return b, nil
}
