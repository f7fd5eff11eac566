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
	"cohortbot/internal/opshttp"
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
	// mux is the bot's HTTP listener (COHORTBOT_HTTP_ADDR): platforms that receive webhooks
	// (Slack's HTTP mode) and the operations endpoints register here.
	mux *http.ServeMux
	// commands is the core as adapters should call it: each command and check-in gets a
	// request id on its context and one log line.
	commands *commandLog

	// Set by instrument (run only).
	metrics *metrics.Metrics
	probes  *opshttp.Probes
}

// openApp builds the constructor chain every subcommand that touches data shares.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time, migrate bool) (*app, error) {
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
	svc := study.NewService(st, now, src.Track)
	return &app{cfg: cfg, log: log, store: st, svc: svc, now: now, mux: http.NewServeMux(),
		commands: &commandLog{svc: svc, log: log}}, nil
}

func (a *app) Close() error { return a.store.Close() }

// instrument wires metrics into the core and readiness checks over the store; the
// scheduler and the platforms are added by their callers.
func (a *app) instrument() {
	a.metrics = metrics.New(version, a.log)
	a.metrics.WatchOutbox(a.store.OutboxDepth)
	a.svc.Observer = a.metrics
	a.probes = opshttp.New(a.log, storeChecks(a.store)...)
}

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
