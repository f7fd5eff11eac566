// Package config reads cohortbot's settings from the environment, checks them all at once
// and keeps secrets out of anything printed.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// Config is every setting the bot reads.
type Config struct {
	DatabaseURL Secret // empty: SQLite under DataDir
	DataDir     string
	LogLevel    slog.Level
	// HTTPAddr is the bot's HTTP listener (Slack's HTTP mode, and operations endpoints).
	HTTPAddr string
	Discord  Discord
	Slack    Slack
}

// Secret is a string that never prints itself.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// LogValue keeps secrets out of structured logs too.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the value for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// Problems lists every configuration problem found.
type Problems []string

func (p Problems) Error() string {
	return fmt.Sprintf("configuration has %d problem(s):\n  - %s", len(p), strings.Join(p, "\n  - "))
}

// Load reads the environment through getenv and reports every problem, not the first.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	var problems Problems
	c.DatabaseURL = Secret(strings.TrimSpace(getenv("DATABASE_URL")))
	if u := c.DatabaseURL.Reveal(); u != "" {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
			problems = append(problems, "DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite store)")
		}
	}
	c.DataDir = strings.TrimSpace(getenv("COHORTBOT_DATA_DIR"))
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	switch lvl := strings.ToLower(strings.TrimSpace(getenv("COHORTBOT_LOG_LEVEL"))); lvl {
	case "", "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		problems = append(problems, fmt.Sprintf("COHORTBOT_LOG_LEVEL %q must be debug, info, warn or error", lvl))
	}
	c.HTTPAddr = strings.TrimSpace(getenv("COHORTBOT_HTTP_ADDR"))
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8080"
	}
	c.Discord = loadDiscord(getenv, &problems)
	c.Slack = loadSlack(getenv, &problems)
	if len(problems) > 0 {
		return c, problems
	}
	return c, nil
}

// IsProblems reports whether err lists configuration problems.
func IsProblems(err error) bool {
	var p Problems
	return errors.As(err, &p)
}
