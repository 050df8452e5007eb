package workers_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/order"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

// buildExampleWorker compiles the SDK-built worker of the order example.
func buildExampleWorker(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "order-worker")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/batonhq/baton/examples/order/worker")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build example worker: %v", err)
	}
	return bin
}

func TestWorkerProcessKilledDuringDelegateLosesNothing(t *testing.T) {
	t.Parallel()
	bin := buildExampleWorker(t)
	env, c := setup(t, func(c *baton.Client) { order.Register(c) })
	// This process serves everything but charging; a separate worker process charges.
	types := []string{order.TypeValidate, order.TypeReserve, order.TypeFraudCheck, order.TypeShip}
	batontest.RunWorker(t, c, baton.WorkerConfig{TaskTypes: types, ServeEngineType: true, Reconciler: true})

	proc := exec.Command(bin, "--nats", env.NATSURL, "--redis", env.RedisURL, "--prefix", env.Prefix,
		"--types", order.TypeCharge, "--lease", "2s", "--ack-wait", "2s")
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proc.Process.Kill(); _ = proc.Wait() })

	// The charge takes a minute in the worker process: long enough to be killed inside it.
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: order.ProcessKey,
		Variables: map[string]any{"simulateLatencyMs": map[string]any{"Charge": 60000}}})
	if err != nil {
		t.Fatal(err)
	}
	var killedFence int64
	batontest.Eventually(t, 30*time.Second, func() bool {
		v, err := c.Instance(context.Background(), res.InstanceID)
		if err != nil {
			return false
		}
		for _, j := range v.Jobs {
			if j.ActivityID == "Charge" && j.Leased {
				snap, err := c.Engine().Store().Load(context.Background(), res.InstanceID)
				if err != nil {
					return false
				}
				lease := snap.Leases[j.ID] // "<fence>|<expiry>|<owner>"
				killedFence, _ = strconv.ParseInt(strings.SplitN(lease, "|", 2)[0], 10, 64)
				return killedFence > 0
			}
		}
		return false
	}, "the worker process never claimed the Charge job")
	if err := proc.Process.Kill(); err != nil { // SIGKILL, inside the delegate
		t.Fatal(err)
	}
	_ = proc.Wait()

	// Another worker takes the job over once the dead worker's lease expires.
	cfg := env.Config()
	cfg.Engine.Owner = "replacement"
	c2 := env.Client(cfg)
	var fence int64
	c2.Register(order.TypeCharge, baton.DelegateFunc(func(ctx context.Context, tk *baton.Task) error {
		fence = tk.FenceToken
		tk.SetVar("chargeId", "replacement")
		return nil
	}))
	batontest.RunWorker(t, c2, baton.WorkerConfig{TaskTypes: []string{order.TypeCharge}})

	v := waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if v.Variables["chargeId"] != "replacement" {
		t.Errorf("chargeId = %v, want the replacement worker's result", v.Variables["chargeId"])
	}
	if fence <= killedFence {
		t.Errorf("the replacement's fencing token is %d; it must exceed the killed worker's %d", fence, killedFence)
	}
	ends := 0
	for _, e := range v.History {
		if e.Type == engine.EventActivityEnd && e.Activity == "Charge" {
			ends++
		}
	}
	if ends != 1 {
		t.Errorf("Charge ended %d times in history, want once", ends)
	}
	// The recovery is counted (and logged) by the engine that took the lease over.
	if n := c2.Engine().TypeStats()[order.TypeCharge].LeaseRecoveries.Load(); n != 1 {
		t.Errorf("lease recoveries counted: %d, want 1", n)
	}
}

func TestWorkerProcessStopsOnSIGTERMAfterFinishingItsJobAndExitsZero(t *testing.T) {
	t.Parallel()
	bin := buildExampleWorker(t)
	env, c := setup(t, func(c *baton.Client) { order.Register(c) })
	types := []string{order.TypeValidate, order.TypeReserve, order.TypeFraudCheck, order.TypeShip}
	batontest.RunWorker(t, c, baton.WorkerConfig{TaskTypes: types, ServeEngineType: true})
	proc := exec.Command(bin, "--nats", env.NATSURL, "--redis", env.RedisURL, "--prefix", env.Prefix, "--types", order.TypeCharge)
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	t.Cleanup(func() { _ = proc.Process.Kill() })
	// The charge takes 1.5s: SIGTERM arrives while it runs.
	res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: order.ProcessKey,
		Variables: map[string]any{"simulateLatencyMs": map[string]any{"Charge": 1500}}})
	if err != nil {
		t.Fatal(err)
	}
	batontest.Eventually(t, 30*time.Second, func() bool {
		v, err := c.Instance(context.Background(), res.InstanceID)
		if err != nil {
			return false
		}
		for _, j := range v.Jobs {
			if j.ActivityID == "Charge" && j.Leased {
				return true
			}
		}
		return false
	}, "the worker process never claimed the Charge job")
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the worker exited with %v, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not exit within its grace period")
	}
	// It finished the charge before it stopped: nobody else serves order.charge.
	v := waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
	if v.Variables["chargeId"] == nil {
		t.Fatalf("variables %v: want the charge's result", v.Variables)
	}
}
