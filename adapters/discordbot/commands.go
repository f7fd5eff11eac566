package discordbot

import (
	"context"
	"fmt"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"cohortbot/internal/study"
)

// Commands are the slash commands the bot registers. /cohort is hidden from members
// without Manage Server by default_member_permissions (server admins can allow other
// roles under Server Settings → Integrations); the bot checks again on every use.
func Commands() []*discordgo.ApplicationCommand {
	manageServer := int64(discordgo.PermissionManageGuild)
	guildOnly := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	no := false
	one := 1.0
	str := func(name, desc string, required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, Required: required}
	}
	tz := func(required bool) *discordgo.ApplicationCommandOption {
		o := str("tz", "Time zone (IANA), e.g. Europe/Berlin", required)
		o.Autocomplete = true
		o.MaxLength = 64
		return o
	}
	cadence := func() *discordgo.ApplicationCommandOption {
		o := str("cadence", "Study days", false)
		o.Choices = []*discordgo.ApplicationCommandOptionChoice{
			{Name: "daily — every day", Value: "daily"},
			{Name: "weekdays — Monday to Friday", Value: "weekdays"},
		}
		return o
	}
	name := func() *discordgo.ApplicationCommandOption {
		o := str("name", "The cohort's name", false)
		o.MaxLength = 80
		return o
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	day := func(desc string, required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: "day", Description: desc, Required: required, MinValue: &one, MaxValue: 10000}
	}
	note := str("note", "What you did or learned (optional)", false)
	note.MaxLength = study.MaxNote

	cmd := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommand {
		return &discordgo.ApplicationCommand{Type: discordgo.ChatApplicationCommand, Name: name, Description: desc,
			Options: opts, Contexts: guildOnly, DMPermission: &no}
	}
	cohort := cmd("cohort", "Run this channel's study cohort (organizers)",
		sub("setup", "Start a cohort in this channel",
			str("start", "First study day, YYYY-MM-DD", true),
			str("time", "Daily post time, HH:MM (24-hour, in the cohort's time zone)", true),
			tz(true), cadence(), name()),
		sub("status", "Today's day, next post, projected end, members and delivery problems"),
		sub("pause", "Pause the course (the rest shifts; streaks are kept)",
			str("from", "First paused day, YYYY-MM-DD (default: today)", false),
			str("until", "Last paused day, YYYY-MM-DD (default: until /cohort resume)", false)),
		sub("resume", "End the current pause"),
		sub("skip", "No card on one day (the course shifts by one)",
			str("date", "The day to skip, YYYY-MM-DD", true)),
		sub("set", "Change a setting",
			str("time", "Daily post time, HH:MM", false), tz(false), cadence(), name(),
			str("start", "First study day, YYYY-MM-DD (only before days are posted)", false),
			str("leaderboard", `Leaderboard schedule, cron like "0 17 * * FRI", or off`, false),
			str("recap", `Weekly recap schedule, cron like "0 18 * * SUN", or off`, false),
			str("reminder", "Daily reminder time HH:MM, or off", false),
			&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionRole, Name: SettingOrganizerRole,
				Description: "A role whose members may also run /cohort"}),
		sub("preview", "See any day's card (only you)", day("The day to show", true)),
		sub("link", "Follow a cohort from this channel too (same days, one leaderboard)",
			&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "code", Required: true,
				Description: "The link code /cohort status shows in the cohort's channel", MaxLength: 32}),
		sub("post", "Post now: today's card, the leaderboard or the recap",
			&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "kind", Description: "What to post", Required: true,
				Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "today's card", Value: "today"},
					{Name: "leaderboard", Value: "leaderboard"},
					{Name: "recap", Value: "recap"},
				}}),
	)
	cohort.DefaultMemberPermissions = &manageServer
	return []*discordgo.ApplicationCommand{
		cmd("today", "Today's card (only you see it)"),
		cmd("done", "Check in for today, or catch up a past day", day("A past day to catch up (default: today)", false), note),
		cmd("progress", "Your days, streak and rank"),
		cmd("leaderboard", "The top 10 and your place"),
		cmd("help", "What cohortbot can do"),
		cohort,
	}
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
	if err := b.call(ctx, "PUT /applications/{app}/commands", http.MethodPut, url, Commands(), &got, callOpts{idempotent: true}); err != nil {
		return fmt.Errorf("discord: register commands (%s): %w", scope, err)
	}
	b.log.Info("discord commands registered", "scope", scope, "commands", len(got))
	return nil
}
