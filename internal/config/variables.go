package config

// Variable documents one environment variable: the README's configuration table and
// `cohortbot run --check-config` are checked against this list, and a test fails when Load
// reads a variable that is not in it.
type Variable struct {
	Name    string
	Default string // "" when unset by default
	Secret  bool   // may be given as NAME_FILE; never logged
	Doc     string
}

// Variables is every variable Load reads.
var Variables = []Variable{
	{Name: "DATABASE_URL", Secret: true, Doc: "PostgreSQL URL; unset: embedded SQLite"},
	{Name: "COHORTBOT_DATA_DIR", Default: DefaultDataDir, Doc: "where the SQLite file lives"},
	{Name: "COHORTBOT_LOG_LEVEL", Default: "info", Doc: "debug, info, warn or error"},
	{Name: "COHORTBOT_HTTP_ADDR", Default: DefaultHTTPAddr, Doc: "HTTP listener: /healthz, /readyz, /metrics, Slack's HTTP mode"},
	{Name: "COHORTBOT_SHUTDOWN_TIMEOUT", Default: DefaultShutdownTimeout.String(), Doc: "graceful shutdown bound"},
	{Name: "DISCORD_TOKEN", Secret: true, Doc: "Discord bot token; enables Discord"},
	{Name: "DISCORD_GUILD_ID", Doc: "register commands on one server only"},
	{Name: "DISCORD_API_URL", Default: DefaultDiscordAPIURL, Doc: "Discord REST base URL"},
	{Name: "DISCORD_SHARD_ID", Default: "0", Doc: "this process's shard"},
	{Name: "DISCORD_SHARD_COUNT", Default: "1", Doc: "number of shards"},
	{Name: "SLACK_BOT_TOKEN", Secret: true, Doc: "Slack bot token (xoxb-); enables Slack"},
	{Name: "SLACK_APP_TOKEN", Secret: true, Doc: "Slack app-level token (xapp-); selects Socket Mode"},
	{Name: "SLACK_SIGNING_SECRET", Secret: true, Doc: "verifies Slack's HTTP requests (HTTP mode)"},
	{Name: "SLACK_API_URL", Default: DefaultSlackAPIURL, Doc: "Slack Web API base URL"},
}

// Known reports whether name is a documented variable or the _FILE form of one.
func Known(name string) bool {
	for _, v := range Variables {
		if v.Name == name || v.Name+"_FILE" == name {
			return true
		}
	}
	return false
}
