package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewJob is a job a step adds to the outbox.
type NewJob struct {
	// ID is the job's deterministic id.
	ID string
	// Envelope is the encoded job.
	Envelope []byte
	// CheckAt is when the reconciler looks at the job if it has not been consumed by then.
	CheckAt time.Time
}

// NewInstance is the first committed state of an instance.
type NewInstance struct {
	ID           string
	State        []byte
	Status       string
	DefinitionID string
	ProcessKey   string
	BusinessKey  string
	Created      time.Time
	// History is the first step's encoded history events; nil for none.
	History []byte
	Jobs    []NewJob
}

// Create stores a new instance and its first jobs in one atomic step. It returns created false,
// and nothing changes, when the instance already exists (a duplicate start).
func (s *Store) Create(ctx context.Context, in NewInstance) (created bool, err error) {
	args := []any{in.State, in.Status, in.DefinitionID, in.ProcessKey, in.BusinessKey,
		in.Created.UnixMilli(), in.History, nonce(), len(in.Jobs)}
	for _, j := range in.Jobs {
		args = append(args, j.ID, j.Envelope)
	}
	res, err := s.evalPipe(ctx, createScript, s.createKeys(in.ID), args, dueEntries(in.Jobs))
	if err != nil {
		return false, fmt.Errorf("create instance %s: %w", in.ID, err)
	}
	if str(res[0]) != "OK" {
		return false, nil
	}
	// Best-effort: an instance missing from the index is not listed and not archived.
	_ = s.IndexInstance(context.WithoutCancel(ctx), in.ID, in.Created)
	return true, nil
}

// createKeys are the keys of createScript: the step's keys and the archive record's.
func (s *Store) createKeys(id string) []string { return append(s.stepKeys(id), s.archiveKey(id)) }

// Claimed is a live lease on a job, with the instance state it was taken on.
type Claimed struct {
	// Fence is the fencing token: unique per claim, it proves the lease at commit.
	Fence int64
	// Version is the instance version the state belongs to.
	Version int64
	// State is the encoded instance state.
	State []byte
	// Attempts counts failed attempts of this job so far.
	Attempts int
	// Expires is when the lease ends unless renewed (Redis's clock).
	Expires time.Time
	// TookOver is true when the claim took over an expired lease: the worker that held the job
	// died or hung.
	TookOver bool
}

// ClaimRequest asks for a lease on one job.
type ClaimRequest struct {
	Instance, Job, Owner string
	Exclusive            bool
	Lease                time.Duration
	// MaxExpiries raises an incident instead once the job's lease has expired that often (its
	// worker died or hung inside it each time); 0 never does.
	MaxExpiries int
}

// Claim takes a lease on a job. It returns ErrStale, ErrIncident or a *LeasedError when the
// job cannot be claimed.
func (s *Store) Claim(ctx context.Context, req ClaimRequest) (*Claimed, error) {
	instance, jobID := req.Instance, req.Job
	x := "0"
	if req.Exclusive {
		x = "1"
	}
	// The nonce makes the owner unique per claim call, so a client retry is recognised.
	res, err := s.evalPipe(ctx, claimScript, s.keys(instance), []any{jobID, req.Owner + "/" + nonce(),
		req.Lease.Milliseconds(), x, req.MaxExpiries}, nil)
	if err != nil {
		return nil, fmt.Errorf("claim job %s: %w", jobID, err)
	}
	switch str(res[0]) {
	case "OK":
		return &Claimed{
			Fence:    num(res[1]),
			Version:  num(res[2]),
			State:    []byte(str(res[3])),
			Attempts: int(num(res[4])),
			Expires:  time.UnixMilli(num(res[5])),
			TookOver: len(res) > 6 && str(res[6]) == "1",
		}, nil
	case "STALE":
		return nil, ErrStale
	case "INCIDENT":
		return nil, ErrIncident
	case "SUSPENDED":
		return nil, fmt.Errorf("claim job %s: the instance is %w", jobID, ErrSuspended)
	case "LEASED", "BUSY":
		return nil, &LeasedError{Busy: str(res[0]) == "BUSY", RetryAfter: time.Duration(num(res[1])) * time.Millisecond}
	}
	return nil, fmt.Errorf("claim job %s: unexpected reply %v", jobID, res)
}

// Renew extends a lease to lease from now. It returns ErrStale or ErrFenced when the lease is
// no longer the caller's.
func (s *Store) Renew(ctx context.Context, instance, jobID string, fence int64, exclusive bool, lease time.Duration) (time.Time, error) {
	x := "0"
	if exclusive {
		x = "1"
	}
	res, err := s.evalPipe(ctx, renewScript, s.keys(instance), []any{jobID, fence, lease.Milliseconds(), x}, nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("renew job %s: %w", jobID, err)
	}
	switch str(res[0]) {
	case "OK":
		return time.UnixMilli(num(res[1])), nil
	case "STALE":
		return time.Time{}, ErrStale
	}
	return time.Time{}, ErrFenced
}

