package discordbot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"cohortbot/adapters/discordbot"
	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
)

func TestCommandRegistrationPayload(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	raw, puts := w.fake.Commands("global")
	if puts != 1 || raw == nil {
		t.Fatalf("want one global bulk overwrite, got %d", puts)
	}
	var cmds []struct {
		Name        string  `json:"name"`
		DefaultPerm *string `json:"default_member_permissions"`
		Contexts    []int   `json:"contexts"`
		Options     []struct {
			Name    string `json:"name"`
			Type    int    `json:"type"`
			Options []struct {
				Name         string `json:"name"`
				Type         int    `json:"type"`
				Required     bool   `json:"required"`
				Autocomplete bool   `json:"autocomplete"`
				Choices      []struct {
					Value string `json:"value"`
				} `json:"choices"`
			} `json:"options"`
		} `json:"options"`
	}
	if err := json.Unmarshal(raw, &cmds); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
		if len(c.Contexts) != 1 || c.Contexts[0] != 0 {
			t.Errorf("/%s contexts %v: want guild only", c.Name, c.Contexts)
		}
		switch c.Name {
		case "cohort":
			if c.DefaultPerm == nil || *c.DefaultPerm != "32" {
				t.Errorf("/cohort default_member_permissions = %v, want \"32\" (Manage Server)", c.DefaultPerm)
			}
			subs := map[string]bool{}
			for _, s := range c.Options {
				subs[s.Name] = s.Type == 1
				for _, o := range s.Options {
					switch {
					case o.Name == "tz" && !o.Autocomplete:
						t.Errorf("/cohort %s tz has no autocomplete", s.Name)
					case o.Name == "cadence" && (len(o.Choices) != 2 || o.Choices[0].Value != "daily" || o.Choices[1].Value != "weekdays"):
						t.Errorf("/cohort %s cadence choices %+v", s.Name, o.Choices)
					case o.Name == "organizer-role" && o.Type != 8:
						t.Errorf("organizer-role is type %d, want a role (8)", o.Type)
					case s.Name == "setup" && (o.Name == "start" || o.Name == "time" || o.Name == "tz") && !o.Required:
						t.Errorf("/cohort setup %s is not required", o.Name)
					}
				}
			}
			for _, s := range []string{"setup", "status", "pause", "resume", "skip", "set", "preview", "link", "post"} {
				if !subs[s] {
					t.Errorf("/cohort lacks subcommand %s", s)
				}
			}
		case "done":
			if len(c.Options) != 2 || c.Options[0].Name != "day" || c.Options[0].Type != 4 || c.Options[1].Name != "note" {
				t.Errorf("/done options %+v", c.Options)
			}
			fallthrough
		default:
			if c.DefaultPerm != nil {
				t.Errorf("/%s is restricted: %v", c.Name, *c.DefaultPerm)
			}
		}
	}
	if got := strings.Join(names, " "); got != "today done progress leaderboard me away help cohort" {
		t.Errorf("commands %q", got)
	}
	ids := w.fake.Identifies()
	if len(ids) != 1 || ids[0].Intents != 1|1<<9 {
		t.Errorf("identify intents %+v: want guilds|guild messages (513), no privileged intent", ids)
	}

	// A restart overwrites with the same list; DISCORD_GUILD_ID registers on the guild.
	ctx := context.Background()
	w.bot.Close()
	again, err := discordbot.New(discordbot.Config{Token: w.fake.Token, APIURL: w.fake.URL, GuildID: discordtest.GuildID, Core: w.svc})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	guild, puts := w.fake.Commands(discordtest.GuildID)
	if puts != 2 || string(guild) != string(raw) {
		t.Errorf("guild overwrite differs or missing (%d puts)", puts)
	}
	if r := w.fake.Requests("PUT /applications/{app}/guilds/{guild}/commands"); len(r) != 1 {
		t.Errorf("guild registration requests: %d", len(r))
	}
}

