package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/model"
	"github.com/batonhq/baton/engine/store"
)

// User tasks. A user task's token waits for a Wait job that carries the task's assignment as
// evaluated when it was created. Open tasks are listed from an index outside the instances'
// slots (store/tasks.go); claiming changes the assignee beside the job in the outbox.

// UserTaskType is the task type recorded on user tasks' wait jobs (never published).
const UserTaskType = "_userTask"

// createUserTask evaluates n's assignment and leaves t waiting for the task's completion.
func (r *runner) createUserTask(t *Token, n *model.Node) error {
	info := &job.UserTask{Process: r.st.ProcessKey, Version: r.st.DefinitionVersion, Name: n.Name}
	if u := n.User; u != nil {
		env := r.vars(t)
		get := func(m *model.Mapping) (any, error) {
			if m == nil {
				return nil, nil
			}
			v, err := evalMapping(m, env)
			if err != nil {
				return nil, &DelegateError{Activity: n.ID, Err: fmt.Errorf("user task %w", err)}
			}
			return v, nil
		}
		var err error
		var v any
		if v, err = get(u.Assignee); err != nil {
			return err
		}
		if ids := idList(v); len(ids) == 1 {
			info.Assignee = ids[0]
		} else {
			// Several actors (jBPM's ActorId "ann,bob"): each may claim it.
			info.CandidateUsers = ids
		}
		if v, err = get(u.CandidateUsers); err != nil {
			return err
		}
		info.CandidateUsers = append(info.CandidateUsers, idList(v)...)
		if v, err = get(u.CandidateGroups); err != nil {
			return err
		}
		info.CandidateGroups = idList(v)
		info.FormKey = u.FormKey
		for _, d := range []struct {
			m   *model.Mapping
			out *int64
		}{{u.DueDate, &info.Due}, {u.FollowUpDate, &info.FollowUp}} {
			if v, err = get(d.m); err != nil {
				return err
			}
			if *d.out, err = dateMillis(v); err != nil {
				return &DelegateError{Activity: n.ID, Err: fmt.Errorf("user task %s: %w", d.m.Target, err)}
			}
		}
		if v, err = get(u.Priority); err != nil {
			return err
		}
		if info.Priority, err = priority(v); err != nil {
			return &DelegateError{Activity: n.ID, Err: fmt.Errorf("user task priority: %w", err)}
		}
	}
	r.boundaryOn(t, n, job.Wait, UserTaskType).User = info
	return nil
}

// idList turns a list, or a comma-separated string, into ids.
func idList(v any) []string {
	var out []string
	add := func(s string) {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	switch x := v.(type) {
	case nil:
	case []any:
		for _, e := range x {
			out = append(out, idList(e)...) // a list in the list is flattened, as Camunda does
		}
	case []string:
		for _, e := range x {
			add(e)
		}
	default:
		add(fmt.Sprint(x))
	}
	return out
}

// dateMillis reads a date: RFC 3339, a date alone, a time.Time, Unix milliseconds, or an ISO
// 8601 duration from now ("PT2H", "P3D"; Flowable, Activiti and jBPM write due dates so).
func dateMillis(v any) (int64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case time.Time:
		return x.UnixMilli(), nil
	case int64:
		return x, nil
	case string:
		if x == "" {
			return 0, nil
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UnixMilli(), nil
			}
		}
		if d, err := model.ParseDuration(x); err == nil {
			return time.Now().Add(d).UnixMilli(), nil
		}
		return 0, fmt.Errorf("%q is not an ISO 8601 date-time or duration", x)
	}
	return 0, fmt.Errorf("%v (%T) is not a date", v, v)
}

