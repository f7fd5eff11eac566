package main

// discordPlatform builds the Discord connection when DISCORD_TOKEN is set; nil otherwise.
// (The Discord adapter replaces this.)
func discordPlatform(a *app) (platform, error) { return nil, nil }