func TestSetupByOrganizerAndRefusedForMember(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		w := start(t, d)
		ctx := context.Background()
		// A member without Manage Server: refused, ephemeral, nothing created.
		id := w.fake.Command(discordtest.ChannelID, alice, "cohort", discordtest.Sub("setup",
			discordtest.Str("start", "2026-03-02"), discordtest.Str("time", "09:00"), discordtest.Str("tz", "UTC")))
		r := w.fake.Reply(t, id)
		if !r.Ephemeral || r.Text() != "⚠️ Only organizers can use /cohort setup." {
			t.Errorf("member's setup: ephemeral=%v %q", r.Ephemeral, r.Text())
		}
		if _, err := w.store.CohortByChannel(ctx, channel()); study.ErrorCode(err) != study.ENOTFOUND {
			t.Fatalf("a refused setup created a cohort: %v", err)
		}
		// Bad input from an organizer: a specific line, nothing created.
		id = w.fake.Command(discordtest.ChannelID, organizer, "cohort", discordtest.Sub("setup",
			discordtest.Str("start", "2026-02-30"), discordtest.Str("time", "09:00"), discordtest.Str("tz", "Europe/Berln")))
		r = w.fake.Reply(t, id)
		if !r.Ephemeral || !strings.HasPrefix(r.Text(), "⚠️ ") || strings.Contains(r.Text(), "\n") {
			t.Errorf("bad setup: ephemeral=%v %q", r.Ephemeral, r.Text())
		}
		if _, err := w.store.CohortByChannel(ctx, channel()); study.ErrorCode(err) != study.ENOTFOUND {
			t.Fatalf("a bad setup created a cohort: %v", err)
		}
		// The organizer: public answer, cohort created.
		id = w.fake.Command(discordtest.ChannelID, organizer, "cohort", discordtest.Sub("setup",
			discordtest.Str("start", "2026-03-02"), discordtest.Str("time", "09:00"), discordtest.Str("tz", "Europe/Berlin"),
			discordtest.Str("cadence", "weekdays"), discordtest.Str("name", "Winter crew")))
		r = w.fake.Reply(t, id)
		if r.Ephemeral || r.Deferred || !strings.Contains(r.Text(), "“Winter crew” is set up: 93 days") {
			t.Errorf("organizer's setup: ephemeral=%v deferred=%v %q", r.Ephemeral, r.Deferred, r.Text())
		}
		c, err := w.store.CohortByChannel(ctx, channel())
		if err != nil || c.TZ != "Europe/Berlin" || c.Cadence != study.Weekdays {
			t.Fatalf("cohort %+v, %v", c, err)
		}

		// Organizer role: only Manage Server may choose it; then its members count.
		id = w.fake.Command(discordtest.ChannelID, bob, "cohort", discordtest.Sub("status"))
		if r := w.fake.Reply(t, id); !strings.Contains(r.Text(), "Only organizers") {
			t.Errorf("bob before the role: %q", r.Text())
		}
		id = w.fake.Command(discordtest.ChannelID, admin, "cohort", discordtest.Sub("set", discordtest.Role("organizer-role", leadRole)))
		if r := w.fake.Reply(t, id); !strings.Contains(r.Text(), "<@&"+leadRole+">") || r.Ephemeral {
			t.Errorf("set organizer-role: %q", r.Text())
		}
		id = w.fake.Command(discordtest.ChannelID, bob, "cohort", discordtest.Sub("status"))
		if r := w.fake.Reply(t, id); !strings.Contains(r.Text(), "Winter crew") || !r.Ephemeral {
			t.Errorf("bob with the role, /cohort status: %q", r.Text())
		}
		id = w.fake.Command(discordtest.ChannelID, bob, "cohort", discordtest.Sub("set", discordtest.Role("organizer-role", "1000000000000000999")))
		if r := w.fake.Reply(t, id); r.Text() != "⚠️ Only members with Manage Server can choose the organizer role." {
			t.Errorf("bob choosing the role: %q", r.Text())
		}
		if role, _ := w.store.ChannelSetting(ctx, channel(), "organizer-role"); role != leadRole {
			t.Errorf("organizer role is %q", role)
		}
		id = w.fake.Command(discordtest.ChannelID, alice, "cohort", discordtest.Sub("pause"))
		if r := w.fake.Reply(t, id); !strings.Contains(r.Text(), "Only organizers") {
			t.Errorf("alice without the role: %q", r.Text())
		}
	})
}

func TestTodayAndDoneAreEphemeral(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	w.setup(t)

	r := w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "today"))
	if !r.Ephemeral || r.Deferred {
		t.Errorf("/today: ephemeral=%v deferred=%v", r.Ephemeral, r.Deferred)
	}
	for _, m := range r.Messages {
		if m.Flags&64 == 0 {
			t.Errorf("a /today message is not ephemeral: %q", truncate(m.Text()))
		}
	}
	text := r.Text()
	for _, want := range []string{"Phase 1 · Day 1 of 7 · Day 1/93", "Backend basics", "**📖 Study**", "Mock interview", "||"} {
		if !strings.Contains(text, want) {
			t.Errorf("/today lacks %q", want)
		}
	}
	if len(r.Messages) < 2 {
		t.Errorf("/today came as %d message(s); the card's thread parts should follow", len(r.Messages))
	}

	r = w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "done", discordtest.Str("note", "read the docs")))
	if !r.Ephemeral || !strings.HasPrefix(r.Text(), "✅ Day 1 — Backend basics") {
		t.Errorf("/done: ephemeral=%v %q", r.Ephemeral, r.Text())
	}
	r = w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "done"))
	if !r.Ephemeral || r.Text() != "⚠️ You already checked in for day 1." {
		t.Errorf("second /done: %q", r.Text())
	}
	r = w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "done", discordtest.Int("day", 5)))
	if !r.Ephemeral || r.Text() != "⚠️ Day 5 has not been posted yet: today is day 1" {
		t.Errorf("/done day:5: %q", r.Text())
	}
	r = w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "progress"))
	if !r.Ephemeral || !strings.Contains(r.Text(), "**Alice** in “Winter crew”: completed 1 of 93 days") {
		t.Errorf("/progress: %q", r.Text())
	}
	cis, _ := w.store.CheckIns(context.Background(), 1)
	if len(cis) != 1 || cis[0].Note != "read the docs" || cis[0].Source != study.SourceCommand {
		t.Errorf("check-ins %+v", cis)
	}
}

