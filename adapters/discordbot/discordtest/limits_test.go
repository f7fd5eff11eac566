package discordtest_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"cohortbot/adapters/discordbot/discordtest"
)

var alice = discordtest.Member{ID: "1000000000000000201", Name: "Alice"}

// secs reads a header or field of seconds.
func secs(t *testing.T, v any) time.Duration {
	t.Helper()
	var f float64
	switch v := v.(type) {
	case string:
		var err error
		if f, err = strconv.ParseFloat(v, 64); err != nil {
			t.Fatalf("%q is not a number of seconds", v)
		}
	case float64:
		f = v
	default:
		t.Fatalf("%#v is not a number of seconds", v)
	}
	return time.Duration(f * float64(time.Second))
}

// within fails unless 0 < d <= max (headers round up to the millisecond).
func within(t *testing.T, what string, d, max time.Duration) {
	t.Helper()
	if d <= 0 || d > max+time.Millisecond {
		t.Errorf("%s = %s, want in (0, %s]", what, d, max)
	}
}

// wantHeaders checks the headers that are set, and that the others are absent.
func wantHeaders(t *testing.T, a answer, want map[string]string) {
	t.Helper()
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Scope", "X-RateLimit-Global", "Retry-After"} {
		if got := a.Header.Get(h); got != want[h] {
			t.Errorf("%s: %q, want %q", h, got, want[h])
		}
	}
}

func TestLimitsAreOffByDefault(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	for i := range 10 {
		a := post(t, s, discordtest.ChannelID, fmt.Sprint("hello ", i))
		if a.Status != 200 {
			t.Fatalf("message %d: %d %v", i, a.Status, a.Body)
		}
		for h := range a.Header {
			if h == "Retry-After" || strings.HasPrefix(strings.ToLower(h), "x-ratelimit-") {
				t.Errorf("header %s without limits", h)
			}
		}
	}
	if n := s.RateLimited(); n != 0 {
		t.Errorf("RateLimited %d", n)
	}
}

func TestChannelMessagesBucket(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	const window = 500 * time.Millisecond
	s.SetLimits(discordtest.DiscordLimits{ChannelMessages: 3, ChannelWindow: window})

	var bucket, reset string
	for i := range 3 {
		a := post(t, s, discordtest.ChannelID, fmt.Sprint("message ", i))
		if a.Status != 200 {
			t.Fatalf("message %d: %d %v", i, a.Status, a.Body)
		}
		wantHeaders(t, a, map[string]string{"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": strconv.Itoa(2 - i)})
		within(t, "X-RateLimit-Reset-After", secs(t, a.Header.Get("X-RateLimit-Reset-After")), window)
		if i == 0 {
			bucket, reset = a.Header.Get("X-RateLimit-Bucket"), a.Header.Get("X-RateLimit-Reset")
			at := time.UnixMicro(int64(secs(t, reset) / time.Microsecond))
			within(t, "X-RateLimit-Reset - now", time.Until(at), window)
		}
		if b, r := a.Header.Get("X-RateLimit-Bucket"), a.Header.Get("X-RateLimit-Reset"); b != bucket || b == "" || r != reset {
			t.Errorf("message %d: bucket %q reset %q, want %q %q (one window)", i, b, r, bucket, reset)
		}
	}

	// The fourth in the window is one too many: 429, scope user.
	a := post(t, s, discordtest.ChannelID, "one too many")
	if a.Status != 429 {
		t.Fatalf("fourth message: %d %v", a.Status, a.Body)
	}
	wantHeaders(t, a, map[string]string{"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user", "Retry-After": "1"})
	if a.Header.Get("X-RateLimit-Bucket") != bucket || a.Header.Get("X-RateLimit-Reset") != reset {
		t.Errorf("429 bucket %q reset %q", a.Header.Get("X-RateLimit-Bucket"), a.Header.Get("X-RateLimit-Reset"))
	}
	if len(a.Body) != 3 || a.Body["message"] != "You are being rate limited." || a.Body["global"] != false {
		t.Errorf("429 body %v", a.Body)
	}
	wait := secs(t, a.Body["retry_after"])
	within(t, "retry_after", wait, window)
	if ra := secs(t, a.Header.Get("X-RateLimit-Reset-After")); ra != wait {
		t.Errorf("X-RateLimit-Reset-After %s, retry_after %s", ra, wait)
	}

	// Another channel has a bucket of its own, with the same bucket id.
	other := s.AddChannel("other")
	if a := post(t, s, other, "elsewhere"); a.Status != 200 || a.Header.Get("X-RateLimit-Remaining") != "2" || a.Header.Get("X-RateLimit-Bucket") != bucket {
		t.Errorf("other channel: %d remaining %q bucket %q", a.Status, a.Header.Get("X-RateLimit-Remaining"), a.Header.Get("X-RateLimit-Bucket"))
	}

	// Once the window is over, the bucket is full again.
	time.Sleep(wait)
	if a := post(t, s, discordtest.ChannelID, "after the reset"); a.Status != 200 || a.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("after the reset: %d remaining %q", a.Status, a.Header.Get("X-RateLimit-Remaining"))
	}

	if n := s.RateLimited(); n != 1 {
		t.Errorf("RateLimited %d, want 1", n)
	}
	var got []int
	for _, r := range s.Requests(messagesRoute) {
		got = append(got, r.Status)
	}
	if fmt.Sprint(got) != "[200 200 200 429 200 200]" {
		t.Errorf("statuses %v", got)
	}
	if n := len(s.Messages(discordtest.ChannelID)); n != 4 {
		t.Errorf("%d messages in #study, want 4", n)
	}
}

