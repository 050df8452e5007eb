package workers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/external"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

func TestAnExternalTaskAnsweredTwiceCompletesOnce(t *testing.T) {
	t.Parallel()
	_, c := setup(t, nil)
	ctx := context.Background()
	if _, err := c.DeployBytes(ctx, "external.bpmn", external.BPMN); err != nil {
		t.Fatal(err)
	}
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, ExternalCommands: true})
	res, err := c.Start(ctx, baton.StartRequest{ProcessKey: external.ProcessKey, Variables: map[string]any{"invoiceId": "I-9"}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Instance(ctx, res.InstanceID)
	if err != nil || len(v.Jobs) != 1 || v.Jobs[0].Kind != "wait" {
		t.Fatalf("the external task does not wait: %+v %v", v, err)
	}
	task := v.Jobs[0].ID
	// Two answers (say, from two workers after a lock expired), and a malformed one.
	for i, body := range []string{`{"taskId":"` + task + `","variables":{"n":1}}`, `{"taskId":"` + task + `","variables":{"n":2}}`,
		`{"taskId":"` + task + `","colour":"red"}`} {
		m := nats.NewMsg(queue.ExtCommandPrefix + "complete")
		m.Header.Set(nats.MsgIdHdr, task+":"+string(rune('a'+i)))
		m.Data = []byte(body)
		publish(t, c, m)
	}
	v = waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if count(v.History, engine.EventActivityEnd, "Activity_Archive") != 1 || (v.Variables["n"] != int64(1) && v.Variables["n"] != int64(2)) {
		t.Fatalf("history %+v variables %v: want the task completed once", v.History, v.Variables)
	}
	batontest.Eventually(t, 30*time.Second, func() bool {
		s, err := c.Engine().Queue().JetStream().Stream(ctx, queue.DeadStream)
		if err != nil {
			return false
		}
		m, err := s.GetLastMsgForSubject(ctx, queue.DeadPrefix+">")
		return err == nil && strings.Contains(m.Header.Get(queue.HeaderDeadReason), "colour")
	}, "the malformed answer was not dead-lettered naming its field")
	// Both good answers were acknowledged: nothing waits on the command consumer.
	batontest.Eventually(t, 30*time.Second, func() bool {
		cons, err := c.Engine().Queue().ExtCommands(ctx)
		if err != nil {
			return false
		}
		info, err := cons.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}, "external answers were left unacknowledged")
}
