// Package schedule turns cohorts' calendars into posts: a ticker plans what is due into the
// outbox (one bounded query over all cohorts), and delivery workers send outbox rows through
// the platforms' Posters exactly once per (channel, kind, period).
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"cohortbot/internal/logging"
	"cohortbot/internal/study"
)

// Core is what the scheduler asks of the core (*study.Service): what a cohort owes and
// when, what a post says, and when a command changed either.
type Core interface {
	Plan(dc study.DueCohort, now time.Time) (study.Plan, error)
	Compose(ctx context.Context, p study.Post) (out study.Outgoing, skip string, err error)
	Changes() <-chan struct{}
	// Upkeep runs the core's own timed work due at now (closing study days, planning
	// members' reminders) and says when it next has any (zero: nothing known).
	Upkeep(ctx context.Context, now time.Time) (next time.Time, err error)
}

// Outbox is the scheduler's storage: planning due cohorts into posts, and claiming,
// recording and finishing deliveries.
type Outbox interface {
	// PlanDue finds up to limit cohorts that are due at now (one bounded query over all
	// cohorts), calls plan for each while holding them, and records the plans: new posts
	// are inserted unless their (channel, kind, period) exists. Returns the cohorts planned.
	PlanDue(ctx context.Context, now time.Time, limit int, plan func(study.DueCohort) (study.Plan, error)) (int, error)
	// ClaimPosts leases up to limit posts ready at now, at most one per channel and only a
	// channel's earliest unsent post, so posts of a channel go out in order.
	ClaimPosts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]study.Post, error)
	// RecordProgress keeps how far a claimed post's delivery got, while the claim holds.
	RecordProgress(ctx context.Context, p study.Post, d study.Delivered) error
	MarkSent(ctx context.Context, p study.Post, ref study.MessageRef, at time.Time) error
	MarkRetry(ctx context.Context, p study.Post, notBefore time.Time, reason string) error
	MarkDone(ctx context.Context, p study.Post, status study.PostStatus, reason string) error
	// NextDue is the earliest instant any cohort or retry may fall due (zero: none).
	NextDue(ctx context.Context) (time.Time, error)
}

// Config wires a Scheduler.
type Config struct {
	Outbox Outbox
	Core   Core
	Poster study.Poster
	Now    func() time.Time
	Log    *slog.Logger
	// Workers deliver in parallel (one post per channel at a time). Default 4.
	Workers int
	// Lease is how long a claimed post is held before another process may take it over
	// (a worker that crashed mid-send). Default 2 minutes.
	Lease time.Duration
	// SendTimeout bounds one platform send. Default 30 s.
	SendTimeout time.Duration
	// MaxAttempts before a transiently failing post is marked failed. Default 8.
	MaxAttempts int
	// PlanBatch is how many due cohorts one tick plans per query. Default 500.
	PlanBatch int
	// Spec is the ticker's cron schedule. Default every minute.
	Spec string
	// Observer, when set, hears about ticks and deliveries (metrics).
	Observer Observer
	// ShutdownTimeout bounds how long Run waits for in-flight deliveries once its context
	// ends; after it the sends are cancelled (and retried by the next process). Default 20 s.
	ShutdownTimeout time.Duration
}

// Observer is told what the scheduler did.
type Observer interface {
	TickDone(took time.Duration, err error)
	PostSent(platform string, kind study.PostKind, lag time.Duration)
	PostFailed(platform string, kind study.PostKind, permanent bool)
	RateLimited(platform string)
}

type noObserver struct{}

func (noObserver) TickDone(time.Duration, error)                  {}
func (noObserver) PostSent(string, study.PostKind, time.Duration) {}
func (noObserver) PostFailed(string, study.PostKind, bool)        {}
func (noObserver) RateLimited(string)                             {}

// Scheduler plans and delivers posts.
type Scheduler struct {
	cfg  Config
	out  Outbox
	core Core
	now  func() time.Time
	log  *slog.Logger
	kick chan struct{}
	mu   sync.Mutex // one RunOnce at a time per process
}

