package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Dead letters: messages that can never be processed, kept in the stream BATON_DEAD (30 days)
// with their reason, original subject and message id, for an operator to inspect, requeue or
// delete.

// DeadLetterRecord is one dead-lettered message.
type DeadLetterRecord struct {
	// Seq identifies it: its sequence in BATON_DEAD.
	Seq uint64 `json:"seq"`
	// Subject is where the message was first published.
	Subject string `json:"subject"`
	Reason  string `json:"reason"`
	// MsgID is the original Nats-Msg-Id, if it had one (a job's id, a start message's id).
	MsgID string    `json:"msgId,omitempty"`
	Time  time.Time `json:"time"`
	// Data is the message body; Header its original headers.
	Data   []byte              `json:"data"`
	Header map[string][]string `json:"header,omitempty"`
}

// ErrNoDeadLetter means no dead letter has that sequence (it was requeued, deleted or expired).
var ErrNoDeadLetter = errors.New("no such dead letter")

func deadLetterRecord(m *jetstream.RawStreamMsg) DeadLetterRecord {
	r := DeadLetterRecord{Seq: m.Sequence, Subject: m.Header.Get(HeaderDeadSubject), Reason: m.Header.Get(HeaderDeadReason),
		MsgID: m.Header.Get(HeaderDeadMsgID), Time: m.Time.UTC(), Data: m.Data, Header: map[string][]string{}}
	for k, v := range m.Header {
		if !strings.HasPrefix(k, "Baton-Dead-") && k != nats.MsgIdHdr {
			r.Header[k] = v
		}
	}
	return r
}

// DeadLetters returns up to limit dead letters from sequence after+1 on, oldest first, and the
// sequence to continue from (0: there are no more).
func (q *Queue) DeadLetters(ctx context.Context, after uint64, limit int) ([]DeadLetterRecord, uint64, error) {
	s, err := q.js.Stream(ctx, DeadStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, 0, nil // nothing was ever dead-lettered here
	}
	if err != nil {
		return nil, 0, fmt.Errorf("stream %s: %w", DeadStream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("stream %s: %w", DeadStream, err)
	}
	var out []DeadLetterRecord
	seq := max(after+1, info.State.FirstSeq)
	for ; seq <= info.State.LastSeq && len(out) < limit; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted
		}
		if err != nil {
			return out, 0, fmt.Errorf("dead letter %d: %w", seq, err)
		}
		out = append(out, deadLetterRecord(m))
	}
	next := uint64(0)
	if seq <= info.State.LastSeq {
		next = seq - 1
	}
	return out, next, nil
}

// DeadLetterBySeq returns the dead letter seq, or ErrNoDeadLetter.
func (q *Queue) DeadLetterBySeq(ctx context.Context, seq uint64) (DeadLetterRecord, error) {
	s, err := q.js.Stream(ctx, DeadStream)
	if err != nil {
		return DeadLetterRecord{}, fmt.Errorf("stream %s: %w", DeadStream, err)
	}
	m, err := s.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return DeadLetterRecord{}, fmt.Errorf("dead letter %d: %w", seq, ErrNoDeadLetter)
	}
	if err != nil {
		return DeadLetterRecord{}, fmt.Errorf("dead letter %d: %w", seq, err)
	}
	return deadLetterRecord(m), nil
}

// RequeueDeadLetter publishes dead letter seq again to its original subject, with its original
// headers, the original message id in HeaderOriginalMsgID, and a new Nats-Msg-Id
// (<original>#requeued-<seq>: the duplicate window must not drop it), then deletes it. A crash in between leaves it listed as well as requeued; requeueing it
// again publishes the same message id, which JetStream drops within its duplicate window.
func (q *Queue) RequeueDeadLetter(ctx context.Context, seq uint64) (DeadLetterRecord, error) {
	r, err := q.DeadLetterBySeq(ctx, seq)
	if err != nil {
		return r, err
	}
	if r.Subject == "" {
		return r, fmt.Errorf("dead letter %d names no original subject; delete it instead", seq)
	}
	id := r.MsgID
	if id == "" {
		id = "dead"
	}
	h := nats.Header{}
	for k, v := range r.Header {
		h[k] = v
	}
	if r.MsgID != "" && h.Get(HeaderOriginalMsgID) == "" {
		// The handler derives ids (a start message's instance id) from the original id; a
		// dead letter requeued before keeps the first original.
		h.Set(HeaderOriginalMsgID, r.MsgID)
	}
	m := Message{Subject: r.Subject, MsgID: fmt.Sprintf("%s#requeued-%d", id, seq), Data: r.Data, Header: h}
	if err := q.Publish(ctx, m); err != nil {
		return r, err
	}
	return r, q.DeleteDeadLetter(ctx, seq)
}

// DeleteDeadLetter deletes dead letter seq; ErrNoDeadLetter when it is gone already.
func (q *Queue) DeleteDeadLetter(ctx context.Context, seq uint64) error {
	s, err := q.js.Stream(ctx, DeadStream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", DeadStream, err)
	}
	if err := s.DeleteMsg(ctx, seq); err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) || strings.Contains(err.Error(), "no message found") {
			return fmt.Errorf("dead letter %d: %w", seq, ErrNoDeadLetter)
		}
		return fmt.Errorf("delete dead letter %d: %w", seq, err)
	}
	return nil
}
