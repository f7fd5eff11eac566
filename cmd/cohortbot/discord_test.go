package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/internal/logtest"
	"cohortbot/internal/study"
)

// These tests start `cohortbot run` as a user does, with DISCORD_API_URL pointed at a
// fake Discord on 127.0.0.1, and drive it through the fake's gateway and REST routes.

var (
	discordOrganizer = discordtest.Member{ID: "1000000000000000101", Name: "Olga", Permissions: discordtest.PermManageGuild}
	discordAlice     = discordtest.Member{ID: "1000000000000000201", Name: "Alice"}
	discordBob       = discordtest.Member{ID: "1000000000000000202", Name: "Bob"}
)

// runDiscord starts `cohortbot run` against a fresh fake Discord and stops it when t ends.
func runDiscord(t *testing.T, extra map[string]string) (*discordtest.Server, *logtest.Buffer) {
	t.Helper()
	fake := discordtest.New(t)
	env := map[string]string{
		"DISCORD_TOKEN":      fake.Token,
		"DISCORD_API_URL":    fake.URL,
		"COHORTBOT_DATA_DIR": t.TempDir(),
	}
	for k, v := range extra {
		env[k] = v
	}
	b := launchBot(t, env)
	t.Cleanup(func() {
		if err := b.stop(t); err != nil {
			t.Errorf("run ended with %v", err)
		}
		if strings.Contains(b.log.String(), fake.Token) {
			t.Error("the bot token appears in the log")
		}
	})
	discordtest.WaitFor(t, "the bot to connect and register its commands", 10*time.Second, func() bool {
		b.failIfEnded(t)
		_, puts := fake.Commands("global") // counts guild overwrites too
		return puts > 0 && fake.Connected()
	})
	logs := b.log
	return fake, logs
}

// setupCohort sets a cohort up in channelID to start today (testEpoch's date) at postAt:
// 23:30 keeps day 1's card for the test to post with /cohort post; 09:00 has it out at
// once.
func setupCohort(t *testing.T, fake *discordtest.Server, channelID, postAt string) {
	t.Helper()
	tz, today := "UTC", testToday
	id := fake.Command(channelID, discordOrganizer, "cohort", discordtest.Sub("setup",
		discordtest.Str("start", today), discordtest.Str("time", postAt), discordtest.Str("tz", tz),
		discordtest.Str("name", "Night owls")))
	if r := fake.Reply(t, id); r.Ephemeral || !strings.Contains(r.Text(), "“Night owls” is set up") {
		t.Fatalf("setup: ephemeral=%v %q", r.Ephemeral, r.Text())
	}
}

func TestDiscordRunCommandsAndInteractions(t *testing.T) {
	t.Parallel()
	fake, logs := runDiscord(t, map[string]string{"DISCORD_GUILD_ID": discordtest.GuildID})

	// Registration: one bulk overwrite on the guild, /cohort for Manage Server.
	raw, puts := fake.Commands(discordtest.GuildID)
	if puts != 1 || raw == nil {
		t.Fatalf("guild registration: %d overwrites", puts)
	}
	if g, _ := fake.Commands("global"); g != nil {
		t.Error("commands were registered globally too")
	}
	var cmds []struct {
		Name string  `json:"name"`
		Perm *string `json:"default_member_permissions"`
	}
	json.Unmarshal(raw, &cmds)
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
		if (c.Name == "cohort") != (c.Perm != nil && *c.Perm == "32") {
			t.Errorf("/%s default_member_permissions %v", c.Name, c.Perm)
		}
	}
	if strings.Join(names, ",") != "today,done,progress,leaderboard,me,away,help,cohort" {
		t.Errorf("registered %v", names)
	}

	// /cohort setup: refused for a member, done for an organizer.
	tz, today := "UTC", testToday
	id := fake.Command(discordtest.ChannelID, discordAlice, "cohort", discordtest.Sub("setup",
		discordtest.Str("start", today), discordtest.Str("time", "23:30"), discordtest.Str("tz", tz)))
	if r := fake.Reply(t, id); !r.Ephemeral || r.Text() != "⚠️ Only organizers can use /cohort setup." {
		t.Errorf("member's setup: %q", r.Text())
	}
	setupCohort(t, fake, discordtest.ChannelID, "09:00") // day 1 has begun

	// /today and /done: ephemeral.
	r := fake.Reply(t, fake.Command(discordtest.ChannelID, discordAlice, "today"))
	if !r.Ephemeral || !strings.Contains(r.Text(), "Phase 1 · Day 1 of 7 · Day 1/93") {
		t.Errorf("/today: ephemeral=%v %q", r.Ephemeral, firstLine(r.Text()))
	}
	r = fake.Reply(t, fake.Command(discordtest.ChannelID, discordAlice, "done", discordtest.Str("note", "hello")))
	if !r.Ephemeral || !strings.HasPrefix(r.Text(), "✅ Day 1 — Backend basics, client–server, first API checked in.") {
		t.Errorf("/done: ephemeral=%v %q", r.Ephemeral, r.Text())
	}
	// Deferred: the interaction reached the bot 2.1 s after Discord created it, so there
	// is no time to wait for the core; the bot defers and then edits the answer in.
	fake.SetLag(2100 * time.Millisecond)
	r = fake.Reply(t, fake.Command(discordtest.ChannelID, discordAlice, "progress"))
	if !r.Deferred || !r.Ephemeral || r.Age > discordtest.InteractionDeadline || !strings.Contains(r.Text(), "completed 1 of 93 days") {
		t.Errorf("lagged /progress: deferred=%v ephemeral=%v age=%s %q", r.Deferred, r.Ephemeral, r.Age, r.Text())
	}
	fake.SetLag(0)
	// Time-zone autocomplete.
	id = fake.Autocomplete(discordtest.ChannelID, discordOrganizer, "cohort", discordtest.Sub("set", discordtest.Focused(discordtest.Str("tz", "tokyo"))))
	if r := fake.Reply(t, id); len(r.Choices) == 0 || r.Choices[0].Value != "Asia/Tokyo" {
		t.Errorf("autocomplete: %+v", r.Choices)
	}
	if !strings.Contains(logs.String(), "discord commands registered") {
		t.Errorf("no registration in the log")
	}
}

