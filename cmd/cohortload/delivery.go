package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

// deliveryConfig is one `cohortload delivery` run.
type deliveryConfig struct {
	discord, slack    bool
	n, slackN, setups int     // Discord cohorts, Slack cohorts, Discord setups during the fan-out
	setupRate         float64 // Discord setups per second
	database, bin     string  // a server's URL (default: a throwaway cluster), a built cohortbot
	keep              bool    // keep the work directory
}

// delivery runs the real `cohortbot run` against the fake Discord and the fake Slack with
// the platforms' rate limits on, and measures delivery at platform speed: many cohorts due
// in the same minute, every card out as fast as the limits allow and no faster. It prints,
// per platform: the time from the first card to the last thread message against the
// limits' bound, requests per card, 429s, messages duplicated or missing, and (Discord)
// how fast /cohort setup is acknowledged while setups run during the fan-out.
func delivery(ctx context.Context, args []string) error {
	fs := flagSet("delivery")
	var cfg deliveryConfig
	platform := fs.String("platform", "both", "discord, slack or both")
	fs.IntVar(&cfg.n, "n", 1000, "Discord: cohorts (one channel each) due in the same minute")
	fs.IntVar(&cfg.slackN, "slack-n", 100, "Slack: cohorts (one channel each) due in the same minute")
	fs.IntVar(&cfg.setups, "setups", 1000, "Discord: /cohort setup commands in other channels during the fan-out")
	fs.Float64Var(&cfg.setupRate, "setup-rate", 50, "Discord: setups per second")
	fs.StringVar(&cfg.database, "database", "", "a PostgreSQL URL to create the run's databases on (default: a throwaway cluster, fsync on)")
	fs.StringVar(&cfg.bin, "bin", "", "a built cohortbot binary (default: go build ./cmd/cohortbot)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the work directory (the bot's logs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("delivery takes no arguments, got %q", fs.Args())
	}
	switch *platform {
	case "discord":
		cfg.discord = true
	case "slack":
		cfg.slack = true
	case "both":
		cfg.discord, cfg.slack = true, true
	default:
		return fmt.Errorf("-platform %q: want discord, slack or both", *platform)
	}
	if cfg.discord && (cfg.n <= 0 || cfg.setups < 0 || (cfg.setups > 0 && cfg.setupRate <= 0)) {
		return fmt.Errorf("want -n > 0, -setups ≥ 0 and -setup-rate > 0 (got %d, %d, %g)", cfg.n, cfg.setups, cfg.setupRate)
	}
	if cfg.slack && cfg.slackN <= 0 {
		return fmt.Errorf("want -slack-n > 0 (got %d)", cfg.slackN)
	}
	if cfg.database != "" {
		if _, err := databaseURL(cfg.database, "x"); err != nil {
			return fmt.Errorf("-database: %w", err)
		}
	}
	return runDelivery(ctx, cfg, os.Stdout)
}

func runDelivery(ctx context.Context, cfg deliveryConfig, out io.Writer) error {
	dir, err := os.MkdirTemp("", "cohortload-delivery-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Fprintln(out, "work directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	binary, err := buildBot(ctx, dir, cfg.bin)
	if err != nil {
		return err
	}
	srv, err := openServer(cfg.database)
	if err != nil {
		return err
	}
	defer srv.close()
	if srv.throwaway() {
		fmt.Fprintln(out, "postgresql: a throwaway cluster, fsync on")
	}
	run := fanOutRun{binary: binary, dir: dir, srv: srv}
	if cfg.discord {
		if err := run.discord(ctx, cfg, out); err != nil {
			return fmt.Errorf("discord: %w", err)
		}
	}
	if cfg.slack {
		if err := run.slack(ctx, cfg, out); err != nil {
			return fmt.Errorf("slack: %w", err)
		}
	}
	return nil
}

// fanOutRun is what each platform's run shares: the binary, the work directory, the
// server.
type fanOutRun struct {
	binary, dir string
	srv         *server
}

// start prepares one platform's fan-out: a fresh database, migrated, with one daily UTC
// cohort per channel due at the first whole minute at least lead from now, and the bot
// running on it with env, connected. Stop the bot, then close the database.
func (r fanOutRun) start(ctx context.Context, platform, workspace string, channels []string, lead time.Duration,
	env map[string]string, connected func() bool) (*database, *bot, time.Time, error) {
	var due time.Time
	db, err := r.srv.create(fmt.Sprintf("cohortload_%s_%d", platform, time.Now().UnixNano()))
	if err != nil {
		return nil, nil, due, err
	}
	env["DATABASE_URL"] = db.URL
	m, err := startCohortbot(ctx, r.binary, filepath.Join(r.dir, platform+"-migrate.log"), env, "migrate", "up")
	if err != nil {
		db.close()
		return nil, nil, due, err
	}
	if err := m.wait(2 * time.Minute); err != nil {
		db.close()
		return nil, nil, due, m.withLog(fmt.Errorf("cohortbot migrate up: %w", err))
	}
	due = time.Now().UTC().Add(lead).Truncate(time.Minute).Add(time.Minute)
	if err := seed(db.db, platform, workspace, channels, due); err != nil {
		db.close()
		return nil, nil, due, err
	}
	b, err := startBot(ctx, r.binary, filepath.Join(r.dir, platform+".log"), env)
	if err != nil {
		db.close()
		return nil, nil, due, err
	}
	if err := waitUntil(ctx, 30*time.Second, "the bot to connect to the fake "+platform, connected); err != nil {
		b.stop()
		db.close()
		return nil, nil, due, b.withLog(err)
	}
	return db, b, due, nil
}

// seed inserts one daily UTC cohort per channel, starting on due's date at due's minute,
// with set-based SQL.
func seed(db *gorm.DB, platform, workspace string, channels []string, due time.Time) error {
	now := time.Now().UTC()
	err := db.Exec(`INSERT INTO cohorts (name, track, start_date, timezone, post_time, cadence, created_at, updated_at)
		SELECT 'load ' || ch, 'nodejs-backend', ?, 'UTC', ?, 'daily', ?, ? FROM unnest(?::text[]) AS ch`,
		due.Format("2006-01-02"), due.Format("15:04"), now, now, "{"+strings.Join(channels, ",")+"}").Error
	if err != nil {
		return fmt.Errorf("seed cohorts: %w", err)
	}
	err = db.Exec(`INSERT INTO cohort_channels (cohort_id, platform, workspace_id, channel_id, created_at)
		SELECT id, ?, ?, substr(name, 6), ? FROM cohorts WHERE name LIKE 'load %'`, platform, workspace, now).Error
	if err != nil {
		return fmt.Errorf("seed channels: %w", err)
	}
	return nil
}

// waitOutboxIdle waits until every post is out (none pending or being sent) and at least
// want posts exist, polling every 200 ms.
func waitOutboxIdle(ctx context.Context, db *gorm.DB, want int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		var total, open int64
		db.Raw("SELECT count(*) FROM posts").Scan(&total)
		db.Raw("SELECT count(*) FROM posts WHERE status IN ('pending', 'sending')").Scan(&open)
		if total >= int64(want) && open == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %d posts, %d still open", within, total, open)
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

// fakeTB lets slackfake.New, written for tests, run in this command: it asks only for
// Helper and Cleanup; the cleanups run at close.
type fakeTB struct {
	testing.TB
	cleanups []func()
}

func (t *fakeTB) Helper()             {}
func (t *fakeTB) Cleanup(f func())    { t.cleanups = append(t.cleanups, f) }
func (t *fakeTB) Logf(string, ...any) {}
func (t *fakeTB) close() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
