package slackfake_test

import (
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"cohortbot/adapters/slackbot/slackfake"
)

func TestLimitsAreOffByDefault(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	for i := range 10 {
		if a := postMessage(t, s, "C1", fmt.Sprint("hello ", i), ""); !a.ok() || a.Header.Get("Retry-After") != "" {
			t.Fatalf("message %d: %d %v", i, a.Status, a.Body)
		}
	}
	if n := s.RateLimited(); n != 0 {
		t.Errorf("RateLimited %d", n)
	}
}

func TestPostMessageIsPacedPerChannel(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	const every = 250 * time.Millisecond
	s.SetLimits(slackfake.SlackLimits{ChannelBurst: 3, ChannelEvery: every})

	began := time.Now()
	root := postMessage(t, s, "C1", "card", "")
	if !root.ok() {
		t.Fatalf("first message: %d %v", root.Status, root.Body)
	}
	ts, _ := root.Body["ts"].(string)
	for i := range 2 {
		if a := postMessage(t, s, "C1", fmt.Sprint("part ", i), ts); !a.ok() {
			t.Fatalf("message %d of the burst: %d %v", i+2, a.Status, a.Body)
		}
	}
	// The burst is spent: the fourth message to C1 waits, thread reply or not.
	wantRateLimited(t, "fourth message", postMessage(t, s, "C1", "one too many", ts), 1, 1)
	wantRateLimited(t, "fourth message, in the channel", postMessage(t, s, "C1", "one too many", ""), 1, 1)
	// Another channel has its own pace; other methods are not paced.
	if a := postMessage(t, s, "C2", "elsewhere", ""); !a.ok() {
		t.Errorf("another channel: %d %v", a.Status, a.Body)
	}
	if a := call(t, s, "chat.postEphemeral", url.Values{"channel": {"C1"}, "user": {"U1"}, "text": {"psst"}}); !a.ok() {
		t.Errorf("chat.postEphemeral: %d %v", a.Status, a.Body)
	}

	// One more message per period.
	time.Sleep(every)
	if a := postMessage(t, s, "C1", "after a pause", ts); !a.ok() {
		t.Errorf("after %s: %d %v", every, a.Status, a.Body)
	}
	if time.Since(began) < 2*every { // else a second token may have come
		wantRateLimited(t, "right after", postMessage(t, s, "C1", "and again", ts), 1, 1)
	}
	if n := len(s.Messages("C1")); n != 4 {
		t.Errorf("%d messages in C1, want 4", n)
	}
	if n := s.RateLimited(); n < 2 {
		t.Errorf("RateLimited %d", n)
	}
}

// slack-go turns the 429 into a RateLimitedError with the wait Slack asked for.
func TestSlackGoSeesTheRateLimit(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	s.SetLimits(slackfake.SlackLimits{ChannelBurst: 2, ChannelEvery: time.Second})
	api := slack.New(s.BotToken, slack.OptionAPIURL(s.APIURL()))
	for i := range 2 {
		if _, _, err := api.PostMessage("C1", slack.MsgOptionText(fmt.Sprint("hello ", i), false)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	_, _, err := api.PostMessage("C1", slack.MsgOptionText("one too many", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("third message: %#v, want a RateLimitedError after 1s", err)
	}
	if n := s.RateLimited(); n != 1 {
		t.Errorf("RateLimited %d", n)
	}
}

func TestTierLimitsPerMethod(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	s.AddUser(slackfake.User{ID: "U1", Name: "ann"})
	const minute = 400 * time.Millisecond
	s.SetLimits(slackfake.SlackLimits{PerMinute: map[string]int{"users.info": 3, "reactions.add": slackfake.Tier1}, Minute: minute})
	root := postMessage(t, s, "C1", "card", "") // chat.postMessage is not limited here
	ts, _ := root.Body["ts"].(string)

	user := url.Values{"user": {"U1"}}
	for i := range 3 {
		if a := call(t, s, "users.info", user); !a.ok() {
			t.Fatalf("users.info %d: %d %v", i, a.Status, a.Body)
		}
	}
	wantRateLimited(t, "fourth users.info", call(t, s, "users.info", user), 1, 1)
	if a := call(t, s, "reactions.add", url.Values{"channel": {"C1"}, "timestamp": {ts}, "name": {"white_check_mark"}}); !a.ok() {
		t.Errorf("reactions.add: %d %v", a.Status, a.Body)
	}
	wantRateLimited(t, "second reactions.add", call(t, s, "reactions.add", url.Values{"channel": {"C1"}, "timestamp": {ts}, "name": {"tada"}}), 1, 1)
	for i := range 10 {
		if a := call(t, s, "auth.test", nil); !a.ok() {
			t.Fatalf("auth.test %d (not limited): %d %v", i, a.Status, a.Body)
		}
	}

	time.Sleep(minute)
	if a := call(t, s, "users.info", user); !a.ok() {
		t.Errorf("users.info in the next window: %d %v", a.Status, a.Body)
	}
	if n := s.RateLimited(); n != 2 {
		t.Errorf("RateLimited %d, want 2", n)
	}
	if n := len(s.Calls("users.info")); n != 5 {
		t.Errorf("%d users.info calls recorded, want 5 (429s included)", n)
	}
}

func TestDefaultLimitsFollowSlackTiers(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	l := slackfake.DefaultSlackLimits()
	want := map[string]int{"apps.connections.open": 1, "reactions.add": 50, "chat.postEphemeral": 100, "users.info": 100}
	for m, n := range want {
		if l.PerMinute[m] != n {
			t.Errorf("%s: %d per minute, want %d", m, l.PerMinute[m], n)
		}
	}
	if l.ChannelEvery != time.Second || l.Minute != time.Minute || l.ChannelBurst < 2 {
		t.Errorf("defaults %+v", l)
	}
	s.SetLimits(l)
	// Tier 1: apps.connections.open once a minute.
	if a := call(t, s, "apps.connections.open", nil); !a.ok() {
		t.Fatalf("apps.connections.open: %d %v", a.Status, a.Body)
	}
	wantRateLimited(t, "second apps.connections.open", call(t, s, "apps.connections.open", nil), 59, 60)
	for i := range l.ChannelBurst {
		if a := postMessage(t, s, "C1", fmt.Sprint("burst ", i), ""); !a.ok() {
			t.Fatalf("message %d of the burst: %d %v", i, a.Status, a.Body)
		}
	}
	wantRateLimited(t, "past the burst", postMessage(t, s, "C1", "one too many", ""), 1, 1)
}
