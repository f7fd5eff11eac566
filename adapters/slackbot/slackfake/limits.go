package slackfake

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Rate limits as https://api.slack.com/docs/rate-limits documents them: each Web API
// method has a tier allowing so many calls per minute (per method, app and workspace),
// and chat.postMessage a special one, about one message per second per channel with short
// bursts allowed. A call over a limit gets HTTP 429 with Retry-After in whole seconds and
// {"ok": false, "error": "ratelimited"}.

// Slack's Web API tiers, in calls per minute.
const (
	Tier1 = 1
	Tier2 = 20
	Tier3 = 50
	Tier4 = 100
)

// SlackLimits are the rate limits the fake enforces after SetLimits. A zero field is no
// limit.
type SlackLimits struct {
	// ChannelBurst chat.postMessage calls may go to one channel at once; after that one
	// more every ChannelEvery (Slack: one per second, short bursts allowed).
	ChannelBurst int
	ChannelEvery time.Duration
	// PerMinute caps the calls of each method named in it per Minute (time.Minute when
	// zero): Tier1 … Tier4, or any number.
	PerMinute map[string]int
	Minute    time.Duration
}

// DefaultSlackLimits are Slack's limits for the methods the fake serves: the tier of
// each (apps.connections.open Tier 1, reactions.add, conversations.history and
// conversations.replies Tier 3 (an internal app's; Marketplace rules differ),
// chat.postEphemeral and users.info Tier 4, auth.test "hundreds per minute": 200) and chat.postMessage paced at
// one per second per channel. Slack does not publish the burst it tolerates; the fake
// allows 3.
func DefaultSlackLimits() SlackLimits {
	return SlackLimits{
		ChannelBurst: 3,
		ChannelEvery: time.Second,
		PerMinute: map[string]int{
			"apps.connections.open": Tier1,
			"reactions.add":         Tier3,
			"conversations.history": Tier3,
			"conversations.replies": Tier3,
			"chat.postEphemeral":    Tier4,
			"users.info":            Tier4,
			"auth.test":             200,
		},
		Minute: time.Minute,
	}
}

// limiter is the state of the limits while they are on.
type limiter struct {
	cfg      SlackLimits
	channels map[string]*pacer  // chat.postMessage per channel
	methods  map[string]*window // per method
}

// pacer is a token bucket: burst tokens, one more every period.
type pacer struct {
	burst, avail int
	every        time.Duration
	next         time.Time // when the next token comes; zero when full
}

// wait refills the bucket and says how long until a token is free (0: now).
func (p *pacer) wait(now time.Time) time.Duration {
	for p.avail < p.burst && !now.Before(p.next) {
		p.avail++
		p.next = p.next.Add(p.every)
	}
	if p.avail == p.burst {
		p.next = time.Time{}
	}
	if p.avail == 0 {
		return p.next.Sub(now)
	}
	return 0
}

// take uses a token; wait must have said one is free.
func (p *pacer) take(now time.Time) {
	p.avail--
	if p.next.IsZero() {
		p.next = now.Add(p.every)
	}
}

// window is a fixed window: limit calls, the window starting with the first call after
// the last one ended.
type window struct {
	limit, used int
	length      time.Duration
	end         time.Time
}

// wait starts a new window if the last one is over and says how long until a call is
// allowed (0: now).
func (w *window) wait(now time.Time) time.Duration {
	if !now.Before(w.end) {
		w.used, w.end = 0, now.Add(w.length)
	}
	if w.used == w.limit {
		return w.end.Sub(now)
	}
	return 0
}

func (w *window) take() { w.used++ }

// SetLimits turns rate limiting on with l, starting every bucket afresh;
// SetLimits(SlackLimits{}) turns it off. It is off until called.
func (s *Server) SetLimits(l SlackLimits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.ChannelBurst == 0 && len(l.PerMinute) == 0 {
		s.limits = nil
		return
	}
	if l.Minute == 0 {
		l.Minute = time.Minute
	}
	s.limits = &limiter{cfg: l, channels: map[string]*pacer{}, methods: map[string]*window{}}
}

// RateLimited counts the 429s the limits answered (not those of AddFault).
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

// limit counts a call against the limits; over one, it answers 429 and returns false.
func (s *Server) limit(w http.ResponseWriter, method, channel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limits
	if l == nil {
		return true
	}
	now := time.Now()
	// A call over either limit uses up neither.
	var wait time.Duration
	var m *window
	if n := l.cfg.PerMinute[method]; n > 0 {
		if m = l.methods[method]; m == nil {
			m = &window{limit: n, length: l.cfg.Minute}
			l.methods[method] = m
		}
		wait = max(wait, m.wait(now))
	}
	var p *pacer
	if method == "chat.postMessage" && channel != "" && l.cfg.ChannelBurst > 0 && l.cfg.ChannelEvery > 0 {
		if p = l.channels[channel]; p == nil {
			p = &pacer{burst: l.cfg.ChannelBurst, avail: l.cfg.ChannelBurst, every: l.cfg.ChannelEvery}
			l.channels[channel] = p
		}
		wait = max(wait, p.wait(now))
	}
	if wait == 0 {
		if m != nil {
			m.take()
		}
		if p != nil {
			p.take(now)
		}
		return true
	}
	s.rateLimited++
	s.notify()
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte(`{"ok":false,"error":"ratelimited"}` + "\n"))
	return false
}
