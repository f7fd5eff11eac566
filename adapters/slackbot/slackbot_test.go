package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cohortbot/adapters/slackbot/slackfake"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

func TestSlashCommandsOverSocketMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, nil)

	// A member cannot set a cohort up, and nothing is created.
	rs := e.command(member, "C1", "/cohort", setupText, 1)
	if rs[0].ResponseType != "ephemeral" || !strings.Contains(text(rs), "Only organizers can use /cohort setup.") {
		t.Errorf("member setup: %+v", rs)
	}
	rs = e.command(member, "C1", "/today", "", 1)
	mustContain(t, text(rs), "This channel has no cohort yet")

	// An admin can; the answer is for the channel.
	e.setup("C1")
	// So can an owner, in another channel.
	rs = e.command(owner, "C2", "/cohort", setupText, 1)
	mustContain(t, text(rs), "is set up")

	// Personal answers are ephemeral.
	rs = e.command(member, "C1", "/today", "", 1)
	if rs[0].ResponseType != "ephemeral" {
		t.Errorf("/today is not ephemeral: %+v", rs[0])
	}
	mustContain(t, text(rs), "Backend basics, client–server, first API", "Phase 1 · Day 1 of 7 · Day 1/93")
	var buttons []string
	for _, r := range rs {
		for _, b := range slackfake.Buttons(r.Blocks) {
			buttons = append(buttons, b.ActionID)
		}
	}
	if len(buttons) < 2 || buttons[0] != "done:1" || !strings.HasPrefix(buttons[1], "reveal:1:") {
		t.Errorf("/today buttons: %v", buttons)
	}
	// Show answers works on the ephemeral card too.
	env, _, err := e.fake.PressButton(slackfake.Press{User: member, Channel: "C1", Ephemeral: true, Blocks: rs[0].Blocks, ActionID: buttons[1]})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitAck(env, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Ephemerals(member.ID)) == 1 }) {
		t.Fatal("answers not shown")
	}
	mustContain(t, blocksText(e.fake.Ephemerals(member.ID)[0].Blocks), "Model answer 1")
	rs = e.command(member, "C1", "/done", "read the docs & <b>tags</b>", 1)
	if rs[0].ResponseType != "ephemeral" {
		t.Errorf("/done is not ephemeral")
	}
	mustContain(t, text(rs), "✅ Day 1 — Backend basics, client–server, first API checked in")
	rs = e.command(member, "C1", "/progress", "", 1)
	mustContain(t, text(rs), "*bob* in “Slack crew”: completed 1 of 93 days")
	rs = e.command(member, "C1", "/leaderboard", "", 1)
	mustContain(t, text(rs), "🥇 bob — 1 day done")
	rs = e.command(member, "C1", "/done", "", 1)
	mustContain(t, text(rs), "⚠️ You already checked in for day 1.")
	rs = e.command(member, "C1", "/done", "0", 1)
	mustContain(t, text(rs), "⚠️ day 0 does not exist")
	if n := len(e.checkIns("C1")); n != 1 {
		t.Errorf("%d check-ins, want 1", n)
	}

	// /cohort help lists the organizer commands, with the Slack-only organizer list.
	rs = e.command(member, "C1", "/cohort", "help", 1)
	mustContain(t, text(rs), "/cohort setup start:YYYY-MM-DD", "/cohort set organizers:@ana,@ben")
	rs = e.command(admin, "C1", "/cohort", "frobnicate", 1)
	mustContain(t, text(rs), `unknown /cohort command "frobnicate"`)
	rs = e.command(admin, "C1", "/cohort", "status", 1)
	mustContain(t, text(rs), "Track: Node.js Backend", "Members: 1")
	// Text is escaped for mrkdwn: nothing a member types becomes a link or a mention.
	rs = e.command(admin, "C1", "/cohort", `set name:"<!channel> & co"`, 1)
	mustContain(t, text(rs), "&lt;!channel&gt; &amp; co")
}

