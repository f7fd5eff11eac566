package main

import (
	"flag"
	"fmt"
	"net/url"

	"cohortbot/adapters/slackbot"
	"cohortbot/internal/reconnect"
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
		Core:          a.handler,
		Log:           a.log.With("platform", slackbot.Platform),
		Reconnect:     reconnect.Policy{Sleep: a.sleep},
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

// slackCmd is `cohortbot slack manifest [--http URL]`: the Slack app manifest, from the
// command table, for Socket Mode or (with --http) for Slack calling the bot at URL.
func slackCmd(args []string, io stdio) error {
	if len(args) == 0 || args[0] != "manifest" {
		return fmt.Errorf("usage: cohortbot slack manifest [--http https://bot.example.com]")
	}
	fl := flag.NewFlagSet("slack manifest", flag.ContinueOnError)
	fl.SetOutput(io.err)
	base := fl.String("http", "", "the bot's public https address: Slack calls it instead of using Socket Mode")
	if err := fl.Parse(args[1:]); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("slack manifest: unexpected %q", fl.Arg(0))
	}
	if *base != "" {
		u, err := url.Parse(*base)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" {
			return fmt.Errorf("slack manifest: --http must be an https:// address, like https://cohortbot.example.com, not %q", *base)
		}
	}
	_, err := fmt.Fprint(io.out, slackbot.Manifest(*base))
	return err
}
