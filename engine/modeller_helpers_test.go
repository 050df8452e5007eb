package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/pkg/batontest"
)

// The harness of TestModellerFiles. It runs one model file without background workers: the
// start runs to its first boundary and commits (commit point 0), then the test goroutine claims
// and executes one outstanding job at a time (one commit point each), following the child
// instances of call activities, until the instance completes. After every commit it renders the
// instance compactly, so that a table row can say where each commit fell.
//
// A commit point renders as
//
//	<job> {<delegate calls>} => <tokens> | <variables>
//
// <job> is "start" or "<kind> <activity>" (kind before, after, call or return), prefixed with
// "<processKey>/" for a job of a child instance. The calls are the delegates the step ran, in
// order: the last segment of the task type (com.acme.ChargeCard: ChargeCard), and for an
// execution listener "/<event>". A token renders as <activity>:<state>: the kind of the job it
// waits for (before, after, call), join, scope (then the tokens of its scope follow in
// parentheses), or call{<child instance>} while a call activity's child runs; a multi-instance
// body's activity carries "#body", and a token's watched local variables follow in brackets. A
// non-exclusive job's kind is suffixed "(non-exclusive)". A completed instance renders as
// "completed". Variables are the watched ones of the root scope, as name=value.

// fake is a delegate of a table row; it runs synchronously in the test goroutine.
type fake func(tk *baton.Task) error

// modelRun is one row of TestModellerFiles.
type modelRun struct {
	name      string
	file      string // under testdata/
	process   string // the process key to start
	business  string // the business key to start with
	vars      map[string]any
	delegates map[string]fake // by task type
	// perType runs each job on a client that serves only that job's task type, and the start
	// and the engine's own jobs on a client without delegates (as `baton server` and one worker
	// deployment per task type would): every service task becomes a commit point, as in Zeebe.
	// Otherwise one client serves every delegate.
	perType bool
	watch   []string // variables shown at each commit point
	commits []string // expected commit points, the start first
	// history is the root instance's expected history without activity starts: the activity of
	// each end event, "!<activity>" for a cancelled one, "#body" for a multi-instance body.
	history []string
	// childHistory is the same for each child instance, in the order they were started.
	childHistory [][]string
	final        map[string]any // the root instance's variables when it completed, exactly
}

// sets returns a fake that sets the given variable names and values.
func sets(kv ...any) fake {
	return func(tk *baton.Task) error {
		for i := 0; i+1 < len(kv); i += 2 {
			tk.SetVar(kv[i].(string), kv[i+1])
		}
		return nil
	}
}

// appendVar returns a fake that appends value(tk) to the list variable name.
func appendVar(name string, value func(tk *baton.Task) any) fake {
	return func(tk *baton.Task) error {
		list, _ := tk.Var(name).([]any)
		tk.SetVar(name, append(list, value(tk)))
		return nil
	}
}

// recorder notes the delegate calls of one step.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) wrap(f fake) baton.Delegate {
	return baton.DelegateFunc(func(_ context.Context, tk *baton.Task) error {
		name := tk.TaskType[strings.LastIndex(tk.TaskType, ".")+1:]
		if tk.ListenerEvent != "" {
			name += "/" + tk.ListenerEvent
		}
		r.mu.Lock()
		r.calls = append(r.calls, name)
		r.mu.Unlock()
		return f(tk)
	})
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

// harness runs one row.
type harness struct {
	t      *testing.T
	row    modelRun
	env    *batontest.Env
	main   *baton.Client            // starts instances and runs jobs no other client serves
	typed  map[string]*baton.Client // per task type, with perType
	rec    *recorder
	ids    []string                        // the root instance, then each child in the order it was found
	keys   map[string]string               // process key by instance id
	views  map[string]*engine.InstanceView // the latest view by instance id
	points []string                        // the rendered commit points so far
}

