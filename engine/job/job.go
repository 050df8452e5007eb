// Package job owns the continuation job envelope: the unit of work that the engine records in an
// instance's outbox in Redis and publishes on NATS JetStream. It defines the wire format (msgpack
// with short, stable field tags and a schema version) and the deterministic job ids that serve as
// Nats-Msg-Id.
package job

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"
)

// SchemaVersion is the newest version of the envelope encoding this build writes. Decode
// accepts versions up to it. Version 2 added the kinds Call, Return, End, Wait, Timer and Signal; a job of kind
// Before or After is still written as version 1, so a build that reads only version 1 runs
// it, and sees a newer job (ErrNewerSchema: not poison) rather than a malformed one.
const SchemaVersion = 2

// schemaOf is the lowest schema version that can carry kind k.
func schemaOf(k Kind) int {
	if k == Before || k == After {
		return 1
	}
	return 2
}

// Kind says where in the atomic operations a job resumes its token.
type Kind uint8

const (
	// Before resumes at an async-before boundary: the token is at the activity and the activity
	// starts (start listeners, then its behaviour).
	Before Kind = 1
	// After resumes at an async-after boundary: the activity has ended and the token leaves it.
	After Kind = 2
	// Call starts the child instance of the call activity the token waits at (the child lives
	// in another Redis slot, so starting it is a job of its own).
	Call Kind = 3
	// Return carries a completed child instance's result to the call activity of its parent.
	// It lives in the child's outbox; Token and Activity name the child's caller.
	Return Kind = 4
	// End resumes at the end of an activity: a call activity whose child's result waits on the
	// token, or an activity whose end listeners need a delegate the worker that reached its end
	// lacks.
	End Kind = 5
	// Wait parks a token at an activity until a command completes it: a user task, or a
	// delegate that returned engine.ErrWait. It is never published; the completion claims it.
	Wait Kind = 6
	// Timer fires a timer at Due: an intermediate timer catch event, or a timer after an
	// event-based gateway. It is published to fire at Due (a JetStream message schedule).
	Timer Kind = 7
	// Signal broadcasts the signal Msg.Name (a signal throw or end event) to every waiting
	// subscription, after the commit that threw it. Token names the thrower.
	Signal Kind = 8
)