func TestDeferredReplyWhenTheCoreIsSlow(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite, withDeferAfter(150*time.Millisecond), withService(func(s study.Handler) study.Handler {
		return slowService{Handler: s, delay: 600 * time.Millisecond}
	}))
	w.setup(t) // slow too: deferred publicly, then edited

	r := w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "done"))
	if !r.Deferred || !r.Ephemeral || !strings.HasPrefix(r.Text(), "✅ Day 1") {
		t.Errorf("slow /done: deferred=%v ephemeral=%v %q", r.Deferred, r.Ephemeral, r.Text())
	}
	if r.Latency > time.Second {
		t.Errorf("deferral took %s", r.Latency)
	}
	ix := w.fake.Interaction(w.fake.Command(discordtest.ChannelID, alice, "today"))
	r = w.fake.Reply(t, ix.ID)
	if !r.Deferred || !r.Ephemeral || len(r.Messages) < 2 || !strings.Contains(r.Text(), "Backend basics") {
		t.Errorf("slow /today: deferred=%v ephemeral=%v %d messages", r.Deferred, r.Ephemeral, len(r.Messages))
	}
	for _, m := range w.fake.Interaction(ix.ID).Followups {
		if m.Flags&64 == 0 {
			t.Errorf("a follow-up of a deferred ephemeral reply is public")
		}
	}

	// A public deferral (setup) that ends in an error: the public "thinking" message is
	// deleted and the error goes to the organizer alone.
	id := w.fake.Command(discordtest.ChannelID, organizer, "cohort", discordtest.Sub("setup",
		discordtest.Str("start", "2026-03-02"), discordtest.Str("time", "09:00"), discordtest.Str("tz", "UTC")))
	WaitDeleted(t, w.fake, id)
	r = w.fake.Reply(t, id)
	if !r.Deferred || r.Ephemeral || len(r.Messages) != 1 || r.Messages[0].Flags&64 == 0 ||
		!strings.Contains(r.Text(), "already runs “Winter crew”") {
		t.Errorf("slow setup error: %+v %q", r, r.Text())
	}
}

// WaitDeleted waits until the deferred response of an interaction is deleted.
func WaitDeleted(t *testing.T, f *discordtest.Server, id string) {
	t.Helper()
	discordtest.WaitFor(t, "the deferred response to be deleted", 5*time.Second, func() bool {
		ix := f.Interaction(id)
		return ix.Deleted && len(ix.Followups) > 0
	})
}

func TestGatewayLagDefersEarlier(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	w.setup(t)
	// The interaction reaches the bot 2.2 s after Discord made it: 0.8 s are left, too
	// little to wait the usual 2 s for the core, so the bot defers at once.
	w.fake.SetLag(2200 * time.Millisecond)
	r := w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "progress"))
	if !r.Deferred || !r.Ephemeral || r.Age > discordtest.InteractionDeadline || len(r.Messages) == 0 {
		t.Fatalf("deferred=%v, answered %s after creation: %+v", r.Deferred, r.Age, r)
	}
	if !strings.Contains(r.Text(), "You have no check-ins") {
		t.Errorf("/progress: %q", r.Text())
	}
}

func TestPanicIsRecoveredAndAnswered(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite, withService(func(s study.Handler) study.Handler { return panicService{s} }))
	r := w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "today"))
	if !r.Ephemeral || r.Text() != "⚠️ Something went wrong on our side; the organizers can see it in the logs." {
		t.Errorf("after a panic: %q", r.Text())
	}
	if !strings.Contains(w.logs.String(), "panicked") || !strings.Contains(w.logs.String(), "boom") {
		t.Errorf("the panic was not logged:\n%s", w.logs)
	}
	// The bot still answers.
	r = w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "today"))
	if r.Type != 4 {
		t.Errorf("second interaction: %+v", r)
	}
}