func TestOrganizerList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, nil)
	e.setup("C1")
	rs := e.command(member, "C1", "/cohort", "status", 1)
	mustContain(t, text(rs), "Only organizers can use /cohort status.")
	// A member cannot make themselves an organizer.
	rs = e.command(member, "C1", "/cohort", "set organizers:<@UBOB|bob>", 1)
	mustContain(t, text(rs), "Only organizers can use /cohort set.")

	for _, bad := range []struct{ text, want string }{
		{"set organizers:@bob", `"@bob" is not a mention Slack resolved`},
		{"set organizers:<@UBOB|bob> time:10:00", "set organizers on their own"},
		{"set organizers:", "who?"},
	} {
		rs = e.command(admin, "C1", "/cohort", bad.text, 1)
		mustContain(t, text(rs), bad.want)
	}
	rs = e.command(member, "C1", "/cohort", "status", 1)
	mustContain(t, text(rs), "Only organizers can use /cohort status.")

	// Spaces after commas, as people type them.
	rs = e.command(admin, "C1", "/cohort", "set organizers:<@UBOB|bob>, <@UCAROL|carol>", 1)
	if rs[0].ResponseType != "in_channel" {
		t.Errorf("organizer change is not shown to the channel")
	}
	mustContain(t, text(rs), "Organizers of this channel: <@UBOB>, <@UCAROL>")
	rs = e.command(member, "C1", "/cohort", "status", 1)
	mustContain(t, text(rs), "📋 Slack crew")
	// The list is per channel.
	e.command(owner, "C2", "/cohort", setupText, 1)
	rs = e.command(member, "C2", "/cohort", "status", 1)
	mustContain(t, text(rs), "Only organizers can use /cohort status.")

	rs = e.command(carol, "C1", "/cohort", "set organizers:off", 1)
	mustContain(t, text(rs), "organizer list of this channel is cleared")
	rs = e.command(member, "C1", "/cohort", "status", 1)
	mustContain(t, text(rs), "Only organizers can use /cohort status.")

	// Organizers need a cohort to attach the list to.
	rs = e.command(admin, "C9", "/cohort", "set organizers:<@UBOB>", 1)
	mustContain(t, text(rs), "This channel has no cohort yet")

	// users.info is cached: many commands, few lookups.
	if n := len(e.fake.Calls("users.info")); n > 4 {
		t.Errorf("users.info called %d times for 4 users", n)
	}
}

func TestOrganizerAdminFlagIsCachedBriefly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, func(c *Config) { c.UserTTL = 200 * time.Millisecond })
	e.setup("C1")
	e.fake.SetAdmin(admin.ID, false)
	if !e.fake.WaitFor(wait, func() bool {
		rs := e.command(admin, "C1", "/cohort", "status", 1)
		return strings.Contains(text(rs), "Only organizers")
	}) {
		t.Error("a demoted admin stayed an organizer")
	}
}

func TestDailyCardBlocksThreadAndAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, nil)
	e.setup("C1")
	root, thread := e.postDay("C1")

	types := map[string]int{}
	for _, b := range root.Blocks {
		types[b["type"].(string)]++
	}
	if types["header"] != 1 || types["context"] < 1 || types["section"] < 3 || types["actions"] != 1 {
		t.Errorf("card blocks: %v", types)
	}
	if h := root.Blocks[0]; h["type"] != "header" || h["text"].(map[string]any)["text"] != "Backend basics, client–server, first API" {
		t.Errorf("first block: %v", h)
	}
	mustContain(t, blocksText(root.Blocks), "Phase 1 · Day 1 of 7 · Day 1/93", "*📖 Study*", "Check in: press ✅ Done")
	if b := slackfake.Buttons(root.Blocks); len(b) != 1 || b[0].ActionID != "done:1" || b[0].Value != "done:1" || b[0].Text != "✅ Done" {
		t.Errorf("card buttons: %+v", b)
	}
	if root.Text == "" {
		t.Error("no notification text")
	}
	if len(thread) == 0 {
		t.Fatal("nothing in the day's thread")
	}
	var answers []slackfake.Button
	var threadText string
	for _, m := range thread {
		threadText += blocksText(m.Blocks) + "\n"
		for _, b := range slackfake.Buttons(m.Blocks) {
			if strings.HasPrefix(b.ActionID, "reveal:1:") {
				answers = append(answers, b)
			}
		}
	}
	mustContain(t, threadText, "Today you will be able to", "Mock interview", "References", "answers are hidden")
	if len(answers) == 0 {
		t.Fatal("no Show answers button in the thread")
	}
	// The answers themselves are not in the channel.
	track := loadTrack(t)
	c, _, _ := track.Card(1)
	secret := c.Questions[0].Answer
	if strings.Contains(threadText, secret[:40]) || strings.Contains(blocksText(root.Blocks), secret[:40]) {
		t.Error("a model answer was posted visibly")
	}

	// The thread ts is recorded as the day's thread.
	posts, err := e.st.Posts(context.Background(), e.cohortID("C1"), study.KindDay, 5)
	if err != nil || len(posts) != 1 || posts[0].Done.ThreadID != root.TS || posts[0].Done.MessageID != root.TS || posts[0].Status != study.PostSent {
		t.Fatalf("outbox: %+v %v", posts, err)
	}

	// Show answers reveals them to the presser only, in the thread.
	var qMsg slackfake.Message
	for _, m := range thread {
		if strings.Contains(blocksText(m.Blocks), "Mock interview") {
			qMsg = m
		}
	}
	var qButton string
	for _, b := range slackfake.Buttons(qMsg.Blocks) {
		qButton = b.ActionID
	}
	before := len(e.fake.Messages("C1"))
	env, _, err := e.fake.PressButton(slackfake.Press{User: member, Channel: "C1", MessageTS: qMsg.TS, ThreadTS: root.TS, Blocks: qMsg.Blocks, ActionID: qButton})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitAck(env, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Ephemerals(member.ID)) > 0 }) {
		t.Fatalf("no answers shown; logs:\n%s", e.logs.String())
	}
	eph := e.fake.Ephemerals(member.ID)[0]
	if eph.Channel != "C1" || eph.ThreadTS != root.TS {
		t.Errorf("answers shown at %+v", eph)
	}
	mustContain(t, blocksText(eph.Blocks), "🔓 🎤 Mock interview", "Model answer 1", escape(secret[:40]))
	if len(e.fake.Messages("C1")) != before {
		t.Error("showing answers posted to the channel")
	}
}

