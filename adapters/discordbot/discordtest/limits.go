package discordtest

import (
	"crypto/md5"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Rate limits as https://discord.com/developers/docs/topics/rate-limits documents them:
// every answer carries its route's bucket (X-RateLimit-Limit, -Remaining, -Reset,
// -Reset-After, -Bucket); a request over a limit gets 429 with Retry-After (whole
// seconds), X-RateLimit-Scope (user, global or shared), X-RateLimit-Global on the global
// limit, and the body {"message", "retry_after", "global"}. Per-route buckets count per
// top-level resource (channel, guild, webhook or interaction token); the global limit
// counts every request except those to interaction endpoints.

// DiscordLimits are the rate limits the fake enforces after SetLimits. A zero field is no
// limit.
type DiscordLimits struct {
	// GlobalPerSecond is how many requests the bot may make per second on all routes
	// together, interaction endpoints excepted (Discord: 50).
	GlobalPerSecond int
	// ChannelMessages message creates (POST /channels/{channel}/messages) are allowed per
	// channel per ChannelWindow (what Discord gives bots: 5 per 5 s).
	ChannelMessages int
	ChannelWindow   time.Duration
	// Routes are the per-route buckets of other routes, by route name
	// ("PUT /channels/{channel}/messages/{message}/reactions/{emoji}/{user}").
	Routes map[string]RouteLimit
	// OtherRoutes is the bucket of every route not named above.
	OtherRoutes RouteLimit
}

// RouteLimit is a per-route bucket: Limit requests per Window, the window starting with
// the first request after the last one ended.
type RouteLimit struct {
	Limit  int
	Window time.Duration
}

// DefaultDiscordLimits are Discord's limits for a bot: 50 requests per second globally,
// 5 messages per 5 seconds per channel, and 50 per second on any other route (Discord
// does not publish those; they rarely bind before the global limit).
func DefaultDiscordLimits() DiscordLimits {
	return DiscordLimits{
		GlobalPerSecond: 50,
		ChannelMessages: 5,
		ChannelWindow:   5 * time.Second,
		OtherRoutes:     RouteLimit{Limit: 50, Window: time.Second},
	}
}

// limiter is the state of the buckets while limits are on.
type limiter struct {
	cfg     DiscordLimits
	global  window
	buckets map[string]*window // bucket id + top-level resource
}

// window is a fixed-window bucket.
type window struct {
	limit     int
	length    time.Duration
	remaining int
	reset     time.Time
}

// refill starts a new window if the last one is over.
func (b *window) refill(now time.Time) {
	if !now.Before(b.reset) {
		b.remaining, b.reset = b.limit, now.Add(b.length)
	}
}

// SetLimits turns rate limiting on with l, starting every bucket afresh;
// SetLimits(DiscordLimits{}) turns it off. It is off until called.
func (s *Server) SetLimits(l DiscordLimits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.GlobalPerSecond == 0 && l.ChannelMessages == 0 && len(l.Routes) == 0 && l.OtherRoutes.Limit == 0 {
		s.limits = nil
		return
	}
	s.limits = &limiter{cfg: l, buckets: map[string]*window{}}
}

// RateLimited counts the 429s the limits answered (not those of Fail).
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

// ThrottleChannel makes requests on channel id answer 429 with X-RateLimit-Scope: shared
// for d: the channel itself is being rate limited, not the bot ("The resource is being
// rate limited."). Such 429s do not use up the bot's buckets.
func (s *Server) ThrottleChannel(id string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttled[id] = time.Now().Add(d)
}

// rateLimitBody is Discord's rate limit response structure.
type rateLimitBody struct {
	Message    string  `json:"message"`
	RetryAfter float64 `json:"retry_after"`
	Global     bool    `json:"global"`
}

// exemptFromGlobal reports whether route is an interaction endpoint, which Discord does
// not count against the bot's global limit.
func exemptFromGlobal(route string) bool {
	return strings.HasPrefix(route, "POST /interactions/") || strings.Contains(route, " /webhooks/")
}

// topLevel is the top-level resource of a request: per-route limits count per channel,
// guild, webhook (id and token) or interaction (id and token).
func topLevel(r *http.Request) string {
	switch {
	case r.PathValue("channel") != "":
		return "channel:" + r.PathValue("channel")
	case r.PathValue("token") != "":
		return "token:" + r.PathValue("app") + r.PathValue("interaction") + "/" + r.PathValue("token")
	case r.PathValue("guild") != "":
		return "guild:" + r.PathValue("guild")
	}
	return ""
}

// bucketID names a route's bucket as X-RateLimit-Bucket does: the same for every
// top-level resource.
func bucketID(route string) string {
	sum := md5.Sum([]byte(route))
	return hex.EncodeToString(sum[:])
}

// limit counts the request against the limits and, when it is over one, returns the 429
// to answer instead. It sets the rate limit headers on w either way.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, route string) (status int, resp any, over bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limits
	cid := r.PathValue("channel")
	now := time.Now()
	shared := cid != "" && now.Before(s.throttled[cid])
	if l == nil && !shared {
		return 0, nil, false
	}
	var b *window
	if l != nil {
		rl, ok := l.cfg.Routes[route]
		if route == "POST /channels/{channel}/messages" && l.cfg.ChannelMessages > 0 {
			rl, ok = RouteLimit{Limit: l.cfg.ChannelMessages, Window: l.cfg.ChannelWindow}, true
		}
		if !ok {
			rl = l.cfg.OtherRoutes
		}
		if rl.Limit > 0 && rl.Window > 0 {
			key := bucketID(route) + "|" + topLevel(r)
			b = l.buckets[key]
			if b == nil {
				b = &window{limit: rl.Limit, length: rl.Window}
				l.buckets[key] = b
			}
			b.refill(now)
		}
	}
	h := w.Header()
	setRouteHeaders := func() {
		if b == nil {
			return
		}
		h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatFloat(ceil3(float64(b.reset.UnixMicro())/1e6), 'f', 3, 64))
		h.Set("X-RateLimit-Reset-After", seconds(b.reset.Sub(now)))
		h.Set("X-RateLimit-Bucket", bucketID(route))
	}
	tooMany := func(wait time.Duration, scope, message string, global bool) (int, any, bool) {
		s.rateLimited++
		h.Set("Retry-After", strconv.FormatFloat(math.Ceil(wait.Seconds()), 'f', 0, 64))
		h.Set("X-RateLimit-Scope", scope)
		if global {
			h.Set("X-RateLimit-Global", "true")
		}
		return http.StatusTooManyRequests, rateLimitBody{Message: message, RetryAfter: ceil3(wait.Seconds()), Global: global}, true
	}
	if shared {
		setRouteHeaders()
		return tooMany(s.throttled[cid].Sub(now), "shared", "The resource is being rate limited.", false)
	}
	if l.cfg.GlobalPerSecond > 0 && !exemptFromGlobal(route) {
		g := &l.global
		g.limit, g.length = l.cfg.GlobalPerSecond, time.Second
		g.refill(now)
		if g.remaining == 0 {
			// As in Discord's example, a global 429 carries no route headers.
			return tooMany(g.reset.Sub(now), "global", "You are being rate limited.", true)
		}
		g.remaining--
	}
	if b == nil {
		return 0, nil, false
	}
	if b.remaining == 0 {
		setRouteHeaders()
		return tooMany(b.reset.Sub(now), "user", "You are being rate limited.", false)
	}
	b.remaining--
	setRouteHeaders()
	return 0, nil, false
}

// seconds formats d in seconds with millisecond precision, as Discord's headers do.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(ceil3(d.Seconds()), 'f', 3, 64)
}

// ceil3 rounds x seconds up to the millisecond, so that a client waiting that long never
// comes back early.
func ceil3(x float64) float64 { return math.Ceil(x*1000) / 1000 }
