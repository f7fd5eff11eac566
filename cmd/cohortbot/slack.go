package main

// slackPlatform builds the Slack connection when SLACK_BOT_TOKEN is set; nil otherwise.
// (The Slack adapter replaces this.)
func slackPlatform(a *app) (platform, error) { return nil, nil }
