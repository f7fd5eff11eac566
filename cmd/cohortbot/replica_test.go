package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"cohortbot/adapters/discordbot"
	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/adapters/slackbot"
	"cohortbot/adapters/slackbot/slackfake"
	"cohortbot/internal/pgtest"
	"cohortbot/internal/study"
)

// These tests run two `cohortbot run` processes (replicas) on one PostgreSQL database,
// with many channels due at once, and kill -9 one of them while its posts are on their
// way: the other replica takes the dead one's posts over within its short delivery
// lease, and every message exists exactly once, although the platform has forgotten
// the nonces of the dead replica's sends by the time they are resent.

const (
	// replicaChannels is how many channels have their card due when the replicas start.
	replicaChannels = 48
	// replicaWorkers is how many posts a replica works on at once (the scheduler's
	// default Workers): the dead replica held this many.
	replicaWorkers = 16
	// takeoverBound is how soon after the kill every post must be out: the dead
	// replica's lease (10 s) and the wake-up after it (within 15 s together), plus the
	// platform's pacing of what is left (about 150 requests at 47 a second).
	takeoverBound = 15*time.Second + 5*time.Second
)

// TestDiscordKilledReplicaIsTakenOver: the first replica is killed while the cards of its
// posts are on their way (trial "cards"), or while their threads' messages are (trial
// "thread messages"). Discord still makes what had arrived. The other replica takes
// those posts over, finds the parts already made among the channel's (or thread's)
// latest messages, and sends only what is missing.
func TestDiscordKilledReplicaIsTakenOver(t *testing.T) {
	t.Parallel()
	killTrials(t, discordKilledReplica)
}

// killTrials runs trial twice: the replica killed while its cards are on their way, and
// while its threads' messages are.
func killTrials(t *testing.T, trial func(t *testing.T, inThread bool)) {
	for _, inThread := range []bool{false, true} {
		name := "cards"
		if inThread {
			name = "thread messages"
		}
		t.Run(name, func(t *testing.T) { trial(t, inThread) })
	}
}

func discordKilledReplica(t *testing.T, inThread bool) {
	fake := discordtest.New(t)
	// Discord remembers a nonce for "the past few minutes"; exactly once must not depend
	// on a resend coming within them. Here it has forgotten by the time of the takeover.
	fake.SetNonceWindow(time.Second)
	dbURL := pgtest.URL(t)
	var chans []string
	var refs []study.ChannelRef
	for i := range replicaChannels {
		id := fake.AddChannel(fmt.Sprintf("crew-%d", i))
		chans = append(chans, id)
		refs = append(refs, study.ChannelRef{Platform: discordbot.Platform, Workspace: discordtest.GuildID, Channel: id})
	}
	seedDueCohorts(t, dbURL, refs)
	env := map[string]string{"DATABASE_URL": dbURL, "DISCORD_TOKEN": fake.Token, "DISCORD_API_URL": fake.URL}

	const messages, threads = "POST /channels/{channel}/messages", "POST /channels/{channel}/messages/{message}/threads"
	route := messages
	if inThread {
		route = threads // the cards go out; each post stops before its thread
	}
	held, release := fake.Hold(route)
	// The first replica alone takes as many posts as it has workers; then the second
	// takes as many more. So the first replica's posts are the first held.
	doomed := startChild(t, env, testEpoch)
	var doomedReqs []discordtest.Request
	for i := range replicaWorkers {
		doomedReqs = append(doomedReqs, receiveHeld(t, fmt.Sprintf("the doomed replica's post %d", i+1), doomed, held))
	}
	survivor := startChild(t, env, testEpoch)
	for i := range replicaWorkers {
		receiveHeld(t, fmt.Sprintf("the surviving replica's post %d", i+1), survivor, held)
	}
	if inThread {
		// The threads are started; their first messages are held on their way.
		var threadMsgs <-chan discordtest.Request
		threadMsgs, release2 := fake.Hold(messages)
		defer release2()
		release()
		release = release2
		doomedThreads := map[string]bool{}
		for _, r := range doomedReqs {
			doomedThreads[pathID(r.Path, "messages")] = true // the thread has the card's id
		}
		doomedReqs = nil
		for i := range 2 * replicaWorkers {
			r := receiveHeld(t, fmt.Sprintf("thread message %d", i+1), survivor, threadMsgs)
			if doomedThreads[pathID(r.Path, "channels")] {
				doomedReqs = append(doomedReqs, r)
			}
		}
		if len(doomedReqs) != replicaWorkers {
			t.Fatalf("%d of the held thread messages are the doomed replica's, want %d", len(doomedReqs), replicaWorkers)
		}
	}
	doomed.kill(t) // kill -9 while its parts are on their way
	killed := time.Now()
	release() // Discord still makes them: the requests had arrived
	awaitEveryPostSent(t, dbURL, killed, survivor)

	// Every message exactly once: a card per channel, a thread on it, and the thread's
	// messages once each (the same count in every thread: every channel has day 1).
	want := -1
	for i, ch := range chans {
		cards := fake.Messages(ch)
		if len(cards) != 1 {
			t.Errorf("channel %d: %d cards, want 1", i, len(cards))
			continue
		}
		if th := fake.Threads(ch); len(th) != 1 || th[0].ID != cards[0].ID {
			t.Errorf("channel %d: threads %+v, want one on the card", i, th)
		}
		var inside []string
		for _, m := range fake.Messages(cards[0].ID) {
			inside = append(inside, m.Content+fmt.Sprint(m.Embeds))
		}
		checkThread(t, i, inside, &want)
	}
	// The dead replica's parts were made once, by its own requests; the takeover found
	// them rather than counting on their nonces.
	for _, r := range doomedReqs {
		made := 0
		for _, q := range fake.Requests(messages) {
			if nonceOf(q.Body) == nonceOf(r.Body) && q.Status == 200 {
				made++
			}
		}
		if made != 1 {
			t.Errorf("the part with nonce %s was sent %d times, want once (by the killed replica)", nonceOf(r.Body), made)
		}
	}
	if n := len(fake.Requests("GET /channels/{channel}/messages")); n < replicaWorkers {
		t.Errorf("%d looks at recent messages, want at least one per post taken over (%d)", n, replicaWorkers)
	}
	checkTakeovers(t, survivor, "discord")
}

