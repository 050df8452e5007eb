package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
)

// Messages. A receive task or message catch event waits for a Wait job that names the message
// and its correlation key (the value of the model's correlation key expression, else the
// instance's business key). After the commit, the wait is subscribed in Redis (store/messages.go)
// and takes a message that arrived before it, if one is buffered. Correlate completes the
// subscribed waits, or buffers the message for its time to live: neither side can miss the
// other. Completing a wait is exactly once (waits.go), and a message id that was correlated is
// remembered, so a redelivered message is dropped.

// MessageType is the task type recorded on message catches' wait jobs (never published).
const MessageType = "_message"

// Defaults of CorrelateRequest.
const (
	// DefaultMessageTTL is how long a message that found no waiting instance is kept.
	DefaultMessageTTL = time.Hour
	// DedupeWindow is how long a correlated message id is remembered (at least its TTL).
	DedupeWindow = 24 * time.Hour
)

// Errors of Correlate.
var (
	// ErrAmbiguous means several instances wait for the message and the request did not say All.
	ErrAmbiguous = errors.New("the message correlates to several waiting instances; correlate to all, or use a more specific correlation key")
	// ErrNoSubscription means no instance waits for the message and it was not to be buffered.
	ErrNoSubscription = errors.New("no instance waits for the message")
)

// CorrelateRequest delivers a message.
type CorrelateRequest struct {
	// Name is the message name (the <message> element's name). Required.
	Name string
	// CorrelationKey selects the waiting instances; empty matches waits whose key is empty.
	CorrelationKey string
	// Variables are set on the instance as the message arrives.
	Variables map[string]any
	// MessageID identifies the message: a second delivery with the same id is dropped. Default
	// a fresh random id (no deduplication).
	MessageID string
	// All correlates to every waiting instance; without it, more than one is ErrAmbiguous.
	All bool
	// TTL is how long the message waits for a subscription when none exists. Default
	// DefaultMessageTTL; negative: do not wait (ErrNoSubscription).
	TTL time.Duration
}

// CorrelateResult says what happened to a message.
type CorrelateResult struct {
	MessageID string
	// Instances lists the instances the message was correlated to.
	Instances []string
	// Buffered is true when no instance waited: the message waits for one for its TTL.
	Buffered bool
	// Duplicate is true when the message id was correlated before: nothing was done.
	Duplicate bool
}

// createMessageCatch leaves t waiting at n for its message.
func (r *runner) createMessageCatch(t *Token, n *model.Node) error {
	sub, err := r.subscription(t, n)
	if err != nil {
		return err
	}
	r.boundaryOn(t, n, job.Wait, MessageType).Msg = sub
	return nil
}

// subscription is what message or signal catch n waits for: a message name and correlation
// key, or a signal (SignalName, no key: every waiting instance receives it).
func (r *runner) subscription(t *Token, n *model.Node) (*job.MessageSub, error) {
	if n.EventType == "signal" {
		return &job.MessageSub{Name: SignalName(n.EventRef)}, nil
	}
	key, err := r.correlationKey(t, n)
	if err != nil {
		return nil, err
	}
	return &job.MessageSub{Name: n.EventRef, Key: key}, nil
}

// correlationKey is the key message catch n waits with: its correlation key expression's value
// for t, else the instance's business key.
func (r *runner) correlationKey(t *Token, n *model.Node) (string, error) {
	p := n.CorrelationProgram()
	if p == nil {
		return r.st.BusinessKey, nil
	}
	v, err := r.eval(t, p)
	if err != nil {
		return "", &DelegateError{Activity: n.ID, Err: fmt.Errorf("correlation key %q: %w", n.CorrelationKey, err)}
	}
	if v == nil {
		return "", nil
	}
	return fmt.Sprint(v), nil
}

// waitForEvents leaves t at event-based gateway n waiting for the first of the events its flows
// lead to: a wait job for each message catch (subscribed like any), a Timer job for each timer.
func (r *runner) waitForEvents(t *Token, n *model.Node) error {
	t.Wait, t.Job, t.Events = WaitEvents, "", nil
	for _, fid := range n.Outgoing {
		c := r.def.Nodes[r.def.Flows[fid].Target]
		if c.EventType == "timer" {
			due, err := r.timerDue(t, c)
			if err != nil {
				return &DelegateError{Activity: c.ID, Err: err}
			}
			r.jobs = append(r.jobs, &job.Job{Instance: r.st.ID, Type: r.def.EngineType, Kind: job.Timer, Token: t.ID,
				Activity: c.ID, Exclusive: !n.NotExclusive, Created: r.now, Due: due})
			continue
		}
		sub, err := r.subscription(t, c)
		if err != nil {
			return err
		}
		r.jobs = append(r.jobs, &job.Job{Instance: r.st.ID, Type: MessageType, Kind: job.Wait, Token: t.ID,
			Activity: c.ID, Exclusive: !n.NotExclusive, Created: r.now, Msg: sub})
	}
	return nil
}

