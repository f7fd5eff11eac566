package discordbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/bwmarrin/discordgo"

	"cohortbot/internal/study"
)

// errPanicked stands for a panic while translating an interaction.
var errPanicked = errors.New("discord: request translation panicked")

// errUnreadable refuses an interaction whose data discordgo could not decode.
var errUnreadable = study.Unreadable("Discord")

// isSnowflake reports whether id looks like a Discord id: up to 20 digits.
func isSnowflake(id string) bool {
	if id == "" || len(id) > 20 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// commandData is a slash command's or an autocomplete's data. discordgo hands a gateway
// event on even when it could not decode it, with Data unset, and its own accessor
// (ApplicationCommandData) panics then: ok is false instead.
func commandData(i *discordgo.Interaction) (discordgo.ApplicationCommandInteractionData, bool) {
	d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	return d, ok && (i.Type == discordgo.InteractionApplicationCommand || i.Type == discordgo.InteractionApplicationCommandAutocomplete)
}

// componentData is a button press's data, ok false when it could not be decoded.
func componentData(i *discordgo.Interaction) (discordgo.MessageComponentInteractionData, bool) {
	d, ok := i.Data.(discordgo.MessageComponentInteractionData)
	return d, ok && i.Type == discordgo.InteractionMessageComponent
}

// answer translates a command or a button press into a core request and returns the
// core's reply.
func (b *Bot) answer(ctx context.Context, i *discordgo.Interaction, raw json.RawMessage) (study.Reply, error) {
	u, perms, roles, nick := member(i)
	if d, ok := componentData(i); ok && i.GuildID == "" && u != nil {
		// A button on a direct message (a personal reminder): no server and no cohort
		// channel; the button's id says what it is about.
		return b.core.Handle(ctx, study.Request{
			Channel: study.ChannelRef{Platform: Platform},
			User:    study.UserRef{Platform: Platform, ID: u.ID, Name: displayName(u, "")},
			Source:  study.SourceButton, Action: d.CustomID,
		})
	}
	if i.GuildID == "" || u == nil {
		return study.Reply{}, study.NotInAChannel()
	}
	if !isSnowflake(i.ChannelID) {
		// Discord always names the channel; the REST lookup of a thread's parent must not
		// be asked about anything else.
		return study.Reply{}, errUnreadable
	}
	ch, err := b.channelRef(ctx, i, raw)
	if err != nil {
		return study.Reply{}, err
	}
	req := study.Request{
		Channel: ch,
		User:    study.UserRef{Platform: Platform, Workspace: i.GuildID, ID: u.ID, Name: displayName(u, nick)},
		Admin:   perms&(discordgo.PermissionAdministrator|discordgo.PermissionManageGuild) != 0,
		Roles:   roles,
	}
	if i.ChannelID != ch.Channel {
		req.Thread = i.ChannelID // typed in a day's thread: /done means that day
	}
	if i.Type == discordgo.InteractionMessageComponent {
		data, ok := componentData(i)
		if !ok {
			return study.Reply{}, errUnreadable
		}
		req.Source, req.Action = study.SourceButton, data.CustomID
		return b.core.Handle(ctx, req)
	}
	data, ok := commandData(i)
	if !ok {
		return study.Reply{}, errUnreadable
	}
	req.Command, req.Options = data.Name, map[string]string{}
	opts := data.Options
	if len(opts) > 0 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		req.Sub, opts = opts[0].Name, opts[0].Options
	}
	for _, o := range opts {
		req.Options[o.Name] = optionString(o)
	}
	return b.core.Handle(ctx, req)
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
