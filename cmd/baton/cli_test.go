package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/batonhq/baton/api"
	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/examples/order"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
	"github.com/batonhq/baton/queue"
)

// run executes the baton command line with the environment's servers and returns stdout.
func run(t *testing.T, env *batontest.Env, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--nats", env.NATSURL, "--redis", env.RedisURL, "--prefix", env.Prefix, "--log-level", "error"}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestDeployStartAndShowAnInstance(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	file := filepath.Join(t.TempDir(), "order.bpmn")
	if err := os.WriteFile(file, order.BPMN, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, env, "deploy", file)
	if err != nil || !strings.Contains(out, "order version 1 (deployed)") {
		t.Fatalf("deploy: %q %v", out, err)
	}
	out, err = run(t, env, "deploy", file)
	if err != nil || !strings.Contains(out, "order version 1 (unchanged)") {
		t.Fatalf("deploying the same content again must be a no-op: %q %v", out, err)
	}
	c := env.Client(env.Config())
	order.Register(c)
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true})

	out, err = run(t, env, "start", "order", "--var", "amount=150", "--var", "customer=ada", "--business-key", "o-1")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	id := strings.TrimSpace(out)
	var v map[string]any
	batontest.Eventually(t, 30*time.Second, func() bool {
		out, err := run(t, env, "instance", "show", id, "-o", "json")
		if err != nil {
			return false
		}
		v = nil
		return json.Unmarshal([]byte(out), &v) == nil && v["status"] == "completed"
	}, "instance %s never completed", id)
	for _, field := range []string{"id", "processKey", "definitionVersion", "status", "version", "variables", "tokens", "history"} {
		if _, ok := v[field]; !ok {
			t.Errorf("instance show -o json lacks %q: %v", field, v)
		}
	}
	vars := v["variables"].(map[string]any)
	if vars["amount"] != float64(150) || vars["customer"] != "ada" || vars["fraudChecked"] != true {
		t.Errorf("variables from --var: %v", vars)
	}
	hist := v["history"].([]any)
	first := hist[0].(map[string]any)
	if first["type"] != "activityStart" || first["activityId"] != "OrderReceived" {
		t.Errorf("history must start with the start event: %v", first)
	}
	out, err = run(t, env, "instance", "show", id)
	if err != nil || !strings.Contains(out, "completed") || !strings.Contains(out, "HISTORY") {
		t.Errorf("table output: %q %v", out, err)
	}
}