func TestGlobalLimitSparesInteractionEndpoints(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	ix := s.Interaction(s.Command(discordtest.ChannelID, alice, "today"))
	s.SetLimits(discordtest.DiscordLimits{GlobalPerSecond: 4})

	for i := range 4 {
		if a := call(t, s, "GET", "/users/@me", nil); a.Status != 200 {
			t.Fatalf("request %d: %d %v", i, a.Status, a.Body)
		}
	}
	a := call(t, s, "GET", "/users/@me", nil)
	if a.Status != 429 {
		t.Fatalf("fifth request in a second: %d %v", a.Status, a.Body)
	}
	// As in Discord's example of a global 429: no route headers.
	wantHeaders(t, a, map[string]string{"X-RateLimit-Scope": "global", "X-RateLimit-Global": "true", "Retry-After": "1"})
	if a.Header.Get("X-RateLimit-Bucket") != "" {
		t.Errorf("global 429 with a bucket %q", a.Header.Get("X-RateLimit-Bucket"))
	}
	if len(a.Body) != 3 || a.Body["message"] != "You are being rate limited." || a.Body["global"] != true {
		t.Errorf("429 body %v", a.Body)
	}
	within(t, "retry_after", secs(t, a.Body["retry_after"]), time.Second)

	// Interaction endpoints are not bound to the global limit.
	if a := call(t, s, "POST", "/interactions/"+ix.ID+"/"+ix.Token+"/callback", map[string]any{"type": 5}); a.Status != 204 {
		t.Errorf("callback under the global limit: %d %v", a.Status, a.Body)
	}
	hook := "/webhooks/" + discordtest.AppID + "/" + ix.Token
	if a := call(t, s, "PATCH", hook+"/messages/@original", map[string]any{"content": "done"}); a.Status != 200 {
		t.Errorf("edit original under the global limit: %d %v", a.Status, a.Body)
	}
	if a := call(t, s, "POST", hook, map[string]any{"content": "and more"}); a.Status != 200 {
		t.Errorf("follow-up under the global limit: %d %v", a.Status, a.Body)
	}
	// Everything else is.
	if a := post(t, s, discordtest.ChannelID, "hello"); a.Status != 429 || a.Header.Get("X-RateLimit-Scope") != "global" {
		t.Errorf("message under the global limit: %d %v", a.Status, a.Header)
	}
	if n := s.RateLimited(); n != 2 {
		t.Errorf("RateLimited %d, want 2", n)
	}
	if got := s.Interaction(ix.ID); len(got.Callbacks) != 1 || len(got.Edits) != 1 || len(got.Followups) != 1 {
		t.Errorf("interaction %+v", got)
	}
}

