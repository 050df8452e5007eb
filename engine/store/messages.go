package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Message correlation state. Every key of one message name shares the hash tag {<name>}, so one
// script sees a name's subscriptions and buffer together:
//
//	<prefix>msg:{<name>}:sub:<key>   SET of the wait jobs that wait for (name, key)
//	<prefix>msg:{<name>}:buf:<key>   HASH message id -> buffered message (a message that found
//	                                 no subscription), kept for its time to live
//	<prefix>msg:{<name>}:done:<id>   the message id, once correlated (duplicates are dropped)
//
// A subscription and a buffered message cannot miss each other: subscribing adds the wait and
// reads the buffer in one script, and buffering refuses when a subscription exists.

func (s *Store) msgKey(name, kind, rest string) string {
	return s.prefix + "msg:{" + name + "}:" + kind + ":" + rest
}

// subscribeScript: KEYS = sub, buf. ARGV = wait job id, now (ms). Adds the subscription and
// returns the live buffered messages as id, payload pairs (expired ones are dropped).
var subscribeScript = redis.NewScript(`
redis.call('SADD', KEYS[1], ARGV[1])
local all = redis.call('HGETALL', KEYS[2])
local out = {}
for i = 1, #all, 2 do
  local exp = tonumber(string.match(all[i + 1], '^(%d+)|'))
  if exp < tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[2], all[i])
  else
    table.insert(out, all[i])
    table.insert(out, all[i + 1])
  end
end
return out
`)

// bufferScript: KEYS = sub, buf, done (the message id's correlated marker). ARGV = message
// id, "<expiresMs>|<seq>|<payload>", ttl ms. Returns 'BUFFERED', 'SUBSCRIBED' when a
// subscription exists (correlate again), or 'DONE' when the message was correlated meanwhile (by
// another delivery of it).
var bufferScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[3]) == 1 then return 'DONE' end
if redis.call('SCARD', KEYS[1]) > 0 then return 'SUBSCRIBED' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 'BUFFERED'
`)

// BufferedMessage is a message that waited for its subscription.
type BufferedMessage struct {
	ID      string
	Payload []byte
	// Seq orders buffered messages: the oldest is correlated first.
	Seq int64
}

// Subscribe records that waitJob waits for (name, key) and returns the messages buffered for it,
// oldest first.
func (s *Store) Subscribe(ctx context.Context, name, key, waitJob string) ([]BufferedMessage, error) {
	res, err := subscribeScript.Run(ctx, s.rdb, []string{s.msgKey(name, "sub", key), s.msgKey(name, "buf", key)},
		waitJob, time.Now().UnixMilli()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("subscribe %s to message %q: %w", waitJob, name, err)
	}
	var out []BufferedMessage
	for i := 0; i+1 < len(res); i += 2 {
		m, ok := decodeBuffered(res[i], res[i+1])
		if ok {
			out = append(out, m)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Seq < out[j-1].Seq; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

func decodeBuffered(id, v string) (BufferedMessage, bool) {
	// "<expiresMs>|<seq>|<payload>"
	a := indexByte(v, '|')
	if a < 0 {
		return BufferedMessage{}, false
	}
	b := indexByte(v[a+1:], '|')
	if b < 0 {
		return BufferedMessage{}, false
	}
	seq, _ := strconv.ParseInt(v[a+1:a+1+b], 10, 64)
	return BufferedMessage{ID: id, Seq: seq, Payload: []byte(v[a+1+b+1:])}, true
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// Subscribers returns the wait jobs subscribed to (name, key).
func (s *Store) Subscribers(ctx context.Context, name, key string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.msgKey(name, "sub", key)).Result()
	if err != nil {
		return nil, fmt.Errorf("subscribers of message %q: %w", name, err)
	}
	return ids, nil
}

// Unsubscribe removes wait jobs from (name, key): they were completed or are gone.
func (s *Store) Unsubscribe(ctx context.Context, name, key string, waitJobs ...string) error {
	if len(waitJobs) == 0 {
		return nil
	}
	args := make([]any, len(waitJobs))
	for i, w := range waitJobs {
		args[i] = w
	}
	return s.rdb.SRem(ctx, s.msgKey(name, "sub", key), args...).Err()
}

// Buffer keeps a message that found no subscription for ttl. It returns false, storing nothing,
// when a subscription exists by now: correlate again.
func (s *Store) Buffer(ctx context.Context, name, key, id string, payload []byte, ttl time.Duration) (bool, error) {
	now := time.Now()
	v := strconv.FormatInt(now.Add(ttl).UnixMilli(), 10) + "|" + strconv.FormatInt(now.UnixNano(), 10) + "|" + string(payload)
	res, err := s.runDurable(ctx, bufferScript, []string{s.msgKey(name, "sub", key), s.msgKey(name, "buf", key), s.msgKey(name, "done", id)},
		id, v, ttl.Milliseconds()).Text()
	if err != nil {
		return false, fmt.Errorf("buffer message %q (%s): %w", name, id, err)
	}
	if res == "DONE" {
		return false, ErrCorrelated
	}
	return res == "BUFFERED", nil
}

// ErrCorrelated means a message id was correlated meanwhile, by another delivery of it.
var ErrCorrelated = fmt.Errorf("message was correlated already")

// Unbuffer removes a buffered message that was correlated.
func (s *Store) Unbuffer(ctx context.Context, name, key, id string) error {
	return s.rdb.HDel(ctx, s.msgKey(name, "buf", key), id).Err()
}

// MarkCorrelated records that message id was correlated, for window; it returns false when it
// was recorded already (a duplicate).
func (s *Store) MarkCorrelated(ctx context.Context, name, id string, window time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.msgKey(name, "done", id), 1, window).Result()
	if err != nil {
		return false, fmt.Errorf("mark message %q (%s) correlated: %w", name, id, err)
	}
	return ok, nil
}

// Correlated reports whether message id was correlated already.
func (s *Store) Correlated(ctx context.Context, name, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.msgKey(name, "done", id)).Result()
	if err != nil {
		return false, fmt.Errorf("check message %q (%s): %w", name, id, err)
	}
	return n == 1, nil
}

// IndexStart records that message (or signal) name starts instances of processKey: its latest
// version has a start event for it. The index only grows; a version without the start event is
// checked when the message arrives.
func (s *Store) IndexStart(ctx context.Context, name, processKey string) error {
	if err := s.rdb.SAdd(ctx, s.msgKey(name, "starts", "all"), processKey).Err(); err != nil {
		return fmt.Errorf("index the start event of %s for %q: %w", processKey, name, err)
	}
	return nil
}

// Starts returns the process keys a message (or signal) name may start.
func (s *Store) Starts(ctx context.Context, name string) ([]string, error) {
	keys, err := s.rdb.SMembers(ctx, s.msgKey(name, "starts", "all")).Result()
	if err != nil {
		return nil, fmt.Errorf("start events of %q: %w", name, err)
	}
	return keys, nil
}
