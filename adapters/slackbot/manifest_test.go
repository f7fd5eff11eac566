package slackbot

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"cohortbot/internal/study"
)

type manifest struct {
	Features struct {
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
		AppHome struct {
			MessagesTab         *bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnly *bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			Enabled    bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketMode bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// The app manifests declare what the adapter needs: its commands (escaped for /cohort so
// mentions arrive as ids), scopes, message events and interactivity; the HTTP one points at
// the adapter's paths.
func TestManifests(t *testing.T) {
	t.Parallel()
	for file, socket := range map[string]bool{"manifest.yaml": true, "manifest-http.yaml": false} {
		b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "slack", file))
		if err != nil {
			t.Fatal(err)
		}
		var m manifest
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var cmds []string
		for _, c := range m.Features.SlashCommands {
			cmds = append(cmds, c.Command)
			if c.ShouldEscape != (c.Command == "/cohort") {
				t.Errorf("%s: %s should_escape=%v", file, c.Command, c.ShouldEscape)
			}
			if !socket && !strings.HasSuffix(c.URL, CommandsPath) {
				t.Errorf("%s: %s url %q", file, c.Command, c.URL)
			}
		}
		if want := []string{"/today", "/done", "/progress", "/leaderboard", "/mystudy", "/studybreak", "/cohort"}; !slices.Equal(cmds, want) {
			t.Errorf("%s: commands %v, want %v", file, cmds, want)
		}
		// Exactly the command table's commands, as Slack names them.
		var table []string
		for _, c := range study.Commands() {
			if n := c.NameOn(Platform); n != "" {
				table = append(table, "/"+n)
			}
		}
		if !slices.Equal(cmds, table) {
			t.Errorf("%s: commands %v, the table has %v", file, cmds, table)
		}
		for _, s := range []string{"commands", "chat:write", "reactions:write", "users:read", "channels:history", "groups:history"} {
			if !slices.Contains(m.OAuth.Scopes.Bot, s) {
				t.Errorf("%s: scope %s missing", file, s)
			}
		}
		if !slices.Equal(m.Settings.Events.BotEvents, []string{"message.channels", "message.groups"}) || !m.Settings.Interactivity.Enabled || m.Settings.SocketMode != socket {
			t.Errorf("%s: settings %+v", file, m.Settings)
		}
		// Personal reminders are direct messages: the Messages tab is on and members may
		// write there.
		if h := m.Features.AppHome; h.MessagesTab == nil || !*h.MessagesTab || h.MessagesTabReadOnly == nil || *h.MessagesTabReadOnly {
			t.Errorf("%s: app_home %+v", file, h)
		}
		if !socket && (!strings.HasSuffix(m.Settings.Events.RequestURL, EventsPath) || !strings.HasSuffix(m.Settings.Interactivity.RequestURL, InteractivityPath)) {
			t.Errorf("%s: request urls %+v", file, m.Settings)
		}
	}
}

// The files in deploy/slack are the output of `cohortbot slack manifest`: a change to the
// command table that is not regenerated into them fails here.
func TestManifestFilesAreGenerated(t *testing.T) {
	t.Parallel()
	for file, base := range map[string]string{"manifest.yaml": "", "manifest-http.yaml": "https://cohortbot.example.com"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "slack", file))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(b), Manifest(base); got != want {
			flag := ""
			if base != "" {
				flag = " --http " + base
			}
			t.Errorf("deploy/slack/%s is not what `cohortbot slack manifest%s` prints: regenerate it with\n  go run ./cmd/cohortbot slack manifest%s > deploy/slack/%s", file, flag, flag, file)
		}
	}
}
