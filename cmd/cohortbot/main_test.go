package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustRun(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := dispatch(ctx, args, stdio{in: strings.NewReader(stdin), out: &out, err: &errOut}, environ{get: func(k string) string { return env[k] }})
	return out.String(), err
}

// TestConsoleSessionSurvivesRestart is the newcomer's first run: a scripted console
// session on the embedded store, then a second process that still sees the data.
func TestConsoleSessionSurvivesRestart(t *testing.T) {
	t.Parallel()
	env := map[string]string{"COHORTBOT_DATA_DIR": t.TempDir(), "USER": "ada"}
	today := time.Now().UTC().Format("2006-01-02")
	script := fmt.Sprintf("/cohort setup start:%s time:09:00 tz:UTC\n/today\n/done\n/done\n/progress\n/leaderboard\n/cohort status\n", today)
	out, err := mustRun(t, env, script)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	for _, want := range []string{
		"is set up: 93 days of Node.js Backend",
		"Phase 1 · Day 1 of 7 · Day 1/93\nBackend basics, client–server, first API",
		"✅ Day 1 — Backend basics, client–server, first API checked in. Completed 1/93",
		"⚠️ You already checked in for day 1.",
		"completed 1 of 93 days (today is day 1) · streak 1 day (best 1) · rank 1 of 1",
		"🥇 ada — 1 day done",
		"Next post: Day 2",
		"Projected end:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first session lacks %q\n%s", want, out)
		}
	}
	out, err = mustRun(t, env, "/progress\n/as bob\n/done\n/leaderboard\n", "run")
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	for _, want := range []string{"completed 1 of 93 days", "You are now bob.", "🥇 ada — 1 day done", "bob — 1 day done"} {
		if !strings.Contains(out, want) {
			t.Errorf("after restart, output lacks %q\n%s", want, out)
		}
	}
}

func TestCurriculumCommands(t *testing.T) {
	t.Parallel()
	out, err := mustRun(t, nil, "", "curriculum", "validate")
	if err != nil || !strings.Contains(out, "ok: 18 phases, 93 days") {
		t.Errorf("validate: %v\n%s", err, out)
	}
	out, err = mustRun(t, nil, "", "curriculum", "show", "--json")
	if err != nil || !strings.Contains(out, `"topic": "Event loop"`) || strings.Count(out, `"number": `) != 93 {
		t.Errorf("show --json: %v (%d numbers)", err, strings.Count(out, `"number": `))
	}
	if _, err := mustRun(t, nil, "", "curriculum", "show", "--day", "94"); err == nil {
		t.Error("show --day 94 succeeded")
	}
	dir := t.TempDir()
	out, err = mustRun(t, nil, "", "curriculum", "validate", dir)
	if err == nil || !strings.Contains(out, "track.yaml: cannot read") {
		t.Errorf("validate of an empty dir: %v\n%s", err, out)
	}
}

func TestConfigProblemsAreAllReported(t *testing.T) {
	t.Parallel()
	_, err := mustRun(t, map[string]string{"DATABASE_URL": "mysql://secret-password@db/x", "COHORTBOT_LOG_LEVEL": "loud"}, "", "run", "--check-config")
	if err == nil {
		t.Fatal("bad config accepted")
	}
	msg := err.Error()
	if !strings.Contains(msg, "DATABASE_URL must be a postgres:// URL") || !strings.Contains(msg, `COHORTBOT_LOG_LEVEL "loud"`) {
		t.Errorf("problems: %s", msg)
	}
	if strings.Contains(msg, "secret-password") {
		t.Errorf("the database password leaked into the error: %s", msg)
	}
}

// TestConsoleCatchUpAndClock: set up with a post time a minute ago and today's card goes
// out at once; /clock +7d then shows a week of cards, a leaderboard and a recap.
func TestConsoleCatchUpAndClock(t *testing.T) {
	t.Parallel()
	env := map[string]string{"COHORTBOT_DATA_DIR": t.TempDir(), "USER": "ada"}
	// A zone where "a minute ago" is still today, whatever the hour the suite runs at.
	tz, today := zoneWhereHourIn(t, 1, 22)
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	ago := time.Now().In(loc).Add(-time.Minute)
	script := fmt.Sprintf("/cohort setup start:%s time:%s tz:%s cadence:daily\n/done\n/clock +7d\n/cohort status\n", today, ago.Format("15:04"), tz)
	out, err := mustRun(t, env, script)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	setup := strings.Index(out, "is set up")
	first := strings.Index(out, "📣 posted (day")
	if setup < 0 || first < setup || !strings.Contains(out[first:], "Day 1/93") {
		t.Fatalf("today's card was not posted right after setup:\n%.2000s", out)
	}
	for kind, want := range map[string]int{"📣 posted (day": 8, "📣 posted (phase_start": 2, "📣 posted (phase_end": 1, "📣 posted (leaderboard": 1, "📣 posted (recap": 1} {
		if got := strings.Count(out, kind); got != want {
			t.Errorf("%s…: %d, want %d", kind, got, want)
		}
	}
	if !strings.Contains(out, "Day 8/93") || !strings.Contains(out, "Deliveries: no failures") || !strings.Contains(out, "Next post: Day 9") {
		t.Errorf("after a week:\n%s", out[strings.LastIndex(out, "📋"):])
	}
}
