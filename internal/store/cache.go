package store

import (
	"sync"
	"time"

	"cohortbot/internal/study"
)

// cohortTTL is how long a cohort read by channel is reused. Every check-in starts with
// that read, and settings change rarely: this process forgets a cohort as soon as it
// changes it, and another process's change reaches it within the TTL.
const cohortTTL = 2 * time.Second

// cohortCache remembers cohorts by channel, with wall-clock expiry (freshness is not a
// product date, so it does not follow the injected clock).
type cohortCache struct {
	mu sync.Mutex
	m  map[study.ChannelRef]cachedCohort
}

type cachedCohort struct {
	c  study.Cohort
	at time.Time
}

func (c *cohortCache) get(ch study.ChannelRef) (*study.Cohort, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[ch]
	if !ok || time.Since(e.at) > cohortTTL {
		return nil, false
	}
	co := e.c
	return &co, true
}

func (c *cohortCache) put(ch study.ChannelRef, co study.Cohort) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m = map[study.ChannelRef]cachedCohort{}
	}
	c.m[ch] = cachedCohort{c: co, at: time.Now()}
}

// forget drops every channel of a cohort.
func (c *cohortCache) forget(cohortID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch, e := range c.m {
		if e.c.ID == cohortID {
			delete(c.m, ch)
		}
	}
}
