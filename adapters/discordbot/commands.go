package discordbot

import (
	"context"
	"fmt"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"cohortbot/internal/study"
)

// Discord's longest command and option description.
const maxDescription = 100

// Commands are the slash commands the bot registers: the core's command table, in
// Discord's shapes. Organizer groups (/cohort) are hidden from members without Manage
// Server by default_member_permissions (server admins can allow other roles under Server
// Settings → Integrations); the core checks again on every use.
func Commands() []*discordgo.ApplicationCommand {
	manageServer := int64(discordgo.PermissionManageGuild)
	guildOnly := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	no := false
	var out []*discordgo.ApplicationCommand
	for _, c := range study.Commands() {
		cmd := &discordgo.ApplicationCommand{Type: discordgo.ChatApplicationCommand, Name: c.NameOn(Platform),
			Description: truncate(c.Summary, maxDescription), Contexts: guildOnly, DMPermission: &no}
		if len(c.Subs) == 0 {
			cmd.Options = options(c.Options)
		}
		for _, sub := range c.Subs {
			cmd.Options = append(cmd.Options, &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand,
				Name: sub.Name, Description: truncate(sub.Summary, maxDescription), Options: options(sub.Options)})
		}
		if c.Organizer {
			cmd.DefaultMemberPermissions = &manageServer
		}
		out = append(out, cmd)
	}
	return out
}

// options are a command's options as Discord's typed options: integers with their range,
// roles as role pickers, time zones with autocomplete, choices as choices, the rest text.
func options(opts []study.Option) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	for _, o := range opts {
		if o.Platform != "" && o.Platform != Platform {
			continue
		}
		d := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: o.Name,
			Description: truncate(o.Summary, maxDescription), Required: o.Required, MaxLength: o.MaxLength}
		switch o.Type {
		case study.OptInteger:
			d.Type, d.MaxLength = discordgo.ApplicationCommandOptionInteger, 0
			minV := float64(o.Min)
			d.MinValue, d.MaxValue = &minV, float64(o.Max)
		case study.OptRole:
			d.Type, d.MaxLength = discordgo.ApplicationCommandOptionRole, 0
		case study.OptZone:
			d.Autocomplete = true
		case study.OptChoice:
			for _, ch := range o.Choices {
				d.Choices = append(d.Choices, &discordgo.ApplicationCommandOptionChoice{Name: ch.Label, Value: ch.Value})
			}
		}
		out = append(out, d)
	}
	return out
}

// RegisterCommands bulk-overwrites the commands (on DISCORD_GUILD_ID, or globally): the
// same list every start, so restarts are idempotent and removed commands disappear.
func (b *Bot) RegisterCommands(ctx context.Context) error {
	app, _ := b.ids()
	url := discordgo.EndpointApplicationGlobalCommands(app)
	scope := "global"
	if b.cfg.GuildID != "" {
		url = discordgo.EndpointApplicationGuildCommands(app, b.cfg.GuildID)
		scope = "guild " + b.cfg.GuildID
	}
	var got []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := b.call(ctx, "PUT /applications/{app}/commands", http.MethodPut, url, Commands(), &got, callOpts{idempotent: true, major: app}); err != nil {
		return fmt.Errorf("discord: register commands (%s): %w", scope, err)
	}
	b.log.Info("discord commands registered", "scope", scope, "commands", len(got))
	return nil
}