// TestSlackKilledReplicaIsTakenOver: as on Discord, on Slack, which has no idempotency
// key at all. The killed replica's calls reached Slack and took effect (their answers
// never came back). The other replica takes its posts over, finds their parts by the
// metadata they carry (conversations.history or .replies with include_all_metadata), and
// sends only what is missing.
func TestSlackKilledReplicaIsTakenOver(t *testing.T) {
	t.Parallel()
	killTrials(t, slackKilledReplica)
}

func slackKilledReplica(t *testing.T, inThread bool) {
	fake := slackfake.New(t)
	dbURL := pgtest.URL(t)
	var chans []string
	var refs []study.ChannelRef
	for i := range replicaChannels {
		id := fmt.Sprintf("CREP%03d", i)
		chans = append(chans, id)
		refs = append(refs, study.ChannelRef{Platform: slackbot.Platform, Workspace: slackfake.TeamID, Channel: id})
	}
	seedDueCohorts(t, dbURL, refs)
	env := map[string]string{"DATABASE_URL": dbURL, "SLACK_BOT_TOKEN": fake.BotToken, "SLACK_APP_TOKEN": fake.AppToken, "SLACK_API_URL": fake.APIURL()}

	// Every chat.postMessage is made at once; its answer waits.
	held, release := fake.HoldAnswers("chat.postMessage")
	doomed := startChild(t, env, testEpoch)
	doomedChans := map[string]bool{}
	for i := range replicaWorkers {
		c := receiveHeld(t, fmt.Sprintf("the doomed replica's card %d", i+1), doomed, held)
		doomedChans[c.Args.Get("channel")] = true
	}
	survivor := startChild(t, env, testEpoch)
	for i := range replicaWorkers {
		receiveHeld(t, fmt.Sprintf("the surviving replica's card %d", i+1), survivor, held)
	}
	if inThread {
		// The cards are answered; the threads' messages are made and their answers held.
		held2, release2 := fake.HoldAnswers("chat.postMessage")
		defer release2()
		release()
		release = release2
		doomedMsgs := 0
		for i := range 2 * replicaWorkers {
			c := receiveHeld(t, fmt.Sprintf("thread message %d", i+1), survivor, held2)
			if c.Args.Get("thread_ts") == "" {
				t.Fatalf("held a message outside a thread: %v", c.Args)
			}
			if doomedChans[c.Args.Get("channel")] {
				doomedMsgs++
			}
		}
		if doomedMsgs != replicaWorkers {
			t.Fatalf("%d of the held thread messages are the doomed replica's, want %d", doomedMsgs, replicaWorkers)
		}
	}
	doomed.kill(t) // kill -9 before the answers to its calls came back
	killed := time.Now()
	release()
	awaitEveryPostSent(t, dbURL, killed, survivor)

	want := -1
	for i, ch := range chans {
		var roots []slackfake.Message
		var inside []slackfake.Message
		for _, m := range fake.Messages(ch) {
			if m.ThreadTS == "" {
				roots = append(roots, m)
			} else {
				inside = append(inside, m)
			}
		}
		if len(roots) != 1 {
			t.Errorf("channel %d: %d cards, want 1", i, len(roots))
			continue
		}
		var texts []string
		for _, m := range inside {
			if m.ThreadTS != roots[0].TS {
				t.Errorf("channel %d: a message outside the card's thread", i)
			}
			texts = append(texts, strings.Join(slackfake.Texts(m.Blocks), "\n"))
		}
		checkThread(t, i, texts, &want)
	}
	looks := len(fake.Calls("conversations.history")) + len(fake.Calls("conversations.replies"))
	if looks < replicaWorkers {
		t.Errorf("%d looks at recent messages, want at least one per post taken over (%d)", looks, replicaWorkers)
	}
	checkTakeovers(t, survivor, "slack")
}

