// Package opshttp serves the operations endpoints on the bot's HTTP listener: /healthz
// (the process is alive), /readyz (every dependency answers; 503 naming the failing ones)
// and /metrics.
package opshttp

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCheckTimeout bounds each readiness check.
const DefaultCheckTimeout = 2 * time.Second

// Check is one readiness dependency.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Reason is a short, public description of why a check fails ("unreachable",
// "connecting"). /readyz shows it; the full error goes to the log. Wrap it into a check's
// error: fmt.Errorf("%w: %w", opshttp.Reason("unreachable"), err).
type Reason string

func (r Reason) Error() string { return string(r) }

// Probes answers /healthz and /readyz.
type Probes struct {
	log     *slog.Logger
	timeout time.Duration

	mu     sync.Mutex
	checks []Check
	failed map[string]bool // last state, to log changes only

	draining atomic.Bool
}

// New makes probes over checks (more can be added with Add).
func New(log *slog.Logger, checks ...Check) *Probes {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Probes{log: log, timeout: DefaultCheckTimeout, checks: checks, failed: map[string]bool{}}
}

// Add appends a check.
func (p *Probes) Add(c Check) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checks = append(p.checks, c)
}

// Drain makes /readyz answer 503 from now on: the process is shutting down and should get
// no new traffic.
func (p *Probes) Drain() { p.draining.Store(true) }

// Mount registers /healthz, /readyz and, when metrics is not nil, /metrics.
func (p *Probes) Mount(mux *http.ServeMux, metrics http.Handler) {
	mux.HandleFunc("GET /healthz", p.healthz)
	mux.HandleFunc("GET /readyz", p.readyz)
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
}

func (p *Probes) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}

// Report is /readyz's JSON body.
type Report struct {
	Status  string            `json:"status"` // ready, not ready, shutting down
	Failing []string          `json:"failing,omitempty"`
	Checks  map[string]string `json:"checks"`
}

// Ready runs every check at once, each bounded by the check timeout.
func (p *Probes) Ready(ctx context.Context) Report {
	p.mu.Lock()
	checks := append([]Check(nil), p.checks...)
	p.mu.Unlock()
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, p.timeout)
			defer cancel()
			errs[i] = c.Probe(cctx)
		})
	}
	wg.Wait()
	rep := Report{Status: "ready", Checks: map[string]string{}}
	for i, c := range checks {
		if errs[i] == nil {
			rep.Checks[c.Name] = "ok"
		} else {
			rep.Checks[c.Name] = reason(errs[i])
			rep.Failing = append(rep.Failing, c.Name)
		}
		p.logChange(c.Name, errs[i])
	}
	if len(rep.Failing) > 0 {
		rep.Status = "not ready"
	}
	if p.draining.Load() {
		rep.Status = "shutting down"
	}
	return rep
}

func (p *Probes) readyz(w http.ResponseWriter, r *http.Request) {
	rep := p.Ready(r.Context())
	code := http.StatusOK
	if rep.Status != "ready" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(rep)
}

// logChange logs a check's failure when it starts failing and its recovery, not every
// probe in between.
func (p *Probes) logChange(name string, err error) {
	p.mu.Lock()
	was := p.failed[name]
	p.failed[name] = err != nil
	p.mu.Unlock()
	switch {
	case err != nil && !was:
		p.log.Warn("not ready", "check", name, "err", err)
	case err == nil && was:
		p.log.Info("ready again", "check", name)
	}
}

func reason(err error) string {
	var r Reason
	if errors.As(err, &r) {
		return string(r)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "failing"
}