// eventOccurred moves an event-based gateway's token to the event that happened first: the
// other events' waits are cancelled in the same commit, and the event completes with its
// message's variables.
func (r *runner) eventOccurred(t *Token, j *job.Job, vars map[string]any) error {
	for _, id := range t.Events {
		if id != j.ID {
			r.cancel = append(r.cancel, id)
		}
	}
	gw := r.def.Nodes[t.Activity]
	r.history(EventActivityEnd, t)
	for _, fid := range gw.Outgoing {
		if r.def.Flows[fid].Target == j.Activity {
			t.Via = fid
		}
	}
	t.Activity, t.Wait, t.Job, t.Events = j.Activity, "", "", nil
	r.history(EventActivityStart, t)
	r.resumeWait(t, vars)
	return r.run()
}

// Correlate delivers a message to the instances that wait for it, or buffers it for TTL.
func (e *Engine) Correlate(ctx context.Context, req CorrelateRequest) (CorrelateResult, error) {
	if strings.TrimSpace(req.Name) == "" {
		return CorrelateResult{}, errors.New("correlate: a message name is required")
	}
	vars := make(map[string]any, len(req.Variables))
	for k, v := range req.Variables {
		if err := checkDepth(k, v); err != nil {
			return CorrelateResult{}, fmt.Errorf("correlate: variables: %w", err)
		}
		vars[k] = normalizeNumber(deepCopy(v))
	}
	if req.MessageID == "" {
		req.MessageID = NewInstanceID()
	}
	ttl := req.TTL
	if ttl == 0 {
		ttl = DefaultMessageTTL
	}
	res := CorrelateResult{MessageID: req.MessageID}
	if dup, err := e.store.Correlated(ctx, req.Name, req.MessageID); err != nil || dup {
		res.Duplicate = dup
		return res, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		ids, err := e.store.Subscribers(ctx, req.Name, req.CorrelationKey)
		if err != nil {
			return res, err
		}
		if len(ids) > 1 && !req.All {
			// Stale entries (waits that ended) do not count: check before refusing.
			ids, err = e.liveWaits(ctx, req.Name, req.CorrelationKey, ids)
			if err != nil {
				return res, err
			}
			if len(ids) > 1 {
				return res, fmt.Errorf("correlate %q (key %q): %d instances wait: %w", req.Name, req.CorrelationKey, len(ids), ErrAmbiguous)
			}
		}
		for _, id := range ids {
			done, err := e.Complete(ctx, CompleteRequest{TaskID: id, Variables: vars})
			switch {
			case err == nil:
				res.Instances = append(res.Instances, done.InstanceID)
			case errors.Is(err, ErrIncident) && req.All:
				continue // a broadcast goes on to the others; that wait awaits an operator
			case errors.Is(err, store.ErrNotDurable):
				// Applied on the master, not confirmed durable: the message is spent all the
				// same. Marked, its redelivery is a duplicate instead of a message for the
				// next instance that waits.
				_, _ = e.store.MarkCorrelated(context.WithoutCancel(ctx), req.Name, req.MessageID, max(ttl, DedupeWindow))
				return res, err
			case !errors.Is(err, ErrNotWaiting):
				return res, err
			}
			_ = e.store.Unsubscribe(ctx, req.Name, req.CorrelationKey, id)
		}
		if len(res.Instances) == 0 {
			// Nobody waits: a process whose start event the message names starts instead.
			started, err := e.startByEvent(ctx, req.Name, req.CorrelationKey, req.MessageID, vars)
			if err != nil {
				return res, err
			}
			res.Instances = started
		}
		if len(res.Instances) > 0 {
			_, err := e.store.MarkCorrelated(ctx, req.Name, req.MessageID, max(ttl, DedupeWindow))
			return res, err
		}
		if ttl < 0 {
			return res, fmt.Errorf("correlate %q (key %q): %w", req.Name, req.CorrelationKey, ErrNoSubscription)
		}
		payload, err := msgpack.Marshal(vars)
		if err != nil {
			return res, fmt.Errorf("correlate %q: variables: %w", req.Name, err)
		}
		buffered, err := e.store.Buffer(ctx, req.Name, req.CorrelationKey, req.MessageID, payload, ttl)
		if errors.Is(err, store.ErrCorrelated) {
			res.Duplicate = true // another delivery of this message correlated it meanwhile
			return res, nil
		}
		if err != nil || buffered {
			res.Buffered = buffered
			return res, err
		}
		// A wait subscribed meanwhile: correlate again.
	}
	return res, fmt.Errorf("correlate %q: subscriptions kept changing; try again", req.Name)
}

