package baton

import (
	"context"
	"errors"

	"github.com/batonhq/baton/engine"
)

// Wait states that a command ends: user tasks and delegates that wait.
type (
	// CompleteRequest completes a user task or a waiting delegate. See engine.CompleteRequest.
	CompleteRequest = engine.CompleteRequest
	// CompleteResult says what a completion did.
	CompleteResult = engine.CompleteResult
	// TaskView is an open user task.
	TaskView = engine.TaskView
	// TaskFilter selects user tasks; empty fields match every task.
	TaskFilter = engine.TaskFilter
)

// Errors of wait states, for errors.Is.
var (
	// ErrWait is what a delegate returns to park its token until Complete. See engine.ErrWait.
	ErrWait = engine.ErrWait
	// ErrNotWaiting means nothing waits for a completion: a duplicate, or a token that moved on.
	ErrNotWaiting = engine.ErrNotWaiting
	// ErrTaskTaken means a user task is assigned to somebody else.
	ErrTaskTaken = engine.ErrTaskTaken
)

// Complete ends a wait exactly once and runs the step that follows, in this process (with the
// delegates registered here; a service task whose delegate is missing becomes a job).
func (c *Client) Complete(ctx context.Context, req CompleteRequest) (CompleteResult, error) {
	return c.eng.Complete(ctx, req)
}

// Tasks lists the open user tasks that f matches.
func (c *Client) Tasks(ctx context.Context, f TaskFilter) ([]TaskView, error) {
	return c.eng.Tasks(ctx, f)
}

// ClaimTask assigns an open user task to user; it fails with ErrTaskTaken when somebody else
// holds it.
func (c *Client) ClaimTask(ctx context.Context, taskID, user string) error {
	return c.eng.ClaimTask(ctx, taskID, user)
}

// UnclaimTask takes the assignee off an open user task.
func (c *Client) UnclaimTask(ctx context.Context, taskID string) error {
	return c.eng.UnclaimTask(ctx, taskID)
}

// CancelResult says what Cancel did. See engine.CancelResult.
type CancelResult = engine.CancelResult

// ErrCalledInstance means an instance was started by a call activity: cancel its parent.
var ErrCalledInstance = engine.ErrCalledInstance

// Cancel ends a running instance and the instances its call activities started. See
// engine.Engine.Cancel.
func (c *Client) Cancel(ctx context.Context, id string) (CancelResult, error) {
	return c.eng.Cancel(ctx, id)
}

// Messages.
type (
	// CorrelateRequest delivers a message. See engine.CorrelateRequest.
	CorrelateRequest = engine.CorrelateRequest
	// CorrelateResult says what happened to a message.
	CorrelateResult = engine.CorrelateResult
)

// Errors of Correlate, for errors.Is.
var (
	// ErrAmbiguous means several instances wait for the message and the request did not say All.
	ErrAmbiguous = engine.ErrAmbiguous
	// ErrNoSubscription means no instance waits and the message was not to be buffered.
	ErrNoSubscription = engine.ErrNoSubscription
)

// Correlate delivers a message to the instances that wait for it, or buffers it for its TTL.
// See engine.Engine.Correlate.
func (c *Client) Correlate(ctx context.Context, req CorrelateRequest) (CorrelateResult, error) {
	return c.eng.Correlate(ctx, req)
}

// ErrWaitIncident means a wait has an open incident: its completion is refused until an
// operator resolves it.
var ErrWaitIncident = engine.ErrIncident

// SignalResult says what a signal reached.
type SignalResult = engine.SignalResult

// Signal broadcasts a signal to every instance waiting for it; nobody waiting is not an error.
func (c *Client) Signal(ctx context.Context, name string, vars map[string]any) (SignalResult, error) {
	return c.eng.Signal(ctx, name, vars)
}

// StartTimer is a scheduled timer start event: its process, version and event, how often it
// fired, and when it fires next.
type StartTimer = engine.StartTimer

// StartTimers lists the scheduled timer start events, by process key and event id.
func (c *Client) StartTimers(ctx context.Context) ([]StartTimer, error) {
	return c.eng.StartTimers(ctx)
}

// Variables.
type (
	// SetVariablesRequest sets variables of a running instance. See engine.SetVariablesRequest.
	SetVariablesRequest = engine.SetVariablesRequest
	// HistoryEvent is one entry of an instance's history.
	HistoryEvent = engine.HistoryEvent
)

// ErrEnded means an instance has ended: its variables can no longer change.
var ErrEnded = engine.ErrEnded

// Variables returns an instance's process variables, or with tokenID those the token sees.
func (c *Client) Variables(ctx context.Context, instanceID, tokenID string) (map[string]any, error) {
	return c.eng.Variables(ctx, instanceID, tokenID)
}

// SetVariables sets variables of a running instance in one commit.
func (c *Client) SetVariables(ctx context.Context, req SetVariablesRequest) error {
	return c.eng.SetVariables(ctx, req)
}

// VariableHistory returns an instance's variable changes, oldest first (only name's, if given).
func (c *Client) VariableHistory(ctx context.Context, instanceID, name string) ([]HistoryEvent, error) {
	return c.eng.VariableHistory(ctx, instanceID, name)
}

