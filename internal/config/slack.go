package config

// loadSlack reads SLACK_* variables, appending every problem found.
func loadSlack(getenv func(string) string, problems *Problems) Slack {
	return Slack{BotToken: Secret(getenv("SLACK_BOT_TOKEN")), APIURL: "https://slack.com/api/"}
}