func priority(v any) (int64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return x, nil
	case float64:
		return int64(x), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number", x)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}

// TaskView is an open user task, as Tasks lists it.
type TaskView struct {
	// ID completes, claims and unclaims the task (the id of the job the token waits for).
	ID                string     `json:"id"`
	InstanceID        string     `json:"instanceId"`
	ProcessKey        string     `json:"processKey"`
	DefinitionVersion int        `json:"definitionVersion,omitempty"`
	ActivityID        string     `json:"activityId"`
	Name              string     `json:"name,omitempty"`
	Assignee          string     `json:"assignee,omitempty"`
	CandidateUsers    []string   `json:"candidateUsers,omitempty"`
	CandidateGroups   []string   `json:"candidateGroups,omitempty"`
	FormKey           string     `json:"formKey,omitempty"`
	Due               *time.Time `json:"due,omitempty"`
	FollowUp          *time.Time `json:"followUp,omitempty"`
	Priority          int64      `json:"priority,omitempty"`
	Created           time.Time  `json:"created"`
}

func taskView(j *job.Job) TaskView {
	u := j.User
	v := TaskView{ID: j.ID, InstanceID: j.Instance, ProcessKey: u.Process, DefinitionVersion: u.Version,
		ActivityID: j.Activity, Name: u.Name, Assignee: u.Assignee, CandidateUsers: u.CandidateUsers,
		CandidateGroups: u.CandidateGroups, FormKey: u.FormKey, Priority: u.Priority, Created: time.UnixMilli(j.Created).UTC()}
	if u.Due != 0 {
		d := time.UnixMilli(u.Due).UTC()
		v.Due = &d
	}
	if u.FollowUp != 0 {
		d := time.UnixMilli(u.FollowUp).UTC()
		v.FollowUp = &d
	}
	return v
}

// indexTasks writes the index entries of a committed step's user tasks. A failure is logged:
// the reconciler re-writes entries when it looks at the tasks' wait jobs.
func (e *Engine) indexTasks(ctx context.Context, jobs []*job.Job) {
	entries := map[string][]byte{}
	for _, j := range jobs {
		if j.Kind != job.Wait || j.User == nil {
			continue
		}
		b, err := json.Marshal(taskView(j))
		if err == nil {
			entries[j.ID] = b
		}
	}
	if err := e.store.IndexTasks(ctx, entries); err != nil {
		e.log.Warn("indexing user tasks failed; the reconciler will", zap.Error(err))
	}
}

// TaskFilter selects user tasks; empty fields match every task.
type TaskFilter struct {
	// Assignee matches tasks assigned to this user.
	Assignee string
	// CandidateUser matches tasks this user may claim: unassigned, with the user among the
	// candidate users or in one of CandidateGroups' groups.
	CandidateUser string
	// CandidateGroups match unassigned tasks offered to any of these groups.
	CandidateGroups []string
	// Unassigned matches tasks nobody holds.
	Unassigned bool
	ProcessKey string
	InstanceID string
	// DueBefore matches tasks due before this time.
	DueBefore time.Time
}

func (f TaskFilter) match(v TaskView) bool {
	offered := func() bool {
		if v.Assignee != "" {
			return false
		}
		if f.CandidateUser == "" && len(f.CandidateGroups) == 0 {
			return true
		}
		for _, u := range v.CandidateUsers {
			if u == f.CandidateUser {
				return true
			}
		}
		for _, g := range v.CandidateGroups {
			for _, want := range f.CandidateGroups {
				if g == want {
					return true
				}
			}
		}
		return false
	}
	switch {
	case f.Assignee != "" && v.Assignee != f.Assignee,
		f.Unassigned && v.Assignee != "",
		(f.CandidateUser != "" || len(f.CandidateGroups) > 0) && !offered(),
		f.ProcessKey != "" && v.ProcessKey != f.ProcessKey,
		f.InstanceID != "" && v.InstanceID != f.InstanceID,
		!f.DueBefore.IsZero() && (v.Due == nil || !v.Due.Before(f.DueBefore)):
		return false
	}
	return true
}

// Tasks lists the open user tasks that f matches, by priority (highest first), then due date,
// then creation.
func (e *Engine) Tasks(ctx context.Context, f TaskFilter) ([]TaskView, error) {
	idx, err := e.store.TaskIndex(ctx)
	if err != nil {
		return nil, err
	}
	out := []TaskView{}
	for id, raw := range idx {
		var v TaskView
		if json.Unmarshal([]byte(raw), &v) != nil {
			e.log.Warn("unreadable user task index entry", zap.String("task", id))
			continue
		}
		if f.match(v) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		switch {
		case x.Priority != y.Priority:
			return x.Priority > y.Priority
		case (x.Due == nil) != (y.Due == nil):
			return x.Due != nil
		case x.Due != nil && !x.Due.Equal(*y.Due):
			return x.Due.Before(*y.Due)
		case !x.Created.Equal(y.Created):
			return x.Created.Before(y.Created)
		}
		return x.ID < y.ID
	})
	return out, nil
}

// ErrTaskTaken means a user task is assigned to somebody else: unclaim it first.
var ErrTaskTaken = store.ErrTaken

// ClaimTask assigns an open user task to user. It fails with an error wrapping ErrTaskTaken
// when somebody else holds it, and ErrNotWaiting when the task has ended. Claiming a task one
// holds already succeeds.
func (e *Engine) ClaimTask(ctx context.Context, taskID, user string) error {
	if strings.TrimSpace(user) == "" {
		return errors.New("claim: a user id is required")
	}
	return e.assign(ctx, taskID, user, true)
}

// UnclaimTask takes the assignee off an open user task.
func (e *Engine) UnclaimTask(ctx context.Context, taskID string) error {
	return e.assign(ctx, taskID, "", false)
}

func (e *Engine) assign(ctx context.Context, taskID, user string, onlyIfFree bool) error {
	j, err := e.findWait(ctx, CompleteRequest{TaskID: taskID})
	if err != nil {
		return err
	}
	if j.User == nil {
		return fmt.Errorf("task %s is a waiting delegate, not a user task", taskID)
	}
	if _, err := e.store.Assign(ctx, j.Instance, j.ID, user, onlyIfFree, j.User.Assignee); err != nil {
		if errors.Is(err, store.ErrStale) {
			return fmt.Errorf("task %s: %w", taskID, ErrNotWaiting)
		}
		return err
	}
	// The index follows the outbox; the reconciler corrects an entry this fails to write, or
	// one this writes for a task that ended meanwhile.
	v := taskView(j)
	v.Assignee = user
	if b, err := json.Marshal(v); err == nil {
		_ = e.store.IndexTasks(ctx, map[string][]byte{j.ID: b})
	}
	return nil
}

// WaitRecheck is how often the reconciler looks at a wait job: to re-write a user task's index
// entry that a crash lost, or to drop one whose task ended.
const WaitRecheck = time.Hour

// reindexTask re-writes the index entry of an open user task, with its current assignee.
func (e *Engine) reindexTask(ctx context.Context, j *job.Job) error {
	v := taskView(j)
	if a, ok, err := e.store.Assignee(ctx, j.Instance, j.ID); err != nil {
		return err
	} else if ok {
		v.Assignee = a
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.store.IndexTasks(ctx, map[string][]byte{j.ID: b})
}

// unindexCancelled drops the index entries of jobs a step cancelled (user tasks among them,
// interrupted or terminated). A failure leaves the entry for the reconciler.
func (e *Engine) unindexCancelled(ctx context.Context, cancelled []string) {
	if len(cancelled) > 0 {
		_ = e.store.UnindexTasks(ctx, cancelled...)
	}
}