func TestAutocompleteTimeZones(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	for typed, want := range map[string]string{"berl": "Europe/Berlin", "new york": "America/New_York", "Etc/GMT+3": "Etc/GMT+3", "": "UTC"} {
		id := w.fake.Autocomplete(discordtest.ChannelID, organizer, "cohort",
			discordtest.Sub("setup", discordtest.Str("start", "2026-03-02"), discordtest.Focused(discordtest.Str("tz", typed))))
		r := w.fake.Reply(t, id)
		if r.Type != 8 || len(r.Choices) == 0 || r.Choices[0].Value != want || len(r.Choices) > 25 {
			t.Errorf("autocomplete %q: %+v", typed, r.Choices)
		}
	}
}

func TestDailyCardPostedWithEmbedButtonNonceAndThread(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	w.setup(t)
	w.postToday(t)

	msgs := w.fake.Messages(discordtest.ChannelID)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text(), "Phase 1 of 18") {
		t.Fatalf("%d messages in the channel, want the card leading with the phase intro", len(msgs))
	}
	card := w.card(t)
	if len(card.Embeds) == 0 || card.Embeds[0].Author == nil || card.Embeds[0].Author.Name != "Phase 1 · Day 1 of 7 · Day 1/93" ||
		!strings.HasPrefix(card.Embeds[0].Title, "Backend basics") {
		t.Errorf("card embed %+v", card.Embeds)
	}
	if b := card.Buttons(); len(b) != 1 || b[0].CustomID != study.DoneAction(1).ID || b[0].Label != "✅ Done" {
		t.Errorf("card buttons %+v", b)
	}
	if card.Nonce == "" || !card.EnforceNonce {
		t.Errorf("card nonce %q enforce=%v", card.Nonce, card.EnforceNonce)
	}
	th, ok := w.fake.Channel(card.ID)
	if !ok || th.Type != 11 || th.ParentID != discordtest.ChannelID || th.Name != "Day 1 — Backend basics, client–server, first API" || th.AutoArchive != 1440 {
		t.Fatalf("thread %+v (found %v)", th, ok)
	}
	// The thread's parts (objectives, mock interview, predict-the-output, references)
	// are packed into one message of embeds: card + thread + one message.
	inThread := w.fake.Messages(th.ID)
	if len(inThread) != 1 || len(inThread[0].Embeds) < 3 {
		t.Fatalf("%d messages in the thread, want one", len(inThread))
	}
	if k := len(w.fake.Requests("POST /channels/{channel}/messages")) + len(w.fake.Requests("POST /channels/{channel}/messages/{message}/threads")); k != 3 {
		t.Errorf("day 1 took %d requests, want 3 (card, thread, one message)", k)
	}
	seen := map[string]bool{card.Nonce: true}
	for _, m := range inThread {
		if m.Nonce == "" || !m.EnforceNonce || seen[m.Nonce] {
			t.Errorf("thread message nonce %q (enforce %v) missing or repeated", m.Nonce, m.EnforceNonce)
		}
		seen[m.Nonce] = true
	}
	all := ""
	for _, m := range inThread {
		all += m.Text() + "\n"
	}
	for _, want := range []string{"Today you will be able to", "Mock interview", "||", "References"} {
		if !strings.Contains(all, want) {
			t.Errorf("thread lacks %q", want)
		}
	}
	posts, err := w.store.Posts(context.Background(), 1, study.KindDay, 10)
	if err != nil || len(posts) != 1 || posts[0].Status != study.PostSent || posts[0].Done.ThreadID != th.ID || posts[0].Done.MessageID != card.ID {
		t.Errorf("outbox %+v, %v", posts, err)
	}
}

func TestPostIsIdempotentAcrossACrash(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	out := study.Outgoing{Channel: channel(), Kind: study.KindDay, Nonce: "cb1234567890123456789",
		Messages: append([]study.Message{study.CardMessage(w.track, 11)}, study.CardThreadMessages(w.track, 11)...)}
	ctx := context.Background()
	first, err := w.bot.Post(ctx, out, noRecord)
	if err != nil {
		t.Fatal(err)
	}
	// The process died before recording the send; the outbox row is sent again.
	again, err := w.bot.Post(ctx, out, noRecord)
	if err != nil {
		t.Fatal(err)
	}
	if first != again || first.ThreadID != first.MessageID {
		t.Errorf("refs differ: %+v then %+v", first, again)
	}
	if n := len(w.fake.Messages(discordtest.ChannelID)); n != 1 {
		t.Errorf("%d cards in the channel after a resend", n)
	}
	if th := w.fake.Threads(discordtest.ChannelID); len(th) != 1 || th[0].Name != "Day 11 — Event loop" {
		t.Errorf("threads %+v", th)
	}
	if n := len(w.fake.Messages(first.ThreadID)); n != 1 {
		t.Errorf("%d thread messages, want the thread's parts packed in one", n)
	}
}