func (k Kind) String() string {
	switch k {
	case Before:
		return "before"
	case After:
		return "after"
	case Call:
		return "call"
	case Return:
		return "return"
	case End:
		return "end"
	case Wait:
		return "wait"
	case Timer:
		return "timer"
	case Signal:
		return "signal"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Job is one outstanding continuation. Its fields never change after the commit that created it;
// the mutable parts (lease, attempts) live beside it in Redis.
type Job struct {
	// V is the schema version; set by Encode.
	V int `msgpack:"v"`
	// ID is deterministic: "<instance>:<version>:<ordinal>", the instance version the creating
	// commit produced and the job's position among that commit's jobs.
	ID string `msgpack:"id"`
	// Instance is the process instance id.
	Instance string `msgpack:"i"`
	// Type is the task type whose subject carries the job.
	Type string `msgpack:"t"`
	// Kind is where the token resumes.
	Kind Kind `msgpack:"k"`
	// Token is the id of the execution (token) the job continues.
	Token string `msgpack:"tk"`
	// Activity is the flow node the token is at.
	Activity string `msgpack:"a"`
	// Exclusive jobs of one instance never run at the same time. Default true, as in Camunda.
	Exclusive bool `msgpack:"x"`
	// Created is when the creating commit happened, in Unix milliseconds.
	Created int64 `msgpack:"c"`
	// For and Fence are set on a Wait job of a delegate that returned engine.ErrWait: the job
	// that ran the delegate and that attempt's fencing token, which a completion carries.
	For   string `msgpack:"f,omitempty"`
	Fence int64  `msgpack:"fc,omitempty"`
	// User is set on the Wait job of a user task: who may work on it, as the task was created.
	User *UserTask `msgpack:"u,omitempty"`
	// Msg is set on the Wait job of a message catch: the message it waits for.
	Msg *MessageSub `msgpack:"m,omitempty"`
	// Due is when a Timer job fires, in Unix milliseconds.
	Due int64 `msgpack:"du,omitempty"`
	// Rep is how often the timer cycle of a Timer job fired before it (a non-interrupting
	// boundary's R3/PT10M is armed again until it fired three times). Default 0.
	Rep int `msgpack:"rp,omitempty"`
	// Priority is the job priority (camunda:jobPriority): above 0 the job travels in its task
	// type's high band, below 0 in the low band. Default 0.
	Priority int64 `msgpack:"pr,omitempty"`
	// External marks the Wait job of an external task: it is offered on baton.ext.task.<Type>.<ID>
	// with Vars, the variables the task sees, to workers in any language.
	External bool           `msgpack:"xt,omitempty"`
	Vars     map[string]any `msgpack:"vs,omitempty"`
}

// MessageSub is the message a message catch waits for: its name and correlation key.
type MessageSub struct {
	Name string `msgpack:"n"`
	Key  string `msgpack:"k,omitempty"`
}

// UserTask is a user task's assignment as evaluated when the task was created.
type UserTask struct {
	// Process and Version are the instance's process key and definition version.
	Process         string   `msgpack:"p,omitempty" json:"processKey,omitempty"`
	Version         int      `msgpack:"pv,omitempty" json:"definitionVersion,omitempty"`
	Name            string   `msgpack:"n,omitempty" json:"name,omitempty"`
	Assignee        string   `msgpack:"a,omitempty" json:"assignee,omitempty"`
	CandidateUsers  []string `msgpack:"cu,omitempty" json:"candidateUsers,omitempty"`
	CandidateGroups []string `msgpack:"cg,omitempty" json:"candidateGroups,omitempty"`
	FormKey         string   `msgpack:"fk,omitempty" json:"formKey,omitempty"`
	// Due and FollowUp are Unix milliseconds; 0 when unset.
	Due      int64 `msgpack:"dd,omitempty" json:"due,omitempty"`
	FollowUp int64 `msgpack:"fd,omitempty" json:"followUp,omitempty"`
	Priority int64 `msgpack:"pr,omitempty" json:"priority,omitempty"`
}

// ID builds the deterministic id of the ordinal-th job created by the commit that produced
// version ver of instance.
func ID(instance string, ver int64, ordinal int) string {
	return instance + ":" + strconv.FormatInt(ver, 10) + ":" + strconv.Itoa(ordinal)
}

// ErrMalformed is returned by Decode for bytes that are not a job envelope.
var ErrMalformed = errors.New("malformed job envelope")

// ErrNewerSchema is returned by Decode for an envelope written by a newer build (during a
// rolling upgrade). It is not poison: a newer worker can run it.
var ErrNewerSchema = errors.New("job envelope of a newer schema version")

// Encode returns the msgpack encoding of j, with the lowest schema version that carries its kind.
func Encode(j *Job) ([]byte, error) {
	j.V = schemaOf(j.Kind)
	b, err := msgpack.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("encode job %s: %w", j.ID, err)
	}
	return b, nil
}

// Decode parses an envelope. It returns an error wrapping ErrMalformed when the bytes are not a
// complete envelope of a known schema version.
func Decode(b []byte) (*Job, error) {
	var j Job
	if err := msgpack.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch {
	case j.V > SchemaVersion:
		return nil, fmt.Errorf("%w: version %d (this build reads 1..%d)", ErrNewerSchema, j.V, SchemaVersion)
	case j.V < 1:
		return nil, fmt.Errorf("%w: schema version %d", ErrMalformed, j.V)
	case j.ID == "" || j.Instance == "" || j.Type == "" || j.Token == "" || j.Activity == "":
		return nil, fmt.Errorf("%w: missing id, instance, type, token or activity", ErrMalformed)
	case j.Kind < Before || j.Kind > Signal || j.V < schemaOf(j.Kind):
		return nil, fmt.Errorf("%w: unknown kind %d for schema version %d", ErrMalformed, j.Kind, j.V)
	}
	return &j, nil
}
