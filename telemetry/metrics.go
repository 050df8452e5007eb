// Package telemetry owns what Baton tells the outside about its work: Prometheus metrics (job
// counters and latencies per task type, commit conflicts, fencing rejections, reconciler
// republishes, lease recoveries, open incidents and the backlog per task type). It reads the
// engine's counters at scrape time; the engine does not depend on it.
package telemetry

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/job"
	"github.com/batonhq/baton/queue"
)

// Metrics is the Prometheus registry of one Baton process. Set it as the engine's
// Config.Observer (it records latencies), then Watch the engine (it exports the engine's
// counters and reads backlog and incidents on each scrape). Its zero value is not usable; use
// NewMetrics.
type Metrics struct {
	reg       *prometheus.Registry
	latency   *prometheus.HistogramVec
	execution *prometheus.HistogramVec
}

// NewMetrics returns a registry with the Go runtime and process collectors and Baton's
// histograms.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "baton_continuation_latency_seconds",
			Help:    "Time from the commit that created a job to the commit that consumed it, by the job's task type.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"task_type"}),
		execution: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "baton_job_execution_seconds",
			Help:    "Time from a job's claim to its outcome (delegates included), by task type and outcome.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"task_type", "outcome"}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.latency, m.execution)
	return m
}

// JobCommitted records the continuation latency of j (engine.Observer).
func (m *Metrics) JobCommitted(j *job.Job, latency time.Duration) {
	m.latency.WithLabelValues(j.Type).Observe(latency.Seconds())
}

// JobExecuted records how long j's execution took (engine.ExecutionObserver).
func (m *Metrics) JobExecuted(j *job.Job, outcome engine.Outcome, took time.Duration) {
	m.execution.WithLabelValues(j.Type, outcome.String()).Observe(took.Seconds())
}

// Registry is the registry, for registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Watch exports eng's counters and, on each scrape, the open incidents and the backlog of every
// task type's consumer (asked of Redis and JetStream with a 2s limit; a failure leaves those
// out of that scrape and is logged).
func (m *Metrics) Watch(eng *engine.Engine, log *zap.Logger) {
	m.reg.MustRegister(&engineCollector{eng: eng, log: log})
}

var (
	descCounter = func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	descJobsStarted     = descCounter("baton_jobs_started_total", "Jobs whose execution began (after a claim), by task type.", "task_type")
	descJobsCompleted   = descCounter("baton_jobs_completed_total", "Jobs whose step committed, by task type.", "task_type")
	descJobsFailed      = descCounter("baton_jobs_failed_total", "Job attempts that failed, by task type; each was retried or raised an incident.", "task_type")
	descJobsRetried     = descCounter("baton_jobs_retried_total", "Failed job attempts that will run again, by task type.", "task_type")
	descIncidentsRaised = descCounter("baton_incidents_raised_total", "Incidents raised by failed attempts of jobs this process ran, by task type (not those of leases that kept expiring or of dead-lettered jobs: see baton_incidents_open).", "task_type")
	descLeaseRecoveries = descCounter("baton_lease_recoveries_total", "Claims that took over an expired lease (its worker died or hung), by task type.", "task_type")
	descCommits         = descCounter("baton_commits_total", "Steps committed.")
	descConflicts       = descCounter("baton_commit_conflicts_total", "Commits refused because the instance's version moved; the step was re-applied.")
	descFenced          = descCounter("baton_fencing_rejections_total", "Results refused because another claim had taken the job over.")
	descNotDurable      = descCounter("baton_commits_not_durable_total", "Commits Redis applied but did not confirm to the replicas or AOF that --redis-wait-replicas or --redis-wait-aof ask for.")
	descRepublished     = descCounter("baton_reconciler_republished_total", "Overdue jobs the reconciler published again.")
	descPublishFailures = descCounter("baton_publish_failures_total", "Publishes of committed jobs that failed (the reconciler republishes them).")
	descDelegateCalls   = descCounter("baton_delegate_calls_total", "Delegate and listener calls.")
	descImplicit        = descCounter("baton_implicit_boundaries_total", "Steps that stopped at a service task whose delegate this process lacks.")
	descIncidentsOpen   = prometheus.NewDesc("baton_incidents_open", "Open incidents in the incident index (an entry resolved by cancelling its instance counts until a listing drops it).", nil, nil)
	descBacklog         = prometheus.NewDesc("baton_backlog_jobs", "Jobs waiting on a task type's consumer, not yet delivered, by priority band.", []string{"task_type", "priority"}, nil)
	descInstances       = prometheus.NewDesc("baton_instances", "Instances by status, counted among the newest 100000 of the instance index at most every 30s (archived: only the record is left).", []string{"status"}, nil)
	descInFlight        = prometheus.NewDesc("baton_inflight_jobs", "Jobs delivered on a task type's consumer and not yet acknowledged, by priority band.", []string{"task_type", "priority"}, nil)
)

