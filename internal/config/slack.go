package config

import (
	"net"
	"net/url"
	"strings"
)

// DefaultSlackAPIURL is Slack's Web API; GovSlack and tests point SLACK_API_URL elsewhere.
const DefaultSlackAPIURL = "https://slack.com/api/"

// loadSlack reads SLACK_* variables, appending every problem found. Token values never
// appear in a problem: only what is wrong with them.
//
//   - SLACK_BOT_TOKEN (xoxb-…) enables the Slack adapter.
//   - SLACK_APP_TOKEN (xapp-…, scope connections:write) selects Socket Mode; without it the
//     bot serves HTTP on COHORTBOT_HTTP_ADDR and needs SLACK_SIGNING_SECRET.
//   - SLACK_API_URL points the Web API elsewhere (https, or http on a loopback address).
func loadSlack(getenv func(string) string, problems *Problems) Slack {
	s := Slack{
		BotToken:      Secret(strings.TrimSpace(getenv("SLACK_BOT_TOKEN"))),
		AppToken:      Secret(strings.TrimSpace(getenv("SLACK_APP_TOKEN"))),
		SigningSecret: Secret(strings.TrimSpace(getenv("SLACK_SIGNING_SECRET"))),
		APIURL:        strings.TrimSpace(getenv("SLACK_API_URL")),
	}
	if s.APIURL == "" {
		s.APIURL = DefaultSlackAPIURL
	}
	bot, app := s.BotToken.Reveal(), s.AppToken.Reveal()
	if bot != "" && !strings.HasPrefix(bot, "xoxb-") {
		*problems = append(*problems, "SLACK_BOT_TOKEN must be a bot token starting with xoxb- (Slack app settings → OAuth & Permissions → Bot User OAuth Token)")
	}
	if app != "" && !strings.HasPrefix(app, "xapp-") {
		*problems = append(*problems, "SLACK_APP_TOKEN must be an app-level token starting with xapp- (Slack app settings → Basic Information → App-Level Tokens, scope connections:write)")
	}
	if app != "" && bot == "" {
		*problems = append(*problems, "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Socket Mode needs both")
	}
	if s.SigningSecret != "" && bot == "" {
		*problems = append(*problems, "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not")
	}
	if bot != "" && app == "" && s.SigningSecret == "" {
		*problems = append(*problems, "SLACK_SIGNING_SECRET is required in HTTP mode (SLACK_BOT_TOKEN without SLACK_APP_TOKEN): copy it from the Slack app's Basic Information page, or set SLACK_APP_TOKEN for Socket Mode")
	}
	if strings.ContainsAny(s.SigningSecret.Reveal(), " \t\r\n") {
		*problems = append(*problems, "SLACK_SIGNING_SECRET contains whitespace")
	}
	if u, ok := slackAPIURL(s.APIURL); ok {
		s.APIURL = u
	} else {
		*problems = append(*problems, "SLACK_API_URL must be an https:// URL such as https://slack.com/api/ (plain http only on a loopback address)")
	}
	return s
}

// slackAPIURL checks the Web API base URL and gives it the trailing slash that method
// names are appended to. Plain http is allowed only on loopback: tokens travel with every
// call.
func slackAPIURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", false
		}
	default:
		return "", false
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), true
}
