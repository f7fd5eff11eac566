package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Slack's rate limits (https://api.slack.com/docs/rate-limits), as the adapter keeps
// them: chat.postMessage about one message a second per channel with short bursts, and
// every other Web API method it calls in volume at its tier's calls per minute. Each is
// a golang.org/x/time/rate bucket; a 429 holds the channel or the method for exactly its
// Retry-After.

// Slack's Web API tiers, in calls per minute, of the methods the adapter calls in volume.
// auth.test (once at start) and apps.connections.open (Socket Mode reconnects) are not
// paced: a reconnect must not wait, and a 429 there is honoured like any other.
var methodTiers = map[string]int{
	"users.info":         100, // Tier 4
	"chat.postEphemeral": 100, // Tier 4
	"reactions.add":      50,  // Tier 3
}

// tierLimiter paces a method at 90% of its tier with a burst of a twentieth of it: at
// most 95% of the tier falls in any minute, whatever Slack's window.
func tierLimiter(perMinute int) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(0.9*float64(perMinute)/60), max(1, perMinute/20))
}

// limits are the adapter's buckets.
type limits struct {
	every time.Duration // chat.postMessage per channel: one per every
	burst int

	mu       sync.Mutex
	channels map[string]*channelLimit
	methods  map[string]*methodLimit
}

type channelLimit struct {
	lim  *rate.Limiter
	hold time.Time // a 429 holds the channel until then
	used time.Time // last reservation, to forget idle channels
}

type methodLimit struct {
	lim  *rate.Limiter // nil: not paced
	hold time.Time
}

func newLimits(every time.Duration, burst int) *limits {
	return &limits{every: every, burst: max(burst, 1), channels: map[string]*channelLimit{}, methods: map[string]*methodLimit{}}
}

// waitError says a message would have to wait longer than its caller allows for its
// channel's limit.
type waitError struct {
	channel string
	wait    time.Duration
}

func (e *waitError) Error() string {
	return fmt.Sprintf("slack channel %s: paced for %s", e.channel, e.wait)
}

// waitChannel reserves the next chat.postMessage to channel and waits for it. With
// maxWait > 0 a wait longer than that returns a *waitError at once, reserving nothing.
func (l *limits) waitChannel(ctx context.Context, channel string, maxWait time.Duration) error {
	if l.every <= 0 {
		return nil
	}
	for {
		l.mu.Lock()
		now := time.Now()
		c := l.channels[channel]
		if c == nil {
			l.forgetIdle(now)
			c = &channelLimit{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
			l.channels[channel] = c
		}
		c.used = now
		if d := c.hold.Sub(now); d > 0 {
			l.mu.Unlock()
			if maxWait > 0 && d > maxWait {
				return &waitError{channel: channel, wait: d}
			}
			if err := sleep(ctx, d); err != nil {
				return err
			}
			continue
		}
		r := c.lim.ReserveN(now, 1)
		d := r.DelayFrom(now)
		if maxWait > 0 && d > maxWait {
			r.CancelAt(now)
			l.mu.Unlock()
			return &waitError{channel: channel, wait: d}
		}
		l.mu.Unlock()
		if err := sleep(ctx, d); err != nil {
			r.Cancel()
			return err
		}
		return nil
	}
}

// forgetIdle drops channels not used for a minute once there are many (their buckets
// are full again by then). Called with l.mu held.
func (l *limits) forgetIdle(now time.Time) {
	if len(l.channels) < 10000 {
		return
	}
	for k, c := range l.channels {
		if now.Sub(c.used) > time.Minute && !c.hold.After(now) {
			delete(l.channels, k)
		}
	}
}

// holdChannel keeps chat.postMessage to channel waiting for d (a 429's Retry-After).
func (l *limits) holdChannel(channel string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.channels[channel]
	if c == nil {
		c = &channelLimit{lim: rate.NewLimiter(rate.Every(l.every), l.burst), used: time.Now()}
		l.channels[channel] = c
	}
	if until := time.Now().Add(d); until.After(c.hold) {
		c.hold = until
	}
}

func (l *limits) method(name string) *methodLimit {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.methods[name]
	if m == nil {
		m = &methodLimit{}
		if n, ok := methodTiers[name]; ok {
			m.lim = tierLimiter(n)
		}
		l.methods[name] = m
	}
	return m
}

// waitMethod waits until a call of a Web API method may go: no 429 holds it, and its
// tier's bucket has a token.
func (l *limits) waitMethod(ctx context.Context, name string) error {
	m := l.method(name)
	l.mu.Lock()
	d := time.Until(m.hold)
	l.mu.Unlock()
	if noWait(ctx) {
		if d > 0 || (m.lim != nil && !m.lim.Allow()) {
			return errMethodBusy
		}
		return nil
	}
	if err := sleep(ctx, d); err != nil {
		return err
	}
	if m.lim == nil {
		return nil
	}
	return m.lim.Wait(ctx)
}

// errMethodBusy: a call marked withoutWaiting found its method's bucket empty.
var errMethodBusy = errors.New("slack method busy: not waiting for its rate limit")

type noWaitKey struct{}

// withoutWaiting marks the calls made with ctx as not worth waiting for: when their
// method's bucket is empty they fail at once with errMethodBusy instead of queueing. A
// member's display name is such a call: a thousand new members answering in the same
// minute must not wait on users.info's 100 a minute.
func withoutWaiting(ctx context.Context) context.Context {
	return context.WithValue(ctx, noWaitKey{}, true)
}

func noWait(ctx context.Context) bool { return ctx.Value(noWaitKey{}) != nil }

// holdMethod keeps a method's calls waiting for d after a 429.
func (l *limits) holdMethod(name string, d time.Duration) {
	m := l.method(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(m.hold) {
		m.hold = until
	}
}

// pacedTransport paces the Web API calls going through it by method, and learns from
// their 429s. chat.postMessage is paced per channel by the poster, which knows the channel.
type pacedTransport struct {
	limits *limits
	next   http.RoundTripper
}

func (t *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := apiMethod(req)
	if method != "" && method != "chat.postMessage" {
		if err := t.limits.waitMethod(req.Context(), method); err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil && method != "" && method != "chat.postMessage" && resp.StatusCode == http.StatusTooManyRequests {
		t.limits.holdMethod(method, retryAfter(resp.Header))
	}
	return resp, err
}

// apiMethod is the Web API method a request calls ("users.info"), or "" for anything
// else (a response_url).
func apiMethod(req *http.Request) string {
	path := req.URL.Path
	i := strings.LastIndex(path, "/api/")
	if i < 0 {
		return ""
	}
	return strings.Trim(path[i+len("/api/"):], "/")
}

// retryAfter reads a 429's Retry-After (whole seconds on Slack); one second if absent.
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.ParseFloat(strings.TrimSpace(h.Get("Retry-After")), 64)
	if err != nil || secs <= 0 {
		return time.Second
	}
	return time.Duration(secs * float64(time.Second))
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