func TestBadInputNamesThePlace(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	bad := filepath.Join(t.TempDir(), "bad.bpmn")
	if err := os.WriteFile(bad, []byte(`<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="p" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f" sourceRef="s" targetRef="u"/>
    <complexGateway id="u"/>
  </process>
</definitions>`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, env, "deploy", bad)
	if err == nil || !strings.Contains(err.Error(), bad+":6") || !strings.Contains(err.Error(), `"u"`) {
		t.Fatalf("deploy of an unsupported element: %v; want file:line and the element id", err)
	}
	keys, _ := env.Redis().Keys(context.Background(), env.Prefix+"*").Result()
	if len(keys) != 0 {
		t.Errorf("a rejected deploy stored %v", keys)
	}
	for _, args := range [][]string{
		{"start", "p", "--var", "novalue"},
		{"start", "no-such-process"},
		{"instance", "show", "nope"},
		{"instance", "show", "x", "-o", "yaml"},
		{"tasks", "claim", "x:1:0"},
		{"tasks", "complete", "nope:1:0"},
		{"tasks", "list", "--due-before", "tomorrow"},
		{"complete", "--fence", "1"},
		{"signal"},
		{"correlate", "m", "--ttl", "-1s"},
		{"instance", "cancel", "nope"},
	} {
		if _, err := run(t, env, args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}

func TestDeployExplainDryRunStoresNothing(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	file := filepath.Join(t.TempDir(), "order.bpmn")
	if err := os.WriteFile(file, order.BPMN, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, env, "deploy", "--dry-run", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"7 transaction segments", "before Validate", "order.validate", "after Reserve", "end OrderFulfilled"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	keys, _ := env.Redis().Keys(context.Background(), env.Prefix+"*").Result()
	if len(keys) != 0 {
		t.Errorf("--dry-run stored %v", keys)
	}
}

func TestTasksAreListedClaimedAndCompletedFromTheCommandLine(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	deployXML(t, env, "approve.bpmn", `<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d">
  <process id="approve" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f0" sourceRef="s" targetRef="Approve"/>
    <userTask id="Approve" name="Approve" camunda:candidateGroups="sales"/>
    <sequenceFlow id="f1" sourceRef="Approve" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>`)
	out, err := run(t, env, "start", "approve")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	out, err = run(t, env, "tasks", "list", "--group", "sales", "-o", "json")
	var tasks []baton.TaskView
	if err != nil || json.Unmarshal([]byte(out), &tasks) != nil || len(tasks) != 1 || tasks[0].InstanceID != id {
		t.Fatalf("tasks list: %q %v", out, err)
	}
	task := tasks[0].ID
	if out, err := run(t, env, "tasks", "claim", task, "--user", "ann"); err != nil || !strings.Contains(out, "claimed by ann") {
		t.Fatalf("claim: %q %v", out, err)
	}
	if _, err := run(t, env, "tasks", "claim", task, "--user", "bob"); err == nil || !strings.Contains(err.Error(), "somebody else") {
		t.Fatalf("bob claims ann's task: %v, want an error", err)
	}
	out, err = run(t, env, "tasks", "list", "--assignee", "ann")
	if err != nil || !strings.Contains(out, task) || !strings.Contains(out, "ann") {
		t.Fatalf("table of ann's tasks: %q %v", out, err)
	}
	out, err = run(t, env, "tasks", "complete", task, "--var", "approved=true")
	if err != nil || !strings.Contains(out, "completed") {
		t.Fatalf("complete: %q %v", out, err)
	}
	if _, err := run(t, env, "tasks", "complete", task); err == nil || !strings.Contains(err.Error(), "nothing waits") {
		t.Fatalf("second completion: %v, want refused", err)
	}
	out, err = run(t, env, "instance", "show", id, "-o", "json")
	if err != nil || !strings.Contains(out, `"status": "completed"`) || !strings.Contains(out, `"approved": true`) {
		t.Fatalf("instance after completion: %q %v", out, err)
	}
	// Another instance, cancelled while its task is open.
	out, err = run(t, env, "start", "approve")
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(out)
	if out, err := run(t, env, "instance", "cancel", id); err != nil || !strings.Contains(out, "cancelled "+id) {
		t.Fatalf("cancel: %q %v", out, err)
	}
	if out, err := run(t, env, "tasks", "list", "-o", "json"); err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("tasks after cancel: %q %v", out, err)
	}
	if out, err := run(t, env, "instance", "cancel", id); err != nil || !strings.Contains(out, "nothing to cancel") {
		t.Fatalf("second cancel: %q %v", out, err)
	}
	// Variables of a third instance, set and read back, and their history.
	out, err = run(t, env, "start", "approve")
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(out)
	if out, err := run(t, env, "vars", "set", id, "--var", "amount=120"); err != nil || !strings.Contains(out, "set 1 variables") {
		t.Fatalf("vars set: %q %v", out, err)
	}
	if out, err := run(t, env, "vars", "get", id, "-o", "json"); err != nil || !strings.Contains(out, `"amount": 120`) {
		t.Fatalf("vars get: %q %v", out, err)
	}
	if out, err := run(t, env, "vars", "history", id, "--name", "amount"); err != nil || !strings.Contains(out, "amount") || !strings.Contains(out, "120") {
		t.Fatalf("vars history: %q %v", out, err)
	}
	if _, err := run(t, env, "vars", "set", id); err == nil {
		t.Fatal("vars set without --var: want an error")
	}
	// Modification: move the token past the task; the instance ends.
	var view baton.InstanceView
	out, err = run(t, env, "instance", "show", id, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &view) != nil || len(view.Tokens) != 1 {
		t.Fatalf("instance: %q %v", out, err)
	}
	if out, err := run(t, env, "modify", id, "--move", view.Tokens[0].ID+":e"); err != nil || !strings.Contains(out, "completed") {
		t.Fatalf("modify: %q %v", out, err)
	}
	if _, err := run(t, env, "modify", id, "--move", "nocolon"); err == nil {
		t.Fatal("modify --move without TOKEN:ACTIVITY: want an error")
	}
}

func TestCorrelateFromTheCommandLine(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	deployXML(t, env, "pay.bpmn", `<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <message id="M" name="payment-received"/>
  <process id="pay" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f0" sourceRef="s" targetRef="Paid"/>
    <receiveTask id="Paid" messageRef="M"/>
    <sequenceFlow id="f1" sourceRef="Paid" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>`)
	out, err := run(t, env, "start", "pay", "--business-key", "o-1")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	out, err = run(t, env, "correlate", "payment-received", "--key", "o-1", "--var", "amount=4", "--id", "m-1")
	if err != nil || !strings.Contains(out, "correlated to "+id) {
		t.Fatalf("correlate: %q %v", out, err)
	}
	if out, err := run(t, env, "correlate", "payment-received", "--key", "o-1", "--id", "m-1"); err != nil || !strings.Contains(out, "correlated before") {
		t.Fatalf("the same message again: %q %v", out, err)
	}
	if out, err := run(t, env, "correlate", "payment-received", "--key", "o-9"); err != nil || !strings.Contains(out, "is kept for 1h0m0s") {
		t.Fatalf("a message nobody waits for: %q %v", out, err)
	}
	if _, err := run(t, env, "correlate", "payment-received", "--key", "o-9", "--ttl", "0"); err == nil || !strings.Contains(err.Error(), "no instance waits") {
		t.Fatalf("--ttl 0 with nobody waiting: %v, want an error", err)
	}
	out, err = run(t, env, "instance", "show", id, "-o", "json")
	if err != nil || !strings.Contains(out, `"status": "completed"`) || !strings.Contains(out, `"amount": 4`) {
		t.Fatalf("instance: %q %v", out, err)
	}
}

func TestTimersListsTheScheduledTimerStartEvents(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	if out, err := run(t, env, "timers"); err != nil || !strings.Contains(out, "no timer start events are scheduled") {
		t.Fatalf("timers before deploying: %q %v", out, err)
	}
	deployXML(t, env, "nightly.bpmn", `<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="nightly" isExecutable="true">
    <startEvent id="At2"><timerEventDefinition><timeCycle>0 0 2 * * ?</timeCycle></timerEventDefinition></startEvent>
    <sequenceFlow id="f0" sourceRef="At2" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>`)
	out, err := run(t, env, "timers")
	if err != nil || !strings.Contains(out, "nightly  1        At2    0      ") || !strings.Contains(out, "T02:00:00Z") {
		t.Fatalf("timers: %q %v", out, err)
	}
	out, err = run(t, env, "timers", "-o", "json")
	var got struct {
		Timers []struct {
			ProcessKey, Event, Due string
			Version, Fired         int
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got.Timers) != 1 || got.Timers[0].Event != "At2" {
		t.Fatalf("timers -o json: %q %v", out, err)
	}
}

func TestIncidentsAreListedAndRetriedFromTheCommandLine(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	deployXML(t, env, "pay.bpmn", `<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:baton="https://github.com/batonhq/baton/schema/bpmn" id="d">
  <process id="pay" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f0" sourceRef="s" targetRef="Charge"/>
    <serviceTask id="Charge" baton:type="charge" baton:asyncBefore="true"/>
    <sequenceFlow id="f1" sourceRef="Charge" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>`)
	c := env.Client(env.Config())
	c.Register("charge", baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		if tk.Var("card") == nil {
			return baton.FailNow(errors.New("no card on file"))
		}
		return nil
	}))
	batontest.RunWorker(t, c, baton.WorkerConfig{TaskTypes: []string{"charge"}})
	out, err := run(t, env, "start", "pay")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	var list []struct{ JobID, InstanceID, ActivityID, Error string }
	batontest.Eventually(t, 30*time.Second, func() bool {
		out, err = run(t, env, "incidents", "list", "-o", "json")
		return err == nil && json.Unmarshal([]byte(out), &list) == nil && len(list) == 1
	}, "no incident listed: %q %v", out, err)
	if list[0].InstanceID != id || list[0].ActivityID != "Charge" || !strings.Contains(list[0].Error, "no card on file") {
		t.Fatalf("incident %+v", list[0])
	}
	if out, err := run(t, env, "incidents", "list"); err != nil || !strings.Contains(out, "Charge") || !strings.Contains(out, "no card on file (not retried)") {
		t.Fatalf("table: %q %v", out, err)
	}
	if out, err := run(t, env, "incidents", "retry", list[0].JobID, "--var", "card=visa"); err != nil || !strings.Contains(out, "resolved") {
		t.Fatalf("retry: %q %v", out, err)
	}
	batontest.Eventually(t, 30*time.Second, func() bool {
		out, err = run(t, env, "instance", "show", id, "-o", "json")
		return err == nil && strings.Contains(out, `"status": "completed"`)
	}, "the retried instance did not complete: %q", out)
	if _, err := run(t, env, "incidents", "retry", list[0].JobID); err == nil || !strings.Contains(err.Error(), "has no open incident") {
		t.Fatalf("retrying again: %v", err)
	}
}

func TestADeadLetteredStartMessageIsShownAndRequeuedAfterTheDeploy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := batontest.New(t)
	if out, err := run(t, env, "dead-letters", "list"); err != nil || !strings.Contains(out, "no dead letters") {
		t.Fatalf("list before: %q %v", out, err)
	}
	c := env.Client(env.Config())
	batontest.RunWorker(t, c, baton.WorkerConfig{ServeEngineType: true, StartMessages: true})
	// A start message for a process nobody deployed yet is dead-lettered.
	if err := c.Engine().Queue().EnsureStreams(ctx); err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: queue.StartSubject("pay"), Data: []byte(`{"businessKey":"o-7"}`), Header: nats.Header{}}
	msg.Header.Set("Content-Type", "application/json")
	msg.Header.Set(nats.MsgIdHdr, "start-o-7")
	if _, err := c.Engine().Queue().JetStream().PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}
	var out string
	var err error
	batontest.Eventually(t, 30*time.Second, func() bool {
		out, err = run(t, env, "dead-letters", "list")
		return err == nil && strings.Contains(out, "baton.start.pay")
	}, "the start message was not dead-lettered: %q %v", out, err)
	if !strings.Contains(out, "unknown process") {
		t.Fatalf("list: %q", out)
	}
	seq := strings.Fields(strings.Split(out, "\n")[1])[0]
	if out, err := run(t, env, "dead-letters", "show", seq); err != nil || !strings.Contains(out, `{"businessKey":"o-7"}`) || !strings.Contains(out, "start-o-7") {
		t.Fatalf("show: %q %v", out, err)
	}
	if _, err := run(t, env, "dead-letters", "show", "x"); err == nil || !strings.Contains(err.Error(), "want the dead letter's sequence") {
		t.Fatalf("show x: %v", err)
	}
	// Deploy the process, requeue the message: the instance starts.
	deployXML(t, env, "pay.bpmn", `<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="pay" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f0" sourceRef="s" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>`)
	if out, err := run(t, env, "dead-letters", "requeue", seq); err != nil || !strings.Contains(out, "published again to baton.start.pay") {
		t.Fatalf("requeue: %q %v", out, err)
	}
	// The instance the original message would have started: a resend of it starts nothing more.
	id := engine.DerivedInstanceID("pay", "start-o-7")
	batontest.Eventually(t, 30*time.Second, func() bool {
		v, err := c.Instance(ctx, id)
		return err == nil && v.Status == engine.StatusCompleted && v.BusinessKey == "o-7"
	}, "the requeued start message started no instance")
	if out, err := run(t, env, "dead-letters", "list"); err != nil || !strings.Contains(out, "no dead letters") {
		t.Fatalf("list after: %q %v", out, err)
	}
}

