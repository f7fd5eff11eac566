package discordbot_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"cohortbot/adapters/discordbot"
	"cohortbot/adapters/discordbot/discordtest"
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

// Members of the fake guild.
var (
	organizer = discordtest.Member{ID: "1000000000000000101", Name: "Olga", Permissions: discordtest.PermManageGuild}
	admin     = discordtest.Member{ID: "1000000000000000102", Name: "Ada", Permissions: discordtest.PermAdministrator}
	alice     = discordtest.Member{ID: "1000000000000000201", Name: "Alice"}
	bob       = discordtest.Member{ID: "1000000000000000202", Name: "Bob", Roles: []string{leadRole}}
	otherBot  = discordtest.Member{ID: "1000000000000000301", Name: "Dyno", Bot: true}
)

const leadRole = "1000000000000000900"

// slowService delays the core, as a slow database would.
type slowService struct {
	study.Handler
	delay time.Duration
}

func (s slowService) Handle(ctx context.Context, req study.Request) (study.Reply, error) {
	time.Sleep(s.delay)
	return s.Handler.Handle(ctx, req)
}

// panicService panics in the core.
type panicService struct{ study.Handler }

func (panicService) Handle(context.Context, study.Request) (study.Reply, error) {
	panic("boom: index out of range")
}

// world is a bot on a fake Discord, a real store and the real core and scheduler.
type world struct {
	fake  *discordtest.Server
	bot   *discordbot.Bot
	svc   *study.Service
	store *store.Store
	sched *schedule.Scheduler
	track *study.Track
	logs  *logtest.Buffer
	now   time.Time
}

type option func(*discordbot.Config, *world)

// start runs a bot against a fresh fake. now is the core's clock: 2026-03-02 10:00 UTC
// (a Monday), so a cohort set up to start that day is on day 1.
func start(t *testing.T, d store.Dialect, opts ...option) *world {
	t.Helper()
	w := &world{fake: discordtest.New(t), logs: &logtest.Buffer{}, now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return w.now }
	w.store = storetest.MustOpen(t, d, clock)
	fsys, err := content.Track(content.DefaultTrack)
	if err != nil {
		t.Fatal(err)
	}
	src, err := curriculum.Load(fsys, curriculum.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.track = src.Track
	w.svc = studytest.MustService(t, w.store, clock, src.Track)
	log := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := discordbot.Config{Token: w.fake.Token, APIURL: w.fake.URL, Core: w.svc, Log: log,
		RetryBackoff: 20 * time.Millisecond}
	for _, o := range opts {
		o(&cfg, w)
	}
	// As `cohortbot run` wires it: the core inside the middleware chain.
	cfg.Core = middleware.Chain(cfg.Core, middleware.Log(log), middleware.Recover(log))
	bot, err := discordbot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.bot = bot
	w.sched = studytest.MustScheduler(t, w.store, w.svc, study.Posters{discordbot.Platform: bot}, clock, func(c *schedule.Config) { c.Log = log })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bot.Start(ctx); err != nil {
		t.Fatalf("start: %v\nlogs:\n%s", err, w.logs)
	}
	t.Cleanup(func() {
		bot.Close()
		if strings.Contains(w.logs.String(), w.fake.Token) {
			t.Errorf("the bot token leaked into the logs")
		}
		if strings.Contains(w.logs.String(), "tokenXYZ") { // every fake interaction token ends so
			t.Errorf("an interaction token leaked into the logs")
		}
	})
	return w
}

// channel is the fake's #study channel as the core sees it.
func channel() study.ChannelRef {
	return study.ChannelRef{Platform: discordbot.Platform, Workspace: discordtest.GuildID, Channel: discordtest.ChannelID}
}

// setup starts a cohort in #study on day 1 through /cohort setup.
func (w *world) setup(t *testing.T) {
	t.Helper()
	id := w.fake.Command(discordtest.ChannelID, organizer, "cohort", discordtest.Sub("setup",
		discordtest.Str("start", "2026-03-02"), discordtest.Str("time", "09:00"), discordtest.Str("tz", "UTC"),
		discordtest.Str("cadence", "daily"), discordtest.Str("name", "Winter crew")))
	r := w.fake.Reply(t, id)
	if !strings.Contains(r.Text(), "“Winter crew” is set up") {
		t.Fatalf("setup reply: %q", r.Text())
	}
}

// postToday runs /cohort post kind:today and lets the scheduler deliver it.
func (w *world) postToday(t *testing.T) {
	t.Helper()
	id := w.fake.Command(discordtest.ChannelID, organizer, "cohort", discordtest.Sub("post", discordtest.Str("kind", "today")))
	if r := w.fake.Reply(t, id); !strings.Contains(r.Text(), "Posting today's card") {
		t.Fatalf("post reply: %q", r.Text())
	}
	w.sched.RunOnce(context.Background())
}

func withDeferAfter(d time.Duration) option {
	return func(c *discordbot.Config, _ *world) { c.DeferAfter = d }
}

func withService(f func(study.Handler) study.Handler) option {
	return func(c *discordbot.Config, _ *world) { c.Core = f(c.Core) }
}

// card is the day's card in #study: the message with the Done button.
func (w *world) card(t *testing.T) discordtest.Message {
	t.Helper()
	for _, m := range w.fake.Messages(discordtest.ChannelID) {
		if len(m.Buttons()) > 0 {
			return m
		}
	}
	t.Fatal("no card with a button in #study")
	return discordtest.Message{}
}

// noRecord is a delivery recorder for posts sent outside the scheduler.
func noRecord(context.Context, study.Delivered) error { return nil }
