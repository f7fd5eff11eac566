package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"cohortbot/adapters/discordbot"
	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/adapters/slackbot"
	"cohortbot/adapters/slackbot/slackfake"
	"cohortbot/internal/clocktest"
	"cohortbot/internal/config"
	"cohortbot/internal/logtest"
	"cohortbot/internal/pgtest"
	"cohortbot/internal/study"
)

// These tests kill `cohortbot run` with SIGKILL in the middle of a post — after the card,
// while its thread message is on its way — start it again on the same database, and check
// that every message exists exactly once. The bot runs as a child process: this test
// binary, re-executed with childEnv set, runs dispatch as main would, on a clock that
// starts at the instant childEpochEnv names (only this binary reads it).

const (
	childEnv      = "COHORTBOT_TEST_CHILD"
	childEpochEnv = "COHORTBOT_TEST_EPOCH"
)

// childMain is `cohortbot run` in a child process; it returns the exit status.
func childMain() int {
	epoch, err := time.Parse(time.RFC3339Nano, os.Getenv(childEpochEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: bad", childEpochEnv, err)
		return 2
	}
	ctx, stop := signalContext(context.Background(), os.Exit)
	defer stop()
	err = dispatch(ctx, []string{"run"}, stdio{in: strings.NewReader(""), out: os.Stdout, err: os.Stderr},
		environ{get: os.Getenv, now: clocktest.Running(epoch)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// child is a running `cohortbot run` process.
type child struct {
	cmd  *exec.Cmd
	log  *logtest.Buffer
	done chan error
}

// startChild runs `cohortbot run` in a child process with env, its clock starting at
// epoch. It is killed when the test ends if still running.
func startChild(t *testing.T, env map[string]string, epoch time.Time) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: exec.Command(exe, "-test.run=^$"), log: &logtest.Buffer{}, done: make(chan error, 1)}
	c.cmd.Env = []string{childEnv + "=run", childEpochEnv + "=" + epoch.Format(time.RFC3339Nano),
		"COHORTBOT_HTTP_ADDR=127.0.0.1:0", "COHORTBOT_LOG_LEVEL=debug", "TZ=UTC", "GOTRACEBACK=all"}
	for k, v := range env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	c.cmd.Stdout, c.cmd.Stderr = io.Discard, c.log
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() { c.kill(t) })
	return c
}

// dump has the child print every goroutine's stack to its log and exit (SIGQUIT), to
// show what a stuck child was waiting for.
func (c *child) dump(t *testing.T) {
	t.Helper()
	if c.cmd.ProcessState != nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Error("the child did not dump its goroutines")
	}
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if c.cmd.ProcessState != nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Error("the child did not die")
	}
}

// seedDueCohort sets up a cohort in channel ch whose first card (with the phase intro)
// is due when the children start, through the core as an organizer's /cohort setup would.
func seedDueCohort(t *testing.T, dbURL string, ch study.ChannelRef) {
	t.Helper()
	seedDueCohorts(t, dbURL, []study.ChannelRef{ch})
}