func TestButtonAndThreadReplyCheckIns(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		w := start(t, d)
		w.setup(t)
		w.postToday(t)
		card := w.card(t)
		ctx := context.Background()

		// The button, pressed twice: one check-in.
		r := w.fake.Reply(t, w.fake.Press(alice, card, "done:1"))
		if !r.Ephemeral || !strings.HasPrefix(r.Text(), "✅ Day 1") {
			t.Errorf("press: %q", r.Text())
		}
		r = w.fake.Reply(t, w.fake.Press(alice, card, "done:1"))
		if !r.Ephemeral || r.Text() != "⚠️ You already checked in for day 1." {
			t.Errorf("second press: %q", r.Text())
		}

		// A reply in the day's thread, twice: one check-in, each acknowledged with ✅.
		reply := w.fake.Say(card.ID, bob, "done, the event loop finally clicked")
		discordtest.WaitFor(t, "the ✅ reaction", 5*time.Second, func() bool { return len(w.fake.Reactions()) == 1 })
		if x := w.fake.Reactions()[0]; x.MessageID != reply || x.ChannelID != card.ID || x.Emoji != "✅" {
			t.Errorf("reaction %+v", x)
		}
		second := w.fake.Say(card.ID, bob, "also this")
		discordtest.WaitFor(t, "the second ✅", 5*time.Second, func() bool { return len(w.fake.Reactions()) == 2 })
		if x := w.fake.Reactions()[1]; x.MessageID != second {
			t.Errorf("reaction %+v", x)
		}

		// A command typed in the day's thread counts for the thread's channel.
		r = w.fake.Reply(t, w.fake.Command(card.ID, bob, "progress"))
		if !strings.Contains(r.Text(), "completed 1 of 93 days") {
			t.Errorf("/progress in the thread: %q", r.Text())
		}

		// Ignored: another bot in the thread, a member in the channel, a member in another
		// thread.
		w.fake.Say(card.ID, otherBot, "beep")
		w.fake.Say(discordtest.ChannelID, alice, "good morning")
		w.fake.Say(w.fake.AddThread(discordtest.ChannelID, "Questions"), alice, "not a day thread")
		time.Sleep(300 * time.Millisecond) // nothing is expected: give it a moment to go wrong
		if n := len(w.fake.Reactions()); n != 2 {
			t.Errorf("%d reactions after ignored messages", n)
		}

		cis, err := w.store.CheckIns(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		got := map[study.Source]int{}
		for _, c := range cis {
			got[c.Source]++
		}
		if len(cis) != 2 || got[study.SourceButton] != 1 || got[study.SourceReply] != 1 {
			t.Errorf("check-ins %+v", cis)
		}
	})
}