func TestDiscordRunPostsTheCardAndCountsCheckIns(t *testing.T) {
	t.Parallel()
	fake, _ := runDiscord(t, map[string]string{"DISCORD_SHARD_ID": "0", "DISCORD_SHARD_COUNT": "1"})
	setupCohort(t, fake, discordtest.ChannelID, "23:30")

	// The first message create is rate limited: the scheduler waits Retry-After and sends again.
	route := "POST /channels/{channel}/messages"
	fake.Fail(route, discordtest.Fault{Status: 429, RetryAfter: 500 * time.Millisecond}, 1)
	r := fake.Reply(t, fake.Command(discordtest.ChannelID, discordOrganizer, "cohort", discordtest.Sub("post", discordtest.Str("kind", "today"))))
	if !strings.Contains(r.Text(), "Posting today's card now") {
		t.Fatalf("/cohort post today: %q", r.Text())
	}
	var card discordtest.Message
	discordtest.WaitFor(t, "the card", 10*time.Second, func() bool {
		for _, m := range fake.Messages(discordtest.ChannelID) {
			if len(m.Buttons()) > 0 {
				card = m
				return len(fake.Messages(m.ID)) >= 1 // and its thread filled (one message, packed)
			}
		}
		return false
	})
	reqs := fake.Requests(route)
	if reqs[0].Status != 429 || reqs[1].Status != 200 || reqs[1].At.Sub(reqs[0].At) < 500*time.Millisecond {
		t.Errorf("429 not honoured: first %d, then %d after %s", reqs[0].Status, reqs[1].Status, reqs[1].At.Sub(reqs[0].At))
	}
	if b := card.Buttons(); b[0].CustomID != study.DoneAction(1).ID || b[0].Label != "✅ Done" {
		t.Errorf("button %+v", b)
	}
	if len(card.Embeds) == 0 || card.Nonce == "" || !card.EnforceNonce {
		t.Errorf("card: %d embeds, nonce %q, enforce %v", len(card.Embeds), card.Nonce, card.EnforceNonce)
	}
	if th, ok := fake.Channel(card.ID); !ok || th.Name != "Day 1 — Backend basics, client–server, first API" || th.AutoArchive != 1440 {
		t.Errorf("thread %+v", th)
	}
	if n := len(fake.Messages(discordtest.ChannelID)); n != 1 {
		t.Errorf("%d messages in the channel: want the card (with the phase intro)", n)
	}

	// Button pressed twice, a thread reply: one check-in each.
	if r := fake.Reply(t, fake.Press(discordAlice, card, "done:1")); !r.Ephemeral || !strings.HasPrefix(r.Text(), "✅ Day 1") {
		t.Errorf("press: %q", r.Text())
	}
	if r := fake.Reply(t, fake.Press(discordAlice, card, "done:1")); r.Text() != "⚠️ You already checked in for day 1." {
		t.Errorf("second press: %q", r.Text())
	}
	msg := fake.Say(card.ID, discordBob, "finished the task")
	discordtest.WaitFor(t, "the ✅ on Bob's reply", 5*time.Second, func() bool { return len(fake.Reactions()) == 1 })
	if x := fake.Reactions()[0]; x.MessageID != msg || x.Emoji != "✅" {
		t.Errorf("reaction %+v", x)
	}
	r = fake.Reply(t, fake.Command(discordtest.ChannelID, discordBob, "leaderboard"))
	if !strings.Contains(r.Text(), "Alice — 1 day done") || !strings.Contains(r.Text(), "Bob — 1 day done") {
		t.Errorf("leaderboard: %q", r.Text())
	}

	// RECONNECT: the gateway resumes; interactions and the scheduler carry on.
	fake.Reconnect()
	during := fake.Command(discordtest.ChannelID, discordBob, "progress")
	discordtest.WaitFor(t, "a RESUME", 5*time.Second, func() bool { return fake.Resumes() == 1 })
	if r := fake.Reply(t, during); !strings.Contains(r.Text(), "completed 1 of 93 days") {
		t.Errorf("/progress across the reconnect: %q", r.Text())
	}
	if r := fake.Reply(t, fake.Command(discordtest.ChannelID, discordOrganizer, "cohort", discordtest.Sub("post", discordtest.Str("kind", "leaderboard")))); !strings.Contains(r.Text(), "Posting the leaderboard") {
		t.Errorf("/cohort post leaderboard: %q", r.Text())
	}
	discordtest.WaitFor(t, "the leaderboard post", 10*time.Second, func() bool {
		return len(fake.Messages(discordtest.ChannelID)) == 2
	})
	if n := len(fake.Identifies()); n != 1 {
		t.Errorf("%d IDENTIFYs", n)
	}
}

