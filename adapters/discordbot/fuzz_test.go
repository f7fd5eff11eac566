package discordbot

// The fuzz target of what strangers send the Discord adapter: raw INTERACTION_CREATE
// payloads (slash commands with options, button presses, autocomplete), decoded as
// discordgo decodes a gateway event, translated by the adapter (answer, zoneChoices) and
// answered by the real core over a real SQLite store in a known state (internal/fuzztest).
// REST calls (a channel the payload does not describe) go to the fake on 127.0.0.1.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"

	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/internal/fuzztest"
	"cohortbot/internal/study"
)

// The fuzz guild's people: an admin (Manage Server), an organizer (on the channel's list
// and holding the organizer role), a member, and a stranger to the cohort.
const (
	dzAdmin     = "1000000000000000101"
	dzOrganizer = "1000000000000000201"
	dzMember    = "1000000000000000202"
	dzStranger  = "1000000000000000203"
	dzRole      = "1000000000000000900"
	dzSoon      = "1100000000000000005"
	dzFree      = "1100000000000000006"
)

type dzCall struct {
	req   study.Request
	reply study.Reply
	err   error
}

type fuzzDiscord struct {
	w     *fuzztest.World
	bot   *Bot
	mu    sync.Mutex
	calls []dzCall
}

func newFuzzDiscord(f *testing.F) *fuzzDiscord {
	ref := func(id string) study.ChannelRef {
		return study.ChannelRef{Platform: Platform, Workspace: discordtest.GuildID, Channel: id}
	}
	user := func(id, name string) study.UserRef {
		return study.UserRef{Platform: Platform, Workspace: discordtest.GuildID, ID: id, Name: name}
	}
	fake := discordtest.New(f)
	fd := &fuzzDiscord{}
	fd.w = fuzztest.New(f, fuzztest.Config{Channel: ref(discordtest.ChannelID), Soon: ref(dzSoon), Free: ref(dzFree),
		Admin: user(dzAdmin, "Ada"), Organizer: user(dzOrganizer, "Olga"), Member: user(dzMember, "Bob"), Roles: []string{dzRole}})
	core := study.HandlerFunc(func(ctx context.Context, req study.Request) (study.Reply, error) {
		reply, err := fd.w.Service().Handle(ctx, req)
		fd.mu.Lock()
		fd.calls = append(fd.calls, dzCall{req, reply, err})
		fd.mu.Unlock()
		return reply, err
	})
	bot, err := New(Config{Token: fake.Token, APIURL: fake.URL, Core: core})
	if err != nil {
		f.Fatal(err)
	}
	fd.bot = bot
	return fd
}

