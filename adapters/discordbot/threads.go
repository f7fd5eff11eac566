package discordbot

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/bwmarrin/discordgo"

	"cohortbot/internal/study"
)

// onMessage passes a member's message in a thread to the core, which checks them in when
// the thread is a day's; the core's ✅ goes on the message as a reaction. Messages by
// bots or outside threads never reach the core. Without the message-content intent the
// text is empty; the reply still counts.
func (b *Bot) onMessage(m *discordgo.Message) {
	if m.GuildID == "" || m.Author == nil || m.Author.Bot || m.Author.System || m.WebhookID != "" {
		return
	}
	if _, bot := b.ids(); m.Author.ID == bot {
		return
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return
	}
	b.work.Do("discord thread reply", time.Minute, func(ctx context.Context) {
		log := b.log.With("message", m.ID, "thread", m.ChannelID)
		info, err := b.channel(ctx, m.ChannelID)
		if err != nil {
			log.Warn("discord: look up channel of a message", "err", err)
			return
		}
		if !info.thread || info.parent == "" {
			return
		}
		nick := ""
		if m.Member != nil {
			nick = m.Member.Nick
		}
		reply, err := b.core.Handle(ctx, study.Request{
			Channel: study.ChannelRef{Platform: Platform, Workspace: m.GuildID, Channel: info.parent},
			User:    study.UserRef{Platform: Platform, Workspace: m.GuildID, ID: m.Author.ID, Name: displayName(m.Author, nick)},
			Thread:  m.ChannelID,
			Source:  study.SourceReply,
			Text:    m.Content,
		})
		if err != nil {
			if !study.IsNotACheckIn(err) {
				log.Info("discord: thread reply not counted", "reason", study.ErrorMessage(err))
			}
			return
		}
		if reply.React == "" {
			return
		}
		url := discordgo.EndpointMessageReaction(m.ChannelID, m.ID, urlEmoji(reply.React), "@me")
		if err := b.call(ctx, "PUT /channels/{channel}/messages/{message}/reactions/{emoji}/@me", http.MethodPut, url, nil, nil,
			callOpts{idempotent: true, major: m.ChannelID}); err != nil {
			log.Warn("discord: acknowledge check-in with a reaction", "err", err)
		}
	})
}

// urlEmoji is an emoji as a reaction URL's path segment.
func urlEmoji(e string) string { return url.PathEscape(e) }
