// Package schedule turns cohorts' calendars into posts and delivers them: it plans what
// is due into the outbox (one bounded query over all cohorts) and sends outbox rows
// through the platforms' Posters exactly once per (channel, kind, period).
//
// Delivery never waits for a batch: each lane's (a channel's, or a member's direct
// messages') next post goes out as soon as it is due and the lane is free, up to Workers
// at a time, and a finished delivery at once makes room for the next. The scheduler
// sleeps until the next instant anything is due — a cohort's next plan instant, a retry's
// or a deferral's not-before, a lease running out, the core's upkeep — or until a command
// changes something.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
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
	// ClaimPosts leases up to limit posts ready at now, at most one per lane (a channel,
	// or a member's direct messages) and only a lane's earliest unsent post, so the posts
	// of a lane go out in order.
	ClaimPosts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]study.Post, error)
	// RenewLease extends a claimed post's lease to until while the claim holds
	// (study.ErrClaimLost once another worker has taken the post over).
	RenewLease(ctx context.Context, p study.Post, until time.Time) error
	// RecordProgress keeps how far a claimed post's delivery got, while the claim holds.
	RecordProgress(ctx context.Context, p study.Post, d study.Delivered) error
	MarkSent(ctx context.Context, p study.Post, ref study.MessageRef, at time.Time) error
	MarkRetry(ctx context.Context, p study.Post, notBefore time.Time, reason string) error
	// Defer puts a claimed post back until notBefore without counting an attempt.
	Defer(ctx context.Context, p study.Post, notBefore time.Time) error
	MarkDone(ctx context.Context, p study.Post, status study.PostStatus, reason string) error
	// NextDue is the earliest instant after after at which a cohort, a retry or a lease
	// falls due (zero: none).
	NextDue(ctx context.Context, after time.Time) (time.Time, error)
}

// Config wires a Scheduler.
type Config struct {
	Outbox Outbox
	Core   Core
	Poster study.Poster
	Now    func() time.Time
	Log    *slog.Logger
	// Workers is how many deliveries run at once, each on its own lane. Default 16: a
	// post takes a few requests, so a handful keeps a platform's global limit busy;
	// posters hand a post back when its own channel must wait (DeliveryError.Paced), so
	// a worker is never held by one channel's limit.
	Workers int
	// Lease is how long a claimed post is held, unless its sender renews it, before
	// another process may take it over (a process that died mid-send). The sender renews
	// it every RenewEvery while it works on the post (composing, sending, waiting on the
	// platform's pacing), so a short lease bounds the takeover of a dead sender's post
	// without ever taking a live one's: a resend lands well inside the minutes in which
	// Discord recognises a nonce. Default 10 s.
	Lease time.Duration
	// RenewEvery is how often a sender renews its lease (by the wall clock). Default a
	// third of Lease, so two renewals may fail or be late before the lease runs out.
	RenewEvery time.Duration
	// SendTimeout bounds one platform send. Default 30 s.
	SendTimeout time.Duration
	// MaxAttempts before a transiently failing post is marked failed. Default 8.
	MaxAttempts int
	// PlanBatch is how many due cohorts one planning transaction takes. Default 2000.
	PlanBatch int
	// PlanWorkers is how many planning transactions run at once when many cohorts are due
	// (the database locks each cohort for one of them). Default 2.
	PlanWorkers int
	// DBConcurrency bounds the scheduler's database calls in flight (planning, claims,
	// composing, progress), leaving the rest of the store's connections to members'
	// commands while a fan-out runs. Default 8.
	DBConcurrency int
	// Spec is the safety net's schedule (cron syntax, or @every): besides waking when
	// something is due, the scheduler looks at everything this often (another process's
	// work, a clock jump). Default every minute.
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
	// TakenOver is a post claimed from a sender whose lease ran out (a process that died
	// or stalled mid-send).
	TakenOver(platform string, kind study.PostKind)
}

type noObserver struct{}

func (noObserver) TickDone(time.Duration, error)                  {}
func (noObserver) PostSent(string, study.PostKind, time.Duration) {}
func (noObserver) PostFailed(string, study.PostKind, bool)        {}
func (noObserver) RateLimited(string)                             {}
func (noObserver) TakenOver(string, study.PostKind)               {}