// interaction is an INTERACTION_CREATE payload in the shape the fake (and Discord) sends.
func interaction(typ int, channel, parent string, member map[string]any, data any) string {
	p := map[string]any{
		"id": "1300000000000000001", "application_id": discordtest.AppID, "type": typ, "token": "aW50ZXJhY3Rpb24tokenXYZ",
		"version": 1, "guild_id": discordtest.GuildID, "channel_id": channel, "data": data,
		"app_permissions": "309237730368", "locale": "en-US", "guild_locale": "en-US", "context": 0,
	}
	if member != nil {
		p["member"] = member
	}
	if channel != "" {
		c := map[string]any{"id": channel, "type": 0, "guild_id": discordtest.GuildID, "name": "study"}
		if parent != "" {
			c["type"], c["parent_id"] = 11, parent
		}
		p["channel"] = c
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// withoutChannel drops the partial channel from a payload, as older payloads lack it: the
// adapter then looks the channel up.
func withoutChannel(raw string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		panic(err)
	}
	delete(m, "channel")
	b, _ := json.Marshal(m)
	return string(b)
}

func dzMemberJSON(id, name string, perms int64, roles ...string) map[string]any {
	return map[string]any{
		"user":        map[string]any{"id": id, "username": strings.ToLower(name), "global_name": name},
		"roles":       append([]string{}, roles...),
		"permissions": fmt.Sprint(perms),
		"joined_at":   "2025-01-01T00:00:00.000000+00:00",
		"nick":        "",
	}
}

func command(name string, opts ...map[string]any) map[string]any {
	return map[string]any{"id": "1200000000000000001", "name": name, "type": 1, "options": opts, "guild_id": discordtest.GuildID}
}

func sub(name string, opts ...map[string]any) map[string]any {
	return map[string]any{"name": name, "type": 1, "options": opts}
}

func opt(name string, typ int, v any) map[string]any {
	return map[string]any{"name": name, "type": typ, "value": v}
}

func focused(name, v string) map[string]any {
	return map[string]any{"name": name, "type": 3, "value": v, "focused": true}
}

// checkDiscordRefusal fails t unless the refusal, as the adapter renders it for Discord,
// is one ephemeral message of one line.
func checkDiscordRefusal(t *testing.T, what string, err error) {
	t.Helper()
	msgs := renderReply(replyOf(answer{err: err}))
	if len(msgs) != 1 || msgs[0].Flags&flagEphemeral == 0 {
		t.Errorf("%s: a refusal rendered as %d messages (ephemeral: %v)", what, len(msgs), len(msgs) > 0 && msgs[0].Flags&flagEphemeral != 0)
		return
	}
	text := msgs[0].Content
	for _, e := range msgs[0].Embeds {
		text += e.Title + e.Description
	}
	if strings.ContainsAny(strings.TrimSpace(text), "\r\n") || strings.TrimSpace(text) == "" {
		t.Errorf("%s: a refusal is shown as %q", what, text)
	}
}

// FuzzDiscordInteraction feeds raw INTERACTION_CREATE payloads to the adapter, decoded as
// discordgo decodes the gateway event (a payload it cannot fully decode is still handed
// on, partly filled). Nothing panics, translation included. Commands and button presses
// reach the core as the payload says: its guild, its channel (a thread's parent), its
// member, admin exactly with Manage Server or Administrator, the command, subcommand and
// options as typed; refusals are one specific line, also as rendered for Discord, and
// change nothing; answers say something. Autocomplete offers at most 25 choices, each a
// time zone the core accepts, and never reaches the core.
func FuzzDiscordInteraction(f *testing.F) {
	fd := newFuzzDiscord(f)
	w := fd.w
	admin := dzMemberJSON(dzAdmin, "Ada", discordtest.PermManageGuild)
	org := dzMemberJSON(dzOrganizer, "Olga", 0, dzRole)
	mem := dzMemberJSON(dzMember, "Bob", 0)
	stranger := dzMemberJSON(dzStranger, "Sam", discordtest.PermAdministrator)
	room := discordtest.ChannelID
	for _, m := range []map[string]any{admin, org, mem, stranger} {
		for _, c := range []map[string]any{
			command("today"), command("done"), command("done", opt("day", 4, 3), opt("note", 3, "read it twice")),
			command("done", opt("day", 4, 1.5)), command("done", opt("day", 4, 0)), command("progress"), command("leaderboard"),
			command("help"), command("me", opt("tz", 3, "Asia/Tokyo"), opt("remind", 3, "20:00")), command("me", opt("remind", 3, "25:00")),
			command("away", opt("until", 3, "2027-01-20")), command("away", opt("until", 3, "off")),
			command("cohort", sub("setup", opt("start", 3, "2027-01-12"), opt("time", 3, "09:00"), opt("tz", 3, "Europe/Berlin"),
				opt("cadence", 3, "weekdays"), opt("name", 3, "Winter crew"))),
			command("cohort", sub("status")), command("cohort", sub("pause", opt("from", 3, "2027-01-20"), opt("until", 3, "2027-01-22"))),
			command("cohort", sub("resume")), command("cohort", sub("skip", opt("date", 3, "2027-01-21"))),
			command("cohort", sub("set", opt("time", 3, "10:00"), opt("grace", 3, "2h"))),
			command("cohort", sub("set", opt("leaderboard", 3, "0 17 * * FRI"))), command("cohort", sub("set", opt("recap", 3, "* * * * *"))),
			command("cohort", sub("set", opt("organizer-role", 8, dzRole))), command("cohort", sub("set", opt("organizers", 3, "<@"+dzMember+"> <@!"+dzStranger+">"))),
			command("cohort", sub("set", opt("organizer-role", 8, dzRole), opt("time", 3, "99:99"))),
			command("cohort", sub("post", opt("kind", 3, "today"))), command("cohort", sub("preview", opt("day", 4, 12))),
			command("cohort", sub("link", opt("code", 3, w.LinkCode))), command("cohort", sub("frobnicate")), command("cohort"),
			command("frobnicate"),
		} {
			f.Add(interaction(2, room, "", m, c))
		}
		for _, id := range []string{"done:7", "done:6", "done:3", "done:8", "reveal:3:questions", "reveal:7:questions", "answers:5",
			w.StopReminders, "remind-off:1", "nonsense", ""} {
			f.Add(interaction(3, room, "", m, map[string]any{"custom_id": id, "component_type": 2}))
			f.Add(interaction(3, w.Threads[3], room, m, map[string]any{"custom_id": id, "component_type": 2}))
		}
	}
	for day := 1; day <= fuzztest.Day; day++ {
		f.Add(interaction(2, w.Threads[day], room, mem, command("done")))
	}
	f.Add(interaction(2, dzSoon, "", admin, command("cohort", sub("status"))))
	f.Add(interaction(2, dzFree, "", admin, command("cohort", sub("link", opt("code", 3, w.LinkCode)))))
	f.Add(withoutChannel(interaction(2, "1100000000000000099", "", mem, command("today")))) // looked up over REST
	f.Add(withoutChannel(interaction(2, w.Threads[2], "", mem, command("done"))))
	for _, typed := range []string{"", "ber", "new york", "Asia/Tokyo", "UTC", "Local", "../etc", "Etc/GMT+5"} {
		f.Add(interaction(4, room, "", mem, command("me", focused("tz", typed))))
		f.Add(interaction(4, room, "", admin, command("cohort", sub("setup", opt("start", 3, "2027-01-12"), focused("tz", typed)))))
	}
	f.Add(interaction(2, room, "", nil, command("today"))) // a direct message: no member
	f.Add(`{"type":1}`)
	f.Add(`not json`)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		defer fuzztest.SkipKnownPanics(t)
		// As discordgo hands a gateway event on: decoded, errors and all.
		var ev discordgo.InteractionCreate
		_ = json.Unmarshal([]byte(raw), &ev)
		i := ev.Interaction
		if i == nil {
			return
		}
		fd.calls = nil
		what := fmt.Sprintf("interaction %q", raw)
		switch i.Type {
		case discordgo.InteractionApplicationCommandAutocomplete:
			for _, c := range fd.bot.zoneChoices(i) {
				if _, err := study.LoadZone(fmt.Sprint(c.Value)); err != nil || c.Name != c.Value || len(c.Name) > 100 {
					t.Errorf("%s: choice %q (%v) is not a time zone: %v", what, c.Name, c.Value, err)
				}
			}
			if n := len(fd.bot.zoneChoices(i)); n > maxChoices {
				t.Errorf("%s: %d choices; Discord takes 25", what, n)
			}
			if len(fd.calls) > 0 {
				t.Errorf("%s: autocomplete reached the core", what)
			}
			return
		case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent:
		default:
			return
		}
		personal(i)
		reply, err := fd.bot.answer(ctx, i, json.RawMessage(raw))
		if err != nil {
			fuzztest.CheckRefusal(t, what, err)
			checkDiscordRefusal(t, what, err)
		} else {
			fuzztest.CheckAnswer(t, what, reply)
			w.CheckCohorts(t, what)
			if len(fd.calls) == 1 {
				checkKnownOptions(t, what, fd.calls[0].req)
			}
		}
		if len(fd.calls) > 1 {
			t.Fatalf("%s: the core was called %d times", what, len(fd.calls))
		}
		if len(fd.calls) == 1 {
			checkDiscordRequest(t, what, i, raw, fd.calls[0].req)
		}
		w.Settle(t, err)
	})
}

