package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.HTTPAddrSet || c.ShutdownTimeout != 20*time.Second || c.DataDir != "./data" || len(c.Platforms()) != 0 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	t.Parallel()
	_, err := Load(envOf(map[string]string{
		"DATABASE_URL":               "mysql://root:hunter22@db/x",
		"COHORTBOT_LOG_LEVEL":        "loud",
		"COHORTBOT_HTTP_ADDR":        "8080",
		"COHORTBOT_SHUTDOWN_TIMEOUT": "soon",
		"DISCORD_TOKEN":              "abc def",
		"DISCORD_SHARD_ID":           "3",
		"SLACK_BOT_TOKEN":            "xoxp-user-token",
		"SLACK_APP_TOKEN":            "nope",
	}))
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"DATABASE_URL", "COHORTBOT_LOG_LEVEL", "COHORTBOT_HTTP_ADDR", "COHORTBOT_SHUTDOWN_TIMEOUT",
		"DISCORD_TOKEN contains spaces", "DISCORD_SHARD_ID", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no problem about %s in:\n%v", want, err)
		}
	}
	for _, secret := range []string{"hunter22", "abc def", "xoxp-user-token"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the problems show the secret %q:\n%v", secret, err)
		}
	}
}

func TestSecretsFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := Load(envOf(map[string]string{
		"DATABASE_URL_FILE":         write("db", "postgres://bot:pw-from-file@db:5432/bot\n"),
		"DISCORD_TOKEN_FILE":        write("discord", "  discord-token-from-file \n"),
		"SLACK_BOT_TOKEN_FILE":      write("bot", "xoxb-from-file"),
		"SLACK_APP_TOKEN_FILE":      write("app", "xapp-from-file"),
		"SLACK_SIGNING_SECRET_FILE": write("sign", "signing-from-file"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL.Reveal() != "postgres://bot:pw-from-file@db:5432/bot" || c.Discord.Token.Reveal() != "discord-token-from-file" ||
		c.Slack.BotToken.Reveal() != "xoxb-from-file" || c.Slack.AppToken.Reveal() != "xapp-from-file" || c.Slack.SigningSecret.Reveal() != "signing-from-file" {
		t.Errorf("from files: %#v", c)
	}

	_, err = Load(envOf(map[string]string{
		"DISCORD_TOKEN":        "tok",
		"DISCORD_TOKEN_FILE":   write("t2", "other"),
		"SLACK_BOT_TOKEN_FILE": filepath.Join(dir, "missing"),
		"DATABASE_URL_FILE":    write("empty", " \n"),
	}))
	msg := err.Error()
	for _, want := range []string{
		"DISCORD_TOKEN and DISCORD_TOKEN_FILE are both set",
		"SLACK_BOT_TOKEN_FILE: cannot read " + filepath.Join(dir, "missing") + ": no such file or directory",
		"DATABASE_URL_FILE: " + filepath.Join(dir, "empty") + " is empty",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "other") {
		t.Errorf("a file's content leaked: %s", msg)
	}
}

// TestEveryVariableIsDocumented: Load reads only variables listed in Variables (and so in
// the README's table, which cmd/cohortbot checks against the same list).
func TestEveryVariableIsDocumented(t *testing.T) {
	t.Parallel()
	read := map[string]bool{}
	Load(func(k string) string { read[k] = true; return "" })
	for k := range read {
		if !Known(k) {
			t.Errorf("Load reads %s, which is not in config.Variables: add it there and to the README's configuration table", k)
		}
	}
	for _, v := range Variables {
		if !read[v.Name] {
			t.Errorf("config.Variables lists %s, which Load never reads", v.Name)
		}
	}
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	c, _ := Load(envOf(map[string]string{
		"DATABASE_URL":         "postgres://bot:p%40ss-word@db/bot",
		"SLACK_BOT_TOKEN":      "xoxb-1-2-3",
		"SLACK_SIGNING_SECRET": "sssh-secret",
		"DISCORD_TOKEN":        "dddd.eeee.ffff",
	}))
	r := c.Redactor()
	in := "dial postgres://bot:p%40ss-word@db/bot failed; password p@ss-word; tokens xoxb-1-2-3 dddd.eeee.ffff sssh-secret"
	out := r.String(in)
	for _, s := range []string{"p@ss-word", "p%40ss-word", "xoxb-1-2-3", "dddd.eeee.ffff", "sssh-secret"} {
		if strings.Contains(out, s) {
			t.Errorf("%q survived: %s", s, out)
		}
	}
	base := Problems{"x"}
	err := r.Error(errors.Join(base, errors.New("token xoxb-1-2-3")))
	if strings.Contains(err.Error(), "xoxb") || !IsProblems(err) {
		t.Errorf("redacted error %v (problems kept: %v)", err, IsProblems(err))
	}
	if NewRedactor("", "ab").String("ab cd") != "ab cd" {
		t.Error("short secrets are redacted")
	}
}