// Scheduler plans and delivers posts.
type Scheduler struct {
	cfg    Config
	out    Outbox
	core   Core
	now    func() time.Time
	log    *slog.Logger
	kick   chan struct{}
	safety cron.Schedule
	mu     sync.Mutex // one planning pass, and one claim, at a time per process

	dmu      sync.Mutex
	inflight int           // deliveries running
	settled  chan struct{} // closed (and replaced) whenever a delivery finishes
	wakeAt   time.Time     // the earliest retry a delivery scheduled since the last look
	running  sync.WaitGroup
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
		cfg.Workers = 16
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 10 * time.Second
	}
	if cfg.RenewEvery <= 0 || cfg.RenewEvery >= cfg.Lease {
		cfg.RenewEvery = cfg.Lease / 3
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.PlanBatch <= 0 {
		cfg.PlanBatch = 2000
	}
	if cfg.PlanWorkers <= 0 {
		cfg.PlanWorkers = 2
	}
	if cfg.DBConcurrency <= 0 {
		cfg.DBConcurrency = 8
	}
	cfg.PlanWorkers = min(cfg.PlanWorkers, cfg.DBConcurrency)
	if cfg.Spec == "" {
		cfg.Spec = "@every 1m"
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 20 * time.Second
	}
	safety, err := cron.ParseStandard(cfg.Spec)
	if err != nil {
		return nil, fmt.Errorf("scheduler spec %q: %w", cfg.Spec, err)
	}
	g := make(gate, cfg.DBConcurrency)
	return &Scheduler{cfg: cfg, out: gatedOutbox{next: cfg.Outbox, gate: g}, core: gatedCore{Core: cfg.Core, gate: g}, now: cfg.Now, log: cfg.Log,
		kick: make(chan struct{}, 1), safety: safety, settled: make(chan struct{})}, nil
}

// recordTimeout bounds recording one part of a delivery.
const recordTimeout = 30 * time.Second

// minWake is the shortest the scheduler sleeps when something it was told about is due
// already (upkeep that could not finish, a retry due at once): it looks again soon
// without spinning.
const minWake = 100 * time.Millisecond

// changesEvery spaces the full looks that commands ask for (Core.Changes): a burst of
// commands (a thousand /cohort setup) makes one look per interval, not one each.
const changesEvery = 100 * time.Millisecond

// Run plans and delivers until ctx ends, then waits for in-flight deliveries (for at most
// ShutdownTimeout). It wakes when the next thing is due, when a command changed
// something (Core.Changes, Kick), when a delivery finishes (its lane may have more), and
// on the safety schedule.
func (s *Scheduler) Run(ctx context.Context) error {
	// Deliveries must not be cut off half-recorded by the shutdown signal: they run on a
	// context that only a bounded grace period can end.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	full := true // catch up at start-up, not a minute later
	var next, lastFull time.Time
	changed := false // a command's change waits for its turn (changesEvery)
	for {
		settled := s.settledChan()
		if full {
			lastFull, changed = time.Now(), false
			next = s.cycle(work)
		} else {
			next = s.deliverMore(work, next)
		}
		sleep := s.sleepUntil(next)
		if changed {
			sleep = min(sleep, max(time.Until(lastFull.Add(changesEvery)), 0))
		}
		s.log.Debug("scheduler sleeping", "full", full, "next", next, "for", sleep)
		timer.Reset(sleep)
		select {
		case <-ctx.Done():
			s.drain(cancel)
			return nil
		case <-timer.C:
			full = true
		case <-s.kick:
			full = true
		case <-s.core.Changes():
			changed = true
			full = time.Since(lastFull) >= changesEvery
		case <-settled:
			full = false
		}
	}
}

// sleepUntil is how long to sleep to wake at next (by the scheduler's clock), or at the
// safety schedule's next instant (by the wall clock) if that comes first.
func (s *Scheduler) sleepUntil(next time.Time) time.Duration {
	wall := time.Now()
	d := s.safety.Next(wall).Sub(wall)
	if !next.IsZero() {
		d = min(d, max(next.Sub(s.now()), minWake))
	}
	return d
}

// drain waits for in-flight deliveries, cancelling them after ShutdownTimeout.
func (s *Scheduler) drain(cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() { s.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.cfg.ShutdownTimeout):
		s.log.Warn("scheduler: in-flight deliveries did not finish in time; cancelling them", "timeout", s.cfg.ShutdownTimeout)
		cancel()
		<-done
	}
}

