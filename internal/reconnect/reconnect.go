// Package reconnect is how the platform adapters get a dropped connection back: attempts
// with a backoff that doubles from Min up to a low cap, jittered, so that a long outage
// never means a long silence after it ends (the wait after the platform returns is at
// most Max), and many shards or replicas do not knock in lockstep.
package reconnect

import (
	"context"
	"math/rand/v2"
	"time"
)

// Defaults of Policy.
const (
	DefaultMin = time.Second
	DefaultMax = 15 * time.Second
)

// Policy is a reconnect backoff. The zero value is the default.
type Policy struct {
	Min, Max time.Duration
	// Sleep waits d or until ctx ends; nil waits on a real timer. Tests inject a
	// simulated clock here.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1); nil uses math/rand/v2.
	Jitter func() float64
}

// Delay is the wait before retrying after the n-th failed attempt in a row (n ≥ 1):
// Min·2^(n-1), capped at Max, drawn uniformly from its upper half.
func (p Policy) Delay(n int) time.Duration {
	lo, hi := p.bounds()
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	j := p.Jitter
	if j == nil {
		j = rand.Float64
	}
	return d/2 + time.Duration(j()*float64(d/2))
}

func (p Policy) bounds() (time.Duration, time.Duration) {
	lo, hi := p.Min, p.Max
	if lo <= 0 {
		lo = DefaultMin
	}
	if hi <= 0 {
		hi = DefaultMax
	}
	return lo, max(lo, hi)
}

// Wait sleeps Delay(n), or returns ctx's error when it ends first.
func (p Policy) Wait(ctx context.Context, n int) error { return p.sleep(ctx, p.Delay(n)) }

// Until calls connect until it succeeds, waiting between failures; failed hears each
// failure with the wait that follows. It returns nil once connected, or ctx's error.
func (p Policy) Until(ctx context.Context, connect func() error, failed func(attempt int, err error, wait time.Duration)) error {
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := connect()
		if err == nil {
			return nil
		}
		d := p.Delay(n)
		if failed != nil {
			failed(n, err, d)
		}
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (p Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
