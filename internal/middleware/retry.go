package middleware

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"time"

	"cohortbot/internal/study"
)

// DefaultRetryBudget is how long a request rides out transient faults unless a policy
// says otherwise: well inside Discord's and Slack's windows for a deferred answer, and
// longer than PostgreSQL's crash restart usually takes.
const DefaultRetryBudget = 10 * time.Second

// RetryPolicy is how Retry rides out transient faults.
type RetryPolicy struct {
	// Transient says which errors are worth retrying (the store's IsTransient).
	Transient func(error) bool
	// Budget is how long a request keeps being retried before the member is told to try
	// again later (default DefaultRetryBudget). Adapters defer their answer long before that.
	Budget time.Duration
	// Now stamps each request's instant (study.Request.At) before its first attempt.
	Now func() time.Time
	// Sleep waits between attempts; nil waits on a real timer. Tests inject their own.
	Sleep func(ctx context.Context, d time.Duration) error
	// Retried hears every retry (metrics); may be nil.
	Retried func(command string)
}

// Retry re-runs a request that failed on a transient fault, with backoff from 50 ms
// doubling to 1 s, for up to the policy's budget. The request keeps its instant and key,
// which makes a retried check-in idempotent (see study.Request.At). When the budget is spent
// the member gets study.Unavailable's one line — try again in a minute — rather than
// "something went wrong".
func Retry(p RetryPolicy, log *slog.Logger) Middleware {
	if p.Budget <= 0 {
		p.Budget = DefaultRetryBudget
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return func(next study.Handler) study.Handler {
		return study.HandlerFunc(func(ctx context.Context, req study.Request) (study.Reply, error) {
			if req.At.IsZero() {
				req.At = p.Now()
			}
			if req.Key == "" {
				req.Key = rand.Text()
			}
			start := p.Now()
			for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
				// An attempt may hang on a server that does not answer at all: it gets
				// what is left of the budget (a duration, whatever clock is injected).
				left := p.Budget - p.Now().Sub(start)
				actx, cancel := context.WithTimeout(ctx, left)
				reply, err := next.Handle(actx, req)
				timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
				cancel()
				if err == nil || !(p.Transient(err) || timedOut) {
					return reply, err
				}
				if p.Now().Sub(start)+backoff > p.Budget {
					return study.Reply{}, study.Unavailable(label(req), err)
				}
				log.WarnContext(ctx, "transient fault, retrying", "command", label(req), "after", backoff, "err", err)
				if p.Retried != nil {
					p.Retried(label(req))
				}
				if err := p.Sleep(ctx, backoff); err != nil {
					return study.Reply{}, study.Unavailable(label(req), err)
				}
			}
		})
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