// cycle starts the deliveries that are ready, plans what is due, runs the core's upkeep,
// starts what planning made ready, and returns when something is next due.
func (s *Scheduler) cycle(ctx context.Context) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	// What is ready goes out before planning (a retry woke us); what planning adds, after.
	if _, err := s.dispatch(ctx, nil); err != nil {
		s.log.Error("scheduler delivery", "err", err)
	}
	upkeepNext := s.plan(ctx)
	if _, err := s.dispatch(ctx, nil); err != nil {
		s.log.Error("scheduler delivery", "err", err)
	}
	// Retries noted from here on are newer than what NextDue reads.
	s.dmu.Lock()
	noted := s.wakeAt
	s.wakeAt = time.Time{}
	s.dmu.Unlock()
	next, err := s.out.NextDue(ctx, s.now())
	if err != nil {
		s.log.Error("scheduler: next due instant", "err", err)
		next = s.now().Add(time.Second)
	}
	return earliest(next, upkeepNext, noted)
}

// deliverMore starts the deliveries that a finished one made room for and returns when
// something is next due: next, or a retry a delivery has scheduled since.
func (s *Scheduler) deliverMore(ctx context.Context, next time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.dispatch(ctx, nil); err != nil {
		s.log.Error("scheduler delivery", "err", err)
	}
	s.dmu.Lock()
	defer s.dmu.Unlock()
	next = earliest(next, s.wakeAt)
	s.wakeAt = time.Time{}
	return next
}

func earliest(ts ...time.Time) time.Time {
	var e time.Time
	for _, t := range ts {
		if !t.IsZero() && (e.IsZero() || t.Before(e)) {
			e = t
		}
	}
	return e
}

// Kick asks a running scheduler to plan and deliver now.
func (s *Scheduler) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// RunOnce plans everything due and delivers everything ready, at the clock's now, and
// returns when nothing ready is left (the console and tests step through time with it).
func (s *Scheduler) RunOnce(ctx context.Context) { s.runOnce(ctx) }

// runOnce is RunOnce, returning when the core's upkeep is next due.
func (s *Scheduler) runOnce(ctx context.Context) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	upkeep := s.plan(ctx)
	if _, err := s.deliverAll(ctx); err != nil {
		s.log.Error("scheduler delivery", "err", err)
	}
	return upkeep
}

// plan runs one planning pass and the core's upkeep; it returns when the upkeep is next
// due.
func (s *Scheduler) plan(ctx context.Context) time.Time {
	start := time.Now()
	err := s.Tick(ctx)
	s.cfg.Observer.TickDone(time.Since(start), err)
	if err != nil {
		s.log.Error("scheduler tick", "err", err)
	}
	now := s.now()
	next, err := s.core.Upkeep(ctx, now)
	if err != nil {
		s.log.Error("scheduler upkeep", "err", err)
		return now.Add(time.Second)
	}
	if !next.IsZero() && !next.After(now) {
		// Upkeep left work due already (a batch at a time): come back for it shortly.
		next = now.Add(time.Second)
	}
	return next
}

