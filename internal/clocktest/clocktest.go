// Package clocktest is a settable clock for tests: schedules run simulated weeks in
// milliseconds instead of sleeping.
package clocktest

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use; pass its Now wherever a func() time.Time is injected.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

func New(t time.Time) *Clock { return &Clock{now: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Running is a clock that reads start when it is made and then runs at real speed. Tests
// of the real wiring use it: the test chooses the date and the hour, while timeouts,
// leases and retries still see time pass.
func Running(start time.Time) func() time.Time {
	began := time.Now()
	return func() time.Time { return start.Add(time.Since(began)) }
}