func TestSuspendAndActivateFromTheCommandLine(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	deployXML(t, env, "order.bpmn", string(order.BPMN))
	if out, err := run(t, env, "suspend", "--process", "order"); err != nil || !strings.Contains(out, "process order suspended") {
		t.Fatalf("suspend: %q %v", out, err)
	}
	if out, err := run(t, env, "suspend", "--type", "order.charge"); err != nil || !strings.Contains(out, "task type order.charge suspended") {
		t.Fatalf("pause: %q %v", out, err)
	}
	if out, err := run(t, env, "suspensions"); err != nil || !strings.Contains(out, "process order") || !strings.Contains(out, "task type order.charge") {
		t.Fatalf("suspensions: %q %v", out, err)
	}
	if _, err := run(t, env, "start", "order"); err == nil || !strings.Contains(err.Error(), "suspended") {
		t.Fatalf("start while suspended: %v", err)
	}
	if _, err := run(t, env, "suspend", "--process", "order", "--instance", "x"); err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Fatalf("two scopes: %v", err)
	}
	for _, args := range [][]string{{"--process", "order"}, {"--type", "order.charge"}} {
		if out, err := run(t, env, append([]string{"activate"}, args...)...); err != nil || !strings.Contains(out, "activated") {
			t.Fatalf("activate %v: %q %v", args, out, err)
		}
	}
	if out, err := run(t, env, "suspensions", "-o", "json"); err != nil || !strings.Contains(out, `"suspensions": []`) {
		t.Fatalf("suspensions after: %q %v", out, err)
	}
}

