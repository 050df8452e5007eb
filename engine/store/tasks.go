package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// The open user tasks are indexed in one hash outside any instance's slot (field: the task's
// wait job id, value: its JSON summary). The index is best-effort: it is written after the
// commit that creates a task and removed after the one that ends it, and the reconciler
// re-writes an entry a crash lost. The outbox stays the authority: a task exists while its wait
// job does. The current assignee lives beside the job in the outbox (field "<job>:u").

func (s *Store) tasksKey() string { return s.prefix + "tasks" }

// IndexTasks writes index entries (task id to JSON).
func (s *Store) IndexTasks(ctx context.Context, entries map[string][]byte) error {
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(entries))
	for id, v := range entries {
		args = append(args, id, v)
	}
	if err := s.rdb.HSet(ctx, s.tasksKey(), args...).Err(); err != nil {
		return fmt.Errorf("index user tasks: %w", err)
	}
	return nil
}

// UnindexTasks removes index entries.
func (s *Store) UnindexTasks(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.HDel(ctx, s.tasksKey(), ids...).Err(); err != nil {
		return fmt.Errorf("unindex user tasks: %w", err)
	}
	return nil
}

// TaskIndex returns every index entry.
func (s *Store) TaskIndex(ctx context.Context) (map[string]string, error) {
	m, err := s.rdb.HGetAll(ctx, s.tasksKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("read the user task index: %w", err)
	}
	return m, nil
}

// ErrTaken means a user task is assigned to somebody else.
var ErrTaken = fmt.Errorf("task is assigned to somebody else")

// assignScript: ARGV = job id, user ("" unassigns), onlyIfFree (1|0). The current assignee is
// J:u when present, else initial (ARGV[4], the assignee the task was created with). Returns
// {'OK', previous} | {'STALE'} | {'TAKEN', current}.
var assignScript = redis.NewScript(`
local id = ARGV[1]
if redis.call('HEXISTS', KEYS[2], id) == 0 then return {'STALE'} end
local cur = redis.call('HGET', KEYS[2], id .. ':u')
if not cur then cur = ARGV[4] end
if ARGV[3] == '1' and cur ~= '' and cur ~= ARGV[2] then return {'TAKEN', cur} end
redis.call('HSET', KEYS[2], id .. ':u', ARGV[2])
return {'OK', cur}
`)

// Assign sets the assignee of the user task whose wait job is jobID (user "" unassigns). With
// onlyIfFree it fails with ErrTaken when somebody else holds the task. initial is the assignee
// the task was created with. It returns the previous assignee, or ErrStale when the task has
// ended.
func (s *Store) Assign(ctx context.Context, instance, jobID, user string, onlyIfFree bool, initial string) (string, error) {
	free := 0
	if onlyIfFree {
		free = 1
	}
	res, err := s.evalPipe(ctx, assignScript, s.keys(instance), []any{jobID, user, free, initial}, nil)
	if err != nil {
		return "", fmt.Errorf("assign task %s: %w", jobID, err)
	}
	switch str(res[0]) {
	case "OK":
		return str(res[1]), nil
	case "STALE":
		return "", ErrStale
	}
	return str(res[1]), fmt.Errorf("%w: %s", ErrTaken, str(res[1]))
}

// Assignee returns the current assignee recorded for a task's wait job, and whether one is
// recorded (a claim or unclaim happened).
func (s *Store) Assignee(ctx context.Context, instance, jobID string) (string, bool, error) {
	v, err := s.rdb.HGet(ctx, s.jobsKey(instance), jobID+":u").Result()
	if err == redis.Nil {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read the assignee of %s: %w", jobID, err)
	}
	return v, true, nil
}
