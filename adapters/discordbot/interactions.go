package discordbot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/bwmarrin/discordgo"

	"cohortbot/internal/study"
)

// interactionLife bounds the work for one interaction: its token lasts 15 minutes.
const interactionLife = 14 * time.Minute

type answer struct {
	reply study.Reply
	err   error
}

// onInteraction answers an interaction within Discord's 3 seconds: the core's answer
// directly when it comes in time, otherwise a deferral (type 5) and then an edit of the
// original response.
func (b *Bot) onInteraction(i *discordgo.Interaction, raw json.RawMessage) {
	b.work.Do("discord interaction", interactionLife, func(ctx context.Context) {
		log := b.log.With("interaction", i.ID, "kind", i.Type.String())
		switch i.Type {
		case discordgo.InteractionApplicationCommandAutocomplete:
			b.autocomplete(ctx, i)
			return
		case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent:
		default:
			return
		}
		eph := personal(i)
		result := b.answerSoon(ctx, i, raw, log)
		budget := b.deferBudget(i.ID)
		timer := time.NewTimer(budget)
		defer timer.Stop()
		var early <-chan answer = result
		if budget <= 0 {
			// No time left to wait for the core (a lagging gateway): defer at once rather
			// than race an answer that may be ready already.
			early = nil
		}
		select {
		case a := <-early:
			b.respond(ctx, i, replyOf(a))
		case <-timer.C:
			deferred := b.deferReply(ctx, i, eph, log)
			reply := replyOf(<-result)
			if deferred {
				b.finishDeferred(ctx, i, eph, reply, log)
			} else {
				b.respond(ctx, i, reply) // the deferral failed: try a direct answer
			}
		}
	})
}

// interactionWorkers is how many interactions the core works on at once: enough to
// keep the store's 20 connections busy and let concurrent check-ins share commits.
const interactionWorkers = 64

// errNoWorker: the bot shut down (or the interaction expired) before a worker was free.
var errNoWorker = errors.New("no worker was free before shutdown")

// answerSoon has a worker ask the core, and returns where its answer will come. With
// every worker busy, a goroutine waits for one, so that the caller still defers in time.
func (b *Bot) answerSoon(ctx context.Context, i *discordgo.Interaction, raw json.RawMessage, log *slog.Logger) <-chan answer {
	result := make(chan answer, 1)
	job := func() {
		// The core's chain recovers its own panics; this guards the translation.
		defer func() {
			if r := recover(); r != nil {
				log.Error("discord request panicked", "panic", r)
				result <- answer{err: errPanicked}
			}
		}()
		reply, err := b.answer(ctx, i, raw)
		result <- answer{reply, err}
	}
	if !b.workers.TrySubmit(job) {
		go func() {
			if !b.workers.Submit(ctx, job) {
				result <- answer{err: study.Unavailable("discord interaction", errNoWorker)}
			}
		}()
	}
	return result
}

// personal predicts whether an interaction's answer is ephemeral, to defer it the same
// way: the command table says which commands answer the channel.
func personal(i *discordgo.Interaction) bool {
	if i.Type != discordgo.InteractionApplicationCommand {
		return true
	}
	d, ok := commandData(i)
	if !ok {
		return true
	}
	sub := ""
	if len(d.Options) > 0 && d.Options[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		sub = d.Options[0].Name
	}
	return !study.PublicReply(d.Name, sub)
}

// deferBudget is how long to wait for the core: DeferAfter from the interaction's
// creation, read from its snowflake id, so that gateway lag counts. A clock running ahead
// of Discord's only makes the bot defer sooner, which is always safe.
func (b *Bot) deferBudget(id string) time.Duration {
	lag := time.Duration(0)
	if created, err := discordgo.SnowflakeTimestamp(id); err == nil {
		lag = max(0, time.Since(created))
	}
	return max(0, b.cfg.DeferAfter-lag)
}

// replyOf is what the member sees: the core's reply, or its one-line error.
func replyOf(a answer) study.Reply {
	if a.err != nil {
		return study.ErrorReply(a.err)
	}
	return a.reply
}
