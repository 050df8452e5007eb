package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timer start events. Each scheduled one is an entry in one hash, and its next look time in one
// sorted set, both under the hash tag {timers} so a script sees them together:
//
//	<prefix>{timers}:start  HASH "<processKey>\x00<eventID>" -> "<version>|<fired>|<dueMs>"
//	<prefix>{timers}:due    ZSET the same fields, scored by when to look at them next
//
// The entry is the schedule of the process key's latest version; deploying a newer version
// replaces the key's entries. Firing is: publish the start message whose id derives from
// (version, event, fired), then advance the entry if it still says (version, fired). A crash
// between the two publishes the same id again, which starts nothing twice. A finished entry
// stays, with due 0 and out of the due set.

func (s *Store) startTimersKey() string    { return s.prefix + "{timers}:start" }
func (s *Store) startTimersDueKey() string { return s.prefix + "{timers}:due" }

// StartTimer is one scheduled timer start event.
type StartTimer struct {
	ProcessKey string
	Event      string
	// Version is the definition version whose start event it is.
	Version int
	// Fired is how often it fired so far.
	Fired int
	// Due is when it fires next.
	Due time.Time
}

func startTimerField(processKey, event string) string { return processKey + "\x00" + event }

func parseStartTimer(field, entry string) (StartTimer, bool) {
	pk, ev, ok := strings.Cut(field, "\x00")
	parts := strings.Split(entry, "|")
	if !ok || len(parts) != 3 {
		return StartTimer{}, false
	}
	v, err1 := strconv.Atoi(parts[0])
	f, err2 := strconv.Atoi(parts[1])
	due, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return StartTimer{}, false
	}
	return StartTimer{ProcessKey: pk, Event: ev, Version: v, Fired: f, Due: time.UnixMilli(due)}, true
}

// replaceStartTimersScript: KEYS = start, due. ARGV = processKey, version, then event, dueMs
// pairs. Drops the key's entries of older versions and adds the new ones; returns 'NEWER' or
// 'KEPT' (and changes nothing) when an entry of a newer version, or of this one, exists.
var replaceStartTimersScript = redis.NewScript(`
local prefix = ARGV[1] .. '\0'
local version = tonumber(ARGV[2])
local old = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, #prefix) == prefix then
    local v = tonumber(string.match(redis.call('HGET', KEYS[1], f), '^(%d+)|'))
    if v > version then return 'NEWER' end
    if v == version then return 'KEPT' end
    table.insert(old, f)
  end
end
for _, f in ipairs(old) do
  redis.call('HDEL', KEYS[1], f)
  redis.call('ZREM', KEYS[2], f)
end
for i = 3, #ARGV, 2 do
  local f = prefix .. ARGV[i]
  redis.call('HSET', KEYS[1], f, ARGV[2] .. '|0|' .. ARGV[i + 1])
  redis.call('ZADD', KEYS[2], ARGV[i + 1], f)
end
return 'OK'
`)

// ReplaceStartTimers makes the timer start events of processKey those of version: its older
// versions' schedules end. due maps each timer start event id to its first due time (none: the
// key has no timer start events any more). A newer version's schedule, or this version's own
// (a deploy run again), is left alone.
func (s *Store) ReplaceStartTimers(ctx context.Context, processKey string, version int, due map[string]time.Time) error {
	args := []any{processKey, version}
	for ev, at := range due {
		args = append(args, ev, at.UnixMilli())
	}
	if err := replaceStartTimersScript.Run(ctx, s.rdb, []string{s.startTimersKey(), s.startTimersDueKey()}, args...).Err(); err != nil {
		return fmt.Errorf("schedule the timer start events of %s version %d: %w", processKey, version, err)
	}
	return nil
}

// takeStartTimersScript: KEYS = start, due. ARGV = now ms, limit, hide ms. Returns field, entry
// pairs of the due timers, hidden for hide.
var takeStartTimersScript = redis.NewScript(`
local fields = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, f in ipairs(fields) do
  local e = redis.call('HGET', KEYS[1], f)
  if e then
    redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[3]), f)
    table.insert(out, f)
    table.insert(out, e)
  else
    redis.call('ZREM', KEYS[2], f)
  end
end
return out
`)

// TakeStartTimers returns up to limit timer start events that are due at now, and hides them
// for hide, so that servers rarely fire one at the same time (firing twice is harmless anyway).
func (s *Store) TakeStartTimers(ctx context.Context, now time.Time, limit int, hide time.Duration) ([]StartTimer, error) {
	res, err := takeStartTimersScript.Run(ctx, s.rdb, []string{s.startTimersKey(), s.startTimersDueKey()},
		now.UnixMilli(), limit, hide.Milliseconds()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("take due timer start events: %w", err)
	}
	var out []StartTimer
	for i := 0; i+1 < len(res); i += 2 {
		if st, ok := parseStartTimer(res[i], res[i+1]); ok {
			out = append(out, st)
		}
	}
	return out, nil
}

// advanceStartTimerScript: KEYS = start, due. ARGV = field, expected "<version>|<fired>|", next
// due ms (0: the timer is done). Returns 'OK', or 'STALE' when the entry moved on meanwhile.
var advanceStartTimerScript = redis.NewScript(`
local e = redis.call('HGET', KEYS[1], ARGV[1])
if not e or string.sub(e, 1, #ARGV[2]) ~= ARGV[2] then return 'STALE' end
local v, f = string.match(ARGV[2], '^(%d+)|(%d+)|$')
if ARGV[3] == '0' then
  -- Done: the entry stays, due 0 and out of the due set, so that deploying the same version
  -- again does not schedule it anew.
  redis.call('HSET', KEYS[1], ARGV[1], v .. '|' .. (tonumber(f) + 1) .. '|0')
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 'OK'
end
redis.call('HSET', KEYS[1], ARGV[1], v .. '|' .. (tonumber(f) + 1) .. '|' .. ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 'OK'
`)

// AdvanceStartTimer records that st fired: it is due again at next, or is done when next is
// zero (its entry stays, marked done, until a newer version replaces the key's schedule). It returns false when st's entry moved on meanwhile (another server advanced it, or a
// newer version replaced it).
func (s *Store) AdvanceStartTimer(ctx context.Context, st StartTimer, next time.Time) (bool, error) {
	nextMs := int64(0)
	if !next.IsZero() {
		nextMs = max(next.UnixMilli(), 1)
	}
	res, err := advanceStartTimerScript.Run(ctx, s.rdb, []string{s.startTimersKey(), s.startTimersDueKey()},
		startTimerField(st.ProcessKey, st.Event), fmt.Sprintf("%d|%d|", st.Version, st.Fired), nextMs).Text()
	if err != nil {
		return false, fmt.Errorf("advance the timer start event %s of %s: %w", st.Event, st.ProcessKey, err)
	}
	return res == "OK", nil
}

// StartTimers returns every scheduled timer start event (not those that are done).
func (s *Store) StartTimers(ctx context.Context) ([]StartTimer, error) {
	all, err := s.rdb.HGetAll(ctx, s.startTimersKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list timer start events: %w", err)
	}
	out := make([]StartTimer, 0, len(all))
	for f, e := range all {
		if st, ok := parseStartTimer(f, e); ok && st.Due.UnixMilli() != 0 {
			out = append(out, st)
		}
	}
	return out, nil
}
