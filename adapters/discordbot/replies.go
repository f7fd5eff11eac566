package discordbot

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"cohortbot/internal/study"
)

// Interaction callback types and message flags.
const (
	respondMessage      = 4 // CHANNEL_MESSAGE_WITH_SOURCE
	respondDeferred     = 5 // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
	respondAutocomplete = 8 // APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
	flagEphemeral       = 1 << 6
)

func renderReply(r study.Reply) []outMessage {
	var out []outMessage
	for _, m := range r.Messages {
		out = append(out, render(m)...)
	}
	if len(out) == 0 {
		out = []outMessage{{Content: "✅", Mentions: &noMentions{Parse: []string{}}}}
	}
	if r.Ephemeral {
		for i := range out {
			out[i].Flags = flagEphemeral
		}
	}
	return out
}

type callback struct {
	Type int `json:"type"`
	Data any `json:"data,omitempty"`
}

func (b *Bot) appIDOf(i *discordgo.Interaction) string {
	if i.AppID != "" {
		return i.AppID
	}
	app, _ := b.ids()
	return app
}

// respond answers directly: the first message as the response, the rest as follow-ups.
func (b *Bot) respond(ctx context.Context, i *discordgo.Interaction, r study.Reply) {
	msgs := renderReply(r)
	err := b.call(ctx, "POST /interactions/{id}/{token}/callback", http.MethodPost,
		discordgo.EndpointInteractionResponse(i.ID, i.Token), callback{Type: respondMessage, Data: msgs[0]}, nil,
		callOpts{})
	if err != nil {
		b.log.Error("discord: answer interaction", "interaction", i.ID, "err", err)
		return
	}
	b.followups(ctx, i, msgs[1:])
}

func (b *Bot) followups(ctx context.Context, i *discordgo.Interaction, msgs []outMessage) {
	for _, m := range msgs {
		err := b.call(ctx, "POST /webhooks/{app}/{token}", http.MethodPost,
			discordgo.EndpointFollowupMessage(b.appIDOf(i), i.Token)+"?wait=true", m, nil,
			callOpts{major: b.appIDOf(i)})
		if err != nil {
			b.log.Error("discord: follow-up message", "interaction", i.ID, "err", err)
			return
		}
	}
}

// deferReply acknowledges the interaction ("cohortbot is thinking…"); eph makes the
// eventual answer visible only to the member.
func (b *Bot) deferReply(ctx context.Context, i *discordgo.Interaction, eph bool, log *slog.Logger) bool {
	cb := callback{Type: respondDeferred}
	if eph {
		cb.Data = outMessage{Flags: flagEphemeral}
	}
	err := b.call(ctx, "POST /interactions/{id}/{token}/callback", http.MethodPost,
		discordgo.EndpointInteractionResponse(i.ID, i.Token), cb, nil,
		callOpts{})
	if err != nil {
		log.Error("discord: defer interaction", "err", err)
		return false
	}
	return true
}

// finishDeferred edits the deferred response into the answer. A public deferral that
// ends in a personal answer (an error) is deleted and the answer sent as an ephemeral
// follow-up, so that the channel does not see it.
func (b *Bot) finishDeferred(ctx context.Context, i *discordgo.Interaction, eph bool, r study.Reply, log *slog.Logger) {
	msgs := renderReply(r)
	original := discordgo.EndpointInteractionResponseActions(b.appIDOf(i), i.Token)
	bucket := callOpts{idempotent: true, major: b.appIDOf(i)}
	if r.Ephemeral && !eph {
		if err := b.call(ctx, "DELETE /webhooks/{app}/{token}/messages/@original", http.MethodDelete, original, nil, nil, bucket); err != nil {
			log.Error("discord: delete deferred response", "err", err)
		}
		b.followups(ctx, i, msgs)
		return
	}
	first := msgs[0]
	first.Flags = 0 // an edit keeps the deferral's visibility
	if err := b.call(ctx, "PATCH /webhooks/{app}/{token}/messages/@original", http.MethodPatch, original, first, nil, bucket); err != nil {
		log.Error("discord: edit deferred response", "err", err)
		return
	}
	rest := msgs[1:]
	if eph {
		for k := range rest {
			rest[k].Flags = flagEphemeral
		}
	}
	b.followups(ctx, i, rest)
}