// Modification.
type (
	// ModifyRequest modifies a running instance. See engine.ModifyRequest.
	ModifyRequest = engine.ModifyRequest
	// ModifyResult says what a modification left.
	ModifyResult = engine.ModifyResult
	// Instruction is one step of a modification (engine.ModifyCancel, ModifyStartBefore, ...).
	Instruction = engine.Instruction
)

// Modify applies a modification atomically at the instance's current version.
func (c *Client) Modify(ctx context.Context, req ModifyRequest) (ModifyResult, error) {
	return c.eng.Modify(ctx, req)
}

// Incidents.
type (
	// OpenIncident is one open incident with its instance.
	OpenIncident = engine.OpenIncident
	// IncidentFilter narrows Incidents; empty fields match everything.
	IncidentFilter = engine.IncidentFilter
	// RetryRequest resolves an incident, with new retries and variables.
	RetryRequest = engine.RetryRequest
)

// ErrNoIncident means the job has no open incident.
var ErrNoIncident = engine.ErrNoIncident

// Incidents lists the open incidents matching f, oldest first.
func (c *Client) Incidents(ctx context.Context, f IncidentFilter) ([]OpenIncident, error) {
	return c.eng.Incidents(ctx, f)
}

// RetryIncident resolves an incident: it sets the request's variables, gives the job fresh
// attempts and runs it again.
func (c *Client) RetryIncident(ctx context.Context, req RetryRequest) error {
	return c.eng.RetryIncident(ctx, req)
}

// DeadLetterRecord is one dead-lettered message: its sequence in BATON_DEAD, original subject,
// reason, original message id, time, body and headers.
type DeadLetterRecord = engine.DeadLetterRecord

// ErrNoDeadLetter means no dead letter has the given sequence.
var ErrNoDeadLetter = engine.ErrNoDeadLetter

// DeadLetters lists up to limit dead letters after sequence after (0: from the oldest), and
// the sequence to continue after (0: no more).
func (c *Client) DeadLetters(ctx context.Context, after uint64, limit int) ([]DeadLetterRecord, uint64, error) {
	return c.eng.DeadLetters(ctx, after, limit)
}

// DeadLetter returns dead letter seq.
func (c *Client) DeadLetter(ctx context.Context, seq uint64) (DeadLetterRecord, error) {
	return c.eng.DeadLetter(ctx, seq)
}

// RequeueDeadLetter publishes dead letter seq again to its original subject and deletes it.
func (c *Client) RequeueDeadLetter(ctx context.Context, seq uint64) (DeadLetterRecord, error) {
	return c.eng.RequeueDeadLetter(ctx, seq)
}

// DeleteDeadLetter deletes dead letter seq.
func (c *Client) DeleteDeadLetter(ctx context.Context, seq uint64) error {
	return c.eng.DeleteDeadLetter(ctx, seq)
}

// Suspension.
type (
	// Scope names what Suspend and Activate act on: a process key (with a version, or an
	// activity's jobs), an instance, or a task type (paused).
	Scope = engine.Scope
	// Suspension is one suspended scope and since when.
	Suspension = engine.Suspension
)

// ErrSuspended means the instance, its process definition or the job's activity is suspended.
var ErrSuspended = engine.ErrSuspended

// Suspend suspends s: new starts of a suspended process are refused, and the jobs of what is
// suspended are parked until it is activated; a paused task type is not fetched.
func (c *Client) Suspend(ctx context.Context, s Scope) error { return c.eng.Suspend(ctx, s) }

// Activate ends s's suspension and publishes its parked jobs again; it returns how many.
func (c *Client) Activate(ctx context.Context, s Scope) (int, error) { return c.eng.Activate(ctx, s) }

// Suspensions lists the suspended processes, activities and task types.
func (c *Client) Suspensions(ctx context.Context) ([]Suspension, error) {
	return c.eng.Suspensions(ctx)
}

// IsScopeError reports whether err says a Scope names nothing, or too much.
func IsScopeError(err error) bool { return errors.Is(err, engine.ErrScope) }

// Instances.
type (
	// InstanceFilter narrows Instances: process key, status, business key, start time, limit.
	InstanceFilter = engine.InstanceFilter
	// InstanceSummary is one listed instance.
	InstanceSummary = engine.InstanceSummary
)

// Instances lists the instances matching f, newest first (archived ones too).
func (c *Client) Instances(ctx context.Context, f InstanceFilter) ([]InstanceSummary, error) {
	return c.eng.Instances(ctx, f)
}

// Jobs.
type (
	// OutstandingJob is one job in an outbox, with its instance.
	OutstandingJob = engine.OutstandingJob
	// JobFilter narrows Jobs: task type, process, instance, activity, incident, leased, limit.
	JobFilter = engine.JobFilter
)

// Jobs lists outstanding jobs matching f.
func (c *Client) Jobs(ctx context.Context, f JobFilter) ([]OutstandingJob, error) {
	return c.eng.Jobs(ctx, f)
}
