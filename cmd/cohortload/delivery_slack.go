package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"cohortbot/adapters/slackbot/slackfake"
)

// slack fans out cfg.slackN cohorts' cards through the fake Slack with Slack's limits on.
func (r fanOutRun) slack(ctx context.Context, cfg deliveryConfig, out io.Writer) error {
	tb := &fakeTB{}
	defer tb.close()
	fake := slackfake.New(tb)
	fake.SetLimits(slackfake.DefaultSlackLimits())
	channels := make([]string, cfg.slackN)
	for i := range channels {
		channels[i] = fmt.Sprintf("C%08d", i+1)
	}

	env := map[string]string{"SLACK_BOT_TOKEN": fake.BotToken, "SLACK_APP_TOKEN": fake.AppToken,
		"SLACK_API_URL": fake.APIURL(), "COHORTBOT_HTTP_ADDR": "127.0.0.1:0", "COHORTBOT_LOG_LEVEL": "info"}
	db, b, due, err := r.start(ctx, "slack", slackfake.TeamID, channels, 20*time.Second, env,
		func() bool { return fake.Connections() > 0 })
	if err != nil {
		return err
	}
	defer db.close()
	defer b.stop()
	fmt.Fprintf(out, "slack: %d cohorts due at %s UTC (chat.postMessage: 1 a second per channel, bursts of 3)\n", cfg.slackN, due.Format("15:04:05"))
	if err := sleepUntil(ctx, due); err != nil {
		return err
	}
	if err := waitOutboxIdle(ctx, db.db, cfg.slackN, 10*time.Minute); err != nil {
		return b.withLog(fmt.Errorf("fan-out: %w", err))
	}
	b.stop()

	var first, last time.Time
	cards, missing, duplicated, messages := 0, 0, 0, 0
	var slowest time.Duration
	for _, ch := range channels {
		msgs := fake.Messages(ch)
		messages += len(msgs)
		var root *slackfake.Message
		seen := map[string]bool{}
		var chFirst, chLast time.Time
		for i, m := range msgs {
			if m.ThreadTS == "" {
				if root != nil {
					duplicated++
					continue
				}
				root = &msgs[i]
				chFirst = m.At
				continue
			}
			text := strings.Join(slackfake.Texts(m.Blocks), "\n")
			if seen[text] {
				duplicated++
			}
			seen[text] = true
			chLast = m.At
		}
		if root == nil || len(seen) == 0 {
			missing++
			continue
		}
		cards++
		if first.IsZero() || chFirst.Before(first) {
			first = chFirst
		}
		if chLast.After(last) {
			last = chLast
		}
		slowest = max(slowest, chLast.Sub(chFirst))
	}
	calls := len(fake.Calls("chat.postMessage"))
	k := float64(calls) / float64(cfg.slackN)
	took := last.Sub(first)
	// Channels are independent: each sends its k messages at one a second.
	bound := time.Duration((k - 1) * float64(time.Second))
	fmt.Fprintf(out, "  first card → last thread message: %.2f s; slowest channel %.2f s from its card to its last thread message\n", took.Seconds(), slowest.Seconds())
	fmt.Fprintf(out, "  messages per card k = %.2f (%d chat.postMessage calls for %d cards)\n", k, calls, cfg.slackN)
	fmt.Fprintf(out, "  bound (k−1)·1 s per channel, channels in parallel = %.1f s; ratio %.3f (want ≤ 1.1)\n", bound.Seconds(), took.Seconds()/bound.Seconds())
	fmt.Fprintf(out, "  429s: %d\n", fake.RateLimited())
	fmt.Fprintf(out, "  channels with their card: %d of %d; messages duplicated: %d; missing: %d\n", cards, cfg.slackN, duplicated, missing)
	return nil
}
