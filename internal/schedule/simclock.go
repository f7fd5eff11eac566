package schedule

import (
	"context"
	"sync"
	"time"
)

// SimClock is real time plus an offset that the console's /clock moves forward.
type SimClock struct {
	mu     sync.Mutex
	real   func() time.Time
	offset time.Duration
}

func NewSimClock(real func() time.Time) *SimClock { return &SimClock{real: real} }

func (c *SimClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.real().Add(c.offset)
}

func (c *SimClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = t.Sub(c.real())
}

// Advance moves the simulated clock forward by d (or back to real time with reset),
// stopping at every instant something falls due — a post, a retry, the core's upkeep (a
// day's close, a member's reminder) — so that each goes out at its time.
func (s *Scheduler) Advance(ctx context.Context, sim *SimClock, d time.Duration, reset bool) (time.Time, error) {
	target := sim.Now().Add(d)
	if reset {
		target = sim.real()
	}
	upkeep := s.runOnce(ctx)
	for i := 0; i < 100000; i++ {
		next, err := s.out.NextDue(ctx, sim.Now())
		if err != nil {
			return sim.Now(), err
		}
		next = earliest(next, upkeep)
		if next.IsZero() || next.After(target) {
			break
		}
		sim.set(next)
		upkeep = s.runOnce(ctx)
	}
	if target.After(sim.Now()) || reset {
		sim.set(target)
	}
	s.RunOnce(ctx)
	return sim.Now(), nil
}
