package schedule_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"cohortbot/internal/clocktest"
	"cohortbot/internal/schedule"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

// These tests run the scheduler's own loop (Run) on a clock that starts at a chosen
// instant and then runs at real speed: what they check is when Run wakes up. Times are
// read from what the platform recorded, never decided by sleeping.

// running is one bot process whose clock runs: store, service and a platform.
type running struct {
	t    *testing.T
	now  func() time.Time
	st   *store.Store
	svc  *study.Service
	plat *platform
}

func newRunning(t *testing.T, d store.Dialect, start time.Time) *running {
	t.Helper()
	now := clocktest.Running(start)
	st := storetest.MustOpen(t, d, now)
	return &running{t: t, now: now, st: st, svc: studytest.MustService(t, st, now, loadTrack(t)), plat: newPlatform()}
}

// setup starts a cohort in channel ch whose first card is due at once.
func (r *running) setup(ch string) study.ChannelRef {
	r.t.Helper()
	ref := study.ChannelRef{Platform: "fake", Workspace: "w", Channel: ch}
	_, err := r.svc.Handle(context.Background(), study.Request{Channel: ref, Admin: true, User: study.UserRef{ID: "org"},
		Command: "cohort", Sub: "setup", Text: "start:2027-01-04 time:09:00 tz:UTC"})
	if err != nil {
		r.t.Fatal(err)
	}
	return ref
}

// run starts Run with core (the service when nil) and stops it when the test ends.
func (r *running) run(core schedule.Core, tweak func(*schedule.Config)) {
	r.t.Helper()
	if core == nil {
		core = r.svc
	}
	cfg := schedule.Config{Outbox: r.st, Core: core, Poster: study.Posters{"fake": r.plat}, Now: r.now}
	if tweak != nil {
		tweak(&cfg)
	}
	sched, err := schedule.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			r.t.Error(err)
		}
	})
}

// waitSent waits (up to 10 s) until the platform has n messages.
func (r *running) waitSent(n int) []sent {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(r.plat.sent()) < n {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %d posts; have %d", n, len(r.plat.sent()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return r.plat.sent()
}

// waitAllSent waits (up to 10 s) until every post of the channels is sent, and returns
// what the platform got.
func (r *running) waitAllSent(chans ...study.ChannelRef) []sent {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		done := true
		for _, ch := range chans {
			ps := r.posts(ch)
			done = done && len(ps) > 0
			for _, p := range ps {
				done = done && p.Status == study.PostSent
			}
		}
		if done {
			return r.plat.sent()
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for the posts of %v", chans)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRunHonoursRetryAfter: a post the platform rate limits for 1.2 s goes out again
// 1.2–1.7 s later, woken by its own retry instant, not by a tick.
func TestRunHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		r := newRunning(t, d, at(t, "2027-01-04T09:00:05Z"))
		r.setup("room")
		var once sync.Once
		r.plat.fail = func(study.Outgoing) (err error) {
			once.Do(func() { err = &study.DeliveryError{RetryAfter: 1200 * time.Millisecond, Reason: "429"} })
			return err
		}
		r.run(nil, nil)
		first := r.waitSent(1)[0]
		r.plat.mu.Lock()
		refused := r.plat.called[0]
		r.plat.mu.Unlock()
		if wait := first.at.Sub(refused); wait < 1200*time.Millisecond || wait > 1700*time.Millisecond {
			t.Errorf("sent %s after the 429 asking for 1.2 s", wait)
		}
	})
}

// TestRunLanesAreIndependent: with one worker, a channel that must wait for its own rate
// limit (the poster hands the post back, Paced) holds nothing up: another channel's posts
// go out meanwhile, one after another, and the paced one follows when its wait is over.
func TestRunLanesAreIndependent(t *testing.T) {
	t.Parallel()
	r := newRunning(t, store.Postgres, at(t, "2027-01-04T09:00:05Z"))
	slow := r.setup("slow")
	fast := r.setup("fast")
	var paced time.Time
	var once sync.Once
	r.plat.fail = func(out study.Outgoing) (err error) {
		if out.Channel == slow {
			once.Do(func() {
				paced = time.Now()
				err = &study.DeliveryError{Paced: true, RetryAfter: time.Second, Reason: "channel limit"}
			})
		}
		return err
	}
	r.run(nil, func(c *schedule.Config) { c.Workers = 1 })
	all := r.waitAllSent(slow, fast)
	var lastFast, firstSlow time.Time
	for _, m := range all {
		switch m.out.Channel {
		case fast:
			lastFast = m.at
		case slow:
			if firstSlow.IsZero() {
				firstSlow = m.at
			}
		}
	}
	if !lastFast.Before(firstSlow) {
		t.Errorf("the fast channel's posts waited for the paced one (last fast %s, first slow %s)", lastFast, firstSlow)
	}
	if wait := firstSlow.Sub(paced); wait < time.Second || wait > 3*time.Second {
		t.Errorf("the paced post went out %s after it was handed back, want about 1 s", wait)
	}
	for _, p := range append(r.posts(slow), r.posts(fast)...) {
		if p.Attempts != 1 {
			t.Errorf("%s/%s: %s after %d attempts (a deferral is not an attempt)", p.Channel.Channel, p.Kind, p.Status, p.Attempts)
		}
	}
}

// TestRunDoesNotWaitForASlowChannel: a delivery stuck on one channel (a slow platform
// answer) does not keep the other channel's posts from going out one after another.
func TestRunDoesNotWaitForASlowChannel(t *testing.T) {
	t.Parallel()
	r := newRunning(t, store.Postgres, at(t, "2027-01-04T09:00:05Z"))
	slow := r.setup("slow")
	fast := r.setup("fast")
	release := make(chan struct{})
	r.plat.fail = func(out study.Outgoing) error {
		if out.Channel == slow {
			<-release
		}
		return nil
	}
	r.run(nil, func(c *schedule.Config) { c.Workers = 2 })
	// Every post of the fast channel goes out while the slow one is stuck.
	for _, m := range r.waitAllSent(fast) {
		if m.out.Channel == slow {
			t.Errorf("the slow channel's post went out before its release")
		}
	}
	close(release)
	r.waitAllSent(slow, fast)
}

// TestRunWakesForUpkeep: the core's upkeep says when it next has work; Run wakes then.
func TestRunWakesForUpkeep(t *testing.T) {
	t.Parallel()
	r := newRunning(t, store.SQLite, at(t, "2027-01-04T09:00:05Z"))
	core := &upkeepCore{Service: r.svc, every: 400 * time.Millisecond, now: r.now, calls: make(chan time.Time, 10)}
	r.run(core, nil)
	first := <-core.calls
	select {
	case second := <-core.calls:
		if d := second.Sub(first); d < 400*time.Millisecond || d > 900*time.Millisecond {
			t.Errorf("upkeep ran again after %s, want 400 ms", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("upkeep did not run again")
	}
}

type upkeepCore struct {
	*study.Service
	every time.Duration
	now   func() time.Time
	calls chan time.Time
}

func (c *upkeepCore) Upkeep(ctx context.Context, now time.Time) (time.Time, error) {
	select {
	case c.calls <- time.Now():
	default:
	}
	return now.Add(c.every), nil
}

func (r *running) posts(ch study.ChannelRef) []study.Post {
	r.t.Helper()
	c, err := r.st.CohortByChannel(context.Background(), ch)
	if err != nil {
		r.t.Fatal(err)
	}
	ps, err := r.st.Posts(context.Background(), c.ID, "", 100)
	if err != nil {
		r.t.Fatal(err)
	}
	return ps
}
