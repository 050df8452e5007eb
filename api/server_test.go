package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/api"
	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

func TestProbesSayLiveAndReadyUntilShutdown(t *testing.T) {
	t.Parallel()
	s := newServer(t, api.Config{})
	if code, body := s.do("GET", "/healthz", nil); code != http.StatusOK || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, body := s.do("GET", "/readyz", nil); code != http.StatusOK || !strings.Contains(body, `"ready"`) {
		t.Fatalf("readyz: %d %s", code, body)
	}
	s.srv.Stopping()
	if code, body := s.do("GET", "/readyz", nil); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Fatalf("readyz while stopping: %d %s", code, body)
	}
	if code, _ := s.do("GET", "/healthz", nil); code != http.StatusOK {
		t.Fatalf("healthz while stopping: %d", code)
	}
}

const chargeModel = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:baton="https://github.com/batonhq/baton/schema/bpmn" id="d" targetNamespace="t">
  <process id="pay" isExecutable="true">
    <startEvent id="Start"/>
    <sequenceFlow id="f0" sourceRef="Start" targetRef="Charge"/>
    <serviceTask id="Charge" baton:type="charge" baton:asyncBefore="true"/>
    <sequenceFlow id="f1" sourceRef="Charge" targetRef="End"/>
    <endEvent id="End"/>
  </process>
</definitions>`

func TestMetricsCountWhatHappened(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newServer(t, api.Config{})
	if _, err := s.client.DeployBytes(ctx, "pay.bpmn", []byte(chargeModel)); err != nil {
		t.Fatal(err)
	}
	// Four charges succeed at once, one after a retry, one fails for good.
	s.client.Register("charge", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		switch tk.BusinessKey {
		case "flaky":
			if tk.Attempt == 1 {
				return baton.RetryAfter(0, errors.New("timeout"))
			}
		case "broken":
			return baton.FailNow(errors.New("card declined"))
		}
		return nil
	}))
	batontest.RunWorker(t, s.client, baton.WorkerConfig{TaskTypes: []string{"charge"}})
	var ids []string
	for _, bk := range []string{"a", "b", "c", "d", "flaky", "broken"} {
		res, err := s.client.Start(ctx, baton.StartRequest{ProcessKey: "pay", BusinessKey: bk})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.InstanceID)
	}
	for i, id := range ids {
		want := engine.StatusCompleted
		if i == 5 {
			want = engine.StatusIncident
		}
		batontest.Eventually(t, 30*time.Second, func() bool {
			v, err := s.client.Instance(ctx, id)
			return err == nil && v.Status == want
		}, "instance %d never reached %s", i, want)
	}
	_, scrape := s.do("GET", "/metrics", nil)
	for _, c := range []struct {
		name string
		want float64
	}{
		{"baton_jobs_started_total", 7}, // 4 + 2 (flaky) + 1 (broken)
		{"baton_jobs_completed_total", 5},
		{"baton_jobs_failed_total", 2},
		{"baton_jobs_retried_total", 1},
		{"baton_incidents_raised_total", 1},
		{"baton_lease_recoveries_total", 0},
		{"baton_continuation_latency_seconds_count", 5},
	} {
		if got := s.mustMetric(scrape, c.name, `task_type="charge"`); got != c.want {
			t.Errorf("%s{task_type=\"charge\"} = %v, want %v", c.name, got, c.want)
		}
	}
	for _, band := range []string{"high", "normal", "low"} {
		if got := s.mustMetric(scrape, "baton_backlog_jobs", `priority="`+band+`",task_type="charge"`); got != 0 {
			t.Errorf("backlog of the %s band: %v, want 0", band, got)
		}
	}
	// The instance counts are taken in the background: a later scrape has them.
	batontest.Eventually(t, 10*time.Second, func() bool {
		_, scrape = s.do("GET", "/metrics", nil)
		_, ok := metric(scrape, "baton_instances", `status="completed"`)
		return ok
	}, "no baton_instances in the scrape")
	for status, want := range map[string]float64{"completed": 5, "incident": 1, "running": 0} {
		if got := s.mustMetric(scrape, "baton_instances", `status="`+status+`"`); got != want {
			t.Errorf("baton_instances{status=%q} = %v, want %v", status, got, want)
		}
	}
	if got := s.mustMetric(scrape, "baton_incidents_open", ""); got != 1 {
		t.Errorf("baton_incidents_open = %v, want 1", got)
	}
	if got := s.mustMetric(scrape, "baton_job_execution_seconds_count", `outcome="retry",task_type="charge"`); got != 1 {
		t.Errorf("executions that ended in a retry: %v, want 1", got)
	}
	if got := s.mustMetric(scrape, "baton_commits_total", ""); got != 5 {
		t.Errorf("baton_commits_total = %v, want 5 (the starts commit without a job)", got)
	}
}