func TestRateLimitIsHonoured(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	ctx := context.Background()
	out := study.Outgoing{Channel: channel(), Kind: study.KindLeaderboard, Nonce: "cb0000000000000000429",
		Messages: []study.Message{{Title: "🏆 Leaderboard", Sections: []study.Section{{Text: "🥇 Alice — 1 day done"}}}}}
	route := "POST /channels/{channel}/messages"
	w.fake.Fail(route, discordtest.Fault{Status: 429, RetryAfter: 400 * time.Millisecond}, 1)
	// A scheduled post waits for no 429 in place: the wait goes back to the scheduler,
	// which retries on time (and counts the 429).
	_, err := w.bot.Post(ctx, out, noRecord)
	var de *study.DeliveryError
	if !errors.As(err, &de) || de.Paced || de.RetryAfter != 400*time.Millisecond {
		t.Fatalf("post after a short 429: %#v", err)
	}
	// Sent again at once, it waits for the bucket the 429 emptied.
	if _, err := w.bot.Post(ctx, out, noRecord); err != nil {
		t.Fatalf("post after the 429's wait: %v", err)
	}
	reqs := w.fake.Requests(route)
	if len(reqs) != 2 || reqs[0].Status != 429 || reqs[1].Status != 200 {
		t.Fatalf("requests %+v", reqs)
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 400*time.Millisecond {
		t.Errorf("retried %s after a 429 asking for 400ms", gap)
	}
	if n := len(w.fake.Messages(discordtest.ChannelID)); n != 1 {
		t.Errorf("%d messages", n)
	}

	// A long wait is not slept through: it is handed to the scheduler.
	w.fake.Fail(route, discordtest.Fault{Status: 429, RetryAfter: 30 * time.Second, Global: true}, 1)
	began := time.Now()
	out.Nonce = "cb0000000000000000430"
	_, err = w.bot.Post(ctx, out, noRecord)
	if !errors.As(err, &de) || de.Permanent || de.RetryAfter != 30*time.Second {
		t.Fatalf("long 429: %#v", err)
	}
	if time.Since(began) > 5*time.Second {
		t.Errorf("Post waited %s", time.Since(began))
	}
}

func TestDeliveryFailuresAreClassified(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite, func(c *discordbot.Config, _ *world) { c.Retries = 2 })
	ctx := context.Background()
	route := "POST /channels/{channel}/messages"
	msg := []study.Message{{Title: "Recap", Sections: []study.Section{{Text: "a week"}}}}
	post := func(channelID, nonce string) error {
		_, err := w.bot.Post(ctx, study.Outgoing{Channel: study.ChannelRef{Platform: "discord", Workspace: discordtest.GuildID, Channel: channelID}, Nonce: nonce, Messages: msg}, noRecord)
		return err
	}
	// 5xx: retried with backoff, then transient.
	w.fake.Fail(route, discordtest.Fault{Status: 503}, 2)
	if err := post(discordtest.ChannelID, "cb1"); err != nil {
		t.Errorf("two 503s then success: %v", err)
	}
	w.fake.Fail(route, discordtest.Fault{Status: 500}, 3)
	var de *study.DeliveryError
	if err := post(discordtest.ChannelID, "cb2"); !errors.As(err, &de) || de.Permanent || de.RetryAfter != 0 {
		t.Errorf("three 500s: %#v", err)
	}
	for _, c := range []struct {
		prep func() string
		want string
	}{
		{func() string { id := w.fake.AddChannel("gone"); w.fake.DeleteChannel(id); return id }, "Unknown Channel"},
		{func() string { id := w.fake.AddChannel("hidden"); w.fake.HideChannel(id); return id }, "Missing Access"},
		{func() string {
			w.fake.Fail(route, discordtest.Fault{Status: 403, Code: 50013, Message: "Missing Permissions"}, 1)
			return discordtest.ChannelID
		}, "Missing Permissions"},
	} {
		err := post(c.prep(), "cb3")
		if !errors.As(err, &de) || !de.Permanent || !strings.Contains(de.Reason, c.want) {
			t.Errorf("%s: %#v", c.want, err)
		}
	}
}

func TestDeletedChannelBecomesAFailedDelivery(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	w.setup(t)
	w.fake.DeleteChannel(discordtest.ChannelID)
	// /cohort post cannot be typed in a deleted channel: ask the core directly.
	ctx := context.Background()
	organizerIn := study.Request{Channel: channel(), Admin: true, Command: "cohort", User: study.UserRef{Platform: discordbot.Platform, ID: organizer.ID}}
	post := organizerIn
	post.Sub, post.Text = "post", "today"
	if _, err := w.svc.Handle(ctx, post); err != nil {
		t.Fatal(err)
	}
	w.sched.RunOnce(ctx)
	posts, err := w.store.Posts(ctx, 1, study.KindDay, 10)
	if err != nil || len(posts) != 1 || posts[0].Status != study.PostFailed || !strings.Contains(posts[0].LastError, "Unknown Channel") {
		t.Fatalf("outbox %+v, %v", posts, err)
	}
	status := organizerIn
	status.Sub = "status"
	r, err := w.svc.Handle(ctx, status)
	if err != nil || !strings.Contains(study.PlainText(r.Messages[0]), "the Discord channel no longer exists (Unknown Channel)") {
		t.Errorf("status %+v, %v", r, err)
	}
}

func TestReconnectResumesAndInteractionsStillWork(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite, func(_ *discordbot.Config, w *world) { w.fake.SetHeartbeatInterval(200 * time.Millisecond) })
	w.setup(t)
	discordtest.WaitFor(t, "two heartbeats", 5*time.Second, func() bool { return w.fake.Heartbeats() >= 2 })
	if err := w.bot.Ready(); err != nil || w.bot.Reconnects() != 0 {
		t.Fatalf("before the reconnect: ready %v, reconnects %d", err, w.bot.Reconnects())
	}

	w.fake.Reconnect()
	// Sent while the bot is reconnecting: replayed on RESUME.
	during := w.fake.Command(discordtest.ChannelID, alice, "done")
	discordtest.WaitFor(t, "a RESUME", 5*time.Second, func() bool { return w.fake.Resumes() == 1 })
	if r := w.fake.Reply(t, during); !strings.HasPrefix(r.Text(), "✅ Day 1") {
		t.Errorf("interaction during the reconnect: %q", r.Text())
	}
	if r := w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, alice, "progress")); !strings.Contains(r.Text(), "completed 1 of 93") {
		t.Errorf("interaction after the resume: %q", r.Text())
	}
	if n := len(w.fake.Identifies()); n != 1 {
		t.Errorf("%d IDENTIFYs: a resume should not identify again", n)
	}
	if err := w.bot.Ready(); err != nil || w.bot.Reconnects() != 1 {
		t.Errorf("after the resume: ready %v, reconnects %d (want ready, 1)", err, w.bot.Reconnects())
	}
}