// Tick plans the posts of every due cohort into the outbox, PlanBatch cohorts per
// transaction. When the first batch is full (many cohorts due at once), PlanWorkers
// transactions run at once; the database locks each cohort for one of them.
func (s *Scheduler) Tick(ctx context.Context) error {
	now := s.now()
	planDue := func() (int, error) {
		n, err := s.out.PlanDue(ctx, now, s.cfg.PlanBatch, func(dc study.DueCohort) (study.Plan, error) {
			return s.core.Plan(dc, now)
		})
		if err != nil {
			return n, fmt.Errorf("tick at %s: %w", now.Format(time.RFC3339), err)
		}
		return n, nil
	}
	n, err := planDue()
	if err != nil || n < s.cfg.PlanBatch {
		return err
	}
	errs := make([]error, s.cfg.PlanWorkers)
	var wg sync.WaitGroup
	for w := range s.cfg.PlanWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := planDue()
				if err != nil || n < s.cfg.PlanBatch {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Deliver sends ready posts until none is left; it returns how many it sent.
func (s *Scheduler) Deliver(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliverAll(ctx)
}

// deliverAll keeps the workers busy until nothing is ready and nothing is in flight.
func (s *Scheduler) deliverAll(ctx context.Context) (int, error) {
	var sent atomic.Int64
	for {
		settled := s.settledChan()
		n, err := s.dispatch(ctx, &sent)
		if err != nil {
			s.waitIdle()
			return int(sent.Load()), err
		}
		if n > 0 {
			continue
		}
		if s.idle() {
			select {
			case <-settled:
				// A delivery finished after the claim looked: its lane may have more.
				continue
			default:
				return int(sent.Load()), nil
			}
		}
		<-settled
	}
}

// dispatch claims as many ready posts as there are free workers and starts delivering
// them; it counts the ones sent into sent (when not nil).
func (s *Scheduler) dispatch(ctx context.Context, sent *atomic.Int64) (int, error) {
	s.dmu.Lock()
	free := s.cfg.Workers - s.inflight
	s.dmu.Unlock()
	if free <= 0 {
		return 0, nil
	}
	posts, err := s.out.ClaimPosts(ctx, s.now(), s.cfg.Lease, free)
	if err != nil {
		return 0, err
	}
	s.dmu.Lock()
	s.inflight += len(posts)
	s.dmu.Unlock()
	for _, p := range posts {
		s.running.Add(1)
		go func() {
			defer s.running.Done()
			ok := s.deliver(ctx, p)
			if ok && sent != nil {
				sent.Add(1)
			}
			s.dmu.Lock()
			s.inflight--
			close(s.settled)
			s.settled = make(chan struct{})
			s.dmu.Unlock()
		}()
	}
	return len(posts), nil
}

func (s *Scheduler) settledChan() <-chan struct{} {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.settled
}

func (s *Scheduler) idle() bool {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.inflight == 0
}

func (s *Scheduler) waitIdle() {
	for {
		ch := s.settledChan()
		if s.idle() {
			return
		}
		<-ch
	}
}

// noteWake makes the running scheduler wake at t (a retry it has just scheduled).
func (s *Scheduler) noteWake(t time.Time) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.wakeAt = earliest(s.wakeAt, t)
}

// deliver sends one claimed post and records the outcome; it reports whether it was sent.
// The post's lease is renewed while it is worked on; the outcome is recorded once the
// renewals have stopped, and not at all if the claim was lost meanwhile.
func (s *Scheduler) deliver(ctx context.Context, p study.Post) (sent bool) {
	// One request id per attempt, on the scheduler's lines and on the context the poster
	// logs with, so an attempt can be followed across both.
	attrs := []any{"cohort", p.CohortID, "platform", p.Channel.Platform, "kind", p.Kind, "period", p.Period, "post", p.ID, "attempt", p.Attempts}
	ctx, rid := logging.WithRequest(ctx, attrs...)
	log := s.log.With(append([]any{"request", rid}, attrs...)...)
	if p.TakenOver {
		log.Warn("took over a post whose sender's lease ran out", "parts_recorded", p.Done.Parts)
		s.cfg.Observer.TakenOver(p.Channel.Platform, p.Kind)
	}
	k := s.keepLease(ctx, p, log)
	defer k.stop()
	// finish records the outcome once the lease is no longer renewed; a lost claim
	// records nothing (the worker that took the post over owns it) and says so.
	finish := func(record func() error) (recorded bool) {
		if k.stop() {
			log.Warn("delivery claim lost to another worker; leaving the post to it")
			return false
		}
		s.record(record())
		return true
	}
	defer func() {
		if r := recover(); r != nil {
			log.Error("delivery panicked", "panic", r)
			s.retry(ctx, p, study.NoteInternal, 0, finish)
			sent = false
		}
	}()
	now := s.now()
	if now.After(p.ExpiresAt) {
		log.Warn("post expired before it could be sent")
		finish(func() error { return s.out.MarkDone(ctx, p, study.PostSkipped, study.NoteMissedExpired) })
		return false
	}
	out, skip, err := s.core.Compose(k.ctx, p)
	if err != nil {
		log.Error("compose post", "err", err)
		s.retry(ctx, p, study.NoteNotComposed, 0, finish)
		return false
	}
	if skip != "" {
		finish(func() error { return s.out.MarkDone(ctx, p, study.PostSkipped, skip) })
		return false
	}
	// An earlier attempt's outcome is unknown (it timed out, or its process died): the
	// poster looks for the next part on the platform before sending it again. (A post
	// taken over has been claimed before, so it counts at least two attempts.)
	out.Resumed = p.Attempts > 1 || p.TakenOver
	sendCtx, cancel := context.WithTimeout(k.ctx, s.cfg.SendTimeout)
	// Each part is recorded before the next goes out: a retry continues where this
	// attempt stopped, and the day's thread is known while it is being filled. Recording
	// is bounded on its own: SendTimeout is the platform's budget, not the database's.
	record := func(_ context.Context, d study.Delivered) error {
		rctx, cancel := context.WithTimeout(ctx, recordTimeout)
		defer cancel()
		return s.out.RecordProgress(rctx, p, d)
	}
	ref, err := s.cfg.Poster.Post(sendCtx, out, record)
	cancel()
	if err == nil {
		if !finish(func() error { return s.out.MarkSent(ctx, p, ref, s.now()) }) {
			return false // the worker that took the post over counts it
		}
		lag := s.now().Sub(p.DueAt)
		s.cfg.Observer.PostSent(p.Channel.Platform, p.Kind, lag)
		log.Info("post sent", "message", ref.MessageID, "lag", lag.Round(time.Second))
		return true
	}
	var de *study.DeliveryError
	switch {
	case errors.Is(err, study.ErrClaimLost) || k.stop():
		log.Warn("delivery claim lost to another worker; stopped sending", "err", err)
	case errors.As(err, &de) && de.Paced:
		// The channel waits for its own limit; the worker moves on to another lane.
		log.Debug("post paced by its channel's rate limit", "wait", de.RetryAfter)
		at := s.now().Add(de.RetryAfter)
		finish(func() error { return s.out.Defer(ctx, p, at) })
		s.noteWake(at)
	case errors.As(err, &de) && de.Permanent:
		log.Error("post failed permanently", "reason", de.Reason)
		s.cfg.Observer.PostFailed(p.Channel.Platform, p.Kind, true)
		finish(func() error { return s.out.MarkDone(ctx, p, study.PostFailed, de.Reason) })
	case errors.As(err, &de) && de.RetryAfter > 0:
		log.Warn("post rate limited", "retry_after", de.RetryAfter)
		s.cfg.Observer.RateLimited(p.Channel.Platform)
		at := s.now().Add(de.RetryAfter)
		finish(func() error { return s.out.MarkRetry(ctx, p, at, study.NoteRateLimited(de.Reason)) })
		s.noteWake(at)
	default:
		log.Warn("post failed; will retry", "err", err, "attempt", p.Attempts)
		s.cfg.Observer.PostFailed(p.Channel.Platform, p.Kind, false)
		s.retry(ctx, p, err.Error(), p.Attempts, finish)
	}
	return false
}

// leaseKeeper renews one claimed post's lease until stopped. Its ctx ends when the claim
// is lost, so the poster stops sending.
type leaseKeeper struct {
	ctx    context.Context
	cancel context.CancelFunc
	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
	lost   atomic.Bool
}

// keepLease starts renewing p's lease every RenewEvery to now+Lease. Renewals go around
// the database gate: each is one small row update, and a late one could cost the claim.
func (s *Scheduler) keepLease(ctx context.Context, p study.Post, log *slog.Logger) *leaseKeeper {
	kctx, cancel := context.WithCancel(ctx)
	k := &leaseKeeper{ctx: kctx, cancel: cancel, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(k.done)
		t := time.NewTicker(s.cfg.RenewEvery)
		defer t.Stop()
		for {
			select {
			case <-k.quit:
				return
			case <-kctx.Done():
				return
			case <-t.C:
			}
			rctx, rcancel := context.WithTimeout(kctx, s.cfg.RenewEvery)
			err := s.cfg.Outbox.RenewLease(rctx, p, s.now().Add(s.cfg.Lease))
			rcancel()
			switch {
			case errors.Is(err, study.ErrClaimLost):
				log.Warn("delivery claim lost: another worker took the post over; stopping", "err", err)
				k.lost.Store(true)
				k.cancel()
				return
			case err != nil && kctx.Err() == nil:
				// The database is away for a moment: the next renewal may make it.
				log.Warn("renew delivery lease", "err", err)
			}
		}
	}()
	return k
}

// stop ends the renewals and waits for one in progress; it reports whether the claim was
// lost. It may be called more than once.
func (k *leaseKeeper) stop() (lost bool) {
	k.once.Do(func() {
		close(k.quit)
		<-k.done
		k.cancel()
	})
	return k.lost.Load()
}

// retry schedules another attempt with capped exponential backoff and full jitter, or
// gives up after MaxAttempts; finish records it.
func (s *Scheduler) retry(ctx context.Context, p study.Post, reason string, attempts int, finish func(func() error) bool) {
	if attempts >= s.cfg.MaxAttempts {
		finish(func() error { return s.out.MarkDone(ctx, p, study.PostFailed, study.NoteGaveUp(attempts, reason)) })
		return
	}
	at := s.now().Add(Backoff(attempts, rand.Float64()))
	finish(func() error { return s.out.MarkRetry(ctx, p, at, reason) })
	s.noteWake(at)
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