// awaitEveryPostSent waits until no post is left unsent and checks that this came within
// takeoverBound of the kill. If that never comes, it shows what is left and the
// survivor's last log lines.
func awaitEveryPostSent(t *testing.T, dbURL string, killed time.Time, survivor *child) {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var landed time.Duration
	for deadline := killed.Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var left int
		if err := db.QueryRow(`SELECT count(*) FROM posts WHERE status <> 'sent'`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		landed = time.Since(killed)
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d posts still unsent a minute after the kill:\n%s", left, unsentPosts(t, db))
			survivor.dump(t)
			t.Fatalf("the survivor's last log lines and goroutines:\n%s", lastLines(survivor.log.String(), 3000))
		}
	}
	t.Logf("every post sent %s after the kill", landed.Round(time.Millisecond))
	if landed > takeoverBound {
		t.Errorf("the last post was sent %s after the kill, want within %s", landed.Round(time.Millisecond), takeoverBound)
	}
}

// unsentPosts describes the posts not yet sent, one a line.
func unsentPosts(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT row_to_json(p)::text FROM posts p WHERE status <> 'sent' ORDER BY id`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err.Error()
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// checkThread checks channel i's thread, its messages as keys: none twice, and as many
// as in every other channel's thread (*want: the first channel's count, -1 before it).
func checkThread(t *testing.T, i int, keys []string, want *int) {
	t.Helper()
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Errorf("channel %d: a thread message was posted twice", i)
		}
		seen[k] = true
	}
	if *want < 0 {
		*want = len(keys)
	}
	if len(keys) != *want || *want == 0 {
		t.Errorf("channel %d: %d messages in the thread, channel 0 has %d", i, len(keys), *want)
	}
}

// checkTakeovers checks the survivor counted every post of the killed replica as taken
// over, and shows its log if anything in the test failed.
func checkTakeovers(t *testing.T, survivor *child, platform string) {
	t.Helper()
	series := fmt.Sprintf(`cohortbot_post_takeovers_total{kind="day",platform=%q}`, platform)
	if n := metricAt(t, childHTTPAddr(t, survivor), series); n != replicaWorkers {
		t.Errorf("%s = %v, want %d (the killed replica's posts)", series, n, replicaWorkers)
	}
	if t.Failed() {
		t.Logf("survivor's log:\n%s", survivor.log)
	}
}

// childHTTPAddr is the address a child's HTTP listener logged.
func childHTTPAddr(t *testing.T, c *child) string {
	t.Helper()
	var addr string
	eventually(t, "the child's HTTP listener", 20*time.Second, func() bool {
		addr = httpAddr(c.log)
		return addr != ""
	})
	return addr
}

// metricAt reads one series from the /metrics of the listener at addr.
func metricAt(t *testing.T, addr, series string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	return metricValue(string(body), series)
}

// pathID is the path segment after the segment named after in a request's path.
func pathID(path, after string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts[:len(parts)-1] {
		if p == after {
			return parts[i+1]
		}
	}
	return ""
}