// New makes a scheduler; call Run, or RunOnce from tests and the console.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Outbox == nil || cfg.Core == nil || cfg.Poster == nil || cfg.Now == nil {
		return nil, errors.New("schedule: Outbox, Core, Poster and Now are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.PlanBatch <= 0 {
		cfg.PlanBatch = 500
	}
	if cfg.Spec == "" {
		cfg.Spec = "@every 1m"
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 20 * time.Second
	}
	return &Scheduler{cfg: cfg, out: cfg.Outbox, core: cfg.Core, now: cfg.Now, log: cfg.Log, kick: make(chan struct{}, 1)}, nil
}

// Run ticks on the cron schedule until ctx ends, then waits for in-flight deliveries.
func (s *Scheduler) Run(ctx context.Context) error {
	c := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	// Deliveries must not be cut off half-recorded by the shutdown signal: they run on a
	// context that only a bounded grace period can end.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	if _, err := c.AddFunc(s.cfg.Spec, func() { s.RunOnce(work) }); err != nil {
		return fmt.Errorf("scheduler spec %q: %w", s.cfg.Spec, err)
	}
	c.Start()
	s.RunOnce(work) // catch up at start-up, not a minute later
	for {
		select {
		case <-ctx.Done():
			stopped := c.Stop()
			select {
			case <-stopped.Done():
			case <-time.After(s.cfg.ShutdownTimeout):
				s.log.Warn("scheduler: in-flight deliveries did not finish in time; cancelling them", "timeout", s.cfg.ShutdownTimeout)
				cancel()
				<-stopped.Done()
			}
			return nil
		case <-s.kick:
			s.RunOnce(work)
		case <-s.core.Changes():
			s.RunOnce(work)
		}
	}
}

// Kick asks a running scheduler to plan and deliver now.
func (s *Scheduler) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// RunOnce plans everything due and delivers everything ready, at the clock's now.
func (s *Scheduler) RunOnce(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	err := s.Tick(ctx)
	s.cfg.Observer.TickDone(time.Since(start), err)
	if err != nil {
		s.log.Error("scheduler tick", "err", err)
	}
	if _, err := s.core.Upkeep(ctx, s.now()); err != nil {
		s.log.Error("scheduler upkeep", "err", err)
	}
	if _, err := s.Deliver(ctx); err != nil {
		s.log.Error("scheduler delivery", "err", err)
	}
}

// Tick plans the posts of every due cohort into the outbox.
func (s *Scheduler) Tick(ctx context.Context) error {
	now := s.now()
	for {
		n, err := s.out.PlanDue(ctx, now, s.cfg.PlanBatch, func(dc study.DueCohort) (study.Plan, error) {
			return s.core.Plan(dc, now)
		})
		if err != nil {
			return fmt.Errorf("tick at %s: %w", now.Format(time.RFC3339), err)
		}
		if n < s.cfg.PlanBatch {
			return nil
		}
	}
}

