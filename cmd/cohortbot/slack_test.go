package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/adapters/slackbot/slackfake"
	"cohortbot/internal/logtest"
)

// These tests start `cohortbot run` as a user does, with SLACK_API_URL pointed at a fake
// Slack on 127.0.0.1: the real slack-go client and Socket Mode client talk to it.

const slackWait = 5 * time.Second

var (
	slackAdmin  = slackfake.User{ID: "UADMIN", Name: "ada", RealName: "Ada Admin", IsAdmin: true}
	slackBob    = slackfake.User{ID: "UBOB", Name: "bob", RealName: "Bob Member"}
	slackCarol  = slackfake.User{ID: "UCAROL", Name: "carol", RealName: "Carol Member"}
	slackSecret = "0123456789abcdef0123456789abcdef"
)

// httpAddr finds the bound listener address in the JSON log ("http listening").
func httpAddr(logs *logtest.Buffer) string {
	if l := logs.Lines("http listening"); len(l) > 0 {
		a, _ := l[0]["addr"].(string)
		return a
	}
	return ""
}

type slackBot struct {
	fake *slackfake.Server
	logs *logtest.Buffer
	env  map[string]string
	run  *bot
}

// runSlack starts `cohortbot run` against a fresh fake Slack, in Socket Mode or in HTTP
// mode, and stops it when t ends.
func runSlack(t *testing.T, socket bool) *slackBot {
	t.Helper()
	return startSlack(t, slackfake.New(t), socket, nil)
}

// startSlack is runSlack on a given fake, with the reconnect waits on sleep (nil: real).
func startSlack(t *testing.T, fake *slackfake.Server, socket bool, sleep func(context.Context, time.Duration) error) *slackBot {
	t.Helper()
	for _, u := range []slackfake.User{slackAdmin, slackBob, slackCarol} {
		fake.AddUser(u)
	}
	env := map[string]string{
		"SLACK_BOT_TOKEN":     fake.BotToken,
		"SLACK_API_URL":       fake.APIURL(),
		"COHORTBOT_HTTP_ADDR": "127.0.0.1:0",
		"COHORTBOT_DATA_DIR":  t.TempDir(),
		"COHORTBOT_LOG_LEVEL": "debug",
	}
	if socket {
		env["SLACK_APP_TOKEN"] = fake.AppToken
	} else {
		env["SLACK_SIGNING_SECRET"] = slackSecret
	}
	run := launch(t, env, sleep)
	b := &slackBot{fake: fake, logs: run.log, env: env, run: run}
	t.Cleanup(func() {
		if err := run.stop(t); err != nil {
			t.Errorf("run ended with %v", err)
		}
		for _, secret := range []string{fake.BotToken, fake.AppToken, slackSecret} {
			if strings.Contains(b.logs.String(), secret) {
				t.Errorf("a Slack secret appears in the log")
			}
		}
	})
	if !fake.WaitFor(10*time.Second, func() bool {
		run.failIfEnded(t)
		return strings.Contains(b.logs.String(), `"platform connected"`) && httpAddr(b.logs) != "" && (!socket || fake.Connections() > 0)
	}) {
		t.Fatalf("the bot did not come up:\n%s", b.logs)
	}
	return b
}

// slackSetupText sets a cohort up to start today (testEpoch's date) at postAt: 23:30 keeps
// day 1's card for the test to post with /cohort post; 09:00 has it out at once.
func slackSetupText(postAt string) string {
	return fmt.Sprintf(`setup start:%s time:%s tz:UTC name:"Night owls"`, testToday, postAt)
}

