package slackbot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"cohortbot/adapters/slackbot/slackfake"
	"cohortbot/content"
	"cohortbot/internal/curriculum"
	"cohortbot/internal/logtest"
	"cohortbot/internal/middleware"
	"cohortbot/internal/pgtest"
	"cohortbot/internal/schedule"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const wait = 5 * time.Second

// Members of the fake workspace.
var (
	admin  = slackfake.User{ID: "UADMIN", Name: "ada", RealName: "Ada Admin", IsAdmin: true}
	owner  = slackfake.User{ID: "UOWNER", Name: "olga", RealName: "Olga Owner", IsOwner: true}
	member = slackfake.User{ID: "UBOB", Name: "bob", RealName: "Bob Member"}
	carol  = slackfake.User{ID: "UCAROL", Name: "carol", RealName: "Carol Member"}
)

// env is a fake Slack, a store, the core, a scheduler and a started adapter.
type env struct {
	t     *testing.T
	fake  *slackfake.Server
	st    *store.Store
	svc   *study.Service
	sched *schedule.Scheduler
	ad    *Adapter
	logs  *logtest.Buffer
	now   time.Time
	mu    sync.Mutex
}

// testNow is a Monday morning; cohorts start that day at 09:00 UTC, so day 1 is due.
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const setupText = "setup start:2026-03-02 time:09:00 tz:UTC name:\"Slack crew\""

func loadTrack(t testing.TB) *study.Track {
	t.Helper()
	fsys, err := content.Track(content.DefaultTrack)
	if err != nil {
		t.Fatal(err)
	}
	src, err := curriculum.Load(fsys, curriculum.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src.Track
}

// newEnv starts everything; socket selects Socket Mode (else HTTP mode, served by the test).
func newEnv(t *testing.T, d store.Dialect, socket bool, tweak func(*Config)) *env {
	t.Helper()
	e := &env{t: t, fake: slackfake.New(t), logs: &logtest.Buffer{}, now: testNow}
	for _, u := range []slackfake.User{admin, owner, member, carol} {
		e.fake.AddUser(u)
	}
	clock := func() time.Time {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.now
	}
	e.st = storetest.MustOpen(t, d, clock)
	e.svc = studytest.MustService(t, e.st, clock, loadTrack(t))
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{
		BotToken: e.fake.BotToken, SigningSecret: "8f742231b10e8888abcd99yyyzzz85a5",
		APIURL: e.fake.APIURL(), Core: e.svc, Log: log,
		PostInterval: 10 * time.Millisecond, PingInterval: 2 * time.Second,
	}
	if socket {
		cfg.AppToken = e.fake.AppToken
	}
	if tweak != nil {
		tweak(&cfg)
	}
	// As `cohortbot run` wires it: the core inside the middleware chain.
	cfg.Core = middleware.Chain(cfg.Core, middleware.Log(log), middleware.Recover(log))
	ad, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.ad = ad
	e.sched = studytest.MustScheduler(t, e.st, e.svc, study.Posters{Platform: ad.Poster()}, clock, func(c *schedule.Config) { c.Log = log })
	ctx, cancel := context.WithCancel(context.Background())
	if err := ad.Start(ctx); err != nil {
		cancel()
		t.Fatalf("start: %v\nlogs:\n%s", err, e.logs.String())
	}
	t.Cleanup(func() {
		cancel()
		ad.Close()
		logs := e.logs.String()
		for _, secret := range []string{e.fake.BotToken, e.fake.AppToken, cfg.SigningSecret} {
			if strings.Contains(logs, secret) {
				t.Errorf("a secret reached the logs:\n%s", logs)
			}
		}
	})
	return e
}

func (e *env) channel(id string) study.ChannelRef {
	return study.ChannelRef{Platform: Platform, Workspace: slackfake.TeamID, Channel: id}
}

// command runs a slash command over Socket Mode, checks that it was acknowledged within
// Slack's 3 seconds, and returns the first n answers posted to its response_url.
func (e *env) command(u slackfake.User, channel, cmd, text string, n int) []slackfake.Response {
	e.t.Helper()
	env, rid, err := e.fake.SlashCommand(slackfake.Command{Channel: channel, User: u.ID, UserName: u.Name, Command: cmd, Text: text})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.fake.WaitAck(env, 3*time.Second); err != nil {
		e.t.Fatal(err)
	}
	return e.responses(rid, n)
}

func (e *env) responses(rid string, n int) []slackfake.Response {
	e.t.Helper()
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Responses(rid)) >= n }) {
		e.t.Fatalf("response %s: %d answers, want %d; logs:\n%s", rid, len(e.fake.Responses(rid)), n, e.logs.String())
	}
	return e.fake.Responses(rid)
}

// text is everything a member reads in responses.
func text(rs []slackfake.Response) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(strings.Join(slackfake.Texts(r.Blocks), "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

func blocksText(blocks []map[string]any) string { return strings.Join(slackfake.Texts(blocks), "\n") }

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}

// setup creates the cohort in channel as the admin.
func (e *env) setup(channel string) {
	e.t.Helper()
	rs := e.command(admin, channel, "/cohort", setupText, 1)
	if rs[0].ResponseType != "in_channel" || !strings.Contains(text(rs), "is set up") {
		e.t.Fatalf("setup: %+v", rs)
	}
}

// postDay delivers what the scheduler has due (day 1's card) and returns the channel's
// root message and its thread.
func (e *env) postDay(channel string) (root slackfake.Message, thread []slackfake.Message) {
	e.t.Helper()
	e.sched.RunOnce(context.Background())
	for _, m := range e.fake.Messages(channel) {
		for _, b := range slackfake.Buttons(m.Blocks) {
			if m.ThreadTS == "" && root.TS == "" && strings.HasPrefix(b.ActionID, "done:") {
				root = m
			}
		}
	}
	if root.TS == "" {
		e.t.Fatalf("no card in %s; logs:\n%s", channel, e.logs.String())
	}
	for _, m := range e.fake.Messages(channel) {
		if m.ThreadTS == root.TS {
			thread = append(thread, m)
		}
	}
	return root, thread
}

func (e *env) cohortID(channel string) int64 {
	e.t.Helper()
	c, err := e.st.CohortByChannel(context.Background(), e.channel(channel))
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

func (e *env) checkIns(channel string) []study.CheckIn {
	e.t.Helper()
	cs, err := e.st.CheckIns(context.Background(), e.cohortID(channel))
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func httptestBody(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noRecord is a delivery recorder for posts sent outside the scheduler.
func noRecord(context.Context, study.Delivered) error { return nil }

// progress records a post's delivery as the scheduler does, so that a second attempt
// resumes from it (out.Done).
type progress struct{ done study.Delivered }

func (p *progress) record(_ context.Context, d study.Delivered) error {
	p.done = d
	return nil
}