func TestCheckInsFromThreadRepliesAndButtons(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, true, nil)
		e.setup("C1")
		root, _ := e.postDay("C1")

		// A reply in the day's thread checks in, with a ✅ reaction.
		env, ts, err := e.fake.MessageEvent(slackfake.Reply{EventID: "Ev1", Channel: "C1", User: carol.ID, Text: "done: my notes", ThreadTS: root.TS}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.fake.WaitAck(env, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Reactions()) == 1 }) {
			t.Fatalf("no reaction; logs:\n%s", e.logs.String())
		}
		if r := e.fake.Reactions()[0]; r != (slackfake.Reaction{Channel: "C1", TS: ts, Name: "white_check_mark"}) {
			t.Errorf("reaction: %+v", r)
		}
		// Slack retries the same event: still one check-in, one reaction.
		env, err = e.fake.Send("events_api", mustPayload(e, slackfake.Reply{EventID: "Ev1", Channel: "C1", User: carol.ID, Text: "done: my notes", ThreadTS: root.TS}), 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.fake.WaitAck(env, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		// Messages that are not replies in a day's thread are ignored.
		ignored := []slackfake.Reply{
			{EventID: "Ev2", Channel: "C1", User: member.ID, Text: "top-level chat"},
			{EventID: "Ev3", Channel: "C1", User: member.ID, Text: "in another thread", ThreadTS: "1.000001"},
			{EventID: "Ev4", Channel: "C1", User: member.ID, Text: "edited", ThreadTS: root.TS, SubType: "message_changed"},
			{EventID: "Ev5", Channel: "C1", User: "UOTHERBOT", Text: "beep", ThreadTS: root.TS, BotID: "B0OTHER"},
			{EventID: "Ev6", Channel: "C7", User: member.ID, Text: "no cohort here", ThreadTS: root.TS},
		}
		for _, r := range ignored {
			env, _, err := e.fake.MessageEvent(r, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.fake.WaitAck(env, 3*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		// A reply in a thread message (thread_ts is the card's ts either way) by bob, after
		// the ignored ones: it is processed, so the ignored ones were too.
		_, _, err = e.fake.MessageEvent(slackfake.Reply{EventID: "Ev7", Channel: "C1", User: owner.ID, Text: "✔", ThreadTS: root.TS}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Reactions()) == 2 }) {
			t.Fatalf("second reply not counted; logs:\n%s", e.logs.String())
		}

		// The Done button checks in; a second press says so.
		for i := 0; i < 2; i++ {
			env, _, err := e.fake.PressButton(slackfake.Press{User: member, Channel: "C1", MessageTS: root.TS, Blocks: root.Blocks, ActionID: "done:1"})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.fake.WaitAck(env, 3*time.Second); err != nil {
				t.Fatal(err)
			}
			if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Ephemerals(member.ID)) == i+1 }) {
				t.Fatalf("press %d unanswered; logs:\n%s", i+1, e.logs.String())
			}
		}
		eph := e.fake.Ephemerals(member.ID)
		mustContain(t, blocksText(eph[0].Blocks), "✅ Day 1 — Backend basics, client–server, first API checked in")
		mustContain(t, blocksText(eph[1].Blocks), "You already checked in for day 1.")

		cs := e.checkIns("C1")
		if len(cs) != 3 {
			t.Fatalf("%d check-ins, want 3 (carol, olga, bob): %+v", len(cs), cs)
		}
		sources := map[study.Source]int{}
		for _, c := range cs {
			sources[c.Source]++
			if c.Day != 1 {
				t.Errorf("check-in for day %d", c.Day)
			}
		}
		if sources[study.SourceReply] != 2 || sources[study.SourceButton] != 1 {
			t.Errorf("sources: %v", sources)
		}
		if len(e.fake.Reactions()) != 2 {
			t.Errorf("reactions: %+v", e.fake.Reactions())
		}
		rs := e.command(member, "C1", "/leaderboard", "", 1)
		mustContain(t, text(rs), "carol — 1 day done", "bob — 1 day done", "olga — 1 day done")
	})
}

