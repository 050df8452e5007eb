package engine_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

// chain is Start -> Plain -> Service -> XOR -> Fork -> End with marker attrs on one element.
func chain(on, attrs string) []byte {
	a := func(id string) string {
		if id == on {
			return attrs
		}
		return ""
	}
	return model("p", fmt.Sprintf(`
    <startEvent id="Start" %s/>
    <sequenceFlow id="f1" sourceRef="Start" targetRef="Plain"/>
    <task id="Plain" %s/>
    <sequenceFlow id="f2" sourceRef="Plain" targetRef="Service"/>
    <serviceTask id="Service" baton:type="svc" %s/>
    <sequenceFlow id="f3" sourceRef="Service" targetRef="XOR"/>
    <exclusiveGateway id="XOR" default="f4" %s/>
    <sequenceFlow id="f4" sourceRef="XOR" targetRef="Fork"/>
    <parallelGateway id="Fork" %s/>
    <sequenceFlow id="f5" sourceRef="Fork" targetRef="End"/>
    <endEvent id="End" %s/>`, a("Start"), a("Plain"), a("Service"), a("XOR"), a("Fork"), a("End")))
}

func TestAsyncMarkersOnEveryElementCommitThere(t *testing.T) {
	t.Parallel()
	for _, el := range []string{"Start", "Plain", "Service", "XOR", "Fork", "End"} {
		for _, marker := range []string{"asyncBefore", "asyncAfter"} {
			if el == "End" && marker == "asyncAfter" {
				continue // an end event has nothing to leave to
			}
			t.Run(el+" "+marker, func(t *testing.T) {
				t.Parallel()
				env := batontest.New(t)
				c := env.Client(env.Config())
				if _, err := c.DeployBytes(context.Background(), "chain.bpmn", chain(el, `baton:`+marker+`="true"`)); err != nil {
					t.Fatal(err)
				}
				var calls atomic.Int64
				c.Register("svc", baton.DelegateFunc(func(context.Context, *baton.Task) error {
					calls.Add(1)
					return nil
				}))
				res, err := c.Start(context.Background(), baton.StartRequest{ProcessKey: "p"})
				if err != nil {
					t.Fatal(err)
				}
				// The start commits at the boundary: before it, the caller ran everything.
				v := show(t, c, res.InstanceID)
				if v.Status != engine.StatusRunning || len(v.Jobs) != 1 || v.Jobs[0].ActivityID != el {
					t.Fatalf("after start: status %s jobs %+v, want one job at %s", v.Status, v.Jobs, el)
				}
				if el == "Start" && calls.Load() != 0 {
					t.Errorf("with an async start the caller must run no delegate; it ran %d", calls.Load())
				}
				batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true})
				v = waitStatus(t, c, res.InstanceID, engine.StatusCompleted)
				if v.Version != 2 {
					t.Errorf("version = %d, want 2: one commit at the start, one at the boundary", v.Version)
				}
				if calls.Load() != 1 {
					t.Errorf("the service task ran %d times, want once", calls.Load())
				}
			})
		}
	}
}
