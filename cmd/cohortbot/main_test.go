package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cohortbot/internal/clocktest"
)

// mustRun runs a cohortbot command as a test would type it, with vars as its
// environment and a clock that starts at testEpoch.
func mustRun(t *testing.T, vars map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	return runWith(t, testEnv(vars), stdin, args...)
}

// mustRunAt runs a command on a clock frozen at instant at: the console's /clock is the
// only thing that moves it.
func mustRunAt(t *testing.T, at time.Time, vars map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	env := testEnv(vars)
	env.now = clocktest.New(at).Now
	return runWith(t, env, stdin, args...)
}

func runWith(t *testing.T, env environ, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := dispatch(ctx, args, stdio{in: strings.NewReader(stdin), out: &out, err: &errOut}, env)
	return out.String(), err
}

// TestConsoleSessionSurvivesRestart is the newcomer's first run: a scripted console
// session on the embedded store, then a second process that still sees the data.
func TestConsoleSessionSurvivesRestart(t *testing.T) {
	t.Parallel()
	env := map[string]string{"COHORTBOT_DATA_DIR": t.TempDir(), "USER": "ada"}
	// testEpoch is 10:00 UTC: day 1's 09:00 card is out, day 2's comes tomorrow.
	script := fmt.Sprintf("/cohort setup start:%s time:09:00 tz:UTC\n/today\n/done\n/done\n/progress\n/leaderboard\n/cohort status\n", testToday)
	out, err := mustRunAt(t, testEpoch, env, script)
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
	// The second process starts an hour later, as a restart would.
	out, err = mustRunAt(t, testEpoch.Add(time.Hour), env, "/progress\n/as bob\n/done\n/leaderboard\n", "run")
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
	// Wednesday 12:00 UTC; the week ahead holds Friday's leaderboard and Sunday's recap.
	at := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	script := "/cohort setup start:2027-03-10 time:11:59 tz:UTC cadence:daily\n/done\n/clock +7d\n/cohort status\n"
	out, err := mustRunAt(t, at, env, script)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	setup := strings.Index(out, "is set up")
	first := strings.Index(out, "📣 posted (day")
	if setup < 0 || first < setup || !strings.Contains(out[first:], "Day 1/93") {
		t.Fatalf("today's card was not posted right after setup:\n%.2000s", out)
	}
	for kind, want := range map[string]int{"📣 posted (day": 8, "📣 posted (phase_start": 0, "🧭 Phase": 2, "📣 posted (phase_end": 1, "📣 posted (leaderboard": 1, "📣 posted (recap": 1} {
		if got := strings.Count(out, kind); got != want {
			t.Errorf("%s…: %d, want %d", kind, got, want)
		}
	}
	for _, want := range []string{"📣 posted (leaderboard · Fri 12 Mar 17:00 UTC)", "📣 posted (recap · Sun 14 Mar 18:00 UTC)", "🕰 It is now Wed 17 Mar 2027 12:00 UTC."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(out, "Day 8/93") || !strings.Contains(out, "Deliveries: no failures") || !strings.Contains(out, "Next post: Day 9") {
		t.Errorf("after a week:\n%s", out[strings.LastIndex(out, "📋"):])
	}
}

// TestConsoleScriptAtEveryHour runs one console script at chosen instants of the day —
// before the post time, a minute before it, after it, a minute before midnight — and on
// both DST change days, and checks what each must show: whether day 1's card goes out at
// once or at its time, the next post, and that a day later each card went out once.
func TestConsoleScriptAtEveryHour(t *testing.T) {
	t.Parallel()
	const script = "/cohort setup start:%s time:%s tz:%s cadence:daily\n/today\n/done\n/progress\n/cohort status\n/clock +1d\n/cohort status\n"
	utc := func(h, m int) time.Time { return time.Date(2027, 3, 10, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		name      string
		at        time.Time
		start, tz string
		postAt    string
		postedNow bool // day 1's card goes out right after setup (its time has passed today)
		dayCards  int  // day cards posted by the end of the script
		// before: the script runs before day 1's card, which starts the day: /done is
		// refused with when the card comes.
		before string
		want   []string
	}{
		{name: "00:30 UTC", at: utc(0, 30), start: "2027-03-10", tz: "UTC", postAt: "09:00", dayCards: 1, before: "today at 09:00 UTC", want: []string{
			"Today (2027-03-10): Day 1/93", "Next post: Day 1 at Wed 10 Mar 2027 09:00 UTC (2027-03-10 09:00 UTC)",
			"“Node.js Backend cohort” starts today at 09:00 UTC: Day 1 — Backend basics",
			"📣 posted (day · Wed 10 Mar 09:00 UTC)", "🕰 It is now Thu 11 Mar 2027 00:30 UTC.",
			"Next post: Day 2 at Thu 11 Mar 2027 09:00 UTC"}},
		{name: "08:59 UTC", at: utc(8, 59), start: "2027-03-10", tz: "UTC", postAt: "09:00", dayCards: 1, before: "today at 09:00 UTC", want: []string{
			"Next post: Day 1 at Wed 10 Mar 2027 09:00 UTC", "📣 posted (day · Wed 10 Mar 09:00 UTC)",
			"🕰 It is now Thu 11 Mar 2027 08:59 UTC.", "Next post: Day 2 at Thu 11 Mar 2027 09:00 UTC"}},
		{name: "12:00 UTC", at: utc(12, 0), start: "2027-03-10", tz: "UTC", postAt: "09:00", postedNow: true, dayCards: 2, want: []string{
			"📣 posted (day · Wed 10 Mar 12:00 UTC)", "Next post: Day 2 at Thu 11 Mar 2027 09:00 UTC",
			"📣 posted (day · Thu 11 Mar 09:00 UTC)", "Today (2027-03-11): Day 2/93", "Next post: Day 3 at Fri 12 Mar 2027 09:00 UTC"}},
		{name: "23:59 UTC", at: utc(23, 59), start: "2027-03-10", tz: "UTC", postAt: "09:00", postedNow: true, dayCards: 2, want: []string{
			"📣 posted (day · Wed 10 Mar 23:59 UTC)", "Next post: Day 2 at Thu 11 Mar 2027 09:00 UTC",
			"📣 posted (day · Thu 11 Mar 09:00 UTC)", "🕰 It is now Thu 11 Mar 2027 23:59 UTC.", "Next post: Day 3 at Fri 12 Mar 2027 09:00 UTC"}},
		// Berlin springs forward at 02:00 on 28 March 2027: 02:30 does not exist that day, so
		// the card goes out at 03:00 CEST, once; the next day's at 02:30 CEST again.
		{name: "spring forward, Berlin", at: time.Date(2027, 3, 28, 0, 45, 0, 0, time.UTC), start: "2027-03-28", tz: "Europe/Berlin", postAt: "02:30", dayCards: 2, before: "today at 03:00 CEST", want: []string{
			"Today (2027-03-28): Day 1/93", "Next post: Day 1 at Sun 28 Mar 2027 03:00 CEST (2027-03-28 01:00 UTC)",
			"📣 posted (day · Sun 28 Mar 01:00 UTC)", "📣 posted (day · Mon 29 Mar 00:30 UTC)",
			"Next post: Day 3 at Tue 30 Mar 2027 02:30 CEST (2027-03-30 00:30 UTC)"}},
		// New York falls back at 02:00 on 7 November 2027: 01:30 happens twice, and the card
		// goes out at the first, 01:30 EDT, once.
		{name: "fall back, New York", at: time.Date(2027, 11, 7, 4, 0, 0, 0, time.UTC), start: "2027-11-07", tz: "America/New_York", postAt: "01:30", dayCards: 1, before: "today at 01:30 EDT", want: []string{
			"Today (2027-11-07): Day 1/93", "Next post: Day 1 at Sun 7 Nov 2027 01:30 EDT (2027-11-07 05:30 UTC)",
			"📣 posted (day · Sun 7 Nov 05:30 UTC)", "🕰 It is now Mon 8 Nov 2027 04:00 UTC.",
			"Next post: Day 2 at Mon 8 Nov 2027 01:30 EST (2027-11-08 06:30 UTC)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"COHORTBOT_DATA_DIR": t.TempDir(), "USER": "ada"}
			out, err := mustRunAt(t, c.at, env, fmt.Sprintf(script, c.start, c.postAt, c.tz))
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out)
			}
			want := append([]string{
				"is set up: 93 days of Node.js Backend",
				"✅ Day 1 — Backend basics, client–server, first API checked in. Completed 1/93 · streak 1 day (best 1).",
				"completed 1 of 93 days (today is day 1) · streak 1 day (best 1) · rank 1 of 1.",
			}, c.want...)
			if c.before != "" {
				want = append([]string{
					"is set up: 93 days of Node.js Backend",
					"⚠️ “Node.js Backend cohort” has not started yet: Day 1's card comes " + c.before,
					"You have no check-ins in “Node.js Backend cohort” yet. Today is day 0 of 93",
				}, c.want...)
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			setup, status := strings.Index(out, "is set up"), strings.Index(out, "📋")
			if got := setup >= 0 && status > setup && strings.Contains(out[setup:status], "📣 posted (day"); got != c.postedNow {
				t.Errorf("day 1's card posted before /clock: %v, want %v", got, c.postedNow)
			}
			if got := strings.Count(out, "📣 posted (day"); got != c.dayCards {
				t.Errorf("%d day cards posted, want %d", got, c.dayCards)
			}
			if got := strings.Count(out, "🧭 Phase 1 of 18"); got != 1 {
				t.Errorf("%d phase intros posted, want 1 (in day 1's card)", got)
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// TestConsoleMemberSettingsFreezesAndAway is a member's weeks in the console: their own
// time zone, seven days on time earning a streak freeze that covers a missed day, and
// time away that keeps the streak — all visible in /progress.
func TestConsoleMemberSettingsFreezesAndAway(t *testing.T) {
	t.Parallel()
	env := map[string]string{"COHORTBOT_DATA_DIR": t.TempDir(), "USER": "ada"}
	week := strings.Repeat("/clock +1d\n/done\n", 6)
	script := "/cohort setup start:2027-03-10 time:09:00 tz:Europe/Berlin cadence:daily name:\"Tokyo crew\"\n" +
		"/me tz:Asia/Tokyo\n/done\n" + week + // days 1–7 on time
		"/clock +1d\n" + // day 8: nothing
		"/clock +1d\n/done\n" + // day 9
		"/clock +3h\n/progress\n" + // day 8 has closed: the freeze covered it
		"/away until:2027-03-22\n/clock +3d\n/progress\n/me\n"
	// Wednesday 10 March 2027, 09:30 UTC: 10:30 in Berlin, day 1's card out at 09:00.
	out, err := mustRunAt(t, time.Date(2027, 3, 10, 9, 30, 0, 0, time.UTC), env, script)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	for _, want := range []string{
		"your time zone is Asia/Tokyo: cards come at 17:00 your time",
		"✅ Day 7 — ",
		// After day 9, with day 8 missed and covered:
		"completed 8 of 93 days (today is day 9) · streak 8 days (best 8)",
		"Not done yet: days 8 — catch up with /done DAY.",
		"🧊 Streak freezes: 0 held of 2 · covered day 8",
		"Next card: Day 10, tomorrow at 17:00 JST.",
		// Away from day 10 on, three days later: the streak waits.
		"🏝 Away through Mon 22 Mar 2027",
		"completed 8 of 93 days (today is day 12) · streak 8 days (best 8)",
		"Away: through Mon 22 Mar 2027 — /away off",
		"Time zone: Asia/Tokyo · cards come at 17:00 your time",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if i := strings.LastIndex(out, "today is day 12"); i >= 0 && strings.Contains(out[i:], "Not done yet: days 8, 10") {
		t.Errorf("days away are listed as not done:\n%s", out[i:])
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
