// Command deliveryload runs the real `cohortbot run` against the fake Discord and the fake
// Slack with the platforms' rate limits on, and measures delivery at platform speed: many
// cohorts due in the same minute, every card out as fast as the limits allow and no
// faster. It prints, per platform: the time from the first card to the last thread
// message against the limits' bound, requests per card, 429s, messages duplicated or
// missing, and (Discord) how fast /cohort setup is acknowledged while setups run during
// the fan-out.
//
//	go run ./cmd/deliveryload                       # both platforms, the defaults below
//	go run ./cmd/deliveryload -platform discord -n 1000 -setups 1000 -setup-rate 50
//	go run ./cmd/deliveryload -platform slack -slack-n 100
//
// It starts a throwaway PostgreSQL cluster with fsync on (or creates a database on the
// server -database names), builds ./cmd/cohortbot (or runs -bin), seeds the cohorts with
// set-based SQL, and runs the binary as a child process against the fakes on 127.0.0.1.
// Run it from the repository's root; it takes about two minutes per platform.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

type options struct {
	n, slackN, setups int
	setupRate         float64
	database, bin     string
	keep              bool
	dir               string
}

func main() {
	var o options
	platform := flag.String("platform", "both", "discord, slack or both")
	flag.IntVar(&o.n, "n", 1000, "Discord: cohorts (one channel each) due in the same minute")
	flag.IntVar(&o.slackN, "slack-n", 100, "Slack: cohorts (one channel each) due in the same minute")
	flag.IntVar(&o.setups, "setups", 1000, "Discord: /cohort setup commands in other channels during the fan-out")
	flag.Float64Var(&o.setupRate, "setup-rate", 50, "Discord: setups per second")
	flag.StringVar(&o.database, "database", "", "a PostgreSQL URL to create the run's databases on (default: a throwaway cluster, fsync on)")
	flag.StringVar(&o.bin, "bin", "", "a built cohortbot binary (default: go build ./cmd/cohortbot)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (the bot's logs)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *platform, o); err != nil {
		fmt.Fprintln(os.Stderr, "deliveryload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, platform string, o options) (err error) {
	if o.dir, err = os.MkdirTemp("", "deliveryload-"); err != nil {
		return err
	}
	if o.keep {
		fmt.Println("work directory:", o.dir)
	} else {
		defer os.RemoveAll(o.dir)
	}
	if o.bin, err = buildBot(o.dir, o.bin); err != nil {
		return err
	}
	if o.database == "" {
		c, err := startCluster()
		if err != nil {
			return err
		}
		defer c.stop()
		o.database = c.url
		fmt.Println("postgresql: a throwaway cluster, fsync on")
	}
	switch platform {
	case "discord":
		return runDiscord(ctx, o)
	case "slack":
		return runSlack(ctx, o)
	case "both":
		if err := runDiscord(ctx, o); err != nil {
			return err
		}
		return runSlack(ctx, o)
	}
	return fmt.Errorf("-platform %q: want discord, slack or both", platform)
}

// database creates a fresh database for one run on the server and returns its URL and a
// connection to it.
func database(admin, name string) (string, *gorm.DB, func(), error) {
	a, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return "", nil, nil, err
	}
	if err := a.Exec("CREATE DATABASE " + name).Error; err != nil {
		return "", nil, nil, err
	}
	url := strings.Replace(admin, "/postgres?", "/"+name+"?", 1)
	if !strings.Contains(url, "/"+name) {
		return "", nil, nil, fmt.Errorf("-database must name the postgres database (…/postgres?…), got %q", admin)
	}
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return "", nil, nil, err
	}
	drop := func() {
		if s, err := db.DB(); err == nil {
			s.Close()
		}
		a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		if s, err := a.DB(); err == nil {
			s.Close()
		}
	}
	return url, db, drop, nil
}

// dueMinute is the start of the first whole minute at least lead from now: when the
// seeded cohorts' first card is due.
func dueMinute(lead time.Duration) time.Time {
	return time.Now().UTC().Add(lead).Truncate(time.Minute).Add(time.Minute)
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
// want posts exist.
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

// percentile of sorted durations (p in 0..100).
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p / 100)
	return d[i]
}

func sortDurations(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

func logPath(o options, name string) string { return filepath.Join(o.dir, name+".log") }
