package slackbot

// Fuzz targets of what strangers send the Slack adapter in HTTP mode: slash commands (form
// fields), interaction payloads (block_actions) and events (thread replies), signed as
// Slack signs them, through the adapter's handler into the real core over a real SQLite
// store in a known state (internal/fuzztest). The Web API is the fake on 127.0.0.1; a
// response_url anywhere else is refused by the client's transport, so nothing leaves the
// machine.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"cohortbot/adapters/slackbot/slackfake"
	"cohortbot/internal/fuzztest"
	"cohortbot/internal/middleware"
	"cohortbot/internal/study"
)

// Members of the fuzz workspace (users.info knows them; Carol has no part in the cohort).
var (
	fzAdmin     = slackfake.User{ID: "UADMIN", Name: "ada", RealName: "Ada Admin", IsAdmin: true}
	fzOrganizer = slackfake.User{ID: "UOLGA", Name: "olga", RealName: "Olga Organizer"}
	fzMember    = slackfake.User{ID: "UBOB", Name: "bob", RealName: "Bob Member"}
	fzCarol     = slackfake.User{ID: "UCAROL", Name: "carol", RealName: "Carol Member"}
)

const (
	fzChannel = "C0STUDY"
	fzSoon    = "C0LATER"
	fzFree    = "C0EMPTY"
	fzSecret  = "fuzz-signing-secret"
)

// A hook URL as Slack gives them: the seeds in testdata carry it, and the transport
// refuses it (the adapter falls back to chat.postEphemeral on the fake).
const slackHook = "https://hooks.slack.com/commands/T0FAKE/1234567890/abcdefABCDEF"

// call is one request the adapter passed to the core, and the core's answer.
type call struct {
	req   study.Request
	reply study.Reply
	err   error
}

// records is a slog handler that keeps error lines (a recovered panic is one) and
// discards the rest.
type records struct {
	mu    sync.Mutex
	lines []string
}

func (r *records) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.lines
	r.lines = nil
	return out
}

// fuzzSlack is an adapter in HTTP mode on the fake, over the fuzz world.
type fuzzSlack struct {
	w     *fuzztest.World
	fake  *slackfake.Server
	ad    *Adapter
	h     http.Handler
	log   *slog.Logger
	recs  *records
	mu    sync.Mutex
	calls []call
}

// loopbackOnly is the Web API client's transport: the fake, and nothing else.
type loopbackOnly struct{ host string }

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "http" || r.URL.Host != l.host {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("fuzz: no request to %s://%s outside the fake", r.URL.Scheme, r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func newFuzzSlack(f *testing.F) *fuzzSlack {
	ref := func(id string) study.ChannelRef {
		return study.ChannelRef{Platform: Platform, Workspace: slackfake.TeamID, Channel: id}
	}
	user := func(u slackfake.User) study.UserRef {
		return study.UserRef{Platform: Platform, Workspace: slackfake.TeamID, ID: u.ID, Name: u.Name}
	}
	fs := &fuzzSlack{fake: slackfake.New(f), recs: &records{}}
	for _, u := range []slackfake.User{fzAdmin, fzOrganizer, fzMember, fzCarol} {
		fs.fake.AddUser(u)
	}
	fs.w = fuzztest.New(f, fuzztest.Config{Channel: ref(fzChannel), Soon: ref(fzSoon), Free: ref(fzFree),
		Admin: user(fzAdmin), Organizer: user(fzOrganizer), Member: user(fzMember)})
	fs.log = slog.New(fs.recs)
	u, err := url.Parse(fs.fake.URL())
	if err != nil {
		f.Fatal(err)
	}
	core := study.HandlerFunc(func(ctx context.Context, req study.Request) (study.Reply, error) {
		reply, err := fs.w.Service().Handle(ctx, req)
		fs.mu.Lock()
		fs.calls = append(fs.calls, call{req, reply, err})
		fs.mu.Unlock()
		return reply, err
	})
	// PostInterval -1: no pacing of public replies, so no input waits on the wall clock.
	fs.ad, err = New(Config{BotToken: fs.fake.BotToken, SigningSecret: fzSecret, APIURL: fs.fake.APIURL(),
		Core: core, Log: fs.log, PostInterval: -1, Now: fs.w.Service().Now,
		HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: loopbackOnly{host: u.Host}}})
	if err != nil {
		f.Fatal(err)
	}
	// The signature check reads the adapter's clock: the world's fixed one.
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	if err := fs.ad.Start(ctx); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fs.ad.Close() })
	fs.h = fs.ad.Handler()
	return fs
}

