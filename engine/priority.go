package engine

import (
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/queue"
)

// Job priorities. An activity's camunda:jobPriority (a number, or an expression evaluated on the
// token's variables when the job is created) decides the band its jobs travel in: above 0 the
// task type's high band, below 0 its low band, else the normal one. Workers pull the bands by
// weight (WorkerConfig.PriorityWeights), so within a task type high jobs go first and a low one
// waits at most its band's share of the throughput.

// jobSubject is the subject j is published on: its task type's subject in its priority band.
func jobSubject(j *job.Job) string {
	return queue.JobSubjectIn(j.Type, queue.BandOf(j.Priority))
}

// prioritize sets the priority of job j from its activity's jobPriority. A priority that does
// not evaluate to a number is logged and left at 0: it must not stop the step.
func (r *runner) prioritize(j *job.Job, t *Token) {
	n := r.def.Nodes[j.Activity]
	if n == nil || n.Priority == "" || j.Kind == job.Wait || j.Kind == job.Return || j.Kind == job.Signal {
		return
	}
	text := strings.TrimSpace(n.Priority)
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		j.Priority = v
		return
	}
	prog := n.PriorityProgram()
	if prog == nil || t == nil {
		return
	}
	v, err := r.eval(t, prog)
	if err == nil {
		switch x := normalizeNumber(v).(type) {
		case int64:
			j.Priority = x
			return
		case float64:
			j.Priority = int64(x)
			return
		}
	}
	r.eng.log.Warn("job priority does not evaluate to a number; the job keeps priority 0", zap.String("instance", r.st.ID),
		zap.String("activity", n.ID), zap.String("jobPriority", n.Priority), zap.Any("value", v), zap.Error(err))
}