func TestDiscordRunDeletedChannelIsAFailedDelivery(t *testing.T) {
	t.Parallel()
	fake, logs := runDiscord(t, nil)
	gone := fake.AddChannel("old-study")
	setupCohort(t, fake, gone, "23:30")
	// The channel is deleted; the fake still lets an organizer's commands through to show
	// what the bot makes of the post it then cannot deliver.
	fake.DeleteChannel(gone)
	fake.Reply(t, fake.Command(gone, discordOrganizer, "cohort", discordtest.Sub("post", discordtest.Str("kind", "today"))))
	want := "the Discord channel no longer exists (Unknown Channel)"
	var status string
	discordtest.WaitFor(t, "the failure in /cohort status", 10*time.Second, func() bool {
		status = fake.Reply(t, fake.Command(gone, discordOrganizer, "cohort", discordtest.Sub("status"))).Text()
		return strings.Contains(status, want)
	})
	if !strings.Contains(status, "(failed)") {
		t.Errorf("status: %s", status)
	}
	if n := len(fake.Requests("POST /channels/{channel}/messages")); n != 1 {
		t.Errorf("%d send attempts: a permanent failure is not retried (want one, for the card)", n)
	}
	if !strings.Contains(logs.String(), "Unknown Channel") {
		t.Errorf("the failure is not logged")
	}
}

func TestDiscordConfigProblemsAreAllReported(t *testing.T) {
	t.Parallel()
	_, err := mustRun(t, map[string]string{
		"DISCORD_TOKEN":       "abc def-secret",
		"DISCORD_GUILD_ID":    "my-server",
		"DISCORD_API_URL":     "ftp://user:hunter2@proxy",
		"DISCORD_SHARD_ID":    "3",
		"DISCORD_SHARD_COUNT": "2",
	}, "", "run", "--check-config")
	if err == nil {
		t.Fatal("bad Discord settings accepted")
	}
	msg := err.Error()
	for _, want := range []string{"DISCORD_TOKEN contains spaces", `DISCORD_GUILD_ID "my-server"`, "DISCORD_API_URL", "DISCORD_SHARD_ID 3 must be below DISCORD_SHARD_COUNT (2)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems lack %q:\n%s", want, msg)
		}
	}
	for _, secret := range []string{"def-secret", "hunter2"} {
		if strings.Contains(msg, secret) {
			t.Errorf("%q leaked: %s", secret, msg)
		}
	}
	_, err = mustRun(t, map[string]string{"DISCORD_GUILD_ID": "1100000000000000003"}, "", "run", "--check-config")
	if err == nil || !strings.Contains(err.Error(), "DISCORD_GUILD_ID set but DISCORD_TOKEN is not") {
		t.Errorf("guild without token: %v", err)
	}
	out, err := mustRun(t, map[string]string{"DISCORD_TOKEN": "Bot abc.def", "DISCORD_API_URL": "http://127.0.0.1:9/", "DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_ID": "3"}, "", "run", "--check-config")
	if err != nil || !strings.Contains(out, "configuration ok") {
		t.Errorf("good settings: %v %s", err, out)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
