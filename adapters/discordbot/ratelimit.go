package discordbot

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Discord's global limit: 50 requests a second per bot, counted in one-second windows.
// A token bucket refilling 47 a second with a burst of 3 never puts more than 50 into
// any second, so the global limit is never met in normal operation.
const (
	DefaultGlobalRate  = 47
	DefaultGlobalBurst = 3
)

// limits are Discord's rate limits as its answers describe them: the global limit (a
// golang.org/x/time/rate bucket; a global 429 holds every request), and per-route buckets
// learned from X-RateLimit-Bucket, -Remaining and -Reset-After, kept per top-level
// resource (a channel, a guild, a webhook). Interaction answers do not count against the
// global limit (Discord's rule), so a member's answer never queues behind posts.
type limits struct {
	global *rate.Limiter

	mu      sync.Mutex
	holdAll time.Time          // a global 429 holds everything until then
	hashes  map[string]string  // route → Discord's bucket hash
	buckets map[string]*bucket // bucket hash (or route) + top-level resource → state
}

// bucket is one per-route limit as last reported.
type bucket struct {
	remaining int
	reset     time.Time
}

func newLimits(perSecond float64, burst int) *limits {
	if perSecond <= 0 {
		perSecond = DefaultGlobalRate
	}
	if burst <= 0 {
		burst = DefaultGlobalBurst
	}
	return &limits{global: rate.NewLimiter(rate.Limit(perSecond), burst), hashes: map[string]string{}, buckets: map[string]*bucket{}}
}

// exempt reports whether a route is an interaction answer: the callback, and the
// follow-ups and edits on the interaction's webhook.
func exempt(route string) bool {
	return strings.Contains(route, "/interactions/") || strings.Contains(route, "/webhooks/{app}/{token}")
}

// key is the bucket of a route on a top-level resource.
func (l *limits) key(route, major string) string {
	if h, ok := l.hashes[route]; ok {
		return h + "|" + major
	}
	return route + "|" + major
}

// waitError says a request would have to wait longer than its caller allows for its
// bucket (or a global hold) to open.
type waitError struct {
	route string
	wait  time.Duration
}

func (e *waitError) Error() string {
	return fmt.Sprintf("discord %s: rate limit bucket empty for %s", e.route, e.wait)
}

// wait blocks until a request on route (for the top-level resource major) may go: its
// bucket has room, no global hold is on, and — unless the route is exempt — the global
// bucket has a token. It reserves the request's place in its bucket. With maxWait > 0, a
// bucket or hold that would keep it waiting longer returns a *waitError at once instead.
// The global bucket's own pacing (shared by every channel) is always waited for.
func (l *limits) wait(ctx context.Context, route, major string, maxWait time.Duration) error {
	for {
		l.mu.Lock()
		now := time.Now()
		until := l.holdAll
		b := l.buckets[l.key(route, major)]
		if b != nil && b.reset.After(now) && b.remaining <= 0 && b.reset.After(until) {
			until = b.reset
		}
		if d := until.Sub(now); d > 0 {
			l.mu.Unlock()
			if maxWait > 0 && d > maxWait {
				return &waitError{route: route, wait: d}
			}
			if err := sleep(ctx, d); err != nil {
				return err
			}
			continue
		}
		if b != nil && b.reset.After(now) && b.remaining > 0 {
			b.remaining-- // this request's place
		}
		l.mu.Unlock()
		if exempt(route) {
			return nil
		}
		return l.global.Wait(ctx)
	}
}

// update learns from an answer's headers: the route's bucket, what remains of it and
// when it resets, and a global hold on a global 429.
func (l *limits) update(route, major string, h http.Header, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if status == http.StatusTooManyRequests && isGlobal(h) {
		if until := now.Add(retryAfter(h)); until.After(l.holdAll) {
			l.holdAll = until
		}
		return
	}
	if hash := h.Get("X-RateLimit-Bucket"); hash != "" && !exempt(route) {
		l.hashes[route] = hash
	}
	b := &bucket{remaining: -1}
	if n, err := strconv.Atoi(h.Get("X-RateLimit-Remaining")); err == nil {
		b.remaining = n
	}
	if secs, err := strconv.ParseFloat(h.Get("X-RateLimit-Reset-After"), 64); err == nil {
		b.reset = now.Add(time.Duration(secs * float64(time.Second)))
	}
	if status == http.StatusTooManyRequests {
		b.remaining, b.reset = 0, now.Add(retryAfter(h))
	}
	if b.remaining < 0 || b.reset.IsZero() {
		return
	}
	k := l.key(route, major)
	if exempt(route) {
		// One interaction's webhook: nothing to learn for the next one.
		delete(l.buckets, k)
		return
	}
	l.buckets[k] = b
	if len(l.buckets) > 4096 {
		for k, b := range l.buckets {
			if b.reset.Before(now) {
				delete(l.buckets, k)
			}
		}
	}
}

func isGlobal(h http.Header) bool {
	return strings.EqualFold(h.Get("X-RateLimit-Global"), "true") || strings.EqualFold(h.Get("X-RateLimit-Scope"), "global")
}

// retryAfter reads the Retry-After header (seconds, possibly fractional).
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.ParseFloat(strings.TrimSpace(h.Get("Retry-After")), 64)
	if err != nil || secs < 0 {
		return time.Second
	}
	return time.Duration(secs * float64(time.Second))
}
