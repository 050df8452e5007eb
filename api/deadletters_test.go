package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/batonhq/baton/api"
	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

func TestADeadLetteredJobRaisesAnIncidentAndIsRequeuedOrDeleted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The start commits its job but never publishes it (as if it died then), so the mangled
	// copy below is the only message of the job.
	s := newServer(t, api.Config{}, func(c *baton.Config) {
		c.Engine.CrashAfterCommit = func(string, []*job.Job) bool { return true }
	})
	if _, err := s.client.DeployBytes(ctx, "pay.bpmn", []byte(chargeModel)); err != nil {
		t.Fatal(err)
	}
	var charges atomic.Int64
	s.client.Register("charge", baton.DelegateFunc(func(context.Context, *baton.Task) error { charges.Add(1); return nil }))
	res, err := s.client.Start(ctx, baton.StartRequest{ProcessKey: "pay"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.client.Instance(ctx, res.InstanceID)
	if err != nil || len(v.Jobs) != 1 {
		t.Fatalf("instance %+v %v", v, err)
	}
	jobID := v.Jobs[0].ID
	mangled := &nats.Msg{Subject: queue.JobSubject("charge"), Data: []byte("\xc1 not msgpack"), Header: nats.Header{}}
	mangled.Header.Set(nats.MsgIdHdr, jobID+"#r1")
	if _, err := s.client.Engine().Queue().JetStream().PublishMsg(ctx, mangled); err != nil {
		t.Fatal(err)
	}
	batontest.RunWorker(t, s.client, baton.WorkerConfig{TaskTypes: []string{"charge"}})

	// The dead letter is listed with its reason, and the job's instance shows an incident.
	var dead struct {
		DeadLetters []struct {
			Seq                    uint64
			Subject, Reason, MsgID string
		}
	}
	batontest.Eventually(t, 30*time.Second, func() bool {
		_, body := s.do("GET", "/v1/dead-letters", nil)
		s.decode(body, &dead)
		return len(dead.DeadLetters) == 1
	}, "the mangled job was not dead-lettered")
	d := dead.DeadLetters[0]
	if d.Subject != queue.JobSubject("charge") || d.MsgID != jobID+"#r1" || !strings.Contains(d.Reason, "malformed job envelope") {
		t.Fatalf("dead letter %+v", d)
	}
	code, body := s.do("GET", "/v1/incidents?instanceId="+res.InstanceID, nil)
	if code != http.StatusOK || !strings.Contains(body, jobID) || !strings.Contains(body, "the job's message was dead-lettered") {
		t.Fatalf("incidents: %d %s", code, body)
	}
	// Retrying the incident publishes the job from the outbox: the instance completes.
	code, body = s.do("POST", "/v1/incidents/"+jobID+"/retry", nil)
	if code != http.StatusOK {
		t.Fatalf("retry: %d %s", code, body)
	}
	batontest.Eventually(t, 30*time.Second, func() bool {
		v, err := s.client.Instance(ctx, res.InstanceID)
		return err == nil && v.Status == engine.StatusCompleted
	}, "the instance did not complete after the retry")
	if charges.Load() != 1 {
		t.Fatalf("charged %d times", charges.Load())
	}

	// Requeueing the mangled message dead-letters it again (as a new dead letter); deleting
	// that one leaves none.
	code, body = s.do("POST", fmt.Sprintf("/v1/dead-letters/%d/requeue", d.Seq), nil)
	if code != http.StatusOK {
		t.Fatalf("requeue: %d %s", code, body)
	}
	batontest.Eventually(t, 30*time.Second, func() bool {
		_, body := s.do("GET", "/v1/dead-letters", nil)
		s.decode(body, &dead)
		return len(dead.DeadLetters) == 1 && dead.DeadLetters[0].Seq != d.Seq
	}, "the requeued message was not dead-lettered again")
	again := dead.DeadLetters[0]
	if again.MsgID != fmt.Sprintf("%s#r1#requeued-%d", jobID, d.Seq) {
		t.Fatalf("requeued message id %q", again.MsgID)
	}
	if code, body := s.do("GET", fmt.Sprintf("/v1/dead-letters/%d", d.Seq), nil); code != http.StatusNotFound {
		t.Fatalf("the requeued dead letter is still there: %d %s", code, body)
	}
	if code, body := s.do("DELETE", fmt.Sprintf("/v1/dead-letters/%d", again.Seq), nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, body)
	}
	if code, _ := s.do("DELETE", fmt.Sprintf("/v1/dead-letters/%d", again.Seq), nil); code != http.StatusNotFound {
		t.Fatalf("deleting it twice: %d", code)
	}
	if _, body := s.do("GET", "/v1/dead-letters", nil); !strings.Contains(body, `"deadLetters": []`) {
		t.Fatalf("left: %s", body)
	}
}
