package config

// Discord settings; the Discord adapter owns their meaning (see its package doc).
type Discord struct {
	Token      Secret
	GuildID    string
	APIURL     string
	ShardID    int
	ShardCount int
}

// Enabled reports whether the Discord adapter should start.
func (d Discord) Enabled() bool { return d.Token != "" }

// Slack settings; the Slack adapter owns their meaning.
type Slack struct {
	BotToken      Secret
	AppToken      Secret
	SigningSecret Secret
	APIURL        string
}

// Enabled reports whether the Slack adapter should start.
func (s Slack) Enabled() bool { return s.BotToken != "" }
