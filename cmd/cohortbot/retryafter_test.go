package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cohortbot/adapters/discordbot/discordtest"
	"cohortbot/adapters/slackbot/slackfake"
	"cohortbot/internal/logtest"
)

// A 429 asking for 2 s, through the real `run` wiring: the scheduler wakes for the retry
// on its own timer (no tick is due for a minute) and the post lands 2–2.5 s after the
// 429, once. The rate limit metric counts it.

// metricOf reads one series from the /metrics of the bot whose log is logs.
func metricOf(t *testing.T, logs *logtest.Buffer, series string) float64 {
	t.Helper()
	return metricAt(t, httpAddr(logs), series)
}

func TestSlackRunRetryAfterTwoSeconds(t *testing.T) {
	t.Parallel()
	b := runSlack(t, true)
	b.command(t, slackAdmin, "CRETRY", "/cohort", slackSetupText("23:30"), 1)
	b.fake.AddFault("chat.postMessage", slackfake.Fault{Status: http.StatusTooManyRequests, RetryAfter: 2, Count: 1})
	before := len(b.fake.Calls("chat.postMessage"))
	b.command(t, slackAdmin, "CRETRY", "/cohort", "post today", 1)
	var msgs []slackfake.Message
	if !b.fake.WaitFor(10*time.Second, func() bool {
		msgs = b.fake.Messages("CRETRY")
		return len(msgs) >= 2 // the card and its thread
	}) {
		t.Fatalf("the card did not land:\n%s", b.logs)
	}
	calls := b.fake.Calls("chat.postMessage")[before:]
	refused := calls[0] // the 429
	if wait := msgs[0].At.Sub(refused); wait < 2*time.Second || wait > 2500*time.Millisecond {
		t.Errorf("the card landed %s after the 429 asking for 2 s", wait)
	}
	roots := 0
	for _, m := range msgs {
		if m.ThreadTS == "" {
			roots++
		} else if m.ThreadTS != msgs[0].TS {
			t.Errorf("a thread message outside the card's thread")
		}
	}
	if roots != 1 {
		t.Errorf("%d cards in the channel, want 1", roots)
	}
	if n := metricOf(t, b.logs, `cohortbot_platform_rate_limited_total{platform="slack"}`); n != 1 {
		t.Errorf("rate limited metric %v, want 1", n)
	}
}

func TestDiscordRunRetryAfterTwoSeconds(t *testing.T) {
	t.Parallel()
	fake, logs := runDiscord(t, map[string]string{"COHORTBOT_HTTP_ADDR": "127.0.0.1:0"})
	setupCohort(t, fake, discordtest.ChannelID, "23:30")
	route := "POST /channels/{channel}/messages"
	fake.Fail(route, discordtest.Fault{Status: 429, RetryAfter: 2 * time.Second}, 1)
	r := fake.Reply(t, fake.Command(discordtest.ChannelID, discordOrganizer, "cohort", discordtest.Sub("post", discordtest.Str("kind", "today"))))
	if !strings.Contains(r.Text(), "Posting today's card now") {
		t.Fatalf("/cohort post today: %q", r.Text())
	}
	var card discordtest.Message
	discordtest.WaitFor(t, "the card and its thread", 10*time.Second, func() bool {
		msgs := fake.Messages(discordtest.ChannelID)
		if len(msgs) == 0 {
			return false
		}
		card = msgs[0]
		return len(fake.Messages(card.ID)) > 0
	})
	reqs := fake.Requests(route)
	if reqs[0].Status != 429 || reqs[1].Status != 200 {
		t.Fatalf("requests: %d then %d", reqs[0].Status, reqs[1].Status)
	}
	if wait := reqs[1].At.Sub(reqs[0].Answered); wait < 2*time.Second || wait > 2500*time.Millisecond {
		t.Errorf("sent again %s after the 429 asking for 2 s", wait)
	}
	if n := len(fake.Messages(discordtest.ChannelID)); n != 1 {
		t.Errorf("%d messages in the channel, want the card once", n)
	}
	if n := len(fake.Threads(discordtest.ChannelID)); n != 1 {
		t.Errorf("%d threads", n)
	}
	if n := metricOf(t, logs, `cohortbot_platform_rate_limited_total{platform="discord"}`); n != 1 {
		t.Errorf("rate limited metric %v, want 1", n)
	}
}
