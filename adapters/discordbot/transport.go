package discordbot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// discordHost is where discordgo addresses every REST request (discordgo.EndpointDiscord).
const discordHost = "discord.com"

// apiTransport carries one Session's REST traffic: it paces it under a global request
// rate of our own and, when DISCORD_API_URL is set, sends it to that base URL.
//
// Why a RoundTripper: discordgo builds every REST URL from package-level variables
// computed at init (EndpointDiscord = "https://discord.com/", EndpointAPI,
// EndpointChannels, …). Reassigning them would redirect every Session in the process —
// two bots, or tests running in parallel against different fakes, would fight over them —
// and the derived variables computed at init would not even follow. A per-Session
// http.Client whose transport rewrites the scheme and host of requests addressed to
// https://discord.com (keeping the path, so a proxy base such as
// https://proxy.internal/discord works too) changes nothing global. The gateway URL needs
// no setting at all: it comes from the GET /api/v10/gateway response, as with Discord.
type apiTransport struct {
	base  *url.URL // nil: talk to Discord itself
	next  http.RoundTripper
	limit *limiter
}

func newTransport(apiURL string, rate float64, burst int) (*apiTransport, error) {
	t := &apiTransport{next: http.DefaultTransport.(*http.Transport).Clone(), limit: newLimiter(rate, burst)}
	if apiURL == "" {
		return t, nil
	}
	u, err := url.Parse(strings.TrimRight(apiURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("discord: API URL %q is not an http(s) URL", apiURL)
	}
	if u.Scheme == "https" && u.Host == discordHost && u.Path == "" {
		return t, nil // the default: no rewrite
	}
	t.base = u
	return t, nil
}

func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// Every request carries the bot token: never send one anywhere but Discord (or the
	// configured base that stands in for it).
	if req.URL.Scheme != "https" || req.URL.Host != discordHost {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("discord: refusing a request to %s: only %s is expected", req.URL.Host, discordHost)
	}
	if err := t.limit.wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if t.base != nil {
		r := req.Clone(req.Context())
		r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, ""
		if t.base.Path != "" {
			r.URL.Path = t.base.Path + req.URL.Path
			if req.URL.RawPath != "" {
				r.URL.RawPath = t.base.EscapedPath() + req.URL.RawPath
			}
		}
		req = r
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests && isGlobal(resp.Header) {
		// A global limit stops every route: hold all our requests, not only this bucket's.
		t.limit.pause(retryAfter(resp.Header))
	}
	return resp, err
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

// limiter spaces requests at a steady rate with a small burst (GCRA), well under
// Discord's global limit of 50 requests per second per bot.
type limiter struct {
	mu        sync.Mutex
	interval  time.Duration // one request's share of time
	tolerance time.Duration // how far ahead the burst may run
	tat       time.Time     // theoretical arrival time of the next request
	until     time.Time     // a global 429 holds everything until then
}

func newLimiter(rate float64, burst int) *limiter {
	if rate <= 0 {
		rate = DefaultRateLimit
	}
	if burst < 1 {
		burst = 1
	}
	iv := time.Duration(float64(time.Second) / rate)
	return &limiter{interval: iv, tolerance: iv * time.Duration(burst-1)}
}

func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	tat := l.tat
	if tat.Before(now) {
		tat = now
	}
	at := tat.Add(-l.tolerance)
	if l.until.After(at) {
		at = l.until
		if tat.Before(l.until) {
			tat = l.until
		}
	}
	l.tat = tat.Add(l.interval)
	l.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *limiter) pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := time.Now().Add(d); until.After(l.until) {
		l.until = until
	}
}
