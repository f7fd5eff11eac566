package config

// loadDiscord reads DISCORD_* variables, appending every problem found.
func loadDiscord(getenv func(string) string, problems *Problems) Discord {
	return Discord{Token: Secret(getenv("DISCORD_TOKEN")), APIURL: "https://discord.com", ShardCount: 1}
}
