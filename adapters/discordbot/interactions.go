package discordbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

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

// interactionLife bounds the work for one interaction: its token lasts 15 minutes.
const interactionLife = 14 * time.Minute

// errPanic stands for a recovered panic: the member sees the internal-error line.
var errPanic = errors.New("handler panicked")

type answer struct {
	reply study.Reply
	err   error
}

// publicSubs are the /cohort subcommands whose answers the channel sees; everything
// else (and every error) is shown only to the member who asked.
var publicSubs = map[string]bool{"setup": true, "pause": true, "resume": true, "skip": true, "set": true, "link": true}

// personal predicts whether an interaction's answer is ephemeral, to defer it the same way.
func personal(i *discordgo.Interaction) bool {
	if i.Type != discordgo.InteractionApplicationCommand {
		return true
	}
	d := i.ApplicationCommandData()
	if d.Name != "cohort" || len(d.Options) == 0 {
		return true
	}
	return !publicSubs[d.Options[0].Name]
}

// onInteraction answers an interaction within Discord's 3 seconds: the core's answer
// directly when it comes in time, otherwise a deferral (type 5) and then an edit of the
// original response. Panics are recovered, logged and answered with a short error.
func (b *Bot) onInteraction(i *discordgo.Interaction, raw json.RawMessage) {
	if !b.track() {
		return
	}
	defer b.wg.Done()
	log := b.log.With("interaction", i.ID, "kind", i.Type.String())
	defer func() {
		if r := recover(); r != nil {
			log.Error("discord interaction panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	ctx, cancel := context.WithTimeout(b.handlerCtx(), interactionLife)
	defer cancel()

	switch i.Type {
	case discordgo.InteractionApplicationCommandAutocomplete:
		b.autocomplete(ctx, i)
		return
	case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent:
	default:
		return
	}
	eph := personal(i)
	result := make(chan answer, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				log.Error("discord command panicked", "panic", r, "stack", string(debug.Stack()))
				result <- answer{err: errPanic}
			}
		}()
		reply, err := b.answer(ctx, i, raw)
		result <- answer{reply, err}
	}()
	timer := time.NewTimer(b.deferBudget(i.ID))
	defer timer.Stop()
	select {
	case a := <-result:
		b.respond(ctx, i, replyOf(a, log))
	case <-timer.C:
		deferred := b.deferReply(ctx, i, eph, log)
		a := <-result
		reply := replyOf(a, log)
		if deferred {
			b.finishDeferred(ctx, i, eph, reply, log)
		} else {
			b.respond(ctx, i, reply) // the deferral failed: try a direct answer
		}
	}
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

// replyOf turns the core's answer (or error) into what the member sees.
func replyOf(a answer, log *slog.Logger) study.Reply {
	if a.err == nil {
		return a.reply
	}
	if study.ErrorCode(a.err) == study.EINTERNAL {
		log.Error("discord command failed", "err", a.err)
	}
	return study.Reply{Ephemeral: true, Messages: []study.Message{{Sections: []study.Section{{Text: "⚠️ " + study.ErrorMessage(a.err)}}}}}
}

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
		callOpts{bucket: discordgo.EndpointInteractionResponse(i.ID, "")})
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
			callOpts{bucket: discordgo.EndpointFollowupMessage(b.appIDOf(i), i.Token)})
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
		callOpts{bucket: discordgo.EndpointInteractionResponse(i.ID, "")})
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
	bucket := callOpts{idempotent: true, bucket: discordgo.EndpointFollowupMessage(b.appIDOf(i), i.Token)}
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

// member returns who acted, and their permission bits and roles.
func member(i *discordgo.Interaction) (u *discordgo.User, perms int64, roles []string, nick string) {
	if i.Member != nil {
		return i.Member.User, i.Member.Permissions, i.Member.Roles, i.Member.Nick
	}
	return i.User, 0, nil, ""
}

func displayName(u *discordgo.User, nick string) string {
	switch {
	case nick != "":
		return nick
	case u.GlobalName != "":
		return u.GlobalName
	}
	return u.Username
}

