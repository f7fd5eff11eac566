package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// DefaultDiscordAPIURL is where Discord's REST API lives.
const DefaultDiscordAPIURL = "https://discord.com"

// loadDiscord reads DISCORD_* variables, appending every problem found.
//
//	DISCORD_TOKEN        the bot token (enables Discord; "Bot " prefix optional)
//	DISCORD_GUILD_ID     register commands on this guild only (instant; for development)
//	DISCORD_API_URL      REST base URL (a REST proxy, or a fake in tests)
//	DISCORD_SHARD_ID     this process's shard (default 0)
//	DISCORD_SHARD_COUNT  total shards (default 1)
func loadDiscord(getenv func(string) string, problems *Problems) Discord {
	d := Discord{APIURL: DefaultDiscordAPIURL, ShardCount: 1}
	tok := strings.TrimSpace(getenv("DISCORD_TOKEN"))
	tok = strings.TrimSpace(strings.TrimPrefix(tok, "Bot "))
	if tok != "" && strings.ContainsAny(tok, " \t\r\n") {
		*problems = append(*problems, "DISCORD_TOKEN contains spaces: paste the bot token from the Developer Portal (Bot → Reset Token) as it is")
	}
	d.Token = Secret(tok)
	var set []string // Discord variables given without a token

	if g := strings.TrimSpace(getenv("DISCORD_GUILD_ID")); g != "" {
		set = append(set, "DISCORD_GUILD_ID")
		if !isSnowflake(g) {
			*problems = append(*problems, fmt.Sprintf("DISCORD_GUILD_ID %q must be a server id (digits: right-click the server → Copy Server ID)", g))
		}
		d.GuildID = g
	}
	if u := strings.TrimSpace(getenv("DISCORD_API_URL")); u != "" {
		set = append(set, "DISCORD_API_URL")
		p, err := url.Parse(u)
		switch {
		case err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "":
			*problems = append(*problems, fmt.Sprintf("DISCORD_API_URL %q must be an http(s) URL such as %s", redactURL(u), DefaultDiscordAPIURL))
		case p.User != nil || p.RawQuery != "" || p.Fragment != "":
			*problems = append(*problems, "DISCORD_API_URL must be a plain base URL, without credentials, query or fragment")
		default:
			d.APIURL = strings.TrimRight(u, "/")
		}
	}
	shardID, shardCount := strings.TrimSpace(getenv("DISCORD_SHARD_ID")), strings.TrimSpace(getenv("DISCORD_SHARD_COUNT"))
	if shardCount != "" {
		set = append(set, "DISCORD_SHARD_COUNT")
		n, err := strconv.Atoi(shardCount)
		if err != nil || n < 1 {
			*problems = append(*problems, fmt.Sprintf("DISCORD_SHARD_COUNT %q must be a whole number of at least 1", shardCount))
		} else {
			d.ShardCount = n
		}
	}
	if shardID != "" {
		set = append(set, "DISCORD_SHARD_ID")
		n, err := strconv.Atoi(shardID)
		switch {
		case err != nil || n < 0:
			*problems = append(*problems, fmt.Sprintf("DISCORD_SHARD_ID %q must be a whole number from 0", shardID))
		case n >= d.ShardCount:
			*problems = append(*problems, fmt.Sprintf("DISCORD_SHARD_ID %d must be below DISCORD_SHARD_COUNT (%d)", n, d.ShardCount))
		default:
			d.ShardID = n
		}
	}
	if tok == "" && len(set) > 0 {
		*problems = append(*problems, fmt.Sprintf("%s set but DISCORD_TOKEN is not: set the bot token to enable Discord", strings.Join(set, ", ")))
	}
	return d
}

// isSnowflake reports whether s looks like a Discord id.
func isSnowflake(s string) bool {
	if len(s) < 15 || len(s) > 21 {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// redactURL drops credentials from a URL before it is shown.
func redactURL(u string) string {
	if p, err := url.Parse(u); err == nil && p.User != nil {
		p.User = url.User("redacted")
		return p.String()
	}
	if i := strings.Index(u, "@"); i >= 0 {
		return "…" + u[i:]
	}
	return u
}