// engineCollector reads the engine's counters, and asks Redis and JetStream for gauges.
type engineCollector struct {
	eng *engine.Engine
	log *zap.Logger

	mu         sync.Mutex
	counted    time.Time
	byStatus   map[string]int
	refreshing bool
}

// instanceCountEvery and instanceCountMax bound the cost of baton_instances.
const (
	instanceCountEvery = 30 * time.Second
	instanceCountMax   = 100000
)

// instances returns the last instance counts by status (nil before the first), and counts
// again in the background when they are older than instanceCountEvery: a count of many
// instances takes longer than a scrape may.
func (c *engineCollector) instances() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.counted) >= instanceCountEvery && !c.refreshing {
		c.refreshing = true
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), instanceCountEvery)
			defer cancel()
			m, err := c.eng.CountInstances(ctx, instanceCountMax)
			c.mu.Lock()
			defer c.mu.Unlock()
			c.refreshing = false
			if err != nil {
				c.log.Warn("metrics: counting instances failed", zap.Error(err))
				return
			}
			c.byStatus, c.counted = m, time.Now()
		}()
	}
	return c.byStatus
}

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descJobsStarted, descJobsCompleted, descJobsFailed, descJobsRetried, descIncidentsRaised,
		descLeaseRecoveries, descCommits, descConflicts, descFenced, descNotDurable, descRepublished, descPublishFailures, descDelegateCalls,
		descImplicit, descIncidentsOpen, descBacklog, descInFlight, descInstances} {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for tt, s := range c.eng.TypeStats() {
		counter(descJobsStarted, s.Started.Load(), tt)
		counter(descJobsCompleted, s.Completed.Load(), tt)
		counter(descJobsFailed, s.Failed.Load(), tt)
		counter(descJobsRetried, s.Retried.Load(), tt)
		counter(descIncidentsRaised, s.Incidents.Load(), tt)
		counter(descLeaseRecoveries, s.LeaseRecoveries.Load(), tt)
	}
	st := c.eng.Stats()
	counter(descCommits, st.Commits.Load())
	counter(descConflicts, st.Conflicts.Load())
	counter(descFenced, st.Fenced.Load())
	counter(descNotDurable, st.NotDurable.Load())
	counter(descRepublished, st.Republished.Load())
	counter(descPublishFailures, st.PublishFailures.Load())
	counter(descDelegateCalls, st.DelegateCalls.Load())
	counter(descImplicit, st.ImplicitBoundaries.Load())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := c.eng.Store().IncidentCount(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descIncidentsOpen, prometheus.GaugeValue, float64(n))
	} else {
		c.log.Warn("metrics: counting open incidents failed", zap.Error(err))
	}
	if counts := c.instances(); counts != nil {
		for _, status := range []string{"running", "incident", "completed", "cancelled", "archived"} {
			ch <- prometheus.MustNewConstMetric(descInstances, prometheus.GaugeValue, float64(counts[status]), status)
		}
	}
	if err := c.backlog(ctx, ch); err != nil {
		c.log.Warn("metrics: reading the consumers' backlog failed", zap.Error(err))
	}
}

// backlog reports the pending and in-flight jobs of every task type's consumer (w-<taskType>).
func (c *engineCollector) backlog(ctx context.Context, ch chan<- prometheus.Metric) error {
	s, err := c.eng.Queue().JetStream().Stream(ctx, queue.JobsStream)
	if err != nil {
		return err
	}
	infos := s.ListConsumers(ctx)
	for info := range infos.Info() {
		tt, band, ok := queue.TaskTypeOfConsumer(info.Name)
		if !ok {
			continue
		}
		ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(info.NumPending), tt, band.String())
		ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(info.NumAckPending), tt, band.String())
	}
	if err := infos.Err(); err != nil && err != jetstream.ErrEndOfData {
		return err
	}
	return nil
}
