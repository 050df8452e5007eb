// Package queue owns Baton's use of NATS JetStream: the streams and their retention, one durable
// pull consumer per task type, publishing jobs with deterministic Nats-Msg-Id, and dead letters.
// It carries bytes; what they mean belongs to the engine.
package queue

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Config configures the connection and the streams. The zero value is usable.
type Config struct {
	// URL is the NATS server URL, or a comma-separated seed list. Default nats.DefaultURL.
	URL string
	// Name is the connection name shown by the NATS server. Default "baton".
	Name string
	// Replicas is the streams' replica count: 3 on a 3-node cluster (R3 keeps every message
	// through the loss of one node). Default 0: a new stream gets 3 when the JetStream cluster
	// can place them and 1 otherwise (a single server), and an existing stream keeps its count,
	// so only a process that sets it (baton server --replicas) changes it.
	Replicas int
	// MemoryStorage keeps streams in memory instead of on disk. Default false (file storage).
	MemoryStorage bool
	// AckWait is how long a job consumer waits for an ack (extended by InProgress) before it
	// redelivers. Default 30s.
	AckWait time.Duration
	// DuplicateWindow is how long JetStream remembers Nats-Msg-Id values. Default 2m.
	DuplicateWindow time.Duration
	// MaxAckPending caps unacknowledged jobs per task type across all workers. Default 10000.
	MaxAckPending int
	// User and Password, Token, NKeySeedFile or CredsFile authenticate to NATS (one of them;
	// user and password may also be in the URL). Default none.
	User, Password string
	Token          string
	NKeySeedFile   string
	CredsFile      string
	// TLS names a CA bundle and a client certificate for TLS to NATS. Default none.
	TLS TLSFiles
}

func (c *Config) defaults() {
	if c.URL == "" {
		c.URL = nats.DefaultURL
	}
	if c.Name == "" {
		c.Name = "baton"
	}
	if c.Replicas < 0 {
		c.Replicas = 0
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = 2 * time.Minute
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = 10000
	}
}

// Queue is a connection to JetStream with Baton's streams. It is safe for concurrent use.
type Queue struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
	log *zap.Logger
	// ensured is set once EnsureStreams succeeded.
	ensured atomic.Bool
}