// seedDueCohorts is seedDueCohort for each of chs, through one connection.
func seedDueCohorts(t *testing.T, dbURL string, chs []study.ChannelRef) {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return map[string]string{"DATABASE_URL": dbURL}[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.DiscardHandler), testNow, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, ch := range chs {
		_, err = a.svc.Handle(context.Background(), study.Request{Channel: ch, Admin: true, Command: "cohort", Sub: "setup",
			User: study.UserRef{Platform: ch.Platform, Workspace: ch.Workspace, ID: "olga", Name: "Olga"},
			Text: "start:" + testToday + " time:09:00 tz:UTC cadence:daily name:Crash"})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// afterLease is when the second child starts: past the first one's delivery lease (10 s,
// no longer renewed once it was killed), so it takes the half-sent post over at once.
const afterLease = 5 * time.Minute

// receiveHeld waits for a held request.
func receiveHeld[T any](t *testing.T, what string, c *child, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s; child log:\n%s", what, c.log)
	}
	var zero T
	return zero
}

// TestDiscordKill9BetweenCardAndThread: the card and its thread are made and recorded,
// the thread's message is on its way (held at Discord) when the process is killed.
// Discord still creates that message. The restarted bot, taking over a post whose last
// attempt's outcome is unknown, finds that message among the thread's latest messages
// before resending it, and posts nothing twice (without counting on the nonce, which
// Discord may have forgotten by then).
func TestDiscordKill9BetweenCardAndThread(t *testing.T) {
	t.Parallel()
	fake := discordtest.New(t)
	dbURL := pgtest.URL(t)
	seedDueCohort(t, dbURL, study.ChannelRef{Platform: discordbot.Platform, Workspace: discordtest.GuildID, Channel: discordtest.ChannelID})
	env := map[string]string{"DATABASE_URL": dbURL, "DISCORD_TOKEN": fake.Token, "DISCORD_API_URL": fake.URL}

	const messages, threads = "POST /channels/{channel}/messages", "POST /channels/{channel}/messages/{message}/threads"
	threadHeld, releaseThread := fake.Hold(threads)
	first := startChild(t, env, testEpoch)
	receiveHeld(t, "the thread to be started (the card sent and recorded)", first, threadHeld)
	msgHeld, releaseMsg := fake.Hold(messages)
	releaseThread()
	held := receiveHeld(t, "the thread's message", first, msgHeld)
	first.kill(t) // kill -9 while the thread's message is on its way
	releaseMsg()  // Discord still makes it: the request had arrived
	card := fake.Messages(discordtest.ChannelID)
	if len(card) != 1 {
		t.Fatalf("%d cards before the restart", len(card))
	}
	discordtest.WaitFor(t, "the held message to be made", 5*time.Second, func() bool { return len(fake.Messages(card[0].ID)) == 1 })

	second := startChild(t, env, testEpoch.Add(afterLease))
	waitSent(t, dbURL, second)
	// The second process looked in the thread and found the message the killed process
	// had made, so it did not send it again.
	sentBy := 0
	for _, r := range fake.Requests(messages) {
		if nonceOf(r.Body) == nonceOf(held.Body) && r.Status == 200 {
			sentBy++
		}
	}
	if sentBy != 1 {
		t.Errorf("the held message's nonce was sent %d times, want once (by the killed process)", sentBy)
	}
	looked := false
	for _, r := range fake.Requests("GET /channels/{channel}/messages") {
		looked = looked || pathID(r.Path, "channels") == card[0].ID
	}
	if !looked {
		t.Error("the restarted bot did not look for the message in the thread")
	}
	if n := len(fake.Messages(discordtest.ChannelID)); n != 1 {
		t.Errorf("%d messages in the channel after the restart, want the card once", n)
	}
	if th := fake.Threads(discordtest.ChannelID); len(th) != 1 || th[0].ID != card[0].ID {
		t.Errorf("threads %+v", th)
	}
	inThread := fake.Messages(card[0].ID)
	if len(inThread) != 1 {
		t.Errorf("%d messages in the thread, want 1 (made once, found again by its nonce)", len(inThread))
	}
	if n := len(fake.Requests(threads)); n != 1 {
		t.Errorf("%d thread starts, want 1 (recorded before the crash)", n)
	}
}

// nonceOf is the nonce of a message create's body.
func nonceOf(body []byte) string {
	var b struct{ Nonce string }
	if json.Unmarshal(body, &b) != nil || b.Nonce == "" {
		return "(none)"
	}
	return b.Nonce
}

// waitSent waits until the day's card post is recorded as sent in the database: nothing
// of it is sent after that.
func waitSent(t *testing.T, dbURL string, c *child) {
	t.Helper()
	db, err := gorm.Open(postgres.Open(dbURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var status []string
		if err := db.Raw("SELECT status FROM posts WHERE kind = 'day'").Scan(&status).Error; err != nil {
			t.Fatal(err)
		}
		if len(status) == 1 && status[0] == string(study.PostSent) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the card's post is %v, not sent; child log:\n%s", status, c.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSlackKill9BetweenCardAndThread: the card is posted and recorded, the thread's
// message is on its way when the process is killed, before Slack took it. Slack has no
// idempotency key; the recorded progress is what keeps the restarted bot from posting the
// card again: it continues in the card's thread with the message that was not sent.
func TestSlackKill9BetweenCardAndThread(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	dbURL := pgtest.URL(t)
	seedDueCohort(t, dbURL, study.ChannelRef{Platform: slackbot.Platform, Workspace: slackfake.TeamID, Channel: "CKILL"})
	env := map[string]string{"DATABASE_URL": dbURL, "SLACK_BOT_TOKEN": fake.BotToken, "SLACK_APP_TOKEN": fake.AppToken, "SLACK_API_URL": fake.APIURL()}

	cardHeld, releaseCard := fake.Hold("chat.postMessage")
	first := startChild(t, env, testEpoch)
	receiveHeld(t, "the card", first, cardHeld)
	partHeld, releasePart := fake.Hold("chat.postMessage")
	releaseCard()
	receiveHeld(t, "the thread's message (the card sent and recorded)", first, partHeld)
	first.kill(t) // kill -9 while the thread's message is on its way
	if !fake.WaitFor(10*time.Second, func() bool { return fake.Dropped() == 1 }) {
		t.Fatal("the killed process's call was not dropped")
	}
	releasePart()
	card := fake.Messages("CKILL")
	if len(card) != 1 || card[0].ThreadTS != "" {
		t.Fatalf("before the restart: %+v", card)
	}

	waitSent(t, dbURL, startChild(t, env, testEpoch.Add(afterLease)))
	msgs := fake.Messages("CKILL")
	roots, seen := 0, map[string]bool{}
	for _, m := range msgs {
		if m.ThreadTS == "" {
			roots++
			continue
		}
		if m.ThreadTS != card[0].TS {
			t.Errorf("a thread message outside the card's thread: %+v", m)
		}
		text := strings.Join(slackfake.Texts(m.Blocks), "\n")
		if seen[text] {
			t.Errorf("a thread message was posted twice")
		}
		seen[text] = true
	}
	if roots != 1 {
		t.Errorf("%d cards in the channel, want 1", roots)
	}
	// Day 1's thread is one message on Slack (its parts packed).
	if len(msgs) != 2 {
		t.Errorf("%d messages, want the card and its thread's one message", len(msgs))
	}
}
