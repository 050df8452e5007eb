package store

import (
	"context"
	"errors"
	"sync"

	"github.com/redis/go-redis/v9"
)

// batcher coalesces concurrent script calls into shared pipelines (auto-pipelining). A call is
// sent as soon as a flusher is free, together with whatever other calls are waiting then, so an
// idle store adds no latency and a busy one pays the socket work of one round trip for many
// calls. Each script still runs atomically; only their transport is shared.
type batcher struct {
	rdb  redis.UniversalClient
	due  string
	reqs chan *call
	max  int
	dur  Durability
	// barrier is the key written before each durability wait.
	barrier string
	stop    chan struct{}
	once    sync.Once
}

// call is one script invocation, with the commands to send right after it.
type call struct {
	ctx  context.Context
	sc   *redis.Script
	keys []string
	args []any
	due  []redis.Z
	cmd  *redis.Cmd
	zadd *redis.IntCmd
	wait bool
	err  error
	done chan struct{}
}

func newBatcher(rdb redis.UniversalClient, due string, flushers, max int, dur Durability, barrier string) *batcher {
	b := &batcher{rdb: rdb, due: due, reqs: make(chan *call, 4*max), max: max, dur: dur, barrier: barrier, stop: make(chan struct{})}
	for i := 0; i < flushers; i++ {
		go b.loop()
	}
	return b
}

// do sends one call and waits for its reply: the script's command, the due-index write's error,
// and the script's own error (a transport error means its outcome is unknown). With wait, the
// call is followed by the durability wait, and a shortfall is its error.
func (b *batcher) do(ctx context.Context, sc *redis.Script, keys []string, args []any, due []redis.Z, wait bool) (*redis.Cmd, error, error) {
	c := &call{ctx: context.WithoutCancel(ctx), sc: sc, keys: keys, args: args, due: due, wait: wait, done: make(chan struct{})}
	select {
	case b.reqs <- c:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-b.stop:
		return nil, nil, ErrClosed
	}
	// Once queued the call runs even if ctx ends; wait for it, so the caller learns the outcome
	// of a commit it may have applied.
	<-c.done
	var zerr error
	if c.zadd != nil {
		zerr = c.zadd.Err()
	}
	return c.cmd, zerr, c.err
}

// close stops the flushers once the queued calls are sent.
func (b *batcher) close() { b.once.Do(func() { close(b.stop) }) }

func (b *batcher) loop() {
	batch := make([]*call, 0, b.max)
	for {
		var first *call
		select {
		case first = <-b.reqs:
		case <-b.stop:
			// Send what is still queued; callers are waiting for it.
			for {
				select {
				case c := <-b.reqs:
					b.flush([]*call{c})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < b.max {
			select {
			case c := <-b.reqs:
				batch = append(batch, c)
			default:
				break drain
			}
		}
		b.flush(batch)
	}
}

func (b *batcher) flush(batch []*call) {
	ctx := batch[0].ctx
	// Each command carries its own reply or error; go-redis sets a transport error on every
	// command of the pipeline, so the pipeline's own error adds nothing.
	// One wait after the batch's writes covers all of them: they share the connection.
	var check func() error
	_, _ = b.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		wait := false
		for _, c := range batch {
			c.cmd = c.sc.EvalSha(c.ctx, p, c.keys, c.args...)
			if len(c.due) > 0 {
				c.zadd = p.ZAdd(c.ctx, b.due, c.due...)
			}
			wait = wait || c.wait
		}
		if wait {
			check = queueWait(ctx, p, b.dur, b.barrier)
		}
		return nil
	})
	var werr error
	if check != nil {
		werr = check()
	}
	for _, c := range batch {
		c.err = c.cmd.Err()
		if redis.HasErrorPrefix(c.err, "NOSCRIPT") {
			// Redis lost its script cache (restart, failover): send the source once more.
			// The script did not run, so running it now is safe.
			b.resend(c)
		} else if c.err == nil && c.wait && werr != nil {
			c.err = werr
		}
		close(c.done)
	}
}

// resend sends c's script source (EVAL) with its due entries and, for a call that waits, the
// durability wait.
func (b *batcher) resend(c *call) {
	var check func() error
	_, _ = b.rdb.Pipelined(c.ctx, func(p redis.Pipeliner) error {
		c.cmd = c.sc.Eval(c.ctx, p, c.keys, c.args...)
		if len(c.due) > 0 {
			c.zadd = p.ZAdd(c.ctx, b.due, c.due...)
		}
		if c.wait {
			check = queueWait(c.ctx, p, b.dur, b.barrier)
		}
		return nil
	})
	c.err = c.cmd.Err()
	if c.err == nil && check != nil {
		c.err = check()
	}
}

// ErrClosed is returned by calls on a closed Store.
var ErrClosed = errors.New("store is closed")