// checkDiscordRequest fails t unless the core got what the payload says.
func checkDiscordRequest(t *testing.T, what string, i *discordgo.Interaction, raw string, req study.Request) {
	t.Helper()
	u, perms, roles, _ := member(i)
	channel := i.ChannelID
	if info, ok := parseRawChannel(json.RawMessage(raw)); ok && info.thread && info.parent != "" {
		channel = info.parent
	}
	wantCh := study.ChannelRef{Platform: Platform, Workspace: i.GuildID, Channel: channel}
	if i.GuildID == "" {
		wantCh = study.ChannelRef{Platform: Platform} // a button on a direct message: no cohort channel
	}
	if req.Channel != wantCh {
		t.Errorf("%s: the core got channel %+v", what, req.Channel)
	}
	if req.User.ID != u.ID || req.User.Workspace != i.GuildID || req.User.Platform != Platform {
		t.Errorf("%s: the core got user %+v, the payload's is %s", what, req.User, u.ID)
	}
	if i.GuildID == "" {
		perms, roles = 0, nil // a direct message's button: no server, so no permissions or roles
	}
	if admin := perms&(discordgo.PermissionAdministrator|discordgo.PermissionManageGuild) != 0; req.Admin != admin {
		t.Errorf("%s: admin %v with permissions %b", what, req.Admin, perms)
	}
	if len(req.Roles) != len(roles) {
		t.Errorf("%s: roles %v, the payload's are %v", what, req.Roles, roles)
	}
	if i.Type == discordgo.InteractionMessageComponent {
		if d, _ := componentData(i); req.Source != study.SourceButton || req.Action != d.CustomID {
			t.Errorf("%s: a press reached the core as %s %q", what, req.Source, req.Action)
		}
		return
	}
	d, _ := commandData(i)
	opts, sub := d.Options, ""
	if len(opts) > 0 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		sub, opts = opts[0].Name, opts[0].Options
	}
	want := map[string]string{}
	for _, o := range opts {
		want[o.Name] = optionString(o)
	}
	if req.Command != d.Name || req.Sub != sub || req.Text != "" || !maps.Equal(req.Options, want) {
		t.Errorf("%s: the core got /%s %s %v, the payload says /%s %s %v", what, req.Command, req.Sub, req.Options, d.Name, sub, want)
	}
}

// checkKnownOptions fails t if an answered command was given a typed option that the
// command table does not list for it: the core must refuse it, as it refuses one in text.
func checkKnownOptions(t *testing.T, what string, req study.Request) {
	t.Helper()
	for _, c := range study.Commands() {
		if c.Name != req.Command {
			continue
		}
		if len(c.Subs) > 0 {
			for _, s := range c.Subs {
				if s.Name == req.Sub {
					c = s
				}
			}
			if c.Name != req.Sub {
				return // the group's help
			}
		}
		for k := range req.Options {
			if !slices.ContainsFunc(c.Options, func(o study.Option) bool { return o.Name == k }) {
				t.Errorf("%s: /%s %s accepted option %q, which it does not have", what, req.Command, req.Sub, k)
			}
		}
	}
}