// runModel deploys the row's file, starts its process, runs every job in the test goroutine and
// checks the commit points, the histories and the final variables.
func runModel(t *testing.T, row modelRun) {
	h := &harness{t: t, row: row, env: batontest.New(t), rec: &recorder{}, typed: map[string]*baton.Client{},
		keys: map[string]string{}, views: map[string]*engine.InstanceView{}}
	ctx := context.Background()
	h.main = h.env.Client(h.env.Config())
	if _, err := h.main.DeployFile(ctx, filepath.Join("testdata", row.file)); err != nil {
		t.Fatalf("deploy %s: %v", row.file, err)
	}
	for typ, f := range row.delegates {
		if !row.perType {
			h.main.Register(typ, h.rec.wrap(f))
			continue
		}
		cfg := h.env.Config()
		cfg.Engine.Owner = "worker-" + typ
		c := h.env.Client(cfg)
		c.Register(typ, h.rec.wrap(f))
		h.typed[typ] = c
	}
	res, err := h.main.Start(ctx, baton.StartRequest{ProcessKey: row.process, BusinessKey: row.business, Variables: row.vars})
	if err != nil {
		t.Fatalf("start %s: %v", row.process, err)
	}
	h.ids = []string{res.InstanceID}
	h.commit("start")
	for steps := 0; h.views[res.InstanceID].Status != engine.StatusCompleted; steps++ {
		if steps == 50 {
			t.Fatalf("not completed after 50 jobs; commit points so far:\n%s", strings.Join(h.points, "\n"))
		}
		h.step(ctx)
	}
	h.check()
}

// step claims and executes the first runnable job: the root instance's before its children's,
// each instance's in the order their commits created them.
func (h *harness) step(ctx context.Context) {
	t := h.t
	var next *job.Job
	for _, id := range h.ids {
		snap, err := h.main.Engine().Store().Load(ctx, id)
		if err != nil {
			t.Fatalf("load %s: %v", id, err)
		}
		var jobs []*job.Job
		for jid, env := range snap.Jobs {
			if _, leased := snap.Leases[jid]; leased {
				continue
			}
			if _, inc := snap.Incidents[jid]; inc {
				continue
			}
			j, err := job.Decode(env)
			if err != nil {
				t.Fatalf("decode job %s: %v", jid, err)
			}
			jobs = append(jobs, j)
		}
		sort.Slice(jobs, func(a, b int) bool { return jobOrder(jobs[a].ID) < jobOrder(jobs[b].ID) })
		if len(jobs) > 0 {
			next = jobs[0]
			break
		}
	}
	if next == nil {
		t.Fatalf("no runnable job, but the instance is not completed; commit points so far:\n%s", strings.Join(h.points, "\n"))
	}
	c := h.main
	if typed, ok := h.typed[next.Type]; ok {
		c = typed
	}
	lease, err := c.Engine().Claim(ctx, next)
	if err != nil {
		t.Fatalf("claim %s (%s %s): %v", next.ID, next.Kind, next.Activity, err)
	}
	res, err := c.Engine().Execute(ctx, lease)
	if err != nil || res.Outcome != engine.Committed {
		t.Fatalf("execute %s %s: outcome %v, error %v %v; commit points so far:\n%s",
			next.Kind, next.Activity, res.Outcome, err, res.Err, strings.Join(h.points, "\n"))
	}
	label := next.Kind.String() + " " + next.Activity
	if next.Instance != h.ids[0] {
		label = h.keys[next.Instance] + "/" + label
	}
	h.commit(label)
}

// jobOrder sorts job ids "<instance>:<version>:<ordinal>" by version, then ordinal.
func jobOrder(id string) int64 {
	parts := strings.Split(id, ":")
	ver, _ := strconv.ParseInt(parts[len(parts)-2], 10, 64)
	ord, _ := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	return ver<<16 | ord
}

// commit records the commit point that label's step made: it reloads every instance, finds new
// children and renders the root.
func (h *harness) commit(label string) {
	for i := 0; i < len(h.ids); i++ {
		v := show(h.t, h.main, h.ids[i])
		if v.Status == engine.StatusIncident || len(v.Incidents) > 0 {
			h.t.Fatalf("%s: instance %s has incidents %+v", label, v.ID, v.Incidents)
		}
		h.views[v.ID], h.keys[v.ID] = v, v.ProcessKey
		for _, tk := range v.Tokens {
			if tk.ChildID != "" && h.keys[tk.ChildID] == "" {
				h.keys[tk.ChildID] = "?"
				h.ids = append(h.ids, tk.ChildID)
			}
		}
	}
	if calls := h.rec.take(); len(calls) > 0 {
		label += " {" + strings.Join(calls, ",") + "}"
	}
	h.points = append(h.points, label+" => "+h.render(h.views[h.ids[0]]))
}

