package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"cohortbot/content"
	"cohortbot/internal/config"
	"cohortbot/internal/curriculum"
	"cohortbot/internal/logging"
	"cohortbot/internal/metrics"
	"cohortbot/internal/middleware"
	"cohortbot/internal/schedule"
	"cohortbot/internal/store"
	"cohortbot/internal/study"
)

// app is the wired core: configuration, store, curriculum and service.
type app struct {
	cfg   config.Config
	log   *slog.Logger
	store *store.Store
	svc   *study.Service
	now   func() time.Time
	// handler is the core as adapters call it: the service inside the middleware chain
	// (request id and log line, timing, panic recovery).
	handler study.Handler
	// metrics is nil unless the command serves /metrics (run).
	metrics *metrics.Metrics
	// sleep waits between a platform's reconnect attempts (nil: real timers).
	sleep func(context.Context, time.Duration) error
	// mux is the bot's HTTP listener (COHORTBOT_HTTP_ADDR): platforms that receive webhooks
	// (Slack's HTTP mode) and the operations endpoints register here.
	mux *http.ServeMux
}

// openApp builds the constructor chain every subcommand that touches data shares: track,
// store, service, and the middleware around it. With m, the service and the chain report
// to it.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time, migrate bool, m *metrics.Metrics) (*app, error) {
	fsys, err := content.Track(content.DefaultTrack)
	if err != nil {
		return nil, fmt.Errorf("open track: %w", err)
	}
	src, err := curriculum.Load(fsys, curriculum.Options{})
	if err != nil {
		return nil, fmt.Errorf("load track %s: %w", content.DefaultTrack, err)
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL.Reveal(), DataDir: cfg.DataDir, Now: now, Log: log})
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, err
		}
	}
	log.Info("store ready", "dialect", st.Dialect(), "track", src.Track.ID, "days", src.Track.Len())
	scfg := study.Config{Store: st, Tracks: []*study.Track{src.Track}, Now: now, Cron: schedule.Cron, Log: log}
	chain := []middleware.Middleware{middleware.Log(log)}
	if m != nil {
		scfg.Observer = m
		chain = append(chain, middleware.Observe(m))
	}
	retry := middleware.RetryPolicy{Transient: store.IsTransient, Now: now}
	if m != nil {
		retry.Retried = m.Retried
	}
	chain = append(chain, middleware.Recover(log), middleware.Retry(retry, log))
	svc, err := study.New(scfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &app{cfg: cfg, log: log, store: st, svc: svc, now: now, metrics: m, mux: http.NewServeMux(),
		handler: middleware.Chain(svc, chain...)}, nil
}

func (a *app) Close() error { return a.store.Close() }

// logOptions picks the log format: text in console mode or on a terminal, JSON otherwise
// (what log collectors parse); secrets are redacted from every line.
func logOptions(cfg config.Config, console bool, stderr io.Writer) logging.Options {
	return logging.Options{Level: cfg.LogLevel, JSON: !console && !isTerminal(stderr), Redact: cfg.Redactor().String}
}

// isTerminal reports whether f is an interactive terminal (to show a prompt, or to log
// text rather than JSON).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