// serve sends one signed request to the adapter's HTTP handler and waits until the work
// it started has finished; it returns the status and the core's calls.
func (fs *fuzzSlack) serve(t *testing.T, path string, body []byte) (int, []call) {
	t.Helper()
	fs.fake.Forget()
	fs.recs.take()
	fs.mu.Lock()
	fs.calls = nil
	fs.mu.Unlock()
	// Each input starts afresh: its own work to wait for, no event ids seen before.
	fs.ad.work = middleware.NewWork(fs.log)
	fs.ad.seen = newSeenCache(10000)
	// and full rate-limit buckets: an input is not a rate test, and an organizer command
	// by a user Slack does not know would otherwise wait for a users.info token.
	fs.ad.limits.mu.Lock()
	fs.ad.limits.channels, fs.ad.limits.methods = map[string]*channelLimit{}, map[string]*methodLimit{}
	fs.ad.limits.mu.Unlock()
	req, err := slackfake.SignedRequest("http://bot.internal"+path, fzSecret, fs.w.Service().Now(), "application/x-www-form-urlencoded", body)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	fs.h.ServeHTTP(rec, req)
	if !fs.ad.work.Close(30 * time.Second) {
		t.Fatalf("%s: the adapter's work did not finish", path)
	}
	for _, l := range fs.recs.take() {
		if strings.Contains(l, "panicked") {
			if fuzztest.KnownPanic(l, l) {
				t.Skipf("known panic (reported in issue 14): %s", l)
			}
			t.Errorf("%s: a panic, recovered: %s", path, l)
		}
	}
	if rec.Code >= 500 {
		t.Errorf("%s: status %d: %s", path, rec.Code, rec.Body.String())
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return rec.Code, fs.calls
}

// check runs the core's answers through the properties and settles the store: refusals
// are one specific line (as the core says them and as the fake received them), answers
// say something, and when every call was refused nothing changed.
func (fs *fuzzSlack) check(t *testing.T, what string, calls []call) {
	t.Helper()
	var refused error
	allRefused := len(calls) > 0
	for _, c := range calls {
		w := fmt.Sprintf("%s: %s %s/%s", what, c.req.Source, c.req.Command, c.req.Sub)
		if c.err != nil {
			if c.req.Source == study.SourceReply && study.IsNotACheckIn(c.err) {
				refused = c.err
				continue
			}
			fuzztest.CheckRefusal(t, w, c.err)
			refused = c.err
			continue
		}
		allRefused = false
		fuzztest.CheckAnswer(t, w, c.reply)
		fs.w.CheckCohorts(t, w)
	}
	if allRefused {
		for _, text := range fs.received() {
			if strings.ContainsAny(strings.TrimSpace(text), "\r\n") {
				t.Errorf("%s: a refusal reached Slack in more than one line: %q", what, text)
			}
		}
	} else {
		refused = nil
	}
	fs.w.Settle(t, refused)
}

// received is the text of every message the fake got for the input, as members read it.
func (fs *fuzzSlack) received() []string {
	var out []string
	for _, r := range fs.fake.Responses("") {
		out = append(out, strings.Join(slackfake.Texts(r.Blocks), "\n"))
	}
	for _, e := range fs.fake.Ephemerals("") {
		out = append(out, strings.Join(slackfake.Texts(e.Blocks), "\n"))
	}
	for _, m := range fs.fake.Messages("") {
		out = append(out, strings.Join(slackfake.Texts(m.Blocks), "\n"))
	}
	return out
}

// checkRequest fails t unless the core got the channel, workspace and user the payload
// named (the adapter's own team when the payload has none).
func checkRequest(t *testing.T, what string, c call, team, channel, user string) {
	t.Helper()
	if team == "" {
		team = slackfake.TeamID
	}
	r := c.req
	if r.Channel.Platform != Platform || r.Channel.Workspace != team || r.Channel.Channel != channel ||
		r.User.ID != user || r.User.Workspace != team || r.User.Platform != Platform {
		t.Errorf("%s: the core got channel %+v and user %+v, the payload said %s/%s by %s", what, r.Channel, r.User, team, channel, user)
	}
	if r.Admin != (user == fzAdmin.ID) {
		t.Errorf("%s: admin is %v for %s", what, r.Admin, user)
	}
}

// FuzzSlackCommand feeds slash commands, form field by field, to the signed HTTP endpoint.
// The request is acknowledged (200, or 400 without a command), never a 5xx or a panic;
// the core gets the channel, workspace and user the form named; its refusals are one
// specific line, as the core says them and as they reached Slack, and change nothing;
// its answers say something.
func FuzzSlackCommand(f *testing.F) {
	fs := newFuzzSlack(f)
	live, _ := fs.fake.NewResponseURL()
	users := []slackfake.User{fzAdmin, fzOrganizer, fzMember, fzCarol}
	for i, line := range []string{
		"/today", "/done", "/done 12 read it twice", "/done day:4 note:hi", "/progress", "/leaderboard", "/mystudy",
		"/mystudy tz:Asia/Tokyo remind:20:00", "/studybreak until:2027-01-20", "/studybreak off", "/me", "/away",
		`/cohort setup start:2027-01-12 time:09:00 tz:Europe/Berlin cadence:weekdays name:"Winter crew"`,
		"/cohort status", "/cohort post today", `/cohort set leaderboard:"0 17 * * FRI"`, "/cohort set organizers:<@UCAROL|carol>",
		"/cohort set grace:13h", "/cohort set organizer-role:<@&123456789012345678>", "/cohort skip date:2027-01-21",
		"/cohort pause from:2027-01-20", "/cohort preview day:2", "/cohort link code:ABCDEFGH", "/cohort help", "/help",
		"/done \"unclosed",
	} {
		cmd, text, _ := strings.Cut(line, " ")
		u := users[i%len(users)]
		for _, ch := range []string{fzChannel, fzSoon, fzFree} {
			f.Add(cmd, text, u.ID, ch, slackfake.TeamID, u.Name, slackHook)
		}
		f.Add(cmd, text, fzAdmin.ID, fzChannel, "", fzAdmin.Name, live)
	}
	f.Add("", "", "", "", "", "", "")
	f.Add("/done", "", "U999", "C999", "T999", "who", "http://127.0.0.1:1/x")
	f.Fuzz(func(t *testing.T, command, text, user, channel, team, userName, responseURL string) {
		defer fuzztest.SkipKnownPanics(t)
		form := url.Values{"token": {"verification-token-unused"}, "team_id": {team}, "team_domain": {"fake"},
			"channel_id": {channel}, "channel_name": {"study"}, "user_id": {user}, "user_name": {userName},
			"command": {command}, "text": {text}, "api_app_id": {slackfake.AppID}, "response_url": {responseURL},
			"trigger_id": {"trig-1"}}
		what := fmt.Sprintf("%s %q by %s in %s/%s", command, text, user, team, channel)
		status, calls := fs.serve(t, CommandsPath, []byte(form.Encode()))
		switch {
		case command == "" && status != http.StatusBadRequest:
			t.Errorf("%s: status %d without a command", what, status)
		case command != "" && status != http.StatusOK:
			t.Errorf("%s: status %d", what, status)
		}
		if command == "" {
			if len(calls) > 0 {
				t.Errorf("%s: refused, but the core was called", what)
			}
			return
		}
		if len(calls) != 1 {
			t.Fatalf("%s: the core was called %d times", what, len(calls))
		}
		checkRequest(t, what, calls[0], team, channel, user)
		fs.check(t, what, calls)
	})
}

// pressPayload is a block_actions payload as Slack sends it for a button press (the shape
// of slackfake's), as JSON.
func pressPayload(user slackfake.User, channel, messageTS, threadTS, actionID, responseURL string) string {
	container := map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channel, "is_ephemeral": false}
	if threadTS != "" {
		container["thread_ts"] = threadTS
	}
	p := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": user.ID, "username": user.Name, "name": user.Name, "team_id": slackfake.TeamID},
		"api_app_id": slackfake.AppID, "token": "verification-token-unused", "container": container,
		"trigger_id": "trig-1", "team": map[string]any{"id": slackfake.TeamID, "domain": "fake"},
		"channel":      map[string]any{"id": channel, "name": "study"},
		"message":      map[string]any{"type": "message", "ts": messageTS, "thread_ts": threadTS, "bot_id": slackfake.BotID},
		"response_url": responseURL,
		"actions": []any{map[string]any{
			"action_id": actionID, "block_id": "b1", "value": "v", "type": "button", "action_ts": "1799000000.000100",
			"text": map[string]any{"type": "plain_text", "text": "✅ Done", "emoji": true},
		}},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// FuzzSlackInteraction feeds interaction payloads (the JSON of the payload field) to the
// signed HTTP endpoint. A payload that is not JSON is a 400; any other is acknowledged,
// never a 5xx or a panic; every button press reaches the core as a press with its action
// id, channel and user; refusals are one specific line and change nothing.
func FuzzSlackInteraction(f *testing.F) {
	fs := newFuzzSlack(f)
	live, _ := fs.fake.NewResponseURL()
	track := fuzztest.Track(f)
	actions := []string{"done:7", "done:6", "done:5", "done:8", "done:1", "remind-off:2", "remind-off:99", "answers:3", "nonsense", ""}
	for day := 3; day <= 7; day += 4 {
		for _, m := range study.CardThreadMessages(track, day) {
			if m.Reveal.ID != "" {
				actions = append(actions, m.Reveal.ID)
			}
		}
	}
	users := []slackfake.User{fzAdmin, fzOrganizer, fzMember, fzCarol}
	w := fs.w
	for i, a := range actions {
		u := users[i%len(users)]
		thread := ""
		if strings.HasPrefix(a, "reveal:") || strings.HasPrefix(a, "answers:") {
			var day int
			fmt.Sscanf(a[strings.Index(a, ":")+1:], "%d", &day)
			thread = w.Threads[day]
		}
		f.Add(pressPayload(u, fzChannel, w.Threads[fuzztest.Day], thread, a, slackHook))
		f.Add(pressPayload(u, fzSoon, "1799000000.000001", "", a, live))
	}
	f.Add(`{"type":"view_submission","user":{"id":"UBOB"}}`)
	f.Add(`{"type":"block_actions","actions":[{"action_id":"done:7"},{"action_id":"done:6"}],"user":{"id":"UBOB"},"channel":{"id":"C0STUDY"}}`)
	f.Add(`{"type":"block_actions","actions":[{"action_id":"done:7"}],"user":{"id":"UBOB"},"container":{"channel_id":"C0STUDY","thread_ts":"` + w.Threads[2] + `"}}`)
	f.Add(`{"type":"block_actions"}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, payload string) {
		defer fuzztest.SkipKnownPanics(t)
		body := url.Values{"payload": {payload}}.Encode()
		status, calls := fs.serve(t, InteractivityPath, []byte(body))
		var cb slack.InteractionCallback
		jsonErr := json.Unmarshal([]byte(payload), &cb)
		what := fmt.Sprintf("payload %q", payload)
		switch {
		case jsonErr != nil && status != http.StatusBadRequest:
			t.Errorf("%s: status %d for a payload that is not one", what, status)
		case jsonErr == nil && status != http.StatusOK:
			t.Errorf("%s: status %d", what, status)
		}
		if jsonErr != nil || cb.Type != slack.InteractionTypeBlockActions {
			if len(calls) > 0 {
				t.Errorf("%s: not a button press, but the core was called %d times", what, len(calls))
			}
			return
		}
		if len(calls) != len(cb.ActionCallback.BlockActions) {
			t.Fatalf("%s: %d actions, the core was called %d times", what, len(cb.ActionCallback.BlockActions), len(calls))
		}
		channel := cb.Channel.ID
		if channel == "" {
			channel = cb.Container.ChannelID
		}
		if strings.HasPrefix(channel, "D") {
			channel = "" // a button on a direct message belongs to no cohort channel
		}
		for i, c := range calls {
			checkRequest(t, what, c, cb.Team.ID, channel, cb.User.ID)
			if c.req.Source != study.SourceButton || c.req.Action != cb.ActionCallback.BlockActions[i].ActionID {
				t.Errorf("%s: action %d reached the core as %s %q", what, i, c.req.Source, c.req.Action)
			}
		}
		fs.check(t, what, calls)
	})
}

// eventPayload is an events_api callback for a member's message (slackfake's shape).
func eventPayload(user, channel, ts, threadTS, text, eventID string) string {
	ev := map[string]any{"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts, "channel_type": "channel"}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	b, _ := json.Marshal(map[string]any{
		"token": "verification-token-unused", "team_id": slackfake.TeamID, "api_app_id": slackfake.AppID,
		"event": ev, "type": "event_callback", "event_id": eventID, "event_time": 1799000000,
	})
	return string(b)
}

// FuzzSlackEvent feeds Events API bodies to the signed HTTP endpoint: mostly members'
// replies in a day's thread, which check them in. The endpoint answers 200 (a challenge
// with its challenge), never a 5xx or a panic; only a reply in a thread reaches the core,
// as a reply by its author in that thread; a reply that did not check anyone in changes
// nothing, and one that did is acknowledged with a ✅.
func FuzzSlackEvent(f *testing.F) {
	fs := newFuzzSlack(f)
	w := fs.w
	for day := 1; day <= fuzztest.Day; day++ {
		for i, u := range []slackfake.User{fzAdmin, fzMember, fzCarol} {
			f.Add(eventPayload(u.ID, fzChannel, fmt.Sprintf("1799000100.%06d", day*10+i), w.Threads[day], "did it: closures, &lt;finally&gt;", fmt.Sprintf("Ev%d%d", day, i)))
		}
	}
	f.Add(eventPayload(fzMember.ID, fzChannel, "1799000100.000001", "", "not in a thread", "Ev1"))
	f.Add(eventPayload(fzMember.ID, fzChannel, "1799000100.000001", "1799000100.000001", "a thread's root", "Ev2"))
	f.Add(eventPayload(fzMember.ID, fzSoon, "1799000100.000002", "1799000000.000001", "elsewhere", "Ev3"))
	f.Add(eventPayload(slackfake.BotUserID, fzChannel, "1799000100.000003", w.Threads[7], "the bot itself", "Ev4"))
	f.Add(`{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","token":"x"}`)
	f.Add(`{"type":"url_verification"}`)
	f.Add(`{"type":"event_callback","event":{"type":"message","subtype":"bot_message","channel":"C0STUDY","thread_ts":"1","ts":"2"}}`)
	f.Add(`{"type":"event_callback","event":{"type":"reaction_added"}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		defer fuzztest.SkipKnownPanics(t)
		status, calls := fs.serve(t, EventsPath, []byte(body))
		what := fmt.Sprintf("event %q", body)
		if status != http.StatusOK && status != http.StatusBadRequest {
			t.Errorf("%s: status %d", what, status)
		}
		for _, c := range calls {
			if c.req.Source != study.SourceReply || c.req.Thread == "" || c.req.Channel.Platform != Platform {
				t.Errorf("%s: the core got %s in thread %q of %+v", what, c.req.Source, c.req.Thread, c.req.Channel)
			}
			if c.err == nil && c.reply.React != study.CheckMark {
				t.Errorf("%s: a reply that checked in got %+v, not a ✅", what, c.reply)
			}
		}
		reactions := len(fs.fake.Reactions())
		checkedIn := slices.ContainsFunc(calls, func(c call) bool { return c.err == nil })
		if reactions > 0 && !checkedIn {
			t.Errorf("%s: a ✅ without a check-in", what)
		}
		if len(calls) == 0 {
			fs.w.Settle(t, fmt.Errorf("not a reply in a thread"))
			return
		}
		fs.check(t, what, calls)
	})
}
