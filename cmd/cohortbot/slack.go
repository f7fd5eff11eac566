package main

import (
	"cohortbot/adapters/slackbot"
)

// slackPlatform builds the Slack connection when SLACK_BOT_TOKEN is set; nil otherwise.
// With SLACK_APP_TOKEN it connects in Socket Mode; without it, Slack's requests arrive on
// the bot's HTTP listener (COHORTBOT_HTTP_ADDR) at /slack/events, /slack/commands and
// /slack/interactivity, verified with SLACK_SIGNING_SECRET.
func slackPlatform(a *app) (platform, error) {
	c := a.cfg.Slack
	if !c.Enabled() {
		return nil, nil
	}
	ad, err := slackbot.New(slackbot.Config{
		BotToken:      c.BotToken.Reveal(),
		AppToken:      c.AppToken.Reveal(),
		SigningSecret: c.SigningSecret.Reveal(),
		APIURL:        c.APIURL,
		Service:       a.svc,
		Core:          a.commands,
		Store:         a.store,
		Log:           a.log.With("platform", slackbot.Platform),
	})
	if err != nil {
		return nil, err
	}
	if !ad.SocketMode() {
		h := ad.Handler()
		for _, p := range []string{slackbot.EventsPath, slackbot.CommandsPath, slackbot.InteractivityPath} {
			a.mux.Handle(p, h)
		}
		a.log.Info("slack http mode", "paths", []string{slackbot.EventsPath, slackbot.CommandsPath, slackbot.InteractivityPath}, "addr", a.cfg.HTTPAddr)
	}
	return ad, nil
}