// command runs a slash command over Socket Mode, checks it was acknowledged within 3 s,
// and returns the answers on its response_url once there are n.
func (b *slackBot) command(t *testing.T, u slackfake.User, channel, cmd, text string, n int) []slackfake.Response {
	t.Helper()
	env, rid, err := b.fake.SlashCommand(slackfake.Command{Channel: channel, User: u.ID, UserName: u.Name, Command: cmd, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.fake.WaitAck(env, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if !b.fake.WaitFor(slackWait, func() bool { return len(b.fake.Responses(rid)) >= n }) {
		t.Fatalf("%s %s: no answer\n%s", cmd, text, b.logs)
	}
	return b.fake.Responses(rid)
}

func slackText(rs []slackfake.Response) string {
	var s strings.Builder
	for _, r := range rs {
		s.WriteString(strings.Join(slackfake.Texts(r.Blocks), "\n") + "\n")
	}
	return s.String()
}

func slackContains(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}

func TestSlackRunSocketModeCommands(t *testing.T) {
	t.Parallel()
	b := runSlack(t, true)
	setup := slackSetupText("09:00") // day 1 has begun: its card is out

	rs := b.command(t, slackBob, "C1", "/cohort", setup, 1)
	if rs[0].ResponseType != "ephemeral" {
		t.Errorf("refusal is not ephemeral")
	}
	slackContains(t, slackText(rs), "Only organizers can use /cohort setup.")
	slackContains(t, slackText(b.command(t, slackBob, "C1", "/today", "", 1)), "This channel has no cohort yet")

	rs = b.command(t, slackAdmin, "C1", "/cohort", setup, 1)
	if rs[0].ResponseType != "in_channel" {
		t.Errorf("setup answer is not for the channel")
	}
	slackContains(t, slackText(rs), "“Night owls” is set up")

	for _, c := range []struct{ cmd, text, want string }{
		{"/today", "", "Backend basics, client–server, first API"},
		{"/done", "first day!", "✅ Day 1 — Backend basics, client–server, first API checked in"},
		{"/done", "", "You already checked in for day 1."},
		{"/progress", "", "completed 1 of 93 days"},
		{"/leaderboard", "", "🥇 bob — 1 day done"},
		{"/cohort", "help", "/cohort set organizers:@ana,@ben"},
	} {
		rs := b.command(t, slackBob, "C1", c.cmd, c.text, 1)
		if rs[0].ResponseType != "ephemeral" {
			t.Errorf("%s %s: not ephemeral", c.cmd, c.text)
		}
		slackContains(t, slackText(rs), c.want)
	}

	// Slack asks the bot to reconnect: it does, and keeps answering.
	if err := b.fake.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if err := b.fake.WaitConnections(2, slackWait); err != nil {
		t.Fatalf("%v\n%s", err, b.logs)
	}
	slackContains(t, slackText(b.command(t, slackBob, "C1", "/progress", "", 1)), "completed 1 of 93 days")

	// The organizer list: bob becomes an organizer of this channel.
	slackContains(t, slackText(b.command(t, slackBob, "C1", "/cohort", "status", 1)), "Only organizers can use /cohort status.")
	slackContains(t, slackText(b.command(t, slackAdmin, "C1", "/cohort", "set organizers:<@UBOB|bob>", 1)), "Organizers of this channel: <@UBOB>")
	slackContains(t, slackText(b.command(t, slackBob, "C1", "/cohort", "status", 1)), "📋 Night owls", "Members: 1")
}

func TestSlackRunPostsTheCardAndCountsCheckIns(t *testing.T) {
	t.Parallel()
	b := runSlack(t, true)
	b.command(t, slackAdmin, "C1", "/cohort", slackSetupText("23:30"), 1)
	slackContains(t, slackText(b.command(t, slackAdmin, "C1", "/cohort", "post today", 1)), "Posting today's card now")

	// The card: blocks, the Done button, its thread with Show answers buttons.
	var root slackfake.Message
	if !b.fake.WaitFor(slackWait, func() bool {
		for _, m := range b.fake.Messages("C1") {
			for _, btn := range slackfake.Buttons(m.Blocks) {
				if btn.ActionID == "done:1" && m.ThreadTS == "" {
					root = m
				}
			}
		}
		if root.TS == "" {
			return false
		}
		for _, m := range b.fake.Messages("C1") {
			if m.ThreadTS == root.TS && strings.Contains(strings.Join(slackfake.Texts(m.Blocks), "\n"), "📚 References") {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no card with its thread; messages %+v\n%s", b.fake.Messages("C1"), b.logs)
	}
	if root.Blocks[0]["type"] != "header" {
		t.Errorf("the card does not start with a header: %v", root.Blocks[0])
	}
	answers := 0
	for _, m := range b.fake.Messages("C1") {
		for _, btn := range slackfake.Buttons(m.Blocks) {
			if strings.HasPrefix(btn.ActionID, "reveal:1:") {
				answers++
				if m.ThreadTS != root.TS {
					t.Errorf("a Show answers button outside the day's thread")
				}
			}
		}
	}
	if answers == 0 {
		t.Error("no Show answers button")
	}

	// A reply in the thread checks carol in (the thread ts was recorded as day 1's); Slack
	// retries the same event, which still counts once.
	reply := slackfake.Reply{EventID: "Ev100", Channel: "C1", User: slackCarol.ID, Text: "done, notes in the repo", ThreadTS: root.TS}
	payload, ts := b.fake.EventPayload(reply)
	for retry := 0; retry < 2; retry++ {
		env, err := b.fake.Send("events_api", payload, retry)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.fake.WaitAck(env, 3*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if !b.fake.WaitFor(slackWait, func() bool { return len(b.fake.Reactions()) > 0 }) {
		t.Fatalf("the reply got no reaction\n%s", b.logs)
	}
	if r := b.fake.Reactions(); len(r) != 1 || r[0] != (slackfake.Reaction{Channel: "C1", TS: ts, Name: "white_check_mark"}) {
		t.Errorf("reactions: %+v", r)
	}

	// The Done button checks bob in once; pressing again says so.
	for i := 1; i <= 2; i++ {
		env, _, err := b.fake.PressButton(slackfake.Press{User: slackBob, Channel: "C1", MessageTS: root.TS, Blocks: root.Blocks, ActionID: "done:1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.fake.WaitAck(env, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		if !b.fake.WaitFor(slackWait, func() bool { return len(b.fake.Ephemerals(slackBob.ID)) == i }) {
			t.Fatalf("press %d unanswered\n%s", i, b.logs)
		}
	}
	eph := b.fake.Ephemerals(slackBob.ID)
	slackContains(t, strings.Join(slackfake.Texts(eph[0].Blocks), "\n"), "✅ Day 1 — Backend basics, client–server, first API checked in")
	slackContains(t, strings.Join(slackfake.Texts(eph[1].Blocks), "\n"), "You already checked in for day 1.")

	rs := b.command(t, slackBob, "C1", "/leaderboard", "", 1)
	got := slackText(rs)
	slackContains(t, got, "carol — 1 day done", "bob — 1 day done")
	if strings.Contains(got, "2 days") {
		t.Errorf("a check-in counted twice:\n%s", got)
	}
	slackContains(t, slackText(b.command(t, slackAdmin, "C1", "/cohort", "status", 1)), "Members: 2", "Deliveries: no failures")
}

func TestSlackRunFailedAndRateLimitedDeliveries(t *testing.T) {
	t.Parallel()
	b := runSlack(t, true)
	setup := slackSetupText("23:30")

	// A channel Slack does not know: the post fails for good, with the reason in the status.
	b.fake.FailChannel("CGONE", "channel_not_found")
	b.command(t, slackAdmin, "CGONE", "/cohort", setup, 1)
	b.command(t, slackAdmin, "CGONE", "/cohort", "post today", 1)
	var status string
	// Today's post (the card, with the phase intro) fails.
	if !b.fake.WaitFor(slackWait, func() bool {
		time.Sleep(100 * time.Millisecond)
		status = slackText(b.command(t, slackAdmin, "CGONE", "/cohort", "status", 1))
		return strings.Count(status, "channel_not_found") == 1
	}) {
		t.Fatalf("no failed delivery in the status:\n%s\n%s", status, b.logs)
	}
	slackContains(t, status, "the Slack channel does not exist or the bot cannot see it", "(failed)")

	// 429: the post waits for Retry-After instead of hammering Slack.
	calls := len(b.fake.Calls("chat.postMessage"))
	b.fake.AddFault("chat.postMessage", slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 120, Count: 1})
	b.command(t, slackAdmin, "CBUSY", "/cohort", setup, 1)
	b.command(t, slackAdmin, "CBUSY", "/cohort", "post today", 1)
	if !b.fake.WaitFor(slackWait, func() bool {
		time.Sleep(100 * time.Millisecond)
		status = slackText(b.command(t, slackAdmin, "CBUSY", "/cohort", "status", 1))
		return strings.Contains(status, "rate limited")
	}) {
		t.Fatalf("no rate limit in the status:\n%s\n%s", status, b.logs)
	}
	slackContains(t, status, "Slack rate limit (HTTP 429, retry after 2m0s)", "(pending)")
	time.Sleep(300 * time.Millisecond)
	if n := len(b.fake.Calls("chat.postMessage")) - calls; n != 1 {
		t.Errorf("%d chat.postMessage calls after a 429 asking for 120 s, want 1", n)
	}
	if len(b.fake.Messages("CBUSY")) != 0 {
		t.Error("posted while rate limited")
	}
}

func TestSlackRunHTTPMode(t *testing.T) {
	t.Parallel()
	b := runSlack(t, false)
	base := "http://" + httpAddr(b.logs)
	send := func(path string, at time.Time, body []byte, secret string, tamper bool) int {
		t.Helper()
		req, err := slackfake.SignedRequest(base+path, secret, at, "application/x-www-form-urlencoded", body)
		if err != nil {
			t.Fatal(err)
		}
		if tamper {
			changed := bytes.Replace(body, []byte("UADMIN"), []byte("UEVIL1"), 1)
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	setup := slackSetupText("23:30")
	command := func(channel string) ([]byte, string) {
		p, rid := b.fake.CommandPayload(slackfake.Command{Channel: channel, User: slackAdmin.ID, UserName: slackAdmin.Name, Command: "/cohort", Text: setup})
		return slackfake.Form(p), rid
	}

	// A wrong signature, a 10-minute-old timestamp and a tampered body: 401, and nothing
	// happens.
	body, rid := command("C1")
	for what, code := range map[string]int{
		"wrong signature": send("/slack/commands", time.Now(), body, "not-the-signing-secret", false),
		"old timestamp":   send("/slack/commands", time.Now().Add(-10*time.Minute), body, slackSecret, false),
		"tampered body":   send("/slack/commands", time.Now(), body, slackSecret, true),
	} {
		if code != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d, want 401", what, code)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(b.fake.Responses(rid)); n != 0 {
		t.Fatalf("a refused request was answered %d times", n)
	}
	// The same request, signed properly, is answered.
	if code := send("/slack/commands", time.Now(), body, slackSecret, false); code != http.StatusOK {
		t.Fatalf("valid request: HTTP %d", code)
	}
	if !b.fake.WaitFor(slackWait, func() bool { return len(b.fake.Responses(rid)) > 0 }) {
		t.Fatalf("valid command unanswered\n%s", b.logs)
	}
	rs := b.fake.Responses(rid)
	slackContains(t, slackText(rs), "“Night owls” is set up")

	// The Events API's URL check.
	req, _ := slackfake.SignedRequest(base+"/slack/events", slackSecret, time.Now(), "application/json", []byte(`{"token":"t","challenge":"abc123","type":"url_verification"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(got), `"challenge":"abc123"`) {
		t.Errorf("url_verification: %d %s", resp.StatusCode, got)
	}
	if code := send("/slack/events", time.Now(), []byte(`{"type":"url_verification","challenge":"x"}`), "wrong", false); code != http.StatusUnauthorized {
		t.Errorf("unsigned event: HTTP %d", code)
	}
}

func TestSlackConfigProblems(t *testing.T) {
	t.Parallel()
	_, err := mustRun(t, map[string]string{
		"SLACK_BOT_TOKEN": "xoxp-user-secret-1",
		"SLACK_APP_TOKEN": "xoxb-not-an-app-token-2",
		"SLACK_API_URL":   "http://slack.example.com/api/",
	}, "", "run", "--check-config")
	if err == nil {
		t.Fatal("bad Slack configuration accepted")
	}
	msg := err.Error()
	slackContains(t, msg, "SLACK_BOT_TOKEN must be a bot token starting with xoxb-", "SLACK_APP_TOKEN must be an app-level token starting with xapp-",
		"SLACK_API_URL must be an https:// URL")
	for _, s := range []string{"user-secret-1", "not-an-app-token-2"} {
		if strings.Contains(msg, s) {
			t.Errorf("a token appears in the problems: %s", msg)
		}
	}
	_, err = mustRun(t, map[string]string{"SLACK_BOT_TOKEN": "xoxb-ok"}, "", "run", "--check-config")
	if err == nil || !strings.Contains(err.Error(), "SLACK_SIGNING_SECRET is required in HTTP mode") {
		t.Errorf("HTTP mode without a signing secret: %v", err)
	}
	_, err = mustRun(t, map[string]string{"SLACK_APP_TOKEN": "xapp-1"}, "", "run", "--check-config")
	if err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not") {
		t.Errorf("app token alone: %v", err)
	}
	out, err := mustRun(t, map[string]string{"SLACK_BOT_TOKEN": "xoxb-ok", "SLACK_APP_TOKEN": "xapp-ok", "SLACK_API_URL": "http://127.0.0.1:9/api"}, "", "run", "--check-config")
	if err != nil || !strings.Contains(out, "configuration ok") {
		t.Errorf("socket mode config: %v %s", err, out)
	}
}

func TestSlackRunRefusesARejectedToken(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-revoked-777", "SLACK_APP_TOKEN": fake.AppToken, "SLACK_API_URL": fake.APIURL(),
		"COHORTBOT_HTTP_ADDR": "127.0.0.1:0", "COHORTBOT_DATA_DIR": t.TempDir(),
	}
	logs := &logtest.Buffer{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := dispatch(ctx, []string{"run"}, stdio{in: strings.NewReader(""), out: logs, err: logs}, testEnv(env))
	if err == nil || !strings.Contains(err.Error(), "start slack: slack auth.test with SLACK_BOT_TOKEN: Slack rejected the token (invalid_auth)") {
		t.Errorf("run: %v", err)
	}
	if strings.Contains(fmt.Sprint(err)+logs.String(), "revoked-777") || strings.Contains(logs.String(), fake.AppToken) {
		t.Error("a token reached the error or the log")
	}
}

// TestSlackAndDiscordShareOneCohort: a cohort set up on Discord is linked from a Slack
// channel with the code /cohort status shows; the card goes to both, and check-ins from
// both platforms land in one leaderboard. Both fakes, one `cohortbot run`.
func TestSlackAndDiscordShareOneCohort(t *testing.T) {
	t.Parallel()
	slack := slackfake.New(t)
	for _, u := range []slackfake.User{slackAdmin, slackCarol} {
		slack.AddUser(u)
	}
	discord := discordtest.New(t)
	env := map[string]string{
		"SLACK_BOT_TOKEN": slack.BotToken, "SLACK_APP_TOKEN": slack.AppToken, "SLACK_API_URL": slack.APIURL(),
		"DISCORD_TOKEN": discord.Token, "DISCORD_API_URL": discord.URL, "DISCORD_GUILD_ID": discordtest.GuildID,
		"COHORTBOT_HTTP_ADDR": "127.0.0.1:0", "COHORTBOT_DATA_DIR": t.TempDir(), "COHORTBOT_LOG_LEVEL": "debug",
	}
	run := launchBot(t, env)
	b := &slackBot{fake: slack, logs: run.log, env: env}
	t.Cleanup(func() {
		if err := run.stop(t); err != nil {
			t.Errorf("run ended with %v", err)
		}
	})
	if !slack.WaitFor(10*time.Second, func() bool {
		return strings.Count(b.logs.String(), `"platform connected"`) == 2 && slack.Connections() > 0 && discord.Connected()
	}) {
		t.Fatalf("the bot did not connect to both:\n%s", b.logs)
	}

	// Discord: set up, read the link code.
	tz, today := "UTC", testToday
	olga := discordtest.Member{ID: "1000000000000000101", Name: "Olga", Permissions: discordtest.PermManageGuild}
	alice := discordtest.Member{ID: "1000000000000000201", Name: "Alice"}
	r := discord.Reply(t, discord.Command(discordtest.ChannelID, olga, "cohort", discordtest.Sub("setup",
		discordtest.Str("start", today), discordtest.Str("time", "23:30"), discordtest.Str("tz", tz), discordtest.Str("name", "Both worlds"))))
	if !strings.Contains(r.Text(), "is set up") {
		t.Fatalf("discord setup: %q", r.Text())
	}
	status := discord.Reply(t, discord.Command(discordtest.ChannelID, olga, "cohort", discordtest.Sub("status"))).Text()
	_, after, ok := strings.Cut(status, "/cohort link code:")
	code, _, _ := strings.Cut(after, " ")
	if !ok || code == "" {
		t.Fatalf("no link code in the Discord status: %q", status)
	}

	// Slack: link this channel, then post today's card (to both channels).
	slackContains(t, slackText(b.command(t, slackAdmin, "C1", "/cohort", "link code:"+code, 1)), "This channel now follows “Both worlds”")
	slackContains(t, slackText(b.command(t, slackAdmin, "C1", "/cohort", "post today", 1)), "Posting today's card now")
	var root slackfake.Message
	var card discordtest.Message
	if !slack.WaitFor(15*time.Second, func() bool {
		for _, m := range slack.Messages("C1") {
			for _, btn := range slackfake.Buttons(m.Blocks) {
				if btn.ActionID == "done:1" {
					root = m
				}
			}
		}
		for _, m := range discord.Messages(discordtest.ChannelID) {
			if len(m.Buttons()) > 0 {
				card = m
			}
		}
		return root.TS != "" && card.ID != ""
	}) {
		t.Fatalf("the card did not reach both channels (slack %v, discord %v)\n%s", root.TS != "", card.ID != "", b.logs)
	}

	// A check-in on each platform; one leaderboard.
	if r := discord.Reply(t, discord.Press(alice, card, "done:1")); !strings.Contains(r.Text(), "✅ Day 1") {
		t.Errorf("discord press: %q", r.Text())
	}
	if _, _, err := slack.MessageEvent(slackfake.Reply{EventID: "EvBoth", Channel: "C1", User: slackCarol.ID, Text: "done", ThreadTS: root.TS}, 0); err != nil {
		t.Fatal(err)
	}
	if !slack.WaitFor(slackWait, func() bool { return len(slack.Reactions()) == 1 }) {
		t.Fatalf("the Slack reply was not counted\n%s", b.logs)
	}
	slackContains(t, slackText(b.command(t, slackCarol, "C1", "/leaderboard", "", 1)), "Alice — 1 day done", "carol — 1 day done")
	if r := discord.Reply(t, discord.Command(discordtest.ChannelID, alice, "leaderboard")); !strings.Contains(r.Text(), "carol — 1 day done") {
		t.Errorf("discord leaderboard: %q", r.Text())
	}
}
