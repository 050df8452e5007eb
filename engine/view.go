package engine

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/engine/store"
)

// InstanceView is the readable form of an instance, as `baton instance show -o json` prints it.
type InstanceView struct {
	ID                string `json:"id"`
	ProcessKey        string `json:"processKey"`
	DefinitionVersion int    `json:"definitionVersion"`
	BusinessKey       string `json:"businessKey,omitempty"`
	Status            string `json:"status"`
	// Suspended is true while the instance is suspended: its jobs are parked.
	Suspended bool `json:"suspended,omitempty"`
	// Archived is true for an instance read from its archive record (see RetentionConfig).
	Archived  bool           `json:"archived,omitempty"`
	Version   int64          `json:"version"`
	Started   time.Time      `json:"started"`
	Ended     *time.Time     `json:"ended,omitempty"`
	Variables map[string]any `json:"variables"`
	Tokens    []TokenView    `json:"tokens"`
	Jobs      []JobView      `json:"jobs"`
	Incidents []IncidentView `json:"incidents"`
	History   []HistoryEvent `json:"history"`
}

// TokenView is one token of an InstanceView.
type TokenView struct {
	ID         string `json:"id"`
	ActivityID string `json:"activityId"`
	// State is "waiting-job", "waiting-join", "waiting-scope" (at a subprocess or
	// multi-instance body whose tokens run), "waiting-call" (at a call activity whose child
	// instance runs) or "active".
	State string `json:"state"`
	JobID string `json:"jobId,omitempty"`
	// ParentID is the token waiting at the subprocess (or multi-instance body) this token runs in.
	ParentID string `json:"parentId,omitempty"`
	// Variables are the token's local scope (input mappings, a subprocess's or a multi-instance
	// instance's variables); omitted when it has none.
	Variables map[string]any `json:"variables,omitempty"`
	// Loop is "body" or "inner" for the tokens of a multi-instance activity.
	Loop string `json:"loop,omitempty"`
	// ChildID is the instance a call activity started, while the token waits for it.
	ChildID string `json:"childId,omitempty"`
}

// JobView is one outstanding job of an InstanceView.
type JobView struct {
	ID         string `json:"id"`
	TaskType   string `json:"taskType"`
	Kind       string `json:"kind"`
	ActivityID string `json:"activityId"`
	TokenID    string `json:"tokenId"`
	Exclusive  bool   `json:"exclusive"`
	Attempts   int    `json:"attempts"`
	Leased     bool   `json:"leased"`
	Incident   bool   `json:"incident"`
}

// IncidentView is one open incident.
type IncidentView struct {
	JobID      string `json:"jobId"`
	ActivityID string `json:"activityId"`
	TaskType   string `json:"taskType,omitempty"`
	TokenID    string `json:"tokenId"`
	Error      string `json:"error"`
	Attempts   int    `json:"attempts"`
	Time       int64  `json:"time"`
}

// Instance reads an instance. It returns an error wrapping store.ErrNotFound for an unknown id.
func (e *Engine) Instance(ctx context.Context, id string) (*InstanceView, error) {
	snap, err := e.store.Load(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		if v, aerr := e.archived(ctx, id); aerr == nil {
			return v, nil
		}
	}
	if err != nil {
		return nil, err
	}
	st, err := DecodeState(snap.State)
	if err != nil {
		return nil, err
	}
	v := &InstanceView{ID: id, ProcessKey: st.ProcessKey, DefinitionVersion: st.DefinitionVersion,
		BusinessKey: st.BusinessKey, Status: snap.Status, Suspended: snap.Suspended, Version: snap.Version,
		Started: time.UnixMilli(st.Started).UTC(), Variables: st.Variables,
		Tokens: []TokenView{}, Jobs: []JobView{}, Incidents: []IncidentView{}}
	if st.Ended > 0 {
		t := time.UnixMilli(st.Ended).UTC()
		v.Ended = &t
	}
	if v.History, err = DecodeHistory(snap.History); err != nil {
		return nil, err
	}
	for _, t := range st.Tokens {
		state := "active"
		switch t.Wait {
		case WaitJob:
			state = "waiting-job"
		case WaitJoin:
			state = "waiting-join"
		case WaitScope:
			state = "waiting-scope"
		case WaitCall:
			state = "waiting-call"
		case WaitEvents:
			state = "waiting-events"
		}
		v.Tokens = append(v.Tokens, TokenView{ID: t.ID, ActivityID: t.Activity, State: state, JobID: t.Job,
			ParentID: t.Parent, Variables: t.Locals, Loop: t.Loop, ChildID: t.Child})
	}
	for id, env := range snap.Jobs {
		j, err := job.Decode(env)
		if err != nil {
			continue
		}
		_, leased := snap.Leases[id]
		_, inc := snap.Incidents[id]
		v.Jobs = append(v.Jobs, JobView{ID: id, TaskType: j.Type, Kind: j.Kind.String(), ActivityID: j.Activity,
			TokenID: j.Token, Exclusive: j.Exclusive, Attempts: snap.Attempts[id], Leased: leased, Incident: inc})
	}
	sort.Slice(v.Jobs, func(a, b int) bool { return v.Jobs[a].ID < v.Jobs[b].ID })
	for _, in := range incidentViews(snap) {
		v.Incidents = append(v.Incidents, in)
	}
	sort.Slice(v.Incidents, func(a, b int) bool { return v.Incidents[a].JobID < v.Incidents[b].JobID })
	return v, nil
}