// Connect dials NATS and returns a Queue. It does not create streams; call EnsureStreams.
func Connect(ctx context.Context, cfg Config, log *zap.Logger) (*Queue, error) {
	cfg.defaults()
	for _, u := range strings.Split(cfg.URL, ",") {
		if _, err := url.Parse(strings.TrimSpace(u)); err != nil {
			// Not wrapped: the parser's error quotes the URL, password and all.
			return nil, fmt.Errorf("nats url %s: want nats://[user:password@]host:port, or a comma-separated list of them", RedactURLs(cfg.URL))
		}
	}
	auth, err := cfg.authOptions()
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(cfg.URL, append(auth,
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", zap.String("url", c.ConnectedUrlRedacted())) }),
	)...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats at %s: %w", RedactURLs(cfg.URL), err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(30*time.Second))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &Queue{cfg: cfg, nc: nc, js: js, log: log}, nil
}

// Conn is the underlying NATS connection.
func (q *Queue) Conn() *nats.Conn { return q.nc }

// JetStream is the underlying JetStream context.
func (q *Queue) JetStream() jetstream.JetStream { return q.js }

// Config returns the configuration in effect, defaults applied.
func (q *Queue) Config() Config { return q.cfg }

// Close drains the connection: pending publishes and acks are flushed first.
func (q *Queue) Close() {
	if err := q.nc.Drain(); err != nil {
		q.nc.Close()
	}
}

// EnsureStreams creates or updates Baton's streams. It is idempotent and safe to call from
// every process at start-up.
func (q *Queue) EnsureStreams(ctx context.Context) error {
	storage := jetstream.FileStorage
	if q.cfg.MemoryStorage {
		storage = jetstream.MemoryStorage
	}
	streams := []jetstream.StreamConfig{
		{Name: JobsStream, Subjects: []string{JobsPrefix + ">"}, Retention: jetstream.WorkQueuePolicy,
			Duplicates: q.cfg.DuplicateWindow, AllowMsgSchedules: true},
		{Name: StartStream, Subjects: []string{StartPrefix + ">"}, Retention: jetstream.WorkQueuePolicy,
			Duplicates: q.cfg.DuplicateWindow},
		{Name: MsgStream, Subjects: []string{MsgPrefix + ">"}, Retention: jetstream.WorkQueuePolicy,
			Duplicates: q.cfg.DuplicateWindow},
		{Name: ExtStream, Subjects: []string{"baton.ext.>"}, Retention: jetstream.WorkQueuePolicy,
			Duplicates: q.cfg.DuplicateWindow, AllowMsgSchedules: true},
		{Name: EventsStream, Subjects: []string{EventPrefix + ">"}, Retention: jetstream.LimitsPolicy,
			MaxAge: 7 * 24 * time.Hour},
		{Name: DeadStream, Subjects: []string{DeadPrefix + ">"}, Retention: jetstream.LimitsPolicy,
			MaxAge: 30 * 24 * time.Hour},
	}
	if q.ensured.Load() {
		return nil // once per connection: every start calls it
	}
	for _, sc := range streams {
		sc.Storage = storage
		sc.Replicas = max(q.cfg.Replicas, 1)
		if err := q.ensureStream(ctx, sc); err != nil {
			return err
		}
	}
	q.ensured.Store(true)
	return nil
}

// ensureStream creates the stream sc when it does not exist, and otherwise brings the settings
// Baton owns to sc's, leaving the others (placement, limits an operator set) as they are, and
// the replica count too unless this process sets it (Config.Replicas). Only a stream that
// certainly does not exist is created: any other error of the lookup is returned, so that a
// lookup failing during a leader election cannot turn into an update.
func (q *Queue) ensureStream(ctx context.Context, sc jetstream.StreamConfig) error {
	for attempt := 0; ; attempt++ {
		s, err := q.js.Stream(ctx, sc.Name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			_, err = q.createStream(ctx, sc)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) && attempt == 0 {
				continue // another process created it meanwhile: compare with that one
			}
			if err != nil {
				return fmt.Errorf("create stream %s: %w", sc.Name, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("look up stream %s: %w", sc.Name, err)
		}
		have := s.CachedInfo().Config
		want := have
		want.Subjects, want.Retention, want.Storage, want.MaxAge = sc.Subjects, sc.Retention, sc.Storage, sc.MaxAge
		want.AllowMsgSchedules = sc.AllowMsgSchedules
		if sc.Duplicates != 0 {
			want.Duplicates = sc.Duplicates
		}
		if q.cfg.Replicas > 0 {
			want.Replicas = sc.Replicas
		}
		// An existing stream with these settings is left alone: updating a stream while
		// consumers are created on it is needless work for the server (and races inside an
		// embedded nats-server).
		if sameStream(have, want) {
			return nil
		}
		if have.Replicas != want.Replicas {
			q.log.Info("changing a stream's replicas", zap.String("stream", sc.Name),
				zap.Int("from", have.Replicas), zap.Int("to", want.Replicas))
		}
		if _, err := q.js.UpdateStream(ctx, want); err != nil {
			return fmt.Errorf("update stream %s: %w", sc.Name, err)
		}
		return nil
	}
}

// autoReplicas is the replica count a new stream gets when Config.Replicas is 0.
const autoReplicas = 3

// createStream creates sc. Without Config.Replicas it asks for autoReplicas and falls back to
// one replica when the server is not clustered or the cluster cannot place that many.
func (q *Queue) createStream(ctx context.Context, sc jetstream.StreamConfig) (jetstream.Stream, error) {
	if q.cfg.Replicas > 0 {
		return q.js.CreateStream(ctx, sc)
	}
	sc.Replicas = autoReplicas
	s, err := q.js.CreateStream(ctx, sc)
	var apiErr *jetstream.APIError
	if err != nil && errors.As(err, &apiErr) && slices.Contains(cannotPlace, apiErr.ErrorCode) {
		if apiErr.ErrorCode != errCodeNotClustered {
			q.log.Warn("the JetStream cluster cannot place a stream's replicas; creating it with one (set --replicas to insist)",
				zap.String("stream", sc.Name), zap.Int("replicas", autoReplicas), zap.Error(err))
		}
		sc.Replicas = 1
		return q.js.CreateStream(ctx, sc)
	}
	return s, err
}

// JetStream's answers to a replica count it cannot place: replicas > 1 on a server that is
// not clustered, no suitable peers, insufficient resources.
const errCodeNotClustered jetstream.ErrorCode = 10074

var cannotPlace = []jetstream.ErrorCode{errCodeNotClustered, 10005, 10023}

// sameStream reports whether the settings Baton sets are those of have.
func sameStream(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) && have.Retention == want.Retention && have.Storage == want.Storage &&
		have.Replicas == want.Replicas && have.MaxAge == want.MaxAge && have.AllowMsgSchedules == want.AllowMsgSchedules &&
		(want.Duplicates == 0 || have.Duplicates == want.Duplicates)
}

// JobConsumer creates or binds the durable consumer of taskType (w-<type>), shared by every
// worker serving that type.
func (q *Queue) JobConsumer(ctx context.Context, taskType string) (jetstream.Consumer, error) {
	return q.JobConsumerIn(ctx, taskType, Normal)
}

// JobConsumerIn creates or binds the durable consumer of taskType's jobs in band b.
func (q *Queue) JobConsumerIn(ctx context.Context, taskType string, b Band) (jetstream.Consumer, error) {
	desc := "Baton jobs of task type " + taskType
	if b != Normal {
		desc += ", " + b.String() + " priority"
	}
	c, err := q.js.CreateOrUpdateConsumer(ctx, JobsStream, jetstream.ConsumerConfig{
		Durable:       JobConsumerNameIn(taskType, b),
		Description:   desc,
		FilterSubject: JobSubjectIn(taskType, b),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		// Redis decides whether a job is done; NATS never gives up on one by itself.
		MaxDeliver:    -1,
		MaxAckPending: q.cfg.MaxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer for task type %q: %w", taskType, err)
	}
	return c, nil
}

// StartMessages creates or binds the durable consumer of start messages.
func (q *Queue) StartMessages(ctx context.Context) (jetstream.Consumer, error) {
	c, err := q.js.CreateOrUpdateConsumer(ctx, StartStream, jetstream.ConsumerConfig{
		Durable:       StartConsumer,
		Description:   "Baton start messages",
		FilterSubject: StartPrefix + ">",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: q.cfg.MaxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("start consumer: %w", err)
	}
	return c, nil
}

// Messages creates or binds the durable consumer of correlation messages (baton.msg.>).
func (q *Queue) Messages(ctx context.Context) (jetstream.Consumer, error) {
	c, err := q.js.CreateOrUpdateConsumer(ctx, MsgStream, jetstream.ConsumerConfig{
		Durable:       MessageConsumer,
		Description:   "Baton messages to correlate",
		FilterSubject: MsgPrefix + ">",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: q.cfg.MaxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("message consumer: %w", err)
	}
	return c, nil
}

// ExtTasks creates or binds the durable consumer of topic's external tasks (ext-<topic>), shared
// by the external workers of that topic. Its ack wait is the task's lock: a worker extends it by
// acknowledging progress (+WPI); a worker that dies lets the task go to another after it.
func (q *Queue) ExtTasks(ctx context.Context, topic string) (jetstream.Consumer, error) {
	c, err := q.js.CreateOrUpdateConsumer(ctx, ExtStream, jetstream.ConsumerConfig{
		Durable:       ExtConsumerName(topic),
		Description:   "Baton external tasks of topic " + topic,
		FilterSubject: ExtTaskFilter(topic),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    -1,
	})
	if err != nil {
		return nil, fmt.Errorf("external task consumer of %q: %w", topic, err)
	}
	return c, nil
}

// ExtCommands creates or binds the durable consumer of external task commands.
func (q *Queue) ExtCommands(ctx context.Context) (jetstream.Consumer, error) {
	c, err := q.js.CreateOrUpdateConsumer(ctx, ExtStream, jetstream.ConsumerConfig{
		Durable:       ExtCommandConsumer,
		Description:   "Baton external task commands",
		FilterSubject: ExtCommandPrefix + ">",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: q.cfg.MaxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("external command consumer: %w", err)
	}
	return c, nil
}

// Message is one message to publish.
type Message struct {
	Subject string
	// At, when more than a second away, delivers the message then (a JetStream schedule).
	At time.Time
	// MsgID becomes Nats-Msg-Id: JetStream drops a second message with the same id within the
	// duplicate window.
	MsgID  string
	Data   []byte
	Header nats.Header
}

// Publish publishes messages concurrently and waits until JetStream has stored every one. It
// returns the first error; messages before and after it may have been stored.
func (q *Queue) Publish(ctx context.Context, msgs ...Message) error {
	for i := range msgs {
		msgs[i] = scheduled(msgs[i])
	}
	if len(msgs) == 1 {
		m := msgs[0]
		_, err := q.js.PublishMsg(ctx, q.natsMsg(m), msgIDOpt(m.MsgID)...)
		if err != nil {
			return fmt.Errorf("publish %s (%s): %w", m.Subject, m.MsgID, err)
		}
		return nil
	}
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		f, err := q.js.PublishMsgAsync(q.natsMsg(m), msgIDOpt(m.MsgID)...)
		if err != nil {
			return fmt.Errorf("publish %s (%s): %w", m.Subject, m.MsgID, err)
		}
		futures = append(futures, f)
	}
	var first error
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			if first == nil {
				first = fmt.Errorf("publish %s (%s): %w", msgs[i].Subject, msgs[i].MsgID, err)
			}
		case <-ctx.Done():
			return fmt.Errorf("publish: %w", ctx.Err())
		}
	}
	return first
}

func msgIDOpt(id string) []jetstream.PublishOpt {
	if id == "" {
		return nil
	}
	return []jetstream.PublishOpt{jetstream.WithMsgID(id)}
}

func (q *Queue) natsMsg(m Message) *nats.Msg {
	return &nats.Msg{Subject: m.Subject, Data: m.Data, Header: m.Header}
}

// Dead-letter headers.
const (
	HeaderDeadReason  = "Baton-Dead-Reason"
	HeaderDeadSubject = "Baton-Dead-Subject"
	HeaderDeadSeq     = "Baton-Dead-Stream-Seq"
	HeaderDeadMsgID   = "Baton-Dead-Msg-Id"
	// HeaderOriginalMsgID carries a requeued dead letter's original Nats-Msg-Id: handlers take
	// a message's identity from it, so a requeued start message starts the instance the
	// original would have (and a later resend of the original starts nothing more).
	HeaderOriginalMsgID = "Baton-Original-Msg-Id"
)

// DeadLetter stores msg in the dead-letter stream with its reason and then terminates it, so the
// consumer moves on. Only use it for messages that can never be processed (undecodable, unknown
// definition); never on the strength of what a worker believes about state.
func (q *Queue) DeadLetter(ctx context.Context, msg jetstream.Msg, reason string) error {
	h := nats.Header{}
	for k, v := range msg.Headers() {
		h[k] = v
	}
	// The dead letter has its own Nats-Msg-Id; the original's is kept beside it.
	if orig := h.Get(nats.MsgIdHdr); orig != "" {
		h.Del(nats.MsgIdHdr)
		h.Set(HeaderDeadMsgID, orig)
	}
	h.Set(HeaderDeadReason, reason)
	h.Set(HeaderDeadSubject, msg.Subject())
	id := ""
	if md, err := msg.Metadata(); err == nil {
		h.Set(HeaderDeadSeq, fmt.Sprint(md.Sequence.Stream))
		id = fmt.Sprintf("%s:%d", md.Stream, md.Sequence.Stream)
	}
	dead := Message{Subject: DeadPrefix + EncodeToken(msg.Subject()), MsgID: id, Data: msg.Data(), Header: h}
	if err := q.Publish(ctx, dead); err != nil {
		return fmt.Errorf("dead-letter %s: %w", msg.Subject(), err)
	}
	if err := msg.Term(); err != nil && !errors.Is(err, nats.ErrMsgAlreadyAckd) {
		return fmt.Errorf("terminate dead-lettered %s: %w", msg.Subject(), err)
	}
	q.log.Warn("message dead-lettered", zap.String("subject", msg.Subject()), zap.String("reason", reason))
	return nil
}

// Headers of JetStream message schedules.
const (
	headerSchedule       = "Nats-Schedule"
	headerScheduleTarget = "Nats-Schedule-Target"
)

// SchedulePrefix is where a message to deliver later waits: JetStream publishes it to its
// target subject at its time (a message schedule; the stream allows them).
const SchedulePrefix = JobsPrefix + "_at."

// scheduled turns a message whose At is more than a second away into a JetStream message
// schedule that publishes it to its subject then (schedules have whole-second precision). A
// nearer one is published at once; whoever receives it early waits out the rest.
func scheduled(m Message) Message {
	if m.At.IsZero() || time.Until(m.At) < time.Second {
		return m
	}
	h := nats.Header{}
	for k, v := range m.Header {
		h[k] = v
	}
	// Round up: a schedule may fire late, never early.
	at := m.At.Add(time.Second - 1).Truncate(time.Second)
	h.Set(headerSchedule, "@at "+at.UTC().Format(time.RFC3339))
	h.Set(headerScheduleTarget, m.Subject)
	if rest, ok := strings.CutPrefix(m.Subject, ExtTaskPrefix); ok {
		// A schedule lives in its target's stream; an external task's, under the task.
		m.Subject, m.Header = extSchedulePrefix+rest, h
		return m
	}
	m.Subject, m.Header = SchedulePrefix+EncodeToken(m.MsgID), h
	return m
}

// ExtTaskOffered reports whether the stream still holds an offer of external task taskID of
// topic: a message on its subject (not yet acknowledged by a worker, which it acknowledges after
// answering: so the task is waiting for a worker, or held by one) or a pending delayed offer.
func (q *Queue) ExtTaskOffered(ctx context.Context, topic, taskID string) (bool, error) {
	s, err := q.js.Stream(ctx, ExtStream)
	if err != nil {
		return false, fmt.Errorf("stream %s: %w", ExtStream, err)
	}
	subject := ExtTaskSubject(topic, taskID)
	for _, subj := range []string{subject, extSchedulePrefix + strings.TrimPrefix(subject, ExtTaskPrefix)} {
		_, err := s.GetLastMsgForSubject(ctx, subj)
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, jetstream.ErrMsgNotFound):
			return false, fmt.Errorf("look up %s: %w", subj, err)
		}
	}
	return false, nil
}
