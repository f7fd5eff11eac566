package main

import (
	"cohortbot/adapters/discordbot"
	"cohortbot/internal/reconnect"
)

// discordPlatform builds the Discord connection when DISCORD_TOKEN is set; nil otherwise.
func discordPlatform(a *app) (platform, error) {
	d := a.cfg.Discord
	if !d.Enabled() {
		return nil, nil
	}
	b, err := discordbot.New(discordbot.Config{
		Token:      d.Token.Reveal(),
		GuildID:    d.GuildID,
		APIURL:     d.APIURL,
		ShardID:    d.ShardID,
		ShardCount: d.ShardCount,
		Core:       a.handler,
		Log:        a.log,
		Reconnect:  reconnect.Policy{Sleep: a.sleep},
	})
	if err != nil {
		return nil, err // not a nil *Bot inside a non-nil platform
	}
	return b, nil
}