// Step is one committed transition of an instance: what a job's segment produced.
type Step struct {
	Instance string
	// Job is the consumed job and Fence the claim's fencing token.
	Job   string
	Fence int64
	// ExpectedVersion is the version the state was computed from.
	ExpectedVersion int64
	State           []byte
	Status          string
	// History is the step's encoded history events, appended to the instance's history; nil
	// for none.
	History []byte
	// NewJobs are added to the outbox; Cancel lists jobs the step removes.
	NewJobs []NewJob
	Cancel  []string
}

// Commit applies a step atomically: the state, version+1, the consumed job removed, new jobs
// added. It returns the new version and done true when the same commit had already been
// applied (a client retry). It returns ErrStale, ErrFenced or a *ConflictError otherwise.
func (s *Store) Commit(ctx context.Context, st Step) (ver int64, done bool, err error) {
	res, err := s.evalPipe(ctx, commitScript, s.stepKeys(st.Instance), stepArgs(st), dueEntries(st.NewJobs))
	if err != nil {
		return 0, false, fmt.Errorf("commit job %s: %w", st.Job, err)
	}
	switch str(res[0]) {
	case "OK", "DONE":
		// The consumed job leaves the due index lazily: the reconciler drops entries whose job
		// is gone. Removing it here would race with a claimer that took the job over.
		return num(res[1]), str(res[0]) == "DONE", nil
	case "STALE":
		return 0, false, ErrStale
	case "FENCED":
		return 0, false, ErrFenced
	case "CONFLICT":
		return 0, false, &ConflictError{Current: num(res[1])}
	}
	return 0, false, fmt.Errorf("commit job %s: unexpected reply %v", st.Job, res)
}

// Apply commits a step that consumes no job of st.Instance: a child instance's result applied to
// its parent's call activity. st.Job and st.Fence name the applying job (of the child) and its
// lease, which the instance remembers, so a client retry of the same attempt returns done true.
// It returns a *ConflictError when the version moved, ErrNotFound for an unknown instance.
func (s *Store) Apply(ctx context.Context, st Step) (ver int64, done bool, err error) {
	res, err := s.evalPipe(ctx, applyScript, s.stepKeys(st.Instance), stepArgs(st), dueEntries(st.NewJobs))
	if err != nil {
		return 0, false, fmt.Errorf("apply %s to instance %s: %w", st.Job, st.Instance, err)
	}
	switch str(res[0]) {
	case "OK", "DONE":
		return num(res[1]), str(res[0]) == "DONE", nil
	case "CONFLICT":
		return 0, false, &ConflictError{Current: num(res[1])}
	case "NOTFOUND":
		return 0, false, fmt.Errorf("apply %s: instance %s: %w", st.Job, st.Instance, ErrNotFound)
	}
	return 0, false, fmt.Errorf("apply %s to instance %s: unexpected reply %v", st.Job, st.Instance, res)
}

// stepArgs lays out a step as commitScript and applyScript read it.
func stepArgs(st Step) []any {
	args := make([]any, 0, 7+2*len(st.NewJobs)+len(st.Cancel))
	args = append(args, st.Job, st.Fence, st.ExpectedVersion, st.State, st.Status, st.History, len(st.NewJobs))
	for _, j := range st.NewJobs {
		args = append(args, j.ID, j.Envelope)
	}
	for _, c := range st.Cancel {
		args = append(args, c)
	}
	return args
}

// FailResult says what a failed attempt led to.
type FailResult struct {
	// Attempts counts failed attempts including this one.
	Attempts int
	// Incident is true when retries are exhausted and an incident was raised.
	Incident bool
}

// Fail records a failed attempt and gives the lease back. When attempts reach maxAttempts (or
// the attempts an operator gave the job when resolving its incident) it raises an incident
// (incidentJSON describes it) and the job waits for an operator; maxAttempts 0 raises it at
// once. retryAt is when the reconciler looks at the job again if its message is lost.
func (s *Store) Fail(ctx context.Context, instance, jobID string, fence int64, maxAttempts int, incidentJSON []byte, retryAt time.Time) (FailResult, error) {
	res, err := s.evalPipe(ctx, failScript, s.keys(instance), []any{jobID, fence, maxAttempts, incidentJSON},
		dueEntries([]NewJob{{ID: jobID, CheckAt: retryAt}}))
	if err != nil {
		return FailResult{}, fmt.Errorf("fail job %s: %w", jobID, err)
	}
	switch str(res[0]) {
	case "RETRY":
		return FailResult{Attempts: int(num(res[1]))}, nil
	case "INCIDENT":
		return FailResult{Attempts: int(num(res[1])), Incident: true}, nil
	case "STALE":
		return FailResult{}, ErrStale
	}
	return FailResult{}, ErrFenced
}

