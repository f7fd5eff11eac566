package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cohortbot/adapters/slackbot/slackfake"
)

func runSlack(ctx context.Context, o options) error {
	tb := &fakeTB{}
	defer tb.close()
	fake := slackfake.New(tb)
	fake.SetLimits(slackfake.DefaultSlackLimits())
	channels := make([]string, o.slackN)
	for i := range channels {
		channels[i] = fmt.Sprintf("C%08d", i+1)
	}
	url, db, drop, err := database(o.database, fmt.Sprintf("deliveryload_slack_%d", time.Now().Unix()))
	if err != nil {
		return err
	}
	defer drop()
	env := map[string]string{"DATABASE_URL": url, "SLACK_BOT_TOKEN": fake.BotToken, "SLACK_APP_TOKEN": fake.AppToken,
		"SLACK_API_URL": fake.APIURL(), "COHORTBOT_HTTP_ADDR": "127.0.0.1:0", "COHORTBOT_LOG_LEVEL": "info"}
	if err := migrate(o, env, "slack"); err != nil {
		return err
	}
	due := dueMinute(20 * time.Second)
	if err := seed(db, "slack", slackfake.TeamID, channels, due); err != nil {
		return err
	}
	b, err := runBot(o.bin, logPath(o, "slack"), env, "run")
	if err != nil {
		return err
	}
	defer b.stop()
	for deadline := time.Now().Add(30 * time.Second); fake.Connections() == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the bot did not connect to the fake Slack (log: %s)", logPath(o, "slack"))
		}
	}
	fmt.Printf("slack: %d cohorts due at %s UTC (chat.postMessage: 1 a second per channel, bursts of 3)\n", o.slackN, due.Format("15:04:05"))
	if err := sleepUntil(ctx, due); err != nil {
		return err
	}
	if err := waitOutboxIdle(ctx, db, o.slackN, 10*time.Minute); err != nil {
		return fmt.Errorf("slack fan-out: %w (log: %s)", err, logPath(o, "slack"))
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
	k := float64(calls) / float64(o.slackN)
	took := last.Sub(first)
	// Channels are independent: each sends its k messages at one a second.
	bound := time.Duration((k - 1) * float64(time.Second))
	fmt.Printf("  first card → last thread message: %.2f s; slowest channel %.2f s from its card to its last thread message\n", took.Seconds(), slowest.Seconds())
	fmt.Printf("  messages per card k = %.2f (%d chat.postMessage calls for %d cards)\n", k, calls, o.slackN)
	fmt.Printf("  bound (k−1)·1 s per channel, channels in parallel = %.1f s; ratio %.3f (want ≤ 1.1)\n", bound.Seconds(), took.Seconds()/bound.Seconds())
	fmt.Printf("  429s: %d\n", fake.RateLimited())
	fmt.Printf("  channels with their card: %d of %d; messages duplicated: %d; missing: %d\n", cards, o.slackN, duplicated, missing)
	return nil
}
