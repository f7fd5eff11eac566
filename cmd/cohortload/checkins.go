package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/internal/loadseed"
)

// checkinsConfig is one `cohortload checkins` run.
type checkinsConfig struct {
	rates   []int         // /done offered per second, one stage each
	stage   time.Duration // each stage's length
	members int           // seeded members; each stage's check-ins come from members not used before
	history int           // study days behind the cohort, every member on time on each
}

// userPrefix numbers the seeded members' Discord user ids.
const userPrefix = "30000000"

// checkins measures /done end to end: members' slash commands through the Discord fake's
// gateway into the real `cohortbot run`, onto PostgreSQL with fsync on, in a cohort of
// -members members on day history+1. Each stage offers one rate for a while; the run
// reports per stage how fast interactions were acknowledged, checks that every
// acknowledged check-in is in the database, and reads the bot's memory at the end.
func checkins(ctx context.Context, args []string) error {
	fs := flagSet("checkins")
	rates := fs.String("rates", "500,1000,1500,2000", "stages: /done offered per second, comma-separated")
	seconds := fs.Int("seconds", 20, "length of each stage in seconds")
	members := fs.Int("members", 100000, "members in the cohort (each stage uses members not used before)")
	history := fs.Int("history", 59, "days behind the cohort, every member checked in on time on each")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := checkinsConfig{stage: time.Duration(*seconds) * time.Second, members: *members, history: *history}
	for _, f := range strings.Split(*rates, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number", f)
		}
		cfg.rates = append(cfg.rates, r)
	}
	need := 0
	for _, r := range cfg.rates {
		need += r * *seconds
	}
	if *seconds <= 0 || *history < 0 || need > cfg.members {
		return fmt.Errorf("the stages need %d distinct members and -seconds > 0, -history ≥ 0: raise -members (%d)", need, cfg.members)
	}
	return runCheckins(ctx, cfg, os.Stdout)
}

