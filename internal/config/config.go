// Package config reads cohortbot's settings from the environment, checks them all at once
// and keeps secrets out of anything printed.
//
// Every variable may instead be given as a file: X_FILE names a file whose trimmed content
// is X's value (Docker and Kubernetes secrets). Setting both X and X_FILE is a problem.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of the operational settings.
const (
	DefaultDataDir         = "./data"
	DefaultHTTPAddr        = ":8080"
	DefaultShutdownTimeout = 20 * time.Second
)

// Config is every setting the bot reads.
type Config struct {
	DatabaseURL Secret // empty: SQLite under DataDir
	DataDir     string
	LogLevel    slog.Level
	// HTTPAddr is the bot's HTTP listener (Slack's HTTP mode, and operations endpoints).
	HTTPAddr string
	// HTTPAddrSet reports that COHORTBOT_HTTP_ADDR was given: console mode serves HTTP only
	// then.
	HTTPAddrSet bool
	// ShutdownTimeout bounds a graceful shutdown: in-flight deliveries and commands, closing
	// the platforms and the database.
	ShutdownTimeout time.Duration
	Discord         Discord
	Slack           Slack
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
// The Config is filled as far as possible even when there are problems, so that its
// secrets can still be redacted from whatever is printed next.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	var problems Problems
	getenv = withFiles(getenv, readSecretFile, &problems)

	c.DatabaseURL = Secret(strings.TrimSpace(getenv("DATABASE_URL")))
	if u := c.DatabaseURL.Reveal(); u != "" {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
			problems = append(problems, "DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite store)")
		}
	}
	c.DataDir = strings.TrimSpace(getenv("COHORTBOT_DATA_DIR"))
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
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
	c.HTTPAddrSet = c.HTTPAddr != ""
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	} else if err := checkListenAddr(c.HTTPAddr); err != nil {
		problems = append(problems, fmt.Sprintf("COHORTBOT_HTTP_ADDR %q %v (like :8080 or 127.0.0.1:8080)", c.HTTPAddr, err))
	}
	c.ShutdownTimeout = DefaultShutdownTimeout
	if v := strings.TrimSpace(getenv("COHORTBOT_SHUTDOWN_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("COHORTBOT_SHUTDOWN_TIMEOUT %q must be a positive duration such as 20s or 1m", v))
		} else {
			c.ShutdownTimeout = d
		}
	}
	c.Discord = loadDiscord(getenv, &problems)
	c.Slack = loadSlack(getenv, &problems)
	if len(problems) > 0 {
		return c, problems
	}
	return c, nil
}

// checkListenAddr accepts host:port with a numeric port (0 picks a free one).
func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("must be host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("must have a port number from 0 to 65535")
	}
	return nil
}

// IsProblems reports whether err lists configuration problems.
func IsProblems(err error) bool {
	var p Problems
	return errors.As(err, &p)
}

// Platforms names the enabled chat platforms; none means console mode.
func (c Config) Platforms() []string {
	var out []string
	if c.Discord.Enabled() {
		out = append(out, "discord")
	}
	if c.Slack.Enabled() {
		out = append(out, "slack")
	}
	return out
}

// Summary describes the configuration without its secrets (run --check-config).
func (c Config) Summary() []string {
	db := "sqlite in " + c.DataDir + " (one process only)"
	if c.DatabaseURL != "" {
		db = "postgres"
		if u, err := url.Parse(c.DatabaseURL.Reveal()); err == nil {
			db += " at " + u.Host + u.Path
		}
	}
	mode := "console"
	if p := c.Platforms(); len(p) > 0 {
		mode = strings.Join(p, ", ")
	}
	return []string{
		"platforms: " + mode,
		"database: " + db,
		"http: " + c.HTTPAddr,
		"log level: " + c.LogLevel.String(),
		"shutdown timeout: " + c.ShutdownTimeout.String(),
	}
}
