package external_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/external"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

// TestTheNodeWorkerCompletesFailsAndThrows runs worker.mjs, the Node.js external worker, against
// a real NATS and Baton: a task it completes, one it fails once (retried), and one it answers
// with a BPMN error that a boundary event catches.
func TestTheNodeWorkerCompletesFailsAndThrows(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; `make deps` installs the example's packages where it is")
	}
	if _, err := os.Stat("node_modules/nats"); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	env := batontest.New(t)
	c := env.Client(env.Config())
	ctx := context.Background()
	if _, err := c.DeployBytes(ctx, "external.bpmn", external.BPMN); err != nil {
		t.Fatal(err)
	}
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, ExternalCommands: true})

	start := func(vars map[string]any) string {
		res, err := c.Start(ctx, baton.StartRequest{ProcessKey: external.ProcessKey, Variables: vars})
		if err != nil {
			t.Fatal(err)
		}
		return res.InstanceID
	}
	done := start(map[string]any{"invoiceId": "I-1"})
	retried := start(map[string]any{"invoiceId": "I-2", "failOnce": true})
	missing := start(nil)

	script, _ := filepath.Abs("worker.mjs")
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "NATS_URL="+env.NATSURL, "TOPIC="+external.Topic)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		if t.Failed() {
			t.Logf("worker.mjs output:\n%s", out.String())
		}
	})

	wait := func(id string) *baton.InstanceView {
		t.Helper()
		var v *baton.InstanceView
		batontest.Eventually(t, 60*time.Second, func() bool {
			v, err = c.Instance(ctx, id)
			return err == nil && v.Status == engine.StatusCompleted
		}, "instance %s did not complete", id)
		return v
	}
	if v := wait(done); v.Variables["archivedBy"] != "node" || v.Variables["archiveRef"] != "AR-I-1" || v.Variables["attempt"] != int64(1) {
		t.Fatalf("completed task: %v", v.Variables)
	}
	if v := wait(retried); v.Variables["attempt"] != int64(2) {
		t.Fatalf("the failed task was not retried once: %v", v.Variables)
	}
	v := wait(missing)
	ended := ""
	for _, e := range v.History {
		if e.Type == engine.EventActivityEnd {
			ended = e.Activity
		}
	}
	if ended != "Event_Rejected" {
		t.Fatalf("the BPMN error did not take the boundary: %+v", v.History)
	}
}
