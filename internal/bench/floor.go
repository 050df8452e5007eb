package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/batonhq/baton/queue"
)

const (
	floorStream  = "BENCH_FLOOR"
	floorSubject = "bench.floor.hop"
)

// casScript is the floor's one Lua compare-and-set: advance a chain's counter from the expected
// value.
var casScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`)

// floor runs chains × hops messages through JetStream the way the engine's worker loop does,
// with the least work a hop can do: consume, one Lua CAS, publish the next hop, ack.
type floor struct {
	q           *queue.Queue
	rdb         redis.UniversalClient
	prefix      string
	concurrency int
	lat         latencies
}

func (f *floor) setup(ctx context.Context) (jetstream.Consumer, error) {
	js := f.q.JetStream()
	_ = js.DeleteStream(ctx, floorStream)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: floorStream, Subjects: []string{floorSubject},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute,
		Replicas: max(f.q.Config().Replicas, 1)}); err != nil { // as many copies as Baton's streams
		return nil, fmt.Errorf("floor stream: %w", err)
	}
	return js.CreateOrUpdateConsumer(ctx, floorStream, jetstream.ConsumerConfig{Durable: "floor",
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxDeliver: -1, MaxAckPending: 10000})
}

// run measures total chains of hops hops each, keeping concurrent chains in flight: a new
// chain starts whenever one ends.
func (f *floor) run(ctx context.Context, concurrent, chains, hops int, rt *roundTrips, round int) (Result, error) {
	cons, err := f.setup(ctx)
	if err != nil {
		return Result{}, err
	}
	f.lat.reset()
	var done, started atomic.Int64
	total := int64(chains * hops)
	finished := make(chan struct{})
	js := f.q.JetStream()
	handle := func(m jetstream.Msg) {
		b := m.Data()
		chain, hop, sent := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), int64(binary.BigEndian.Uint64(b[8:]))
		key := fmt.Sprintf("%sfloor:%d:{%d}", f.prefix, round, chain)
		if _, err := casScript.Run(ctx, f.rdb, []string{key}, hop, hop+1).Result(); err != nil {
			_ = m.NakWithDelay(time.Second)
			return
		}
		if int(hop)+1 < hops {
			next := encodeHop(chain, hop+1)
			if _, err := js.Publish(ctx, floorSubject, next, jetstream.WithMsgID(fmt.Sprintf("%d-%d-%d", round, chain, hop+1))); err != nil {
				_ = m.NakWithDelay(time.Second)
				return
			}
		} else if c := started.Add(1); c <= int64(chains) {
			// The chain ended: the next one starts, as a new instance would.
			if _, err := js.PublishAsync(floorSubject, encodeHop(uint32(c-1), 0)); err != nil {
				_ = m.NakWithDelay(time.Second)
				return
			}
		}
		_ = m.Ack()
		f.lat.add(time.Since(time.Unix(0, sent)))
		if done.Add(1) == total {
			close(finished)
		}
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(f.concurrency))
	if err != nil {
		return Result{}, err
	}
	msgs := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for i := 0; i < f.concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range msgs {
				handle(m)
			}
		}()
	}
	go func() {
		for {
			m, err := it.Next()
			if err != nil {
				close(msgs)
				return
			}
			msgs <- m
		}
	}()
	rt0, c0 := rt.n.Load(), rt.cmds.Load()
	start := time.Now()
	for c := 0; c < min(concurrent, chains); c++ {
		started.Add(1)
		if _, err := js.PublishAsync(floorSubject, encodeHop(uint32(c), 0)); err != nil {
			return Result{}, err
		}
	}
	select {
	case <-finished:
	case <-time.After(5 * time.Minute):
		return Result{}, fmt.Errorf("floor: %d of %d hops after 5m", done.Load(), total)
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	elapsed := time.Since(start)
	res := Result{Hops: int(total), Elapsed: elapsed, P50: f.lat.percentile(50), P99: f.lat.percentile(99),
		RoundTrips: rt.n.Load() - rt0, Commands: rt.cmds.Load() - c0}
	it.Stop()
	wg.Wait()
	return res, nil
}

// encodeHop is the floor's message body: chain, hop and the send time.
func encodeHop(chain, hop uint32) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint32(b, chain)
	binary.BigEndian.PutUint32(b[4:], hop)
	binary.BigEndian.PutUint64(b[8:], uint64(time.Now().UnixNano()))
	return b
}