func TestDefaultLimitsHeadEveryAnswer(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	s.SetLimits(discordtest.DefaultDiscordLimits())

	me := call(t, s, "GET", "/users/@me", nil)
	ch := call(t, s, "GET", "/channels/"+discordtest.ChannelID, nil)
	msg := post(t, s, discordtest.ChannelID, "hello")
	gone := s.AddChannel("gone")
	s.DeleteChannel(gone)
	unknown := post(t, s, gone, "hello?")
	for _, c := range []struct {
		name             string
		a                answer
		status           int
		limit, remaining string
	}{
		{"GET /users/@me", me, 200, "50", "49"},
		{"GET /channels/{channel}", ch, 200, "50", "49"},
		{"POST message", msg, 200, "5", "4"},
		{"POST message, unknown channel", unknown, 404, "5", "4"},
	} {
		if c.a.Status != c.status {
			t.Errorf("%s: %d %v", c.name, c.a.Status, c.a.Body)
		}
		wantHeaders(t, c.a, map[string]string{"X-RateLimit-Limit": c.limit, "X-RateLimit-Remaining": c.remaining})
		if c.a.Header.Get("X-RateLimit-Bucket") == "" || c.a.Header.Get("X-RateLimit-Reset") == "" || c.a.Header.Get("X-RateLimit-Reset-After") == "" {
			t.Errorf("%s: headers %v", c.name, c.a.Header)
		}
	}
	if me.Header.Get("X-RateLimit-Bucket") == ch.Header.Get("X-RateLimit-Bucket") {
		t.Error("two routes share a bucket id")
	}
	if msg.Header.Get("X-RateLimit-Bucket") != unknown.Header.Get("X-RateLimit-Bucket") {
		t.Error("message creates in two channels have different bucket ids")
	}

	// SetLimits with nothing turns them off.
	s.SetLimits(discordtest.DiscordLimits{})
	if a := post(t, s, discordtest.ChannelID, "unlimited"); a.Status != 200 || a.Header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("after turning limits off: %d %v", a.Status, a.Header)
	}
}

func TestThrottledChannelAnswersShared(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	s.SetLimits(discordtest.DiscordLimits{ChannelMessages: 5, ChannelWindow: 5 * time.Second})
	if a := post(t, s, discordtest.ChannelID, "first"); a.Status != 200 {
		t.Fatalf("first: %d %v", a.Status, a.Body)
	}
	const d = 300 * time.Millisecond
	s.ThrottleChannel(discordtest.ChannelID, d)
	a := post(t, s, discordtest.ChannelID, "second")
	if a.Status != 429 {
		t.Fatalf("throttled channel: %d %v", a.Status, a.Body)
	}
	// The bot's own bucket is untouched: 4 left, as after the first message.
	wantHeaders(t, a, map[string]string{"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "4", "X-RateLimit-Scope": "shared", "Retry-After": "1"})
	if a.Body["message"] != "The resource is being rate limited." || a.Body["global"] != false {
		t.Errorf("429 body %v", a.Body)
	}
	wait := secs(t, a.Body["retry_after"])
	within(t, "retry_after", wait, d)
	if a := post(t, s, s.AddChannel("other"), "elsewhere"); a.Status != 200 {
		t.Errorf("another channel: %d", a.Status)
	}
	time.Sleep(wait)
	if a := post(t, s, discordtest.ChannelID, "third"); a.Status != 200 || a.Header.Get("X-RateLimit-Remaining") != "3" {
		t.Errorf("after the throttle: %d remaining %q", a.Status, a.Header.Get("X-RateLimit-Remaining"))
	}
	if n := s.RateLimited(); n != 1 {
		t.Errorf("RateLimited %d, want 1", n)
	}
}

// discordgo reads the route headers and waits out an empty bucket instead of running
// into a 429.
func TestDiscordgoKeepsToTheBucket(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	const window = 300 * time.Millisecond
	s.SetLimits(discordtest.DiscordLimits{GlobalPerSecond: 50, ChannelMessages: 2, ChannelWindow: window})
	dg, err := discordgo.New("Bot " + s.Token)
	if err != nil {
		t.Fatal(err)
	}
	dg.Client = fakeClient(t, s)
	for i := range 5 {
		if _, err := dg.ChannelMessageSend(discordtest.ChannelID, fmt.Sprint("message ", i)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if n := s.RateLimited(); n != 0 {
		t.Errorf("discordgo ran into %d 429s", n)
	}
	reqs := s.Requests(messagesRoute)
	if len(reqs) != 5 {
		t.Fatalf("%d requests", len(reqs))
	}
	// Two per window: the third and fifth wait for a new one.
	for _, i := range []int{2, 4} {
		if gap := reqs[i].At.Sub(reqs[i-2].At); gap < window {
			t.Errorf("message %d came %s after message %d, within one %s window", i, gap, i-2, window)
		}
	}
	for i, r := range reqs {
		if r.Status != 200 || r.Answered.Before(r.At) {
			t.Errorf("request %d: status %d, answered %s after arrival", i, r.Status, r.Answered.Sub(r.At))
		}
	}
}