// Release gives a lease back without counting an attempt (graceful shutdown).
func (s *Store) Release(ctx context.Context, instance, jobID string, fence int64) error {
	res, err := s.evalPipe(ctx, releaseScript, s.keys(instance), []any{jobID, fence}, nil)
	if err != nil {
		return fmt.Errorf("release job %s: %w", jobID, err)
	}
	switch str(res[0]) {
	case "OK":
		return nil
	case "STALE":
		return ErrStale
	}
	return ErrFenced
}

// Snapshot is everything stored about one instance, for reading.
type Snapshot struct {
	ID           string
	Version      int64
	Status       string
	DefinitionID string
	ProcessKey   string
	BusinessKey  string
	Created      time.Time
	State        []byte
	// History holds each committed step's encoded history events, oldest first.
	History [][]byte
	// Jobs holds the outstanding jobs' envelopes by id, Leases their live lease strings,
	// Attempts their failed attempts and Incidents their incident JSON.
	Jobs      map[string][]byte
	Leases    map[string]string
	Attempts  map[string]int
	Incidents map[string]string
	// Suspended is true while the instance is suspended.
	Suspended bool
}

// ErrArchived means the instance ended and was archived: only its record is left. It wraps
// ErrNotFound.
var ErrArchived = fmt.Errorf("archived: %w", ErrNotFound)

// Load reads an instance. It returns ErrNotFound when there is none with that id, and
// ErrArchived (which wraps ErrNotFound) when only its archive record is left.
func (s *Store) Load(ctx context.Context, id string) (*Snapshot, error) {
	var inst *redis.MapStringStringCmd
	var jobs *redis.MapStringStringCmd
	var hist *redis.StringSliceCmd
	var archived *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		inst = p.HGetAll(ctx, s.instKey(id))
		jobs = p.HGetAll(ctx, s.jobsKey(id))
		hist = p.LRange(ctx, s.histKey(id), 0, -1)
		archived = p.Exists(ctx, s.archiveKey(id))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load instance %s: %w", id, err)
	}
	h := inst.Val()
	if len(h) == 0 {
		if archived.Val() == 1 {
			return nil, fmt.Errorf("instance %s: %w", id, ErrArchived)
		}
		return nil, fmt.Errorf("instance %s: %w", id, ErrNotFound)
	}
	ver, _ := strconv.ParseInt(h["ver"], 10, 64)
	created, _ := strconv.ParseInt(h["created"], 10, 64)
	snap := &Snapshot{ID: id, Version: ver, Status: h["status"], DefinitionID: h["def"], ProcessKey: h["key"],
		BusinessKey: h["bk"], Created: time.UnixMilli(created), State: []byte(h["state"]), History: toBytes(hist.Val()),
		Jobs: map[string][]byte{}, Leases: map[string]string{}, Attempts: map[string]int{}, Incidents: map[string]string{},
		Suspended: h["susp"] != ""}
	for f, v := range jobs.Val() {
		id, suffix := splitJobField(f)
		switch suffix {
		case "":
			snap.Jobs[id] = []byte(v)
		case "l":
			snap.Leases[id] = v
		case "a":
			n, _ := strconv.Atoi(v)
			snap.Attempts[id] = n
		case "i":
			snap.Incidents[id] = v
		}
	}
	return snap, nil
}

// splitJobField splits an outbox field "J:x" into the job id and its one-letter suffix. Job ids
// end in a number ("<instance>:<ver>:<ordinal>"), so a trailing ":<letter>" is a suffix.
func splitJobField(f string) (string, string) {
	if n := len(f); n >= 2 && f[n-2] == ':' && f[n-1] >= 'a' && f[n-1] <= 'z' {
		return f[:n-2], f[n-1:]
	}
	return f, ""
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// nonce returns a short random string that tells one call from a retry of another. It needs
// to be unique, not secret, so it comes from the fast, lock-free math/rand/v2 source.
func nonce() string { return strconv.FormatUint(rand.Uint64(), 36) }

// Outbox returns the envelopes of those of ids that are outstanding jobs of instance.
func (s *Store) Outbox(ctx context.Context, instance string, ids []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(ids) == 0 {
		return out, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.jobsKey(instance), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("read outbox of %s: %w", instance, err)
	}
	for i, v := range vals {
		if sv, ok := v.(string); ok {
			out[ids[i]] = []byte(sv)
		}
	}
	return out, nil
}

// LastCommit returns the job and fence of the instance's last commit.
func (s *Store) LastCommit(ctx context.Context, instance string) (job string, fence int64, err error) {
	v, err := s.rdb.HMGet(ctx, s.instKey(instance), "lj", "lf").Result()
	if err != nil {
		return "", 0, fmt.Errorf("read last commit of %s: %w", instance, err)
	}
	return str(v[0]), num(v[1]), nil
}
