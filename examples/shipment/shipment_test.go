package shipment_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/shipment"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

func TestShipmentShipsEveryParcelOrEscalates(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	c := env.Client(env.Config())
	ctx := context.Background()
	if _, err := c.DeployBytes(ctx, "shipment.bpmn", shipment.BPMN); err != nil {
		t.Fatal(err)
	}
	shipment.Register(c)
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true})
	for _, tc := range []struct {
		name string
		n    int // Variables(n)
	}{{"three parcels shipped", 0}, {"a parcel too heavy for any carrier", 49}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := c.Start(ctx, baton.StartRequest{ProcessKey: shipment.ProcessKey, BusinessKey: "s-" + tc.name,
				Variables: shipment.Variables(tc.n)})
			if err != nil {
				t.Fatal(err)
			}
			var v *baton.InstanceView
			batontest.Eventually(t, 30*time.Second, func() bool {
				v, err = c.Instance(ctx, res.InstanceID)
				return err == nil && v.Status == engine.StatusCompleted
			}, "shipment %s did not complete", res.InstanceID)
			if v.Variables["validated"] != true {
				t.Errorf("validated = %v, want true from the output mapping", v.Variables["validated"])
			}
			if tc.n == 49 {
				if v.Variables["escalated"] != "no carrier takes 40 kg" || v.Variables["notified"] != nil {
					t.Fatalf("variables %v: want the error escalated and no notification", v.Variables)
				}
				return
			}
			var got []string
			list, _ := v.Variables["trackingNumbers"].([]any)
			for _, x := range list {
				s, _ := x.(string)
				got = append(got, s)
			}
			sort.Strings(got)
			if len(got) != 3 || got[0] != "TRK-S0-P1" || got[2] != "TRK-S0-P3" || v.Variables["notified"] != true {
				t.Fatalf("variables %v: want three tracking numbers collected by the listener, then a notification", v.Variables)
			}
			for _, local := range []string{"parcelCount", "ok", "parcel", "weightKg", "tracking"} {
				if _, leaked := v.Variables[local]; leaked {
					t.Errorf("local variable %q leaked into the shipment: %v", local, v.Variables)
				}
			}
		})
	}
}