func runCheckins(ctx context.Context, cfg checkinsConfig, out io.Writer) error {
	dir, err := os.MkdirTemp("", "cohortload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	binary, err := buildBot(ctx, dir, "")
	if err != nil {
		return err
	}
	srv, err := openServer(os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer srv.close()
	db, err := srv.create(fmt.Sprintf("cohortload_%d", time.Now().UnixNano()))
	if err != nil {
		return err
	}
	defer db.close()
	fake := discordtest.Start()
	defer fake.Close()

	b, err := startBot(ctx, binary, dir+"/bot.log", map[string]string{
		"DISCORD_TOKEN": fake.Token, "DISCORD_API_URL": fake.URL, "DISCORD_GUILD_ID": discordtest.GuildID,
		"DATABASE_URL": db.URL, "COHORTBOT_HTTP_ADDR": "127.0.0.1:0", "COHORTBOT_LOG_LEVEL": "warn",
	})
	if err != nil {
		return err
	}
	defer b.stop()
	if err := waitUntil(ctx, 30*time.Second, "the bot to connect and register its commands", func() bool {
		_, puts := fake.Commands("global")
		return puts > 0 && fake.Connected()
	}); err != nil {
		return b.withLog(err)
	}

	// Day history+1's card went out five hours ago, so day history has closed (grace 4 h).
	posted := time.Now().UTC().Add(-5 * time.Hour).Truncate(time.Minute)
	start := posted.AddDate(0, 0, -cfg.history)
	organizer := discordtest.Member{ID: "1000000000000000101", Name: "Olga", Permissions: discordtest.PermManageGuild}
	id := fake.Command(discordtest.ChannelID, organizer, "cohort", discordtest.Sub("setup",
		discordtest.Str("start", start.Format(time.DateOnly)), discordtest.Str("time", posted.Format("15:04")),
		discordtest.Str("tz", "UTC"), discordtest.Str("name", "Load")))
	if r, err := fake.Await(id, 10*time.Second); err != nil || !strings.Contains(r.Text(), "is set up") {
		return b.withLog(fmt.Errorf("set the cohort up: %v %q", err, r.Text()))
	}
	var cohortID int64
	if err := waitUntil(ctx, 60*time.Second, "the bot to close the cohort's past days", func() bool {
		var closed int
		row := db.db.Raw(`SELECT id, closed_through FROM cohorts`).Row()
		return row.Scan(&cohortID, &closed) == nil && closed >= cfg.history
	}); err != nil {
		return b.withLog(err)
	}
	t0 := time.Now()
	if err := loadseed.Seed(ctx, db.db, loadseed.Spec{CohortID: cohortID, Platform: "discord", Workspace: discordtest.GuildID,
		UserPrefix: userPrefix, Members: cfg.members, History: cfg.history, First: start}); err != nil {
		return err
	}
	fmt.Fprintf(out, "cohort: %d members on day %d, %d check-ins behind it (seeded in %s); PostgreSQL fsync on\n",
		cfg.members, cfg.history+1, cfg.members*cfg.history, time.Since(t0).Round(time.Second))
	fmt.Fprintf(out, "%9s %7s %9s %7s %8s %8s %8s %8s %6s %12s %24s\n",
		"offered/s", "sent", "answered", "done", "p50", "p90", "p99", "max", ">3s", "answered/s", "CPU ms/check-in bot/pg/load")
	postmaster := 0
	if srv.cluster != nil {
		postmaster = srv.cluster.Postmaster()
	}

	next := 1
	acked := map[string]bool{} // members told their check-in is done
	for _, rate := range cfg.rates {
		n := rate * int(cfg.stage/time.Second)
		before := b.cpu(postmaster)
		st, err := offer(ctx, fake, rate, next, n, acked)
		if err != nil {
			return b.withLog(err)
		}
		st.cpu = b.cpu(postmaster).sub(before)
		next += n
		fmt.Fprintln(out, st)
	}
	fmt.Fprintf(out, "bot memory after %d check-ins: %.1f MB RSS\n", next-1, b.rssMB())

	// Every member told ✅ must have the check-in in the database.
	rows, err := db.db.Raw(`SELECT m.user_id FROM check_ins c JOIN members m ON m.id = c.member_id
		WHERE c.cohort_id = ? AND c.day = ?`, cohortID, cfg.history+1).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	stored := 0
	for rows.Next() {
		var user string
		if err := rows.Scan(&user); err != nil {
			return err
		}
		stored++
		delete(acked, user)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "check-ins in the database: %d; acknowledged as done but missing: %d\n", stored, len(acked))
	if len(acked) > 0 {
		return fmt.Errorf("%d acknowledged check-ins are not in the database", len(acked))
	}
	return nil
}

// stage is one rate's outcome.
type stage struct {
	rate, sent, answered, done, late int
	p50, p90, p99, max               time.Duration
	throughput                       float64
	cpu                              cpuTimes // spent during the stage
}

func (s stage) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }
	per := func(d time.Duration) string {
		if s.done == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)/float64(s.done))
	}
	pg := per(s.cpu.postgres)
	if s.cpu.postgres == 0 {
		pg = "-" // not the run's own server
	}
	return fmt.Sprintf("%9d %7d %9d %7d %8s %8s %8s %8s %6d %12.0f %24s",
		s.rate, s.sent, s.answered, s.done, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), s.late, s.throughput,
		per(s.cpu.bot)+" / "+pg+" / "+per(s.cpu.load))
}

// offer sends n /done commands at rate per second from members first…first+n-1, waits
// for their answers, and measures them: latency is from the interaction's creation to
// its first response, as Discord's 3-second deadline counts.
func offer(ctx context.Context, fake *discordtest.Server, rate, first, n int, acked map[string]bool) (stage, error) {
	fake.TakeAcks() // forget the setup's
	begin := time.Now()
	for i := range n {
		if d := time.Until(begin.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
			select {
			case <-ctx.Done():
				return stage{}, ctx.Err()
			case <-time.After(d):
			}
		}
		k := first + i
		fake.Command(discordtest.ChannelID, discordtest.Member{ID: loadseed.UserID(userPrefix, k), Name: loadseed.Name(k)}, "done")
	}
	// Everything offered is answered within the deadline or counted as missing.
	_ = waitUntil(ctx, 10*time.Second, "", func() bool { return fake.Pending() == 0 })
	acks := fake.TakeAcks()
	s := stage{rate: rate, sent: n, answered: len(acks)}
	if len(acks) == 0 {
		return s, nil
	}
	lat := make([]time.Duration, 0, len(acks))
	firstAt, lastAt := acks[0].Created, acks[0].Answered
	for _, a := range acks {
		d := a.Answered.Sub(a.Created)
		lat = append(lat, d)
		if d > 3*time.Second {
			s.late++
		}
		if strings.HasPrefix(a.Text, "✅ Day") {
			s.done++
			acked[a.User] = true
		}
		firstAt = minTime(firstAt, a.Created)
		lastAt = maxTime(lastAt, a.Answered)
	}
	slices.Sort(lat)
	s.p50, s.p90, s.p99, s.max = percentile(lat, 0.50), percentile(lat, 0.90), percentile(lat, 0.99), lat[len(lat)-1]
	s.throughput = float64(len(acks)) / lastAt.Sub(firstAt).Seconds()
	return s, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