func TestWrongTokenFailsStartWithoutLeakingIt(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	bad := "wrong.token.very-secret-value"
	b, err := discordbot.New(discordbot.Config{Token: bad, APIURL: w.fake.URL, Core: w.svc})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Start(context.Background())
	if err == nil {
		t.Fatal("started with a wrong token")
	}
	if strings.Contains(err.Error(), bad) {
		t.Errorf("the token leaked into the error: %v", err)
	}
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestLinkedChannelGetsTheCardToo(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	w.setup(t)
	status := w.fake.Reply(t, w.fake.Command(discordtest.ChannelID, organizer, "cohort", discordtest.Sub("status"))).Text()
	_, after, ok := strings.Cut(status, "/cohort link code:")
	code, _, _ := strings.Cut(after, " ")
	if !ok || code == "" {
		t.Fatalf("no link code in status: %q", status)
	}
	second := w.fake.AddChannel("study-2")
	r := w.fake.Reply(t, w.fake.Command(second, organizer, "cohort", discordtest.Sub("link", discordtest.Str("code", code))))
	if r.Ephemeral || !strings.Contains(r.Text(), "now follows “Winter crew”") {
		t.Fatalf("link: %q", r.Text())
	}
	w.postToday(t)
	for _, ch := range []string{discordtest.ChannelID, second} {
		var card *discordtest.Message
		for _, m := range w.fake.Messages(ch) {
			if len(m.Buttons()) > 0 {
				card = &m
			}
		}
		if card == nil || len(w.fake.Messages(card.ID)) < 1 {
			t.Errorf("channel %s: no card with its thread", ch)
			continue
		}
		// A reply in either thread counts for the one cohort.
		w.fake.Say(card.ID, alice, "")
	}
	discordtest.WaitFor(t, "two ✅", 5*time.Second, func() bool { return len(w.fake.Reactions()) == 2 })
	if cis, _ := w.store.CheckIns(context.Background(), 1); len(cis) != 1 {
		t.Errorf("%d check-ins from replies in both threads, want 1", len(cis))
	}
}

// TestRegistrationIsTheCommandTable: what the bot registers is exactly the core's command
// table — every command, subcommand and option, in order, and nothing else.
func TestRegistrationIsTheCommandTable(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	raw, _ := w.fake.Commands("global")
	type option struct {
		Name    string   `json:"name"`
		Type    int      `json:"type"`
		Options []option `json:"options"`
	}
	var got []option
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	describe := func(name string, opts []option) string {
		var b strings.Builder
		b.WriteString(name + "(")
		for _, o := range opts {
			b.WriteString(o.Name)
			if o.Type == 1 { // a subcommand
				b.WriteString("(")
				for _, so := range o.Options {
					b.WriteString(so.Name + " ")
				}
				b.WriteString(")")
			}
			b.WriteString(" ")
		}
		return b.String() + ")"
	}
	var gotNames, wantNames []string
	for _, c := range got {
		gotNames = append(gotNames, describe(c.Name, c.Options))
	}
	onDiscord := func(opts []study.Option) []option {
		var out []option
		for _, o := range opts {
			if o.Platform == "" || o.Platform == discordbot.Platform {
				out = append(out, option{Name: o.Name})
			}
		}
		return out
	}
	for _, c := range study.Commands() {
		opts := onDiscord(c.Options)
		for _, s := range c.Subs {
			opts = append(opts, option{Name: s.Name, Type: 1, Options: onDiscord(s.Options)})
		}
		wantNames = append(wantNames, describe(c.NameOn(discordbot.Platform), opts))
	}
	if strings.Join(gotNames, "\n") != strings.Join(wantNames, "\n") {
		t.Errorf("registered:\n%s\nthe table:\n%s", strings.Join(gotNames, "\n"), strings.Join(wantNames, "\n"))
	}
}

// TestThreadReplyWhileTheThreadIsBeingPosted: a member replies in the day's thread before
// the bot has finished posting into it. The delivery recorded the thread as soon as it
// was made, so the reply counts — once — and gets its ✅ while the rest is still held.
func TestThreadReplyWhileTheThreadIsBeingPosted(t *testing.T) {
	t.Parallel()
	w := start(t, store.SQLite)
	w.setup(t)
	ctx := context.Background()
	threads, releaseThread := w.fake.Hold("POST /channels/{channel}/messages/{message}/threads")
	defer releaseThread()
	id := w.fake.Command(discordtest.ChannelID, organizer, "cohort", discordtest.Sub("post", discordtest.Str("kind", "today")))
	if r := w.fake.Reply(t, id); !strings.Contains(r.Text(), "Posting today's card") {
		t.Fatalf("post reply: %q", r.Text())
	}
	delivered := make(chan struct{})
	go func() { w.sched.RunOnce(ctx); close(delivered) }()
	select {
	case <-threads:
	case <-time.After(10 * time.Second):
		t.Fatal("the bot never started the day's thread")
	}
	// The card is out and its thread is being made: hold what goes into the thread next.
	inThread, releaseMessages := w.fake.Hold("POST /channels/{channel}/messages")
	defer releaseMessages()
	releaseThread()
	var first discordtest.Request
	select {
	case first = <-inThread:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was posted into the thread")
	}
	card := w.card(t)
	if !strings.Contains(first.Path, "/channels/"+card.ID+"/messages") {
		t.Fatalf("the held message goes to %s, not the day's thread %s", first.Path, card.ID)
	}
	reply := w.fake.Say(card.ID, alice, "first!")
	discordtest.WaitFor(t, "the ✅ on the early reply", 5*time.Second, func() bool { return len(w.fake.Reactions()) == 1 })
	if x := w.fake.Reactions()[0]; x.MessageID != reply || x.ChannelID != card.ID {
		t.Errorf("reaction %+v", x)
	}
	select {
	case <-delivered:
		t.Fatal("the delivery finished before the reply: the test proves nothing")
	default:
	}
	releaseMessages()
	<-delivered
	w.fake.Say(card.ID, alice, "and again, after")
	discordtest.WaitFor(t, "the second ✅", 5*time.Second, func() bool { return len(w.fake.Reactions()) == 2 })
	cis, err := w.store.CheckIns(ctx, 1)
	if err != nil || len(cis) != 1 || cis[0].Day != 1 || cis[0].Source != study.SourceReply {
		t.Errorf("check-ins %+v, %v", cis, err)
	}
	if n := len(w.fake.Messages(card.ID)); n < 3 {
		t.Errorf("the thread holds %d messages after the delivery", n)
	}
}

// TestPostToAMemberIsADirectMessage: a post addressed to a member goes to their DM
// channel (opened once), and a button pressed there reaches the core without a server or
// channel, as the button's action.
func TestPostToAMemberIsADirectMessage(t *testing.T) {
	t.Parallel()
	pressed := make(chan study.Request, 1)
	w := start(t, store.SQLite, withService(func(next study.Handler) study.Handler {
		return study.HandlerFunc(func(ctx context.Context, req study.Request) (study.Reply, error) {
			if strings.HasPrefix(req.Action, "remind-off:") {
				pressed <- req
				return study.Reply{Ephemeral: true, Messages: []study.Message{{Sections: []study.Section{{Text: "Reminders are off."}}}}}, nil
			}
			return next.Handle(ctx, req)
		})
	}))
	to := study.UserRef{Platform: discordbot.Platform, Workspace: discordtest.GuildID, ID: alice.ID, Name: "Alice"}
	nudge := func(nonce string) study.Outgoing {
		return study.Outgoing{Channel: channel(), To: to, Kind: "nudge", Nonce: nonce, Messages: []study.Message{{
			Sections: []study.Section{{Text: "⏰ Day 1 is open until 13:00: /done to keep your streak."}},
			Actions:  []study.Action{{ID: "remind-off:7", Label: "Stop reminders"}},
		}}}
	}
	ctx := context.Background()
	for _, nonce := range []string{"cbdm00000000000000001", "cbdm00000000000000002"} {
		if _, err := w.bot.Post(ctx, nudge(nonce), noRecord); err != nil {
			t.Fatal(err)
		}
	}
	dm, ok := w.fake.DMChannel(alice.ID)
	if !ok {
		t.Fatal("no DM channel with Alice")
	}
	msgs := w.fake.Messages(dm)
	if len(msgs) != 2 || !strings.Contains(msgs[0].Text(), "Day 1 is open") || msgs[0].Nonce == "" {
		t.Fatalf("DM messages: %+v", msgs)
	}
	if n := len(w.fake.Messages(discordtest.ChannelID)); n != 0 {
		t.Errorf("%d messages in the cohort's channel", n)
	}
	if n := len(w.fake.Requests("POST /users/@me/channels")); n != 1 {
		t.Errorf("the DM channel was opened %d times", n)
	}
	r := w.fake.Reply(t, w.fake.PressInDM(alice, msgs[0], "remind-off:7"))
	if r.Text() != "Reminders are off." {
		t.Errorf("answer to the press: %q", r.Text())
	}
	req := <-pressed
	if req.Source != study.SourceButton || req.User.ID != alice.ID || req.Channel != (study.ChannelRef{Platform: discordbot.Platform}) || req.Thread != "" {
		t.Errorf("request from a DM button: %+v", req)
	}
}
