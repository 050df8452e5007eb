package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/queue"
)

// Timer start events. Deploying a version with timer start events schedules them in Redis
// (store.ReplaceStartTimers), replacing the schedule of the key's older versions, as Camunda
// does; deploying the same content again changes nothing. The reconciler of every server fires
// the due ones (FireStartTimers, each pass: within ReconcilerConfig.Interval of the due time).
// Firing publishes a start message whose id derives from the version, the event and how often it
// fired (the instance id derives from it), then advances the schedule; whichever server consumes
// start messages starts the instance. If the server dies in between, the next look publishes the
// same id, which starts nothing twice, and then advances it: a timer start event starts one
// instance per occurrence, however servers die or race. Occurrences missed while no server ran
// collapse into one late start. A finished one stays marked done, so that deploying the same
// content again does not arm it anew.

// StartTimer is a scheduled timer start event.
type StartTimer = store.StartTimer

// scheduleStartTimers makes the timer start events of the just deployed definition d the
// schedule of its key.
func (e *Engine) scheduleStartTimers(ctx context.Context, d *model.Definition, now time.Time) error {
	due := map[string]time.Time{}
	for _, n := range d.Nodes {
		if n.Kind != model.StartEvent || n.EventType != "timer" || n.Parent != "" {
			continue
		}
		spec, err := startTimerSpec(n)
		if err != nil {
			return fmt.Errorf("deploy %s: %w", d.Key, err)
		}
		due[n.ID] = spec.First(now)
	}
	return e.store.ReplaceStartTimers(ctx, d.Key, d.Version, due)
}

// startTimerSpec parses the time of timer start event n (validated at deploy: never an
// expression).
func startTimerSpec(n *model.Node) (*model.Timer, error) {
	kind, text, _ := strings.Cut(n.EventRef, ":")
	spec, err := model.ParseTimer(kind, text)
	if err != nil {
		return nil, fmt.Errorf("timer start event %s: %w", n.ID, err)
	}
	return spec, nil
}

// TimerStartInstanceID returns the id of the instance that occurrence n (1 for the first) of timer
// start event event of processKey's version starts.
func TimerStartInstanceID(processKey string, version int, event string, n int) string {
	return DerivedInstanceID(processKey, timerStartMsgID(version, event, n))
}

// StartTimers returns the scheduled timer start events, by process key and event.
func (e *Engine) StartTimers(ctx context.Context) ([]StartTimer, error) {
	out, err := e.store.StartTimers(ctx)
	sort.Slice(out, func(i, j int) bool {
		if out[i].ProcessKey != out[j].ProcessKey {
			return out[i].ProcessKey < out[j].ProcessKey
		}
		return out[i].Event < out[j].Event
	})
	return out, err
}

// FireStartTimers publishes a start message for each timer start event due at now, up to batch of
// them, and returns how many it looked at. A publish that fails is logged and tried again after
// Config.OverdueAfter.
func (e *Engine) FireStartTimers(ctx context.Context, now time.Time, batch int) (int, error) {
	due, err := e.store.TakeStartTimers(ctx, now, batch, e.cfg.OverdueAfter)
	if err != nil {
		return 0, err
	}
	for _, st := range due {
		if err := e.fireStartTimer(ctx, st, now); err != nil {
			if ctx.Err() != nil {
				return len(due), ctx.Err()
			}
			e.log.Warn("a timer start event could not start its instance; trying again later",
				zap.String("process", st.ProcessKey), zap.Int("version", st.Version), zap.String("event", st.Event), zap.Error(err))
		}
	}
	return len(due), nil
}

func (e *Engine) fireStartTimer(ctx context.Context, st StartTimer, now time.Time) error {
	def, err := e.Definition(ctx, st.ProcessKey, st.Version)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var spec *model.Timer
	if def != nil {
		if n := def.Nodes[st.Event]; n != nil && n.Kind == model.StartEvent && n.EventType == "timer" {
			spec, err = startTimerSpec(n)
		}
	}
	if spec == nil {
		// Nothing to fire (Redis lost the definition, or a schedule outlived it): drop it.
		e.log.Error("dropping the schedule of a timer start event whose definition is gone", zap.String("process", st.ProcessKey),
			zap.Int("version", st.Version), zap.String("event", st.Event), zap.Error(err))
		_, err := e.store.AdvanceStartTimer(ctx, st, time.Time{})
		return err
	}
	// The start itself is a start message, run by whichever server takes it (its first step
	// may call delegates, which must not hold up the reconciler); its id makes it one instance.
	body, err := json.Marshal(StartMessage{Version: st.Version})
	if err != nil {
		return err
	}
	msgID := timerStartMsgID(st.Version, st.Event, st.Fired+1)
	msg := queue.Message{Subject: queue.StartSubject(st.ProcessKey), MsgID: msgID, Data: body,
		Header: nats.Header{"Content-Type": {"application/json"}, HeaderTimerStartEvent: {st.Event}}}
	if err := e.queue.Publish(ctx, msg); err != nil {
		return err
	}
	next, _ := spec.Next(st.Due, now, st.Fired+1)
	if _, err := e.store.AdvanceStartTimer(ctx, st, next); err != nil {
		return err
	}
	e.log.Info("a timer start event fired", zap.String("process", st.ProcessKey), zap.Int("version", st.Version),
		zap.String("event", st.Event), zap.String("instance", DerivedInstanceID(st.ProcessKey, msgID)), zap.Int("occurrence", st.Fired+1),
		zap.Time("next", next))
	return nil
}

// HeaderTimerStartEvent names, on a start message, the timer start event it starts at.
const HeaderTimerStartEvent = "Baton-Timer-Start-Event"

// timerStartMsgID is the start message id of occurrence n of a timer start event.
func timerStartMsgID(version int, event string, n int) string {
	return fmt.Sprintf("timer:%d:%s:%d", version, event, n)
}
