package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"cohortbot/adapters/discordbot/discordtest"
)

const (
	routeMessages = "POST /channels/{channel}/messages"
	routeThreads  = "POST /channels/{channel}/messages/{message}/threads"
)

// discord fans out cfg.n cohorts' cards through the fake Discord with Discord's limits on,
// while an organizer runs cfg.setups /cohort setup in other channels at cfg.setupRate.
func (r fanOutRun) discord(ctx context.Context, cfg deliveryConfig, out io.Writer) error {
	fake := discordtest.Start()
	defer fake.Close()
	fake.SetLimits(discordtest.DefaultDiscordLimits())
	channels := make([]string, cfg.n)
	for i := range channels {
		channels[i] = fake.AddChannel(fmt.Sprintf("load-%d", i))
	}
	setupChannels := make([]string, cfg.setups)
	for i := range setupChannels {
		setupChannels[i] = fake.AddChannel(fmt.Sprintf("setup-%d", i))
	}

	env := map[string]string{"DISCORD_TOKEN": fake.Token, "DISCORD_API_URL": fake.URL,
		"COHORTBOT_HTTP_ADDR": "127.0.0.1:0", "COHORTBOT_LOG_LEVEL": "info"}
	db, b, due, err := r.start(ctx, "discord", discordtest.GuildID, channels, 30*time.Second, env, fake.Connected)
	if err != nil {
		return err
	}
	defer db.close()
	defer b.stop()
	fmt.Fprintf(out, "discord: %d cohorts due at %s UTC; %d /cohort setup at %.0f/s from then on\n", cfg.n, due.Format("15:04:05"), cfg.setups, cfg.setupRate)
	if err := sleepUntil(ctx, due); err != nil {
		return err
	}

	// Setups in other channels while the cards go out.
	organizer := discordtest.Member{ID: "1000000000000000101", Name: "Olga", Permissions: discordtest.PermManageGuild}
	var mu sync.Mutex
	var setupIDs []string
	setupCtx, cancelSetups := context.WithCancel(ctx)
	setupsDone := make(chan struct{})
	defer func() { cancelSetups(); <-setupsDone }()
	go func() {
		defer close(setupsDone)
		if cfg.setups == 0 {
			return
		}
		tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.setupRate))
		defer tick.Stop()
		start := due.AddDate(0, 0, 1).Format("2006-01-02")
		for i, ch := range setupChannels {
			if i > 0 {
				select {
				case <-tick.C:
				case <-setupCtx.Done():
					return
				}
			}
			id := fake.Command(ch, organizer, "cohort", discordtest.Sub("setup",
				discordtest.Str("start", start), discordtest.Str("time", "09:00"), discordtest.Str("tz", "UTC"),
				discordtest.Str("name", fmt.Sprintf("Setup %d", i))))
			mu.Lock()
			setupIDs = append(setupIDs, id)
			mu.Unlock()
		}
	}()

	if err := waitOutboxIdle(ctx, db.db, cfg.n, 10*time.Minute); err != nil {
		return b.withLog(fmt.Errorf("fan-out: %w", err))
	}
	<-setupsDone
	if err := sleepUntil(ctx, time.Now().Add(3*time.Second)); err != nil { // the last setups' answers (Discord allows 3 s)
		return err
	}
	b.stop()

	// What every channel got.
	var first, last time.Time
	cards, threadMsgs, missing, duplicated := 0, 0, 0, 0
	nonces := map[string]int{}
	for _, ch := range channels {
		msgs := fake.Messages(ch)
		switch {
		case len(msgs) == 0:
			missing++
			continue
		case len(msgs) > 1:
			duplicated += len(msgs) - 1
		}
		cards++
		card := msgs[0]
		if first.IsZero() || card.Time.Before(first) {
			first = card.Time
		}
		nonces[card.Nonce]++
		inThread := fake.Messages(card.ID)
		if len(inThread) == 0 {
			missing++
		}
		for _, m := range inThread {
			threadMsgs++
			nonces[m.Nonce]++
			if m.Time.After(last) {
				last = m.Time
			}
		}
	}
	for _, n := range nonces {
		if n > 1 {
			duplicated += n - 1
		}
	}
	requests := len(fake.Requests(routeMessages)) + len(fake.Requests(routeThreads))
	k := float64(requests) / float64(cfg.n)
	took := last.Sub(first)
	bound := time.Duration(float64(cfg.n) * k / 50 * float64(time.Second))
	var acks []time.Duration
	unanswered := 0
	for _, id := range setupIDs {
		ix := fake.Interaction(id)
		if len(ix.Callbacks) == 0 {
			unanswered++
			continue
		}
		acks = append(acks, ix.Callbacks[0].At.Sub(ix.Sent))
	}
	slices.Sort(acks)
	fmt.Fprintf(out, "  first card → last thread message: %.1f s (cards from %s to %s)\n", took.Seconds(), first.Format("15:04:05.000"), last.Format("15:04:05.000"))
	fmt.Fprintf(out, "  requests per card k = %.2f (%d message creates and thread starts for %d cards; %d thread messages)\n", k, requests, cfg.n, threadMsgs)
	fmt.Fprintf(out, "  bound N·k/50 = %.1f s; ratio %.3f (want ≤ 1.1)\n", bound.Seconds(), took.Seconds()/bound.Seconds())
	fmt.Fprintf(out, "  429s: %d\n", fake.RateLimited())
	fmt.Fprintf(out, "  channels with their card: %d of %d; messages duplicated: %d; missing: %d\n", cards, cfg.n, duplicated, missing)
	if len(acks) > 0 {
		fmt.Fprintf(out, "  /cohort setup acknowledged: p50 %s, p99 %s, max %s (%d answered, %d unanswered)\n",
			ms(percentile(acks, 0.50)), ms(percentile(acks, 0.99)), ms(acks[len(acks)-1]), len(acks), unanswered)
	}
	return nil
}