// answer computes the core's reply to a command or a button press.
func (b *Bot) answer(ctx context.Context, i *discordgo.Interaction, raw json.RawMessage) (study.Reply, error) {
	u, perms, roles, nick := member(i)
	if i.GuildID == "" || u == nil {
		return study.Reply{}, study.Errorf(study.EINVALID, "cohortbot works in server channels, not in direct messages.")
	}
	ch, err := b.channelRef(ctx, i, raw)
	if err != nil {
		return study.Reply{}, err
	}
	user := study.UserRef{Platform: Platform, Workspace: i.GuildID, ID: u.ID, Name: displayName(u, nick)}

	if i.Type == discordgo.InteractionMessageComponent {
		id := i.MessageComponentData().CustomID
		kind, day, ok := study.ParseAction(id)
		if !ok || kind != "done" {
			return study.Reply{}, study.Errorf(study.EINVALID, "This button is no longer in use.")
		}
		return b.svc.CheckIn(ctx, study.CheckInRequest{Channel: ch, User: user, Day: day, Source: study.SourceButton})
	}

	data := i.ApplicationCommandData()
	req := study.Request{Channel: ch, User: user, Command: data.Name, Options: map[string]string{}}
	if i.ChannelID != ch.Channel {
		req.Thread = i.ChannelID // typed in a day's thread: /done means that day
	}
	opts := data.Options
	if data.Name == "cohort" && len(opts) > 0 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		req.Sub, opts = opts[0].Name, opts[0].Options
	}
	for _, o := range opts {
		req.Options[o.Name] = optionString(o)
	}
	byPerm := perms&(discordgo.PermissionAdministrator|discordgo.PermissionManageGuild) != 0
	if data.Name == "cohort" || data.Name == "help" {
		req.Organizer = byPerm || b.hasOrganizerRole(ctx, ch, roles)
	}
	if req.Command == "cohort" && req.Sub == "set" {
		if role, ok := req.Options[SettingOrganizerRole]; ok {
			delete(req.Options, SettingOrganizerRole)
			return b.setOrganizerRole(ctx, req, role, byPerm)
		}
	}
	return b.svc.Handle(ctx, req)
}

// channelRef is the cohort channel of an interaction: the channel, or a thread's parent.
func (b *Bot) channelRef(ctx context.Context, i *discordgo.Interaction, raw json.RawMessage) (study.ChannelRef, error) {
	ch := study.ChannelRef{Platform: Platform, Workspace: i.GuildID, Channel: i.ChannelID}
	info, ok := parseRawChannel(raw)
	if !ok {
		var err error
		if info, err = b.channel(ctx, i.ChannelID); err != nil {
			return ch, fmt.Errorf("find channel %s: %w", i.ChannelID, err)
		}
	}
	if info.thread && info.parent != "" {
		ch.Channel = info.parent
	}
	return ch, nil
}

func optionString(o *discordgo.ApplicationCommandInteractionDataOption) string {
	switch v := o.Value.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return fmt.Sprint(o.Value)
}

func (b *Bot) hasOrganizerRole(ctx context.Context, ch study.ChannelRef, roles []string) bool {
	if len(roles) == 0 {
		return false
	}
	role, err := b.set.ChannelSetting(ctx, ch, SettingOrganizerRole)
	if err != nil {
		if study.ErrorCode(err) != study.ENOTFOUND {
			b.log.Error("discord: read organizer role", "channel", ch.Channel, "err", err)
		}
		return false
	}
	for _, r := range roles {
		if role != "" && r == role {
			return true
		}
	}
	return false
}

