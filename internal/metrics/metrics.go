// Package metrics exports cohortbot's Prometheus metrics. A Metrics is the study.Observer
// of the core (commands, check-ins) and the schedule.Observer of the scheduler (ticks,
// deliveries, rate limits); the outbox depth and the platforms' reconnect counts are read
// when Prometheus scrapes.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"cohortbot/internal/middleware"
	"cohortbot/internal/study"
)

const namespace = "cohortbot"

// commands bounds the command label to the command table's paths, button, reply and
// other (a typo typed in chat).
var commands = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range middleware.Labels() {
		m[l] = true
	}
	return m
}()

// Metrics holds the registry and every series.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	postsSent   *prometheus.CounterVec
	postsFailed *prometheus.CounterVec
	lag         *prometheus.HistogramVec
	rateLimited *prometheus.CounterVec
	takeovers   *prometheus.CounterVec
	checkIns    *prometheus.CounterVec
	commands    *prometheus.HistogramVec
	retries     *prometheus.CounterVec
	ticks       prometheus.Histogram
	tickErrors  prometheus.Counter
}

// New registers the series (and the Go runtime and process collectors) on a fresh
// registry.
func New(version string, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry(), log: log}
	m.postsSent = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "posts_sent_total",
		Help: "Scheduled posts delivered, by platform and kind."}, []string{"platform", "kind"})
	m.postsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "posts_failed_total",
		Help: "Failed delivery attempts, by platform, kind and whether the failure is permanent (no retry)."}, []string{"platform", "kind", "permanent"})
	m.lag = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "delivery_lag_seconds",
		Help:    "Time from a post's due instant to its delivery.",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600}}, []string{"platform", "kind"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "platform_rate_limited_total",
		Help: "HTTP 429 answers from a platform that deferred a delivery."}, []string{"platform"})
	m.takeovers = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "post_takeovers_total",
		Help: "Posts taken over from a sender whose delivery lease ran out (a process that died or stalled mid-send), by platform and kind."}, []string{"platform", "kind"})
	m.checkIns = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "checkins_total",
		Help: "Check-ins recorded, by platform and source (command, button, reply)."}, []string{"platform", "source"})
	m.commands = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "command_duration_seconds",
		Help:    "Command latency in the core, by platform, command and outcome (ok, refused, error, unavailable).",
		Buckets: prometheus.DefBuckets}, []string{"platform", "command", "outcome"})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "command_retries_total",
		Help: "Commands run again after a transient database fault, by command."}, []string{"command"})
	m.ticks = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "scheduler_tick_duration_seconds",
		Help: "Duration of one scheduler tick (planning every due cohort into the outbox).", Buckets: prometheus.DefBuckets})
	m.tickErrors = prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "scheduler_tick_errors_total",
		Help: "Scheduler ticks that failed."})
	build := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "build_info",
		Help: "Always 1; the version label says which build runs.", ConstLabels: prometheus.Labels{"version": version}})
	build.Set(1)
	for _, c := range []prometheus.Collector{m.postsSent, m.postsFailed, m.lag, m.rateLimited, m.takeovers, m.checkIns, m.commands,
		m.retries, m.ticks, m.tickErrors, build, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		m.reg.MustRegister(c)
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is where the series live (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Platform pre-creates a platform's series at zero, so dashboards and alerts see them
// before the first event.
func (m *Metrics) Platform(name string) {
	for _, kind := range study.PostKinds {
		k := string(kind)
		m.postsSent.WithLabelValues(name, k)
		m.lag.WithLabelValues(name, k)
		m.postsFailed.WithLabelValues(name, k, "false")
		m.postsFailed.WithLabelValues(name, k, "true")
	}
	for _, s := range []study.Source{study.SourceCommand, study.SourceButton, study.SourceReply} {
		m.checkIns.WithLabelValues(name, string(s))
	}
	m.rateLimited.WithLabelValues(name)
}

// WatchOutbox exports the outbox depth (posts pending or being sent), read from depth at
// each scrape.
func (m *Metrics) WatchOutbox(depth func(context.Context) (int64, error)) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "outbox_depth",
		Help: "Posts waiting in the outbox (pending or being sent), across all processes."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := depth(ctx)
		if err != nil {
			m.log.Warn("metrics: outbox depth", "err", err)
			return -1
		}
		return float64(n)
	}))
}

// WatchReconnects exports a platform's gateway/socket reconnect count, read from count at
// each scrape.
func (m *Metrics) WatchReconnects(platform string, count func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: "platform_reconnects_total",
		Help:        "Gateway (Discord) or Socket Mode (Slack) reconnects.",
		ConstLabels: prometheus.Labels{"platform": platform}}, func() float64 { return float64(count()) }))
}

// CommandDone implements middleware.Observer.
func (m *Metrics) CommandDone(platform, command string, took time.Duration, err error) {
	if !commands[command] {
		command = "other"
	}
	m.commands.WithLabelValues(platform, command, outcome(err)).Observe(took.Seconds())
}

// Retried counts a command run again after a transient fault (middleware.RetryPolicy).
func (m *Metrics) Retried(command string) {
	if !commands[command] {
		command = "other"
	}
	m.retries.WithLabelValues(command).Inc()
}

// CheckedIn implements study.Observer.
func (m *Metrics) CheckedIn(platform string, source study.Source) {
	m.checkIns.WithLabelValues(platform, string(source)).Inc()
}

// TickDone implements schedule.Observer.
func (m *Metrics) TickDone(took time.Duration, err error) {
	m.ticks.Observe(took.Seconds())
	if err != nil {
		m.tickErrors.Inc()
	}
}

// PostSent implements schedule.Observer.
func (m *Metrics) PostSent(platform string, kind study.PostKind, lag time.Duration) {
	m.postsSent.WithLabelValues(platform, string(kind)).Inc()
	m.lag.WithLabelValues(platform, string(kind)).Observe(max(lag, 0).Seconds())
}

// PostFailed implements schedule.Observer.
func (m *Metrics) PostFailed(platform string, kind study.PostKind, permanent bool) {
	m.postsFailed.WithLabelValues(platform, string(kind), strconv.FormatBool(permanent)).Inc()
}

// RateLimited implements schedule.Observer.
func (m *Metrics) RateLimited(platform string) { m.rateLimited.WithLabelValues(platform).Inc() }

// outcome classifies a command's error: refusals are the member's bad input (coded
// errors), errors are ours.
func outcome(err error) string {
	switch study.ErrorCode(err) {
	case "":
		return "ok"
	case study.EINTERNAL:
		return "error"
	case study.EUNAVAILABLE:
		return "unavailable"
	}
	return "refused"
}

var (
	_ study.Observer      = (*Metrics)(nil)
	_ middleware.Observer = (*Metrics)(nil)
)

// TakenOver implements schedule.Observer.
func (m *Metrics) TakenOver(platform string, kind study.PostKind) {
	m.takeovers.WithLabelValues(platform, string(kind)).Inc()
}
