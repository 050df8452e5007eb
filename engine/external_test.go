package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

func TestExternalCommandsDecodeFromJSONAndMsgpack(t *testing.T) {
	t.Parallel()
	packed, _ := msgpack.Marshal(map[string]any{"taskId": "i:2:0", "variables": map[string]any{"n": 3}})
	for _, tc := range []struct {
		name, contentType string
		data              []byte
		wantErr           string
	}{
		{"json", "application/json", []byte(`{"taskId":"i:2:0","variables":{"n":3}}`), ""},
		{"json by default", "", []byte(`{"taskId":"i:2:0","variables":{"n":3}}`), ""},
		{"msgpack", "application/msgpack", packed, ""},
		{"unknown field", "application/json", []byte(`{"taskId":"i:2:0","colour":"red"}`), `unknown field "colour"`},
		{"unknown content type", "text/plain", []byte(`x`), "unsupported Content-Type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd, err := engine.DecodeExternalCommand(tc.data, tc.contentType)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || cmd.TaskID != "i:2:0" || cmd.Variables["n"] != int64(3) {
				t.Fatalf("%+v %v", cmd, err)
			}
		})
	}
}

func TestTheReconcilerOffersAnExternalTaskAgainOnlyWhenTheStreamHoldsNoOfferOfIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, c := deployed(t, model("p", `
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Archive"/>
    <serviceTask id="Archive" camunda:type="external" camunda:topic="archive"/>
    <sequenceFlow id="f1" sourceRef="Archive" targetRef="End"/>
    <endEvent id="End"/>`), nil)
	v := started(t, c, nil)
	if len(v.Jobs) != 1 {
		t.Fatalf("jobs %+v", v.Jobs)
	}
	taskID := v.Jobs[0].ID
	cons, err := c.Engine().Queue().JetStream().Consumer(ctx, queue.ExtStream, queue.ExtConsumerName("archive"))
	if err != nil {
		t.Fatal(err)
	}
	take := func() jetstream.Msg {
		t.Helper()
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			return m
		}
		t.Fatalf("no offer of the task: %v", batch.Error())
		return nil
	}
	reconcile := func() {
		t.Helper()
		if err := c.Engine().Store().Schedule(ctx, taskID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Engine().ReconcileOnce(ctx, 100); err != nil {
			t.Fatal(err)
		}
	}
	pending := func() (int, int) {
		t.Helper()
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(info.NumPending), info.NumAckPending
	}
	// A worker holds the task: the reconciler leaves it to that worker.
	held := take()
	if held.Subject() != queue.ExtTaskSubject("archive", taskID) {
		t.Fatalf("offered on %s, want the task's own subject", held.Subject())
	}
	reconcile()
	if waiting, acking := pending(); waiting != 0 || acking != 1 {
		t.Fatalf("while a worker holds the task: %d offers waiting, %d held; want none again", waiting, acking)
	}
	// The worker acknowledged it and died before answering: the stream holds no offer, so the
	// reconciler offers it again.
	if err := held.Ack(); err != nil {
		t.Fatal(err)
	}
	batontest.Eventually(t, 5*time.Second, func() bool { _, acking := pending(); return acking == 0 }, "the ack never landed")
	reconcile()
	var task engine.ExternalTask
	if err := json.Unmarshal(take().Data(), &task); err != nil || task.TaskID != taskID {
		t.Fatalf("offered again: %+v %v", task, err)
	}
}