// liveWaits keeps the subscribed waits whose wait job is still outstanding, and unsubscribes the
// others.
func (e *Engine) liveWaits(ctx context.Context, name, key string, ids []string) ([]string, error) {
	var live []string
	for _, id := range ids {
		_, err := e.findWait(ctx, CompleteRequest{TaskID: id})
		switch {
		case err == nil:
			live = append(live, id)
		case errors.Is(err, ErrNotWaiting):
			_ = e.store.Unsubscribe(ctx, name, key, id)
		default:
			return nil, err
		}
	}
	return live, nil
}

// subscribe subscribes a committed message wait and hands it the oldest message buffered for
// it. A failure is logged: the reconciler subscribes again when it looks at the wait.
func (e *Engine) subscribe(ctx context.Context, j *job.Job) {
	m := j.Msg
	buffered, err := e.store.Subscribe(ctx, m.Name, m.Key, j.ID)
	if err != nil {
		e.log.Warn("subscribing a message wait failed; the reconciler will", zap.String("job", j.ID), zap.Error(err))
		return
	}
	for _, b := range buffered {
		var vars map[string]any
		dec := msgpack.NewDecoder(strings.NewReader(string(b.Payload)))
		dec.UseLooseInterfaceDecoding(true)
		if err := dec.Decode(&vars); err != nil {
			e.log.Error("dropping an undecodable buffered message", zap.String("message", m.Name), zap.String("id", b.ID), zap.Error(err))
			_ = e.store.Unbuffer(ctx, m.Name, m.Key, b.ID)
			continue
		}
		NormalizeNumbers(vars)
		// Complete first, then drop the buffered copy: a crash in between leaves the message
		// buffered (it may reach a second waiting instance), never lost.
		_, err := e.Complete(ctx, CompleteRequest{TaskID: j.ID, Variables: vars})
		if errors.Is(err, ErrNotWaiting) {
			return
		}
		if err != nil {
			e.log.Warn("correlating a buffered message failed; the reconciler retries", zap.String("job", j.ID), zap.Error(err))
			return
		}
		_ = e.store.Unbuffer(ctx, m.Name, m.Key, b.ID)
		_, _ = e.store.MarkCorrelated(ctx, m.Name, b.ID, DedupeWindow)
		_ = e.store.Unsubscribe(ctx, m.Name, m.Key, j.ID)
		return
	}
}

// startByEvent starts an instance of every process whose latest version has a start event for
// subscription name (a message, or SignalName), with the message's variables; key becomes the
// business key. The instance id derives from the message id, so a redelivered message starts
// nothing twice. It returns the started instances.
func (e *Engine) startByEvent(ctx context.Context, name, key, messageID string, vars map[string]any) ([]string, error) {
	keys, err := e.store.Starts(ctx, name)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	var started []string
	for _, pk := range keys {
		v, err := e.store.LatestVersion(ctx, pk)
		if err != nil {
			continue
		}
		def, err := e.Definition(ctx, pk, v)
		if err != nil {
			return started, err
		}
		at := ""
		for _, n := range def.Nodes {
			if n.Kind == model.StartEvent && n.Parent == "" && (n.EventType == "message" || n.EventType == "signal") && subscriptionName(n) == name {
				at = n.ID
			}
		}
		if at == "" {
			continue // the latest version dropped the start event
		}
		res, err := e.Start(ctx, StartRequest{ProcessKey: pk, Version: v, BusinessKey: key, Variables: vars,
			InstanceID: DerivedInstanceID(pk, "event\x00"+name+"\x00"+messageID), startAt: at})
		if err != nil {
			return started, err
		}
		started = append(started, res.InstanceID)
	}
	return started, nil
}

// subscriptionName is the name a message or signal event of n waits under.
func subscriptionName(n *model.Node) string {
	if n.EventType == "signal" {
		return SignalName(n.EventRef)
	}
	return n.EventRef
}
