package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"cohortbot/adapters/discordbot/discordtest"
)

// organizer runs the /cohort setup commands of the Discord run.
var organizer = discordtest.Member{ID: "1000000000000000101", Name: "Olga", Permissions: discordtest.PermManageGuild}

const (
	routeMessages = "POST /channels/{channel}/messages"
	routeThreads  = "POST /channels/{channel}/messages/{message}/threads"
)

func runDiscord(ctx context.Context, o options) error {
	tb := &fakeTB{}
	defer tb.close()
	fake := discordtest.New(tb)
	fake.SetLimits(discordtest.DefaultDiscordLimits())
	channels := make([]string, o.n)
	for i := range channels {
		channels[i] = fake.AddChannel(fmt.Sprintf("load-%d", i))
	}
	setupChannels := make([]string, o.setups)
	for i := range setupChannels {
		setupChannels[i] = fake.AddChannel(fmt.Sprintf("setup-%d", i))
	}

	url, db, drop, err := database(o.database, fmt.Sprintf("deliveryload_discord_%d", time.Now().Unix()))
	if err != nil {
		return err
	}
	defer drop()
	env := map[string]string{"DATABASE_URL": url, "DISCORD_TOKEN": fake.Token, "DISCORD_API_URL": fake.URL,
		"COHORTBOT_HTTP_ADDR": "127.0.0.1:0", "COHORTBOT_LOG_LEVEL": "info"}
	if err := migrate(o, env, "discord"); err != nil {
		return err
	}
	due := dueMinute(30 * time.Second)
	if err := seed(db, "discord", discordtest.GuildID, channels, due); err != nil {
		return err
	}
	b, err := runBot(o.bin, logPath(o, "discord"), env, "run")
	if err != nil {
		return err
	}
	defer b.stop()
	for deadline := time.Now().Add(30 * time.Second); !fake.Connected(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the bot did not connect to the fake Discord (log: %s)", logPath(o, "discord"))
		}
	}
	fmt.Printf("discord: %d cohorts due at %s UTC; %d /cohort setup at %.0f/s from then on\n", o.n, due.Format("15:04:05"), o.setups, o.setupRate)
	if err := sleepUntil(ctx, due); err != nil {
		return err
	}

	// Setups in other channels while the cards go out.
	var mu sync.Mutex
	var setupIDs []string
	setupsDone := make(chan struct{})
	go func() {
		defer close(setupsDone)
		tick := time.NewTicker(time.Duration(float64(time.Second) / o.setupRate))
		defer tick.Stop()
		start := due.AddDate(0, 0, 1).Format("2006-01-02")
		for i, ch := range setupChannels {
			if i > 0 {
				select {
				case <-tick.C:
				case <-ctx.Done():
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

	if err := waitOutboxIdle(ctx, db, o.n, 10*time.Minute); err != nil {
		return fmt.Errorf("discord fan-out: %w (log: %s)", err, logPath(o, "discord"))
	}
	<-setupsDone
	time.Sleep(3 * time.Second) // the last setups' answers (Discord allows 3 s)
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
	k := float64(requests) / float64(o.n)
	took := last.Sub(first)
	bound := time.Duration(float64(o.n) * k / 50 * float64(time.Second))
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
	sortDurations(acks)
	fmt.Printf("  first card → last thread message: %.1f s (cards from %s to %s)\n", took.Seconds(), first.Format("15:04:05.000"), last.Format("15:04:05.000"))
	fmt.Printf("  requests per card k = %.2f (%d message creates and thread starts for %d cards; %d thread messages)\n", k, requests, o.n, threadMsgs)
	fmt.Printf("  bound N·k/50 = %.1f s; ratio %.3f (want ≤ 1.1)\n", bound.Seconds(), took.Seconds()/bound.Seconds())
	fmt.Printf("  429s: %d\n", fake.RateLimited())
	fmt.Printf("  channels with their card: %d of %d; messages duplicated: %d; missing: %d\n", cards, o.n, duplicated, missing)
	if len(acks) > 0 {
		fmt.Printf("  /cohort setup acknowledged: p50 %s, p99 %s, max %s (%d answered, %d unanswered)\n",
			ms(percentile(acks, 50)), ms(percentile(acks, 99)), ms(acks[len(acks)-1]), len(acks), unanswered)
	}
	return nil
}

// migrate runs `cohortbot migrate up` with env.
func migrate(o options, env map[string]string, name string) error {
	m, err := runBot(o.bin, logPath(o, name+"-migrate"), env, "migrate", "up")
	if err != nil {
		return err
	}
	if err := m.wait(2 * time.Minute); err != nil {
		return fmt.Errorf("cohortbot migrate up: %w (log: %s)", err, logPath(o, name+"-migrate"))
	}
	return nil
}