// Deliver sends ready posts until none is left; it returns how many were sent.
func (s *Scheduler) Deliver(ctx context.Context) (int, error) {
	sent := 0
	for {
		now := s.now()
		posts, err := s.out.ClaimPosts(ctx, now, s.cfg.Lease, 100)
		if err != nil {
			return sent, err
		}
		if len(posts) == 0 {
			return sent, nil
		}
		// Claimed posts are each their channel's next one, so they can go in parallel.
		var wg sync.WaitGroup
		var mu sync.Mutex
		sem := make(chan struct{}, s.cfg.Workers)
		for _, p := range posts {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if s.deliver(ctx, p) {
					mu.Lock()
					sent++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
}

// deliver sends one claimed post and records the outcome; it reports whether it was sent.
func (s *Scheduler) deliver(ctx context.Context, p study.Post) (sent bool) {
	// One request id per attempt, on the scheduler's lines and on the context the poster
	// logs with, so an attempt can be followed across both.
	attrs := []any{"cohort", p.CohortID, "platform", p.Channel.Platform, "kind", p.Kind, "period", p.Period, "post", p.ID, "attempt", p.Attempts}
	ctx, rid := logging.WithRequest(ctx, attrs...)
	log := s.log.With(append([]any{"request", rid}, attrs...)...)
	defer func() {
		if r := recover(); r != nil {
			log.Error("delivery panicked", "panic", r)
			s.retry(ctx, p, study.NoteInternal, 0)
			sent = false
		}
	}()
	now := s.now()
	if now.After(p.ExpiresAt) {
		log.Warn("post expired before it could be sent")
		s.record(s.out.MarkDone(ctx, p, study.PostSkipped, study.NoteMissedExpired))
		return false
	}
	out, skip, err := s.core.Compose(ctx, p)
	if err != nil {
		log.Error("compose post", "err", err)
		s.retry(ctx, p, study.NoteNotComposed, 0)
		return false
	}
	if skip != "" {
		s.record(s.out.MarkDone(ctx, p, study.PostSkipped, skip))
		return false
	}
	sendCtx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	// Each part is recorded before the next goes out: a retry continues where this
	// attempt stopped, and the day's thread is known while it is being filled.
	record := func(ctx context.Context, d study.Delivered) error { return s.out.RecordProgress(ctx, p, d) }
	ref, err := s.cfg.Poster.Post(sendCtx, out, record)
	cancel()
	if err == nil {
		s.record(s.out.MarkSent(ctx, p, ref, s.now()))
		lag := s.now().Sub(p.DueAt)
		s.cfg.Observer.PostSent(p.Channel.Platform, p.Kind, lag)
		log.Info("post sent", "message", ref.MessageID, "lag", lag.Round(time.Second))
		return true
	}
	var de *study.DeliveryError
	switch {
	case errors.As(err, &de) && de.Permanent:
		log.Error("post failed permanently", "reason", de.Reason)
		s.cfg.Observer.PostFailed(p.Channel.Platform, p.Kind, true)
		s.record(s.out.MarkDone(ctx, p, study.PostFailed, de.Reason))
	case errors.As(err, &de) && de.RetryAfter > 0:
		log.Warn("post rate limited", "retry_after", de.RetryAfter)
		s.cfg.Observer.RateLimited(p.Channel.Platform)
		s.record(s.out.MarkRetry(ctx, p, s.now().Add(de.RetryAfter), study.NoteRateLimited(de.Reason)))
	default:
		log.Warn("post failed; will retry", "err", err, "attempt", p.Attempts)
		s.cfg.Observer.PostFailed(p.Channel.Platform, p.Kind, false)
		s.retry(ctx, p, err.Error(), p.Attempts)
	}
	return false
}

// retry schedules another attempt with capped exponential backoff and full jitter, or
// gives up after MaxAttempts.
func (s *Scheduler) retry(ctx context.Context, p study.Post, reason string, attempts int) {
	if attempts >= s.cfg.MaxAttempts {
		s.record(s.out.MarkDone(ctx, p, study.PostFailed, study.NoteGaveUp(attempts, reason)))
		return
	}
	s.record(s.out.MarkRetry(ctx, p, s.now().Add(Backoff(attempts, rand.Float64())), reason))
}

// Backoff is the wait before attempt n+1: 2^n seconds capped at 2 minutes, scaled by
// jitter in [0,1) so that many failing posts do not retry in lockstep (never below 1 s).
// The cap keeps a resend after a timeout (which may have landed) inside the few minutes
// in which Discord still recognises the nonce.
func Backoff(n int, jitter float64) time.Duration {
	max := 2 * time.Minute
	d := time.Second << min(n, 10)
	if d > max {
		d = max
	}
	return time.Second + time.Duration(float64(d)*jitter)
}

func (s *Scheduler) record(err error) {
	if err != nil {
		s.log.Error("record delivery", "err", err)
	}
}
