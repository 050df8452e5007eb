package store

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// TakeDue returns up to limit job ids whose check time has passed, and hides them for hide so
// that reconcilers running on several servers rarely inspect the same job at once.
func (s *Store) TakeDue(ctx context.Context, now time.Time, limit int, hide time.Duration) ([]string, error) {
	res, err := takeDueScript.Run(ctx, s.rdb, []string{s.due}, now.UnixMilli(), limit, hide.Milliseconds()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("take due jobs: %w", err)
	}
	return res, nil
}

// Inspection is what the reconciler learns about one due job.
type Inspection struct {
	// Gone: the job was consumed; drop it from the index.
	Gone bool
	// Incident: the job waits for an operator; drop it from the index.
	Incident bool
	// LeasedUntil is set while a live lease holds the job.
	LeasedUntil time.Time
	// Envelope is set when the job is due for republishing; Republished counts republishes
	// including this one.
	Envelope    []byte
	Republished int
}

// InstanceOfJob returns the instance id a job id belongs to ("<instance>:<ver>:<ordinal>").
func InstanceOfJob(jobID string) string {
	if i := strings.IndexByte(jobID, ':'); i > 0 {
		return jobID[:i]
	}
	return jobID
}

// Inspect looks at one job for the reconciler and, when it is due, counts a republish.
func (s *Store) Inspect(ctx context.Context, jobID string) (Inspection, error) {
	res, err := s.evalPipe(ctx, inspectScript, s.keys(InstanceOfJob(jobID)), []any{jobID}, nil)
	if err != nil {
		return Inspection{}, fmt.Errorf("inspect job %s: %w", jobID, err)
	}
	switch str(res[0]) {
	case "GONE":
		return Inspection{Gone: true}, nil
	case "INCIDENT":
		return Inspection{Incident: true}, nil
	case "LEASED":
		return Inspection{LeasedUntil: time.UnixMilli(num(res[1]))}, nil
	case "DUE":
		return Inspection{Envelope: []byte(str(res[1])), Republished: int(num(res[2]))}, nil
	}
	return Inspection{}, fmt.Errorf("inspect job %s: unexpected reply %v", jobID, res)
}

// Schedule sets when the reconciler next looks at a job.
func (s *Store) Schedule(ctx context.Context, jobID string, at time.Time) error {
	return s.rdb.ZAdd(ctx, s.due, redisZ(jobID, at)).Err()
}

// Unschedule drops a job from the due index.
func (s *Store) Unschedule(ctx context.Context, jobID string) error {
	return s.rdb.ZRem(ctx, s.due, jobID).Err()
}

func redisZ(member string, at time.Time) redis.Z {
	return redis.Z{Score: float64(at.UnixMilli()), Member: member}
}

// RepairDue re-adds a due entry, checked at checkAt, for every outstanding job that has none:
// the index is written beside each commit, not inside it, so a crash or a failed write can leave
// a job unindexed. It scans every instance's outbox (on every master of a Redis Cluster) and
// returns how many entries it added. Entries that exist are left as they are (ZADD NX).
func (s *Store) RepairDue(ctx context.Context, checkAt time.Time) (int, error) {
	var added atomic.Int64
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, s.prefix+"inst:{*}:jobs", 500).Iterator()
		for iter.Next(ctx) {
			fields, err := s.rdb.HKeys(ctx, iter.Val()).Result()
			if err != nil {
				return err
			}
			// A job with an incident waits for an operator, not for the reconciler (the
			// incident index lists it).
			inIncident := map[string]bool{}
			for _, f := range fields {
				if id, suffix := splitJobField(f); suffix == "i" {
					inIncident[id] = true
				}
			}
			var z []redis.Z
			for _, f := range fields {
				if id, suffix := splitJobField(f); suffix == "" && !inIncident[id] {
					z = append(z, redisZ(id, checkAt))
				}
			}
			if len(z) > 0 {
				n, err := s.rdb.ZAddNX(ctx, s.due, z...).Result()
				if err != nil {
					return err
				}
				added.Add(n)
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return scan(ctx, m) })
	} else {
		err = scan(ctx, s.rdb)
	}
	if err != nil {
		return int(added.Load()), fmt.Errorf("repair due index: %w", err)
	}
	return int(added.Load()), nil
}

// DueJobs returns up to limit job ids of the due index (every outstanding job not waiting for an
// operator), by when the reconciler looks at them next.
func (s *Store) DueJobs(ctx context.Context, limit int) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, s.due, 0, int64(limit)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return ids, nil
}