// setOrganizerRole handles /cohort set organizer-role:@role (the core does not know the
// setting), then passes any other settings of the same command to the core.
func (b *Bot) setOrganizerRole(ctx context.Context, req study.Request, role string, byPerm bool) (study.Reply, error) {
	if !byPerm {
		return study.Reply{}, study.Errorf(study.EFORBIDDEN, "Only members with Manage Server can choose the organizer role.")
	}
	if !isSnowflakeID(role) {
		return study.Reply{}, study.Errorf(study.EINVALID, "organizer-role must be a role of this server")
	}
	if role == req.Channel.Workspace {
		return study.Reply{}, study.Errorf(study.EINVALID, "@everyone cannot be the organizer role: pick a role that organizers have")
	}
	if err := b.set.SetChannelSetting(ctx, req.Channel, SettingOrganizerRole, role); study.ErrorCode(err) == study.ENOTFOUND {
		return study.Reply{}, study.Errorf(study.ENOTFOUND, "This channel has no cohort yet: run /cohort setup first, then choose the organizer role.")
	} else if err != nil {
		return study.Reply{}, fmt.Errorf("save organizer role: %w", err)
	}
	text := fmt.Sprintf("👥 Organizers of this cohort: members with Manage Server and members with <@&%s>. (For them to see /cohort, also allow the role in Server Settings → Integrations → cohortbot.)", role)
	msgs := []study.Message{{Sections: []study.Section{{Text: text}}}}
	if len(req.Options) > 0 {
		r, err := b.svc.Handle(ctx, req)
		if err != nil {
			return study.Reply{Messages: append(msgs, study.Message{Sections: []study.Section{{Text: "⚠️ " + study.ErrorMessage(err)}}}), Ephemeral: false}, nil
		}
		msgs = append(msgs, r.Messages...)
	}
	return study.Reply{Messages: msgs}, nil
}

func isSnowflakeID(s string) bool {
	if s == "" || len(s) > 21 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// autocomplete offers IANA time zones for the tz option (and nothing for others).
func (b *Bot) autocomplete(ctx context.Context, i *discordgo.Interaction) {
	data := i.ApplicationCommandData()
	opts := data.Options
	if len(opts) > 0 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		opts = opts[0].Options
	}
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	for _, o := range opts {
		if o.Focused && o.Name == "tz" {
			for _, z := range b.zones.match(optionString(o), 25) {
				choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: z, Value: z})
			}
		}
	}
	err := b.call(ctx, "POST /interactions/{id}/{token}/callback", http.MethodPost,
		discordgo.EndpointInteractionResponse(i.ID, i.Token),
		callback{Type: respondAutocomplete, Data: map[string]any{"choices": choices}}, nil,
		callOpts{bucket: discordgo.EndpointInteractionResponse(i.ID, "")})
	if err != nil {
		b.log.Warn("discord: autocomplete", "err", err)
	}
}

// onMessage checks in a member who replies in a day's thread, acknowledged with ✅.
// Messages by bots, elsewhere than in threads, or in threads that are not a day's are
// ignored. Without the message-content intent the text is empty; the reply still counts.
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
	if !b.track() {
		return
	}
	defer b.wg.Done()
	log := b.log.With("message", m.ID, "thread", m.ChannelID)
	defer func() {
		if r := recover(); r != nil {
			log.Error("discord message handler panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	ctx, cancel := context.WithTimeout(b.handlerCtx(), time.Minute)
	defer cancel()
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
	_, err = b.svc.CheckIn(ctx, study.CheckInRequest{
		Channel: study.ChannelRef{Platform: Platform, Workspace: m.GuildID, Channel: info.parent},
		User:    study.UserRef{Platform: Platform, Workspace: m.GuildID, ID: m.Author.ID, Name: displayName(m.Author, nick)},
		Thread:  m.ChannelID,
		Source:  study.SourceReply,
		Note:    truncate(strings.TrimSpace(m.Content), study.MaxNote),
	})
	switch study.ErrorCode(err) {
	case "", study.ECONFLICT: // checked in now, or already: acknowledge either way
	case study.ENOTFOUND:
		return // not a day's thread, or no cohort here
	case study.EINTERNAL:
		log.Error("discord: thread reply check-in", "err", err)
		return
	default:
		log.Info("discord: thread reply not counted", "reason", study.ErrorMessage(err))
		return
	}
	url := discordgo.EndpointMessageReaction(m.ChannelID, m.ID, "%E2%9C%85", "@me")
	if err := b.call(ctx, "PUT /channels/{channel}/messages/{message}/reactions/✅/@me", http.MethodPut, url, nil, nil,
		callOpts{idempotent: true, bucket: discordgo.EndpointMessageReaction(m.ChannelID, "", "", "")}); err != nil {
		log.Warn("discord: acknowledge check-in with ✅", "err", err)
	}
}
