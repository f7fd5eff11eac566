package schedule_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"cohortbot/internal/clocktest"
	"cohortbot/internal/curriculum"
	"cohortbot/internal/pgtest"
	"cohortbot/internal/schedule"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// platform is a fake chat platform. Like Discord with enforce_nonce, a send whose nonce it
// has seen returns the original message instead of posting again.
type platform struct {
	mu       sync.Mutex
	calls    int         // every Post call, duplicates included
	called   []time.Time // when each call came (real time), for tests of Run
	messages []sent      // what members see
	byNonce  map[string]study.MessageRef
	fail     func(out study.Outgoing) error // optional: fail a send before it lands
	after    func(out study.Outgoing)       // optional: runs after a send landed
}

type sent struct {
	out study.Outgoing
	ref study.MessageRef
	at  time.Time // real time, for tests of Run
}

func newPlatform() *platform { return &platform{byNonce: map[string]study.MessageRef{}} }

func (p *platform) Post(ctx context.Context, out study.Outgoing, record study.Recorder) (study.MessageRef, error) {
	p.mu.Lock()
	p.calls++
	p.called = append(p.called, time.Now())
	fail := p.fail
	p.mu.Unlock()
	if fail != nil {
		if err := fail(out); err != nil {
			return study.MessageRef{}, err
		}
	}
	p.mu.Lock()
	ref, seen := p.byNonce[out.Nonce]
	if !seen {
		ref = study.MessageRef{MessageID: fmt.Sprintf("m%d", len(p.messages)+1)}
		if len(out.Messages) > 0 && out.Messages[0].ThreadName != "" {
			ref.ThreadID = "t" + ref.MessageID
		}
		p.byNonce[out.Nonce] = ref
		p.messages = append(p.messages, sent{out: out, ref: ref, at: time.Now()})
	}
	after := p.after
	p.mu.Unlock()
	if err := record(ctx, study.Delivered{Parts: len(out.Messages), MessageID: ref.MessageID, ThreadID: ref.ThreadID}); err != nil {
		return study.MessageRef{}, err
	}
	if after != nil {
		after(out)
	}
	return ref, nil
}

// kinds counts the messages members saw, by kind.
func (p *platform) kinds() map[study.PostKind]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[study.PostKind]int{}
	for _, m := range p.messages {
		out[m.out.Kind]++
	}
	return out
}

func (p *platform) sent() []sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]sent(nil), p.messages...)
}

func loadTrack(t testing.TB) *study.Track {
	t.Helper()
	src, err := curriculum.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	return src.Track
}

// env is one bot process: store connection, service, scheduler and a shared platform.
type env struct {
	t     testing.TB
	clock *clocktest.Clock
	store *store.Store
	svc   *study.Service
	sched *schedule.Scheduler
	plat  *platform
}

var room = study.ChannelRef{Platform: "fake", Workspace: "w", Channel: "room"}

func newEnv(t testing.TB, d store.Dialect, now time.Time) *env {
	t.Helper()
	clk := clocktest.New(now)
	st := storetest.MustOpen(t, d, clk.Now)
	return process(t, st, clk, newPlatform())
}

// process wires a scheduler over an existing store, as a second bot process would.
func process(t testing.TB, st *store.Store, clk *clocktest.Clock, plat *platform) *env {
	svc := studytest.MustService(t, st, clk.Now, loadTrack(t))
	sched := studytest.MustScheduler(t, st, svc, study.Posters{"fake": plat}, clk.Now, func(c *schedule.Config) { c.SendTimeout = 200 * time.Millisecond })
	return &env{t: t, clock: clk, store: st, svc: svc, sched: sched, plat: plat}
}

func (e *env) do(user string, organizer bool, line string) (string, error) {
	cmd, sub, rest := study.SplitCommandLine(line)
	r, err := e.svc.Handle(context.Background(), study.Request{Channel: room, Admin: organizer,
		User: study.UserRef{Platform: "fake", Workspace: "w", ID: user, Name: user}, Command: cmd, Sub: sub, Text: rest})
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(study.PlainText(m))
	}
	return b.String(), err
}

func (e *env) mustDo(user string, organizer bool, line string) string {
	e.t.Helper()
	out, err := e.do(user, organizer, line)
	if err != nil {
		e.t.Fatalf("%s: %v", line, err)
	}
	return out
}

// runUntil moves the clock forward to end, stopping wherever anything falls due — a
// post, a retry, a lease, or the core's upkeep (a day's close, a member's reminder) — and
// runs the scheduler there, as Run would wake, without the waiting.
func (e *env) runUntil(end time.Time) {
	e.t.Helper()
	ctx := context.Background()
	e.sched.RunOnce(ctx)
	for i := 0; i < 100000; i++ {
		now := e.clock.Now()
		next, err := e.store.NextDue(ctx, now)
		if err != nil {
			e.t.Fatal(err)
		}
		upkeep, err := e.store.NextUpkeep(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if upkeep.After(now) && (next.IsZero() || upkeep.Before(next)) {
			next = upkeep
		}
		if next.IsZero() || next.After(end) {
			break
		}
		e.clock.Set(next)
		e.sched.RunOnce(ctx)
	}
	e.clock.Set(end)
	e.sched.RunOnce(ctx)
}

// posts reads the outbox of the cohort in room.
func (e *env) posts(kind study.PostKind) []study.Post {
	e.t.Helper()
	c, err := e.store.CohortByChannel(context.Background(), room)
	if err != nil {
		e.t.Fatal(err)
	}
	ps, err := e.store.Posts(context.Background(), c.ID, kind, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

func countStatus(ps []study.Post, status study.PostStatus) int {
	n := 0
	for _, p := range ps {
		if p.Status == status {
			n++
		}
	}
	return n
}

func (e *env) statusOf(ch study.ChannelRef) (string, error) {
	r, err := e.svc.Handle(context.Background(), study.Request{Channel: ch, Admin: true, Command: "cohort", Sub: "status"})
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(study.PlainText(m))
	}
	return b.String(), err
}

// storeURL is the database URL of this env's PostgreSQL store.
func (e *env) storeURL(t testing.TB) string {
	t.Helper()
	u := e.store.URL()
	if u == "" {
		t.Fatal("not a PostgreSQL store")
	}
	return u
}