func mustPayload(e *env, r slackfake.Reply) map[string]any {
	p, _ := e.fake.EventPayload(r)
	return p
}

func TestSocketModeReconnects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, func(c *Config) { c.PingInterval = 600 * time.Millisecond })
	e.setup("C1")
	if err := e.fake.Disconnect(); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitConnections(2, wait); err != nil {
		t.Fatal(err)
	}
	rs := e.command(member, "C1", "/today", "", 1)
	mustContain(t, text(rs), "Backend basics")

	// Slack stops pinging: the connection is considered dead and reopened.
	e.fake.StopPings()
	if err := e.fake.WaitConnections(3, wait); err != nil {
		t.Fatal(err)
	}
	e.fake.ResumePings()
	rs = e.command(member, "C1", "/today", "", 1)
	mustContain(t, text(rs), "Backend basics")
	if n := len(e.fake.Calls("apps.connections.open")); n < 3 {
		t.Errorf("apps.connections.open called %d times", n)
	}
}

func TestPanicInHandlerIsRecovered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, func(c *Config) {
		core := c.Core
		c.Core = study.HandlerFunc(func(ctx context.Context, req study.Request) (study.Reply, error) {
			if req.Command == "progress" {
				panic("boom")
			}
			return core.Handle(ctx, req)
		})
	})
	e.setup("C1")
	rs := e.command(member, "C1", "/progress", "", 1)
	mustContain(t, text(rs), "⚠️ Something went wrong on our side")
	if strings.Contains(text(rs), "boom") {
		t.Error("panic details shown to the member")
	}
	mustContain(t, e.logs.String(), "handler panicked", "boom")
	rs = e.command(member, "C1", "/today", "", 1)
	mustContain(t, text(rs), "Backend basics")
}

func TestStartRefusesBadTokens(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	st := storetest.MustOpen(t, store.SQLite, time.Now)
	svc := studytest.MustService(t, st, time.Now, loadTrack(t))
	for _, c := range []struct {
		bot, app, want string
	}{
		{"xoxb-wrong-1234", fake.AppToken, "slack auth.test with SLACK_BOT_TOKEN: Slack rejected the token (invalid_auth)"},
		{fake.BotToken, "xapp-wrong-5678", "slack socket mode with SLACK_APP_TOKEN: Slack rejected the token (invalid_auth)"},
	} {
		ad, err := New(Config{BotToken: c.bot, AppToken: c.app, APIURL: fake.APIURL(), Core: svc})
		if err != nil {
			t.Fatal(err)
		}
		err = ad.Start(context.Background())
		ad.Close()
		if err == nil || err.Error() != c.want {
			t.Errorf("start: %v, want %s", err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), fake.BotToken)) {
			t.Errorf("a token leaked into the error: %v", err)
		}
	}
	if _, err := New(Config{BotToken: "xoxp-user-token", Core: svc, SigningSecret: "s"}); err == nil || strings.Contains(err.Error(), "user-token") {
		t.Errorf("user token: %v", err)
	}
}

// ---- posting ----

func dayOutgoing(t *testing.T, channel string, day int, nonce string) study.Outgoing {
	track := loadTrack(t)
	msgs := append([]study.Message{study.CardMessage(track, day)}, study.CardThreadMessages(track, day)...)
	return study.Outgoing{Channel: study.ChannelRef{Platform: Platform, Workspace: slackfake.TeamID, Channel: channel}, Messages: msgs, Nonce: nonce, Kind: study.KindDay}
}

func TestPosterHonoursRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, nil)
	ctx := context.Background()
	out := dayOutgoing(t, "C1", 11, "post-1")

	// 429 on the first message: nothing posted, the wait Slack asked for is passed on.
	e.fake.AddFault("chat.postMessage", slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 7, Count: 1})
	_, err := e.ad.Poster().Post(ctx, dayOutgoing(t, "C0", 11, "post-0"), noRecord)
	var de *study.DeliveryError
	if !errors.As(err, &de) || de.Permanent || de.Paced || de.RetryAfter != 7*time.Second {
		t.Fatalf("429: %#v", err)
	}
	if len(e.fake.Messages("C0")) != 0 {
		t.Fatal("posted despite 429")
	}
	// The channel stays held for the wait: a post there is handed back at once, paced,
	// without calling Slack; another channel is not held.
	calls := len(e.fake.Calls("chat.postMessage"))
	_, err = e.ad.Poster().Post(ctx, dayOutgoing(t, "C0", 12, "post-0b"), noRecord)
	if !errors.As(err, &de) || !de.Paced || de.RetryAfter <= 0 || de.RetryAfter > 7*time.Second {
		t.Fatalf("post to a held channel: %#v", err)
	}
	if n := len(e.fake.Calls("chat.postMessage")) - calls; n != 0 {
		t.Errorf("%d calls to a channel held by a 429", n)
	}

	// 429 in the middle: the retry resumes in the same thread from the recorded progress,
	// the card is not repeated.
	var pr progress
	e.fake.AddFault("chat.postMessage", slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1, Count: 1, After: 1})
	_, err = e.ad.Poster().Post(ctx, out, pr.record)
	if !errors.As(err, &de) || de.RetryAfter != time.Second {
		t.Fatalf("429 mid-post: %#v", err)
	}
	if n := len(e.fake.Messages("C1")); n != 1 || pr.done.Parts != 1 || pr.done.ThreadID == "" {
		t.Fatalf("%d messages after a 429 on the second, progress %+v", n, pr.done)
	}
	out.Done = pr.done
	ref, err := e.ad.Poster().Post(ctx, out, pr.record)
	if err != nil {
		t.Fatal(err)
	}
	msgs := e.fake.Messages("C1")
	if len(msgs) < 2 || ref.MessageID != msgs[0].TS || ref.ThreadID != msgs[0].TS {
		t.Fatalf("ref %+v, messages %d", ref, len(msgs))
	}
	roots := 0
	for _, m := range msgs[1:] {
		if m.ThreadTS == "" {
			roots++
		} else if m.ThreadTS != ref.ThreadID {
			t.Errorf("thread message outside the day's thread: %+v", m)
		}
	}
	if msgs[0].ThreadTS != "" || roots != 0 {
		t.Errorf("the card was posted more than once")
	}

	// A 429 without Retry-After and 5xx are transient; the next post is new.
	e.fake.AddFault("chat.postMessage", slackfake.Fault{Status: http.StatusServiceUnavailable, Count: 1})
	_, err = e.ad.Poster().Post(ctx, dayOutgoing(t, "C1", 12, "post-2"), noRecord)
	if !errors.As(err, &de) || de.Permanent || de.RetryAfter != 0 || !strings.Contains(de.Reason, "HTTP 503") {
		t.Errorf("503: %#v", err)
	}
}

func TestPosterPermanentFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, nil)
	for ch, code := range map[string]string{"CGONE": "channel_not_found", "COUT": "not_in_channel", "COLD": "is_archived"} {
		e.fake.FailChannel(ch, code)
		_, err := e.ad.Poster().Post(context.Background(), dayOutgoing(t, ch, 1, "n-"+ch), noRecord)
		var de *study.DeliveryError
		if !errors.As(err, &de) || !de.Permanent || !strings.HasPrefix(de.Reason, code+": ") {
			t.Errorf("%s: %#v", code, err)
		}
	}
}

func TestPosterPacesPostsPerChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, func(c *Config) { c.PostInterval, c.PostBurst = 150*time.Millisecond, 1 })
	ctx := context.Background()
	done := make(chan error, 2)
	for _, ch := range []string{"C1", "C2"} {
		go func() {
			_, err := e.ad.Poster().Post(ctx, dayOutgoing(t, ch, 11, "pace-"+ch), noRecord)
			if err == nil {
				_, err = e.ad.Poster().Post(ctx, dayOutgoing(t, ch, 12, "pace2-"+ch), noRecord)
			}
			done <- err
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range []string{"C1", "C2"} {
		msgs := e.fake.Messages(ch)
		if len(msgs) < 4 {
			t.Fatalf("%s: %d messages", ch, len(msgs))
		}
		// Slots are reserved 150 ms apart when sent; arrival jitters a little (the first
		// call, which may open a connection, is left out).
		if span, want := msgs[len(msgs)-1].At.Sub(msgs[1].At), time.Duration(len(msgs)-2)*150*time.Millisecond; span < want-60*time.Millisecond {
			t.Errorf("%s: %d messages within %s, want about %s", ch, len(msgs), span, want)
		}
	}
}

func TestPosterPostsIntoAnExistingThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, nil)
	ctx := context.Background()
	ref, err := e.ad.Poster().Post(ctx, dayOutgoing(t, "C1", 3, "card"), noRecord)
	if err != nil {
		t.Fatal(err)
	}
	rem := study.Outgoing{Channel: e.channel("C1"), Thread: ref.ThreadID, Kind: study.KindReminder,
		Messages: []study.Message{study.ReminderMessage(3, "Topic", []string{"ana", "ben"}, 0)}}
	r2, err := e.ad.Poster().Post(ctx, rem, noRecord)
	if err != nil {
		t.Fatal(err)
	}
	msgs := e.fake.Messages("C1")
	last := msgs[len(msgs)-1]
	if last.ThreadTS != ref.ThreadID || r2.ThreadID != ref.ThreadID || r2.MessageID != last.TS {
		t.Errorf("reminder %+v landed at %+v", r2, last)
	}
	mustContain(t, blocksText(last.Blocks), "⏰ Still time for Day 3")
}

