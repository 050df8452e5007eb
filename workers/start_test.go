package workers_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/order"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

// instanceKeys lists the instance hashes of the test's prefix.
func instanceKeys(t *testing.T, env *batontest.Env) []string {
	t.Helper()
	keys, err := env.Redis().Keys(context.Background(), env.Prefix+"inst:{*}").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func publish(t *testing.T, c *baton.Client, msg *nats.Msg) {
	t.Helper()
	if _, err := c.Engine().Queue().JetStream().PublishMsg(context.Background(), msg); err != nil {
		t.Fatalf("publish %s: %v", msg.Subject, err)
	}
}

func TestSameStartMessageTwiceGivesOneInstance(t *testing.T) {
	t.Parallel()
	env, c := setup(t, func(c *baton.Client) { order.Register(c) })
	var validations atomic.Int64
	c.Register(order.TypeValidate, baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		validations.Add(1)
		return nil
	}))
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, StartMessages: true})
	body, _ := msgpack.Marshal(engine.StartMessage{BusinessKey: "B-1", Variables: map[string]any{"amount": 10}})
	for i := 0; i < 2; i++ {
		m := nats.NewMsg(queue.StartSubject(order.ProcessKey))
		m.Header.Set(nats.MsgIdHdr, "order-B-1")
		m.Data = body
		publish(t, c, m)
	}
	id := engine.DerivedInstanceID(order.ProcessKey, "order-B-1")
	v := waitStatus(t, c, id, engine.StatusCompleted)
	if v.BusinessKey != "B-1" || v.Variables["amount"] != int64(10) {
		t.Errorf("instance from the message: business key %q amount %v", v.BusinessKey, v.Variables["amount"])
	}
	if n := len(instanceKeys(t, env)); n != 1 {
		t.Errorf("%d instances, want 1", n)
	}
	if validations.Load() != 1 {
		t.Errorf("Validate ran %d times, want 1", validations.Load())
	}
}

func TestMalformedStartMessageIsDeadLetteredAndTheNextOneRuns(t *testing.T) {
	t.Parallel()
	_, c := setup(t, func(c *baton.Client) { order.Register(c) })
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, StartMessages: true})

	bad := nats.NewMsg(queue.StartSubject(order.ProcessKey))
	bad.Header.Set("Content-Type", "application/json")
	bad.Header.Set(nats.MsgIdHdr, "bad-1")
	bad.Data = []byte(`{"variables": {"amount": 10}, "bussinessKey": "typo"}`)
	publish(t, c, bad)
	unknown := nats.NewMsg(queue.StartSubject("no-such-process"))
	unknown.Header.Set(nats.MsgIdHdr, "unknown-1")
	publish(t, c, unknown)
	good := nats.NewMsg(queue.StartSubject(order.ProcessKey))
	good.Header.Set("Content-Type", "application/json")
	good.Header.Set(nats.MsgIdHdr, "good-1")
	good.Data = []byte(`{"variables": {"amount": 250}, "businessKey": "G-1"}`)
	publish(t, c, good)

	v := waitStatus(t, c, engine.DerivedInstanceID(order.ProcessKey, "good-1"), engine.StatusCompleted)
	if v.Variables["fraudChecked"] != true {
		t.Errorf("JSON variables must reach the gateway as numbers: %v", v.Variables)
	}
	js := c.Engine().Queue().JetStream()
	dead := map[string]string{}
	batontest.Eventually(t, 10*time.Second, func() bool {
		s, err := js.Stream(context.Background(), queue.DeadStream)
		if err != nil {
			return false
		}
		for seq := uint64(1); seq <= s.CachedInfo().State.LastSeq; seq++ {
			m, err := s.GetMsg(context.Background(), seq)
			if err == nil {
				dead[m.Header.Get(queue.HeaderDeadSubject)] = m.Header.Get(queue.HeaderDeadReason)
			}
		}
		return len(dead) == 2
	}, "want 2 dead letters, got %v", dead)
	if r := dead[queue.StartSubject(order.ProcessKey)]; !strings.Contains(r, "bussinessKey") {
		t.Errorf("the reason must name the unknown field: %q", r)
	}
	if r := dead[queue.StartSubject("no-such-process")]; !strings.Contains(r, "unknown process") {
		t.Errorf("the reason must say the process is unknown: %q", r)
	}
	// Nothing is left for redelivery: the consumer moved on.
	cons, err := js.Consumer(context.Background(), queue.StartStream, queue.StartConsumer)
	if err != nil {
		t.Fatal(err)
	}
	batontest.Eventually(t, 10*time.Second, func() bool {
		info, err := cons.Info(context.Background())
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0
	}, "start messages still pending")
}
