package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/adapters/slackbot/slackfake"
	"cohortbot/internal/pgcluster"
	"cohortbot/internal/reconnect"
)

// Fault tests run the real `run` wiring against faults members must never notice.

// TestDoneRidesOutADatabaseRestart crashes and restarts PostgreSQL (pg_ctl restart -m
// immediate, twice) while members send /done through the Discord gateway at 20 a second:
// every member is told their check-in is done, every one is in the database, and the
// retries show on /metrics.
func TestDoneRidesOutADatabaseRestart(t *testing.T) {
	t.Parallel()
	// A cluster of its own: the shared test cluster must not restart under other tests.
	// Commits wait for the disk, as in production: a crash loses nothing acknowledged.
	pg, err := pgcluster.Start(pgcluster.Options{Fsync: true, MaxConnections: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	fake := discordtest.New(t)
	b := launchBot(t, map[string]string{"DISCORD_TOKEN": fake.Token, "DISCORD_API_URL": fake.URL, "DATABASE_URL": pg.URL})
	t.Cleanup(func() {
		if err := b.stop(t); err != nil {
			t.Errorf("run ended with %v", err)
		}
	})
	discordtest.WaitFor(t, "the bot to connect", 10*time.Second, func() bool {
		b.failIfEnded(t)
		_, puts := fake.Commands("global")
		return puts > 0 && fake.Connected()
	})
	b.waitListening(t)
	setupCohort(t, fake, discordtest.ChannelID, "09:00")

	// Members keep coming: 20 /done before the first crash, during it, 20 after it
	// (the database back), during the second, and 20 after that.
	var ids []string
	pace := time.NewTicker(50 * time.Millisecond) // the offered load: 20 /done a second
	defer pace.Stop()
	send := func() {
		<-pace.C
		i := len(ids)
		m := discordtest.Member{ID: fmt.Sprintf("3000000000000%05d", i), Name: fmt.Sprintf("Member %d", i)}
		ids = append(ids, fake.Command(discordtest.ChannelID, m, "done"))
	}
	for range 2 {
		for range 20 {
			send()
		}
		restarted := make(chan error, 1)
		go func() { restarted <- pg.Restart() }()
	during:
		for {
			select {
			case err := <-restarted:
				if err != nil {
					t.Fatal(err)
				}
				break during
			default:
				send()
			}
		}
	}
	for range 20 {
		send()
	}
	members := len(ids)

	for i, id := range ids {
		var text string
		eventually(t, fmt.Sprintf("member %d's answer", i), 30*time.Second, func() bool {
			r, done := fake.Answer(id)
			text = r.Text()
			return done
		})
		if !strings.HasPrefix(text, "✅ Day 1") {
			t.Errorf("member %d was answered %q: want their check-in done, whatever the database went through", i, text)
		}
	}
	db, err := sql.Open("pgx", pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored int
	if err := db.QueryRow(`SELECT count(*) FROM check_ins WHERE day = 1`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != members {
		t.Errorf("%d check-ins in the database, want %d: one for each member answered ✅", stored, members)
	}
	if n := b.metric(t, `cohortbot_command_retries_total{command="done"}`); n < 1 {
		t.Errorf("cohortbot_command_retries_total{command=\"done\"} = %v: the restarts should show as retries", n)
	}
	if code, body := b.get(t, "/readyz"); code != 200 {
		t.Errorf("/readyz after the restarts: %d %s", code, body)
	}
	if t.Failed() {
		retries := b.log.Lines("transient fault, retrying")
		for i, l := range retries {
			if i < 5 || i > len(retries)-5 {
				t.Logf("retry %d: %v", i, l)
			}
		}
	}
}

// outage is a platform outage on a simulated clock: the waits between run's reconnect
// attempts advance it, and the platform comes back (up) once it passes length. The rest
// — the client libraries, the fakes, the wiring — runs for real, in moments.
type outage struct {
	length time.Duration
	up     func()

	mu      sync.Mutex
	elapsed time.Duration // simulated time since the platform went down
	back    time.Duration // when it came back; 0 while down
}

func (o *outage) sleep(ctx context.Context, d time.Duration) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.elapsed += d
	if o.back == 0 && o.elapsed >= o.length {
		o.back = o.elapsed
		o.up()
	}
	return ctx.Err()
}

// silence is how long after the platform came back the bot reconnected.
func (o *outage) silence(t *testing.T) time.Duration {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.back == 0 {
		t.Fatal("reconnected while the platform was down")
	}
	return o.elapsed - o.back
}

// TestOutageEndsInPromptReconnect takes Discord's gateway, and Slack's Socket Mode, down
// for 70 seconds and for 5 minutes: once the platform is back, the bot reconnects within
// the reconnect cap and answers commands again, however long the outage was.
func TestOutageEndsInPromptReconnect(t *testing.T) {
	t.Parallel()
	for _, length := range []time.Duration{70 * time.Second, 5 * time.Minute} {
		t.Run("discord/"+length.String(), func(t *testing.T) {
			t.Parallel()
			fake := discordtest.New(t)
			o := &outage{length: length, up: func() { fake.SetGatewayDown(false) }}
			b := launch(t, map[string]string{"DISCORD_TOKEN": fake.Token, "DISCORD_API_URL": fake.URL, "COHORTBOT_DATA_DIR": t.TempDir()}, o.sleep)
			t.Cleanup(func() {
				if err := b.stop(t); err != nil {
					t.Errorf("run ended with %v", err)
				}
			})
			discordtest.WaitFor(t, "the bot to connect", 10*time.Second, func() bool {
				b.failIfEnded(t)
				_, puts := fake.Commands("global")
				return puts > 0 && fake.Connected()
			})
			b.waitListening(t)
			setupCohort(t, fake, discordtest.ChannelID, "09:00")

			waitOutage(t, b, "discord", func() { fake.SetGatewayDown(true) })
			checkSilence(t, o)
			if r := fake.Reply(t, fake.Command(discordtest.ChannelID, discordAlice, "done")); !strings.HasPrefix(r.Text(), "✅ Day 1") {
				t.Errorf("/done after the outage: %q", r.Text())
			}
			if refused := fake.GatewayRefusals(); refused < 3 {
				t.Errorf("%d refused connections: the outage should have been met with retries", refused)
			}
		})
		t.Run("slack/"+length.String(), func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New(t)
			o := &outage{length: length, up: func() { fake.SetSocketDown(false) }}
			b := startSlack(t, fake, true, o.sleep)
			b.run.waitListening(t)
			b.command(t, slackAdmin, "C1", "/cohort", slackSetupText("09:00"), 1)

			waitOutage(t, b.run, "slack", func() { fake.SetSocketDown(true) })
			checkSilence(t, o)
			slackContains(t, slackText(b.command(t, slackBob, "C1", "/done", "", 1)), "✅ Day 1")
			if refused := fake.SocketRefusals(); refused < 3 {
				t.Errorf("%d refused connections: the outage should have been met with retries", refused)
			}
		})
	}
}

// waitOutage takes the platform down and waits until the bot has reconnected: the
// platform's reconnect counter moved and /readyz answers 200 again.
func waitOutage(t *testing.T, b *bot, platform string, down func()) {
	t.Helper()
	series := fmt.Sprintf(`cohortbot_platform_reconnects_total{platform=%q}`, platform)
	before := b.metric(t, series)
	down()
	// The simulated outage passes in moments of real time.
	eventually(t, "the bot to reconnect", 15*time.Second, func() bool {
		code, _ := b.get(t, "/readyz")
		return b.metric(t, series) > before && code == 200
	})
}

// checkSilence: the issue allows 30 s from the platform's return to commands working;
// the reconnect cap is 15 s.
func checkSilence(t *testing.T, o *outage) {
	t.Helper()
	if silence := o.silence(t); silence > reconnect.DefaultMax {
		t.Errorf("after a %s outage the bot reconnected %s after the platform came back, want ≤ %s", o.length, silence, reconnect.DefaultMax)
	}
}