// ---- HTTP mode ----

func TestHTTPModeVerifiesEveryRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, false, nil)
	srv := httptest.NewServer(e.ad.Handler())
	t.Cleanup(srv.Close)
	secret := e.ad.cfg.SigningSecret
	send := func(path string, ts time.Time, body []byte, tamper func(*http.Request)) int {
		t.Helper()
		req, err := slackfake.SignedRequest(srv.URL+path, secret, ts, "application/x-www-form-urlencoded", body)
		if err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			tamper(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cmd := func(u slackfake.User, channel, command, text string) ([]byte, string) {
		p, rid := e.fake.CommandPayload(slackfake.Command{Channel: channel, User: u.ID, UserName: u.Name, Command: command, Text: text})
		return slackfake.Form(p), rid
	}

	// Refused: wrong secret, a 10-minute-old timestamp, a body changed after signing, no
	// signature. Nothing is created or answered.
	var refused []string
	body, rid := cmd(admin, "C1", "/cohort", setupText)
	refused = append(refused, rid)
	bad := map[string]int{
		"wrong secret": send(CommandsPath, time.Now(), body, func(r *http.Request) {
			r.Header.Set("X-Slack-Signature", slackfake.Sign("not-the-secret", time.Now().Unix(), body))
		}),
		"old timestamp": send(CommandsPath, time.Now().Add(-10*time.Minute), body, nil),
		"tampered body": send(CommandsPath, time.Now(), body, func(r *http.Request) {
			tampered := strings.Replace(string(body), "UADMIN", "UBOB00", 1)
			r.Body = httptestBody(tampered)
			r.ContentLength = int64(len(tampered))
		}),
		"no signature": send(CommandsPath, time.Now(), body, func(r *http.Request) { r.Header.Del("X-Slack-Signature") }),
	}
	for what, code := range bad {
		if code != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d, want 401", what, code)
		}
	}
	time.Sleep(200 * time.Millisecond) // anything wrongly started would have answered by now
	if _, err := e.st.CohortByChannel(context.Background(), e.channel("C1")); study.ErrorCode(err) != study.ENOTFOUND {
		t.Fatalf("a refused request created a cohort: %v", err)
	}
	if n := len(e.fake.Responses("")); n != 0 {
		t.Fatalf("refused requests were answered: %d", n)
	}

	// Signed properly: accepted and answered.
	body, rid = cmd(admin, "C1", "/cohort", setupText)
	if code := send(CommandsPath, time.Now(), body, nil); code != http.StatusOK {
		t.Fatalf("valid command: HTTP %d", code)
	}
	mustContain(t, text(e.responses(rid, 1)), "is set up")
	root, _ := e.postDay("C1")

	// Events: the URL check, then a thread reply.
	req, _ := slackfake.SignedRequest(srv.URL+EventsPath, secret, time.Now(), "application/json", []byte(`{"token":"x","challenge":"ch4ll3nge","type":"url_verification"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	buf := make([]byte, 256)
	n, _ := resp.Body.Read(buf)
	got.Write(buf[:n])
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(got.String(), `"challenge":"ch4ll3nge"`) {
		t.Errorf("url_verification: %d %s", resp.StatusCode, got.String())
	}
	ev, _ := e.fake.EventPayload(slackfake.Reply{EventID: "EvH1", Channel: "C1", User: carol.ID, Text: "done", ThreadTS: root.TS})
	evBody := jsonBody(t, ev)
	for i := 0; i < 2; i++ { // Slack's retry carries the same event_id
		if code := send(EventsPath, time.Now(), evBody, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }); code != 200 {
			t.Fatalf("event: HTTP %d", code)
		}
	}
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Reactions()) == 1 }) {
		t.Fatalf("thread reply over HTTP not counted; logs:\n%s", e.logs.String())
	}
	if code := send(EventsPath, time.Now().Add(-6*time.Minute), evBody, nil); code != http.StatusUnauthorized {
		t.Errorf("stale event: HTTP %d", code)
	}

	// Interactivity: the Done button.
	p, _, err := e.fake.BlockActionsPayload(slackfake.Press{User: member, Channel: "C1", MessageTS: root.TS, Blocks: root.Blocks, ActionID: "done:1"})
	if err != nil {
		t.Fatal(err)
	}
	form, _ := slackfake.PayloadForm(p)
	if code := send(InteractivityPath, time.Now(), form, nil); code != 200 {
		t.Fatalf("button: HTTP %d", code)
	}
	if code := send(InteractivityPath, time.Now(), form, func(r *http.Request) {
		r.Header.Set("X-Slack-Signature", "v0=00")
	}); code != http.StatusUnauthorized {
		t.Errorf("bad button signature: HTTP %d", code)
	}
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Ephemerals(member.ID)) == 1 }) {
		t.Fatalf("button over HTTP unanswered; logs:\n%s", e.logs.String())
	}
	if n := len(e.checkIns("C1")); n != 2 {
		t.Errorf("%d check-ins, want 2", n)
	}
	for _, id := range refused {
		if len(e.fake.Responses(id)) != 0 {
			t.Errorf("refused request %s was answered", id)
		}
	}
	if resp, err := http.Get(srv.URL + CommandsPath); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %v %v", resp, err)
	}
}

// A member can reply in the card's thread before the rest of the thread is posted (and so
// before the delivery is recorded): the reply still counts for the card's day.
// TestEarlyThreadReplyCounts: a member replies in the day's thread before the bot has
// finished posting into it. The delivery recorded the card's ts as soon as Slack answered,
// so the reply counts — once — and gets its ✅ while the rest is still held.
func TestEarlyThreadReplyCounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, nil)
	e.setup("C1")
	done := make(chan struct{})
	calls, release := e.fake.Hold("chat.postMessage")
	defer func() { release() }()
	go func() { e.sched.RunOnce(context.Background()); close(done) }()
	// Let the posts through one by one until the card's root has gone; then hold the
	// first message into its thread.
	for card := false; !card; {
		var c slackfake.Call
		select {
		case c = <-calls:
		case <-time.After(wait):
			t.Fatal("the card was never posted")
		}
		card = strings.Contains(c.Args.Get("blocks"), `"done:1"`)
		previous := release
		calls, release = e.fake.Hold("chat.postMessage")
		previous()
	}
	var threadCall slackfake.Call
	select {
	case threadCall = <-calls:
	case <-time.After(wait):
		t.Fatal("nothing was posted into the thread")
	}
	var root slackfake.Message
	for _, m := range e.fake.Messages("C1") {
		if bs := slackfake.Buttons(m.Blocks); len(bs) > 0 && bs[0].ActionID == "done:1" {
			root = m
		}
	}
	if root.TS == "" || threadCall.Args.Get("thread_ts") != root.TS {
		t.Fatalf("held %v, the card is %q", threadCall.Args, root.TS)
	}
	if _, _, err := e.fake.MessageEvent(slackfake.Reply{EventID: "EvEarly", Channel: "C1", User: carol.ID, Text: "first!", ThreadTS: root.TS}, 0); err != nil {
		t.Fatal(err)
	}
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Reactions()) == 1 }) {
		t.Fatalf("the early reply was not counted; logs:\n%s", e.logs.String())
	}
	select {
	case <-done:
		t.Fatal("the delivery finished before the reply: the test proves nothing")
	default:
	}
	release()
	<-done
	if cs := e.checkIns("C1"); len(cs) != 1 || cs[0].Day != 1 || cs[0].Source != study.SourceReply || cs[0].Note != "first!" {
		t.Errorf("check-ins: %+v", cs)
	}
}

// TestHTTPModeWaitsForStart: until Start has learned who the bot is, HTTP mode answers
// 503 (Slack retries) instead of handling a request half-configured.
func TestHTTPModeWaitsForStart(t *testing.T) {
	t.Parallel()
	fake := slackfake.New(t)
	fake.AddUser(admin)
	st := storetest.MustOpen(t, store.SQLite, func() time.Time { return testNow })
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	ad, err := New(Config{BotToken: fake.BotToken, SigningSecret: secret, APIURL: fake.APIURL(),
		Core: studytest.MustService(t, st, func() time.Time { return testNow }, loadTrack(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer ad.Close()
	srv := httptest.NewServer(ad.Handler())
	defer srv.Close()
	send := func() int {
		p, _ := fake.CommandPayload(slackfake.Command{Channel: "C1", User: admin.ID, UserName: admin.Name, Command: "/today"})
		req, err := slackfake.SignedRequest(srv.URL+CommandsPath, secret, time.Now(), "application/x-www-form-urlencoded", slackfake.Form(p))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(); code != http.StatusServiceUnavailable {
		t.Errorf("before Start: HTTP %d, want 503", code)
	}
	if err := ad.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := send(); code != http.StatusOK {
		t.Errorf("after Start: HTTP %d, want 200", code)
	}
}

// TestPostToAMemberIsADirectMessage: a post addressed to a member goes to them directly
// (chat.postMessage with their user id: the app's Messages tab), and a button pressed
// there reaches the core without a cohort channel.
func TestPostToAMemberIsADirectMessage(t *testing.T) {
	t.Parallel()
	pressed := make(chan study.Request, 1)
	e := newEnv(t, store.SQLite, true, func(c *Config) {
		next := c.Core
		c.Core = study.HandlerFunc(func(ctx context.Context, req study.Request) (study.Reply, error) {
			if strings.HasPrefix(req.Action, "remind-off:") {
				pressed <- req
				return study.Reply{Ephemeral: true, Messages: []study.Message{{Sections: []study.Section{{Text: "Reminders are off."}}}}}, nil
			}
			return next.Handle(ctx, req)
		})
	})
	out := study.Outgoing{Channel: e.channel("C1"), To: study.UserRef{Platform: Platform, Workspace: slackfake.TeamID, ID: member.ID, Name: "Bob"},
		Kind: "nudge", Nonce: "dm-1", Messages: []study.Message{{
			Sections: []study.Section{{Text: "⏰ Day 1 is open until 13:00: /done to keep your streak."}},
			Actions:  []study.Action{{ID: "remind-off:7", Label: "Stop reminders"}},
		}}}
	ref, err := e.ad.Poster().Post(context.Background(), out, noRecord)
	if err != nil {
		t.Fatal(err)
	}
	dm := e.fake.Messages(e.fake.DMChannel(member.ID))
	if len(dm) != 1 || dm[0].TS != ref.MessageID || dm[0].ThreadTS != "" || !strings.Contains(blocksText(dm[0].Blocks), "Day 1 is open") {
		t.Fatalf("direct messages %+v (ref %+v)", dm, ref)
	}
	if n := len(e.fake.Messages("C1")); n != 0 {
		t.Errorf("%d messages in the cohort's channel", n)
	}
	env, rid, err := e.fake.PressButton(slackfake.Press{User: member, Channel: dm[0].Channel, MessageTS: dm[0].TS, Blocks: dm[0].Blocks, ActionID: "remind-off:7"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.fake.WaitAck(env, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	req := <-pressed
	if req.Source != study.SourceButton || req.User.ID != member.ID || req.Channel.Channel != "" || req.Channel.Platform != Platform || req.Thread != "" {
		t.Errorf("request from a DM button: %+v", req)
	}
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Responses(rid))+len(e.fake.Ephemerals(member.ID)) > 0 }) {
		t.Error("the press was not answered")
	}
}

// TestMembersDoNotWaitOnUsersInfo: users.info allows about 100 calls a minute. Forty new
// members asking at once are all answered with the handle their payload carries, not
// queued behind the lookup's rate limit; an organizer command still waits for the admin
// flag it needs.
func TestMembersDoNotWaitOnUsersInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, true, nil)
	e.setup("C1")
	const n = 40
	var users []slackfake.User
	for i := range n {
		u := slackfake.User{ID: fmt.Sprintf("UNEW%02d", i), Name: fmt.Sprintf("new%02d", i), RealName: fmt.Sprintf("New Member %d", i)}
		e.fake.AddUser(u)
		users = append(users, u)
	}
	type sent struct{ env, rid string }
	var all []sent
	for _, u := range users {
		env, rid, err := e.fake.SlashCommand(slackfake.Command{Channel: "C1", User: u.ID, UserName: u.Name, Command: "/today"})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, sent{env, rid})
	}
	for _, s := range all {
		if err := e.fake.WaitAck(s.env, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		mustContain(t, text(e.responses(s.rid, 1)), "Day 1/93")
	}
	// The bucket holds 5 calls (a twentieth of 100 a minute) and refills at 1.5 a second.
	if calls := len(e.fake.Calls("users.info")); calls > 10 {
		t.Errorf("%d users.info calls for %d members: commands waited on its rate limit", calls, n)
	}
	// The bucket is spent; the organizer is still recognised.
	rs := e.command(admin, "C1", "/cohort", "status", 1)
	if strings.Contains(text(rs), "Only organizers") {
		t.Errorf("an admin was refused while users.info was at its limit: %s", text(rs))
	}
}
