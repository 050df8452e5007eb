package workers

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/batonhq/baton/queue"
)

// Priority bands. A task type's jobs travel in three bands (queue.Bands), each with its own
// consumer. A worker pulls all three and hands their messages to its handlers by smooth weighted
// round-robin over the bands that have a message waiting (Config.PriorityWeights, default 8:3:1
// for high, normal and low). It is work-conserving: an empty band gives its turn away. While
// every band has work, each gets its weight's share of the handlers, so a low job waits at most
// for the high and normal jobs of (8+3)/1 turns per low turn ahead of it.

// DefaultPriorityWeights are the default shares of the high, normal and low bands.
var DefaultPriorityWeights = [3]int{8, 3, 1}

// consumeBands binds the consumers of the bands and feeds their messages to msgs by weight,
// until one iterator fails or ctx ends; like consume, it drains on shutdown or pause.
func (l *loop) consumeBands(ctx context.Context, n int, msgs chan<- jetstream.Msg) error {
	its := make([]jetstream.MessagesContext, len(l.bands))
	for i, bind := range l.bands {
		cons, err := bind(ctx)
		if err != nil {
			return err
		}
		// The high band prefetches deeper, so that a high job is at hand whenever a handler
		// is free (the weights then decide); the low band shallower, so that its jobs wait in
		// JetStream rather than here.
		prefetch := max(n, 2)
		switch queue.Bands[i] {
		case queue.High:
			prefetch = max(2*n, 8)
		case queue.Low:
			prefetch = max(n/4, 1)
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(prefetch))
		if err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
		its[i] = it
	}
	drain := func() {
		for _, it := range its {
			it.Drain()
		}
	}
	stop := context.AfterFunc(ctx, drain)
	defer stop()
	watchCtx, endWatch := context.WithCancel(ctx)
	defer endWatch() // the pause watcher ends with this consume
	paused := l.watchPause(watchCtx, drain)

	chans := make([]chan bandMsg, len(its))
	// done ends the band goroutines when this consume returns for any reason (a band's
	// consumer failed, say), so none waits to send to a dispatcher that is gone.
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i, it := range its {
		chans[i] = make(chan bandMsg)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := it.Next()
				select {
				case chans[i] <- bandMsg{i, m, err}:
				case <-ctx.Done():
					if m != nil {
						_ = m.Nak()
					}
				case <-done:
					if m != nil {
						_ = m.Nak()
					}
					return
				}
				if err != nil {
					return
				}
			}
		}()
	}
	defer func() {
		close(done)
		for _, it := range its {
			it.Stop()
		}
		wg.Wait()
	}()

	held := make([]jetstream.Msg, len(its))
	defer func() {
		for _, m := range held {
			if m != nil {
				_ = m.Nak() // handed back, redelivered at once
			}
		}
	}()
	current := make([]int, len(its))
	live := len(its)
	// take records what a band yielded; it reports an error that ends the consume.
	take := func(x bandMsg) error {
		if x.err == nil {
			held[x.band] = x.msg
			return nil
		}
		chans[x.band], live = nil, live-1
		if errors.Is(x.err, jetstream.ErrMsgIteratorClosed) && (ctx.Err() != nil || paused.Load()) {
			return nil
		}
		return fmt.Errorf("%s: %w", l.name, x.err)
	}
	for {
		// Take what is waiting without blocking; block only when no band holds a message.
		waiting := 0
		for i := range chans {
			if held[i] == nil && chans[i] != nil {
				select {
				case x := <-chans[i]:
					if err := take(x); err != nil {
						return err
					}
				default:
				}
			}
			if held[i] != nil {
				waiting++
			}
		}
		if waiting == 0 {
			if live == 0 {
				if paused.Load() {
					return errPaused
				}
				return fmt.Errorf("%s: %w", l.name, jetstream.ErrMsgIteratorClosed)
			}
			var x bandMsg
			select {
			case x = <-chans[0]:
			case x = <-chans[1]:
			case x = <-chans[2]:
			case <-ctx.Done():
				return nil
			}
			if err := take(x); err != nil {
				return err
			}
			continue
		}
		// Smooth weighted round-robin over the bands holding a message.
		pick, total := -1, 0
		for i := range held {
			if held[i] == nil {
				continue
			}
			current[i] += l.weights[i]
			total += l.weights[i]
			if pick < 0 || current[i] > current[pick] {
				pick = i
			}
		}
		current[pick] -= total
		m := held[pick]
		held[pick] = nil
		handOff(ctx, m, msgs)
	}
}

// bandMsg is what one band's iterator yielded.
type bandMsg struct {
	band int
	msg  jetstream.Msg
	err  error
}

// bandBinders returns the binders of taskType's consumers, from the high band down.
func (w *Worker) bandBinders(taskType string) []func(context.Context) (jetstream.Consumer, error) {
	out := make([]func(context.Context) (jetstream.Consumer, error), 0, len(queue.Bands))
	for _, b := range queue.Bands {
		out = append(out, func(c context.Context) (jetstream.Consumer, error) { return w.q.JobConsumerIn(c, taskType, b) })
	}
	return out
}
