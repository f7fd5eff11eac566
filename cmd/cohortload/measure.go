package main

import (
	"context"
	"fmt"
	"time"
)

// percentile is the p-th (0…1) of sorted durations: the one at index ⌊p·n⌋, the largest
// for p = 1; zero for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// waitUntil polls cond every 20 ms until it holds, ctx ends or within passes.
func waitUntil(ctx context.Context, within time.Duration, what string, cond func() bool) error {
	end := time.Now().Add(within)
	for !cond() {
		if time.Now().After(end) {
			return fmt.Errorf("gave up after %s waiting for %s", within, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// sleepUntil sleeps until t or until ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-time.After(time.Until(t)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