// render renders an instance: its tokens, then its watched variables.
func (h *harness) render(v *engine.InstanceView) string {
	s := "completed"
	if v.Status != engine.StatusCompleted {
		s = h.tokens(v, "")
	}
	if bk := v.BusinessKey; bk != "" && v.ID != h.ids[0] {
		s = "key=" + bk + " " + s
	}
	if vars := h.watched(v.Variables); vars != "" {
		s += " | " + vars
	}
	return s
}

// tokens renders the tokens of v whose parent is parent.
func (h *harness) tokens(v *engine.InstanceView, parent string) string {
	kinds := map[string]string{}
	for _, j := range v.Jobs {
		kinds[j.ID] = j.Kind
		if !j.Exclusive {
			kinds[j.ID] += "(non-exclusive)"
		}
	}
	var out []string
	for _, tk := range v.Tokens {
		if tk.ParentID != parent {
			continue
		}
		s := tk.ActivityID
		if tk.Loop == "body" {
			s += "#body"
		}
		switch tk.State {
		case "waiting-job":
			s += ":" + kinds[tk.JobID]
		case "waiting-join":
			s += ":join"
		case "waiting-scope":
			s += ":scope"
		case "waiting-call":
			s += ":call{" + h.render(h.views[tk.ChildID]) + "}"
		default:
			s += ":" + tk.State
		}
		if locals := h.watched(tk.Variables); locals != "" {
			s += "[" + locals + "]"
		}
		if tk.State == "waiting-scope" {
			s += "(" + h.tokens(v, tk.ID) + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// watched renders the row's watched variables that vars holds.
func (h *harness) watched(vars map[string]any) string {
	var out []string
	for _, name := range h.row.watch {
		if v, ok := vars[name]; ok {
			out = append(out, fmt.Sprintf("%s=%v", name, v))
		}
	}
	return strings.Join(out, " ")
}

// history renders an instance's history as the row states it.
func history(v *engine.InstanceView) []string {
	var out []string
	for _, e := range v.History {
		a := strings.Replace(e.Activity, "#multiInstanceBody", "#body", 1)
		switch e.Type {
		case engine.EventActivityEnd:
			out = append(out, a)
		case engine.EventActivityCancel:
			out = append(out, "!"+a)
		}
	}
	return out
}

// check compares the run with the row.
func (h *harness) check() {
	t, row := h.t, h.row
	if got, want := strings.Join(h.points, "\n"), strings.Join(row.commits, "\n"); got != want {
		t.Errorf("commit points:\n%s\nwant:\n%s", got, want)
	}
	root := h.views[h.ids[0]]
	if got, want := strings.Join(history(root), " "), strings.Join(row.history, " "); got != want {
		t.Errorf("history:\n  %s\nwant:\n  %s", got, want)
	}
	var children [][]string
	for _, id := range h.ids[1:] {
		if v := h.views[id]; v.Status != engine.StatusCompleted || len(v.Jobs) != 0 {
			t.Errorf("child %s (%s): status %s, jobs %+v; want completed with its return job consumed", id, v.ProcessKey, v.Status, v.Jobs)
		}
		children = append(children, history(h.views[id]))
	}
	if len(children) != len(row.childHistory) || fmt.Sprint(children) != fmt.Sprint(row.childHistory) {
		t.Errorf("child histories:\n  %v\nwant:\n  %v", children, row.childHistory)
	}
	if !reflect.DeepEqual(root.Variables, row.final) {
		t.Errorf("final variables:\n  %s\nwant:\n  %s", typed(root.Variables), typed(row.final))
	}
	if len(root.Jobs) != 0 || len(root.Tokens) != 0 {
		t.Errorf("completed with jobs %+v and tokens %+v", root.Jobs, root.Tokens)
	}
}

// typed renders variables with their Go types, sorted by name, for a readable mismatch.
func typed(vars map[string]any) string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, k := range names {
		switch v := vars[k].(type) {
		case map[string]any, []any:
			out[i] = fmt.Sprintf("%s=%#v", k, v)
		default:
			out[i] = fmt.Sprintf("%s=%T(%#v)", k, v, v)
		}
	}
	return strings.Join(out, " ")
}