func TestInstancesListsAndFiltersFromTheCommandLine(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	deployXML(t, env, "pay.bpmn", `<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <process id="pay" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f0" sourceRef="s" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>`)
	for _, bk := range []string{"o-1", "o-2"} {
		if _, err := run(t, env, "start", "pay", "--business-key", bk); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(t, env, "instances", "--process", "pay")
	if err != nil || strings.Count(out, "completed") != 2 || !strings.Contains(out, "BUSINESS KEY") {
		t.Fatalf("instances: %q %v", out, err)
	}
	out, err = run(t, env, "instances", "--business-key", "o-2", "-o", "json")
	var got struct {
		Instances []struct{ BusinessKey, Status string }
	}
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got.Instances) != 1 || got.Instances[0].BusinessKey != "o-2" {
		t.Fatalf("instances -o json: %q %v", out, err)
	}
	if _, err := run(t, env, "instances", "--status", "done"); err == nil || !strings.Contains(err.Error(), "want running, incident, completed or cancelled") {
		t.Fatalf("bad status: %v", err)
	}
	if out, err := run(t, env, "instances", "--status", "running"); err != nil || !strings.Contains(out, "no instances match") {
		t.Fatalf("none running: %q %v", out, err)
	}
}

func TestAConfigFileSetsFlagsTheCommandLineLeftUnset(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "baton.yaml")
	// retain-ended is the server's: the file can be shared with it.
	if err := os.WriteFile(file, []byte("# settings\noutput: json\nexternal-types: [archive, print]\nretain-ended: 48h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, env, "--config", file, "timers"); err != nil || !strings.Contains(out, `"timers": []`) {
		t.Fatalf("from the file: %q %v", out, err)
	}
	if out, err := run(t, env, "--config", file, "timers", "-o", "table"); err != nil || !strings.Contains(out, "no timer start events") {
		t.Fatalf("the command line wins: %q %v", out, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("output: json\ncolour: red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, env, "--config", bad, "timers"); err == nil || !strings.Contains(err.Error(), "bad.yaml:2: \"colour\" is no setting of any baton command") {
		t.Fatalf("an unknown key: %v", err)
	}
	if err := os.WriteFile(bad, []byte("output: [json, table\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, env, "--config", bad, "timers"); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Fatalf("malformed YAML: %v", err)
	}
}

func TestTheCommandLineWorksThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	c := env.Client(env.Config())
	srv := api.New(api.Config{Addr: "127.0.0.1:0", API: true, Token: "s3cret"}, c, nil, env.Log)
	ln, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	viaAPI := func(args ...string) (string, error) {
		return run(t, env, append([]string{"--api", "http://" + ln.Addr().String(), "--api-token", "s3cret"}, args...)...)
	}
	file := filepath.Join(t.TempDir(), "approve.bpmn")
	if err := os.WriteFile(file, []byte(`<?xml version="1.0"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d">
  <process id="approve" isExecutable="true">
    <startEvent id="s"/>
    <sequenceFlow id="f0" sourceRef="s" targetRef="Approve"/>
    <userTask id="Approve" camunda:candidateGroups="sales"/>
    <sequenceFlow id="f1" sourceRef="Approve" targetRef="e"/>
    <endEvent id="e"/>
  </process>
</definitions>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := viaAPI("deploy", file); err != nil || !strings.Contains(out, "approve version 1 (deployed)") {
		t.Fatalf("deploy: %q %v", out, err)
	}
	out, err := viaAPI("start", "approve", "--business-key", "o-5", "--var", "amount=12")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	var tasks []struct{ ID string }
	out, err = viaAPI("tasks", "list", "--group", "sales", "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &tasks) != nil || len(tasks) != 1 {
		t.Fatalf("tasks: %q %v", out, err)
	}
	if _, err := viaAPI("tasks", "claim", tasks[0].ID, "--user", "ann"); err != nil {
		t.Fatal(err)
	}
	if out, err := viaAPI("vars", "get", id); err != nil || !strings.Contains(out, "amount") {
		t.Fatalf("vars: %q %v", out, err)
	}
	if _, err := viaAPI("tasks", "complete", tasks[0].ID, "--var", "approved=true"); err != nil {
		t.Fatal(err)
	}
	if _, err := viaAPI("tasks", "complete", tasks[0].ID); err == nil || !strings.Contains(err.Error(), "nothing waits") {
		t.Fatalf("completing twice: %v", err)
	}
	if out, err := viaAPI("instance", "show", id, "-o", "json"); err != nil || !strings.Contains(out, `"status": "completed"`) || !strings.Contains(out, `"approved": true`) {
		t.Fatalf("instance: %q %v", out, err)
	}
	if out, err := viaAPI("instances", "--business-key", "o-5"); err != nil || !strings.Contains(out, id) {
		t.Fatalf("instances: %q %v", out, err)
	}
	if out, err := viaAPI("incidents", "list"); err != nil || !strings.Contains(out, "no open incidents") {
		t.Fatalf("incidents: %q %v", out, err)
	}
	// A wrong token is refused, with the server's words.
	if _, err := run(t, env, "--api", "http://"+ln.Addr().String(), "--api-token", "nope", "instances"); err == nil || !strings.Contains(err.Error(), "bearer token is required") {
		t.Fatalf("a wrong token: %v", err)
	}
}

func TestJobsListsOutstandingJobsFromTheCommandLine(t *testing.T) {
	t.Parallel()
	env := batontest.New(t)
	deployXML(t, env, "order.bpmn", string(order.BPMN))
	if out, err := run(t, env, "jobs"); err != nil || !strings.Contains(out, "no jobs match") {
		t.Fatalf("jobs before: %q %v", out, err)
	}
	if _, err := run(t, env, "start", "order", "--var", "amount=10"); err != nil {
		t.Fatal(err)
	}
	// Nobody serves the order's task types here: its first job waits.
	if out, err := run(t, env, "jobs", "--process", "order"); err != nil || !strings.Contains(out, "waiting") || !strings.Contains(out, "order") {
		t.Fatalf("jobs: %q %v", out, err)
	}
	if _, err := run(t, env, "jobs", "--limit", "0"); err == nil || !strings.Contains(err.Error(), "want 1 to 1000") {
		t.Fatalf("--limit 0: %v", err)
	}
}

// deployXML writes a BPMN document to a file named name and deploys it with the command line.
func deployXML(t *testing.T, env *batontest.Env, name, doc string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, env, "deploy", file); err != nil {
		t.Fatal(err)
	}
	return file
}

// Not parallel: it sets environment variables.
func TestADurabilityFlagGivenAsZeroWinsOverTheEnvironment(t *testing.T) {
	env := batontest.New(t)
	file := filepath.Join(t.TempDir(), "order.bpmn")
	if err := os.WriteFile(file, order.BPMN, 0o644); err != nil {
		t.Fatal(err)
	}
	// The test's Redis has no replica: a deploy that waits for 5 fails as not durable.
	t.Setenv("BATON_REDIS_WAIT_REPLICAS", "5")
	t.Setenv("BATON_REDIS_WAIT_TIMEOUT", "100ms")
	if out, err := run(t, env, "deploy", file); err == nil || !strings.Contains(err.Error(), "0 of 5 replicas") {
		t.Fatalf("deploy with BATON_REDIS_WAIT_REPLICAS=5: %q %v; want it refused as not durable", out, err)
	}
	if out, err := run(t, env, "deploy", "--redis-wait-replicas", "0", file); err != nil {
		t.Fatalf("deploy with --redis-wait-replicas 0: %q %v", out, err)
	}
	t.Setenv("BATON_REDIS_WAIT_TIMEOUT", "soon")
	if _, err := run(t, env, "instances"); err == nil || !strings.Contains(err.Error(), `BATON_REDIS_WAIT_TIMEOUT="soon"`) {
		t.Fatalf("instances with BATON_REDIS_WAIT_TIMEOUT=soon: %v; want the variable named", err)
	}
}
