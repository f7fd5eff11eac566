package main

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/internal/pgcluster"
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
