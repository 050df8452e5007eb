package queue

import (
	"fmt"
	"strconv"
	"strings"
)

// Subject prefixes and stream names (DESIGN §3).
const (
	JobsStream   = "BATON_JOBS"
	StartStream  = "BATON_START"
	MsgStream    = "BATON_MSG"
	EventsStream = "BATON_EVENTS"
	// DeadStream keeps dead-lettered messages with their reason, for inspection and requeueing.
	DeadStream = "BATON_DEAD"

	JobsPrefix  = "baton.jobs."
	StartPrefix = "baton.start."
	MsgPrefix   = "baton.msg."
	EventPrefix = "baton.events."
	DeadPrefix  = "baton.dead."

	// StartConsumer is the durable consumer shared by every server that processes start
	// messages.
	StartConsumer = "engine-start"
	// MessageConsumer is the durable consumer shared by every server that correlates messages.
	MessageConsumer = "engine-msg"

	// ExtStream carries external tasks to workers in any language, and their commands back.
	ExtStream = "BATON_EXT"
	// ExtTaskPrefix is where the external tasks of a topic are offered, each on its own subject
	// baton.ext.task.<topic>.<taskId>, consumed by the durable consumer ext-<topic>.
	ExtTaskPrefix = "baton.ext.task."
	// ExtCommandPrefix is where external workers send complete, fail and bpmnError commands:
	// baton.ext.cmd.<command>, consumed by the servers (ExtCommandConsumer).
	ExtCommandPrefix = "baton.ext.cmd."
	// ExtCommandConsumer is the durable consumer of external task commands.
	ExtCommandConsumer = "engine-ext"
)

// ExtTaskSubject is the subject external task taskID of topic is offered on:
// baton.ext.task.<topic>.<taskId>, each an encoded token. One subject per task lets the engine
// see whether the stream still holds a task's offer (ExtTaskOffered).
func ExtTaskSubject(topic, taskID string) string {
	return ExtTaskPrefix + EncodeToken(topic) + "." + EncodeToken(taskID)
}

// ExtTaskFilter is the filter of the consumer ext-<topic>: every task of topic.
func ExtTaskFilter(topic string) string { return ExtTaskPrefix + EncodeToken(topic) + ".*" }

// extSchedulePrefix is where a delayed offer of an external task waits as a message schedule:
// baton.ext._at.<topic>.<taskId>, one pending offer per task.
const extSchedulePrefix = "baton.ext._at."

// ExtConsumerName is the durable consumer external workers of topic share: ext-<topic>.
func ExtConsumerName(topic string) string { return "ext-" + EncodeToken(topic) }

// EncodeToken turns any string (a task type such as "com.acme.Charge", a process key) into
// exactly one NATS subject token that is also a valid consumer name. Letters, digits, '-' and
// '_' stay as they are; every other byte becomes "~XX" (upper-case hex). The encoding is
// reversible (DecodeToken) and never yields '.', '*', '>', whitespace or path separators, so a
// type never spills into several tokens and work-queue filters never overlap.
func EncodeToken(s string) string {
	if s == "" {
		return "~"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "~%02X", c)
	}
	return b.String()
}

// DecodeToken reverses EncodeToken. It returns an error naming the position of a malformed
// escape.
func DecodeToken(tok string) (string, error) {
	if tok == "~" {
		return "", nil
	}
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c != '~' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(tok) {
			return "", fmt.Errorf("token %q: truncated escape at byte %d", tok, i)
		}
		v, err := strconv.ParseUint(tok[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("token %q: bad escape at byte %d", tok, i)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// JobSubject is the subject that carries jobs of taskType: baton.jobs.<encoded type>.
func JobSubject(taskType string) string { return JobsPrefix + EncodeToken(taskType) }

// JobConsumerName is the durable consumer shared by every worker of taskType: w-<encoded type>.
func JobConsumerName(taskType string) string { return "w-" + EncodeToken(taskType) }

// Band is a job's priority band. Each band of a task type has its own subject and consumer;
// workers pull from the bands by weight (WorkerConfig.PriorityWeights).
type Band int8

// The priority bands: a job priority above 0 is High, below 0 Low, 0 (the default) Normal.
const (
	Low    Band = -1
	Normal Band = 0
	High   Band = 1
)

// Bands lists the bands from the highest.
var Bands = []Band{High, Normal, Low}

// BandOf returns the band of a job priority.
func BandOf(priority int64) Band {
	switch {
	case priority > 0:
		return High
	case priority < 0:
		return Low
	}
	return Normal
}

func (b Band) String() string {
	switch b {
	case High:
		return "high"
	case Low:
		return "low"
	}
	return "normal"
}

// JobSubjectIn is the subject of taskType's jobs in band b: baton.jobs.<type> for Normal (as
// JobSubject), baton.jobs.<type>.high and baton.jobs.<type>.low for the others.
func JobSubjectIn(taskType string, b Band) string {
	if b == Normal {
		return JobSubject(taskType)
	}
	return JobSubject(taskType) + "." + b.String()
}

// JobConsumerNameIn is the durable consumer of taskType's jobs in band b: w-<type> for Normal
// (as JobConsumerName), p-high-<type> and p-low-<type> for the others.
func JobConsumerNameIn(taskType string, b Band) string {
	if b == Normal {
		return JobConsumerName(taskType)
	}
	return "p-" + b.String() + "-" + EncodeToken(taskType)
}

// TaskTypeOfConsumer reverses JobConsumerNameIn: the task type and band a job consumer serves,
// and false for any other consumer name.
func TaskTypeOfConsumer(name string) (string, Band, bool) {
	band, tok := Normal, ""
	switch {
	case strings.HasPrefix(name, "w-"):
		tok = name[2:]
	case strings.HasPrefix(name, "p-high-"):
		band, tok = High, name[len("p-high-"):]
	case strings.HasPrefix(name, "p-low-"):
		band, tok = Low, name[len("p-low-"):]
	default:
		return "", Normal, false
	}
	tt, err := DecodeToken(tok)
	return tt, band, err == nil
}

// StartSubject is the subject of start messages for processKey: baton.start.<encoded key>.
func StartSubject(processKey string) string { return StartPrefix + EncodeToken(processKey) }

// ProcessKeyOf returns the process key of a start subject.
func ProcessKeyOf(subject string) (string, error) {
	if !strings.HasPrefix(subject, StartPrefix) {
		return "", fmt.Errorf("subject %q is not a start subject (%s<processKey>)", subject, StartPrefix)
	}
	return DecodeToken(strings.TrimPrefix(subject, StartPrefix))
}

// MessageSubject is the subject a message named name is published on: baton.msg.<name>, the
// name as one token.
func MessageSubject(name string) string { return MsgPrefix + EncodeToken(name) }

// MessageNameOf returns the message name of a baton.msg.<name> subject.
func MessageNameOf(subject string) (string, error) {
	if !strings.HasPrefix(subject, MsgPrefix) {
		return "", fmt.Errorf("subject %q is not a message subject (%s<messageName>)", subject, MsgPrefix)
	}
	return DecodeToken(strings.TrimPrefix(subject, MsgPrefix))
}
