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
	return &app{cfg: cfg, log: log, store: st, svc: study.NewService(st, now, src.Track), now: now, mux: http.NewServeMux()}, nil
}

func (a *app) Close() error { return a.store.Close() }

func newLogger(w io.Writer, level slog.Level, text bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if text {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// isTerminal reports whether r is an interactive terminal (to show a prompt).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
