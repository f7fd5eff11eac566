package study_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
)

// in reads a wall time in a zone, "2027-01-04 09:00" in Europe/Berlin: the date builder
// of these tests.
func in(t *testing.T, zone, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	if err != nil {
		t.Fatalf("bad wall time %q: %v", wall, err)
	}
	return v
}

func berlin(t *testing.T, wall string) time.Time { return in(t, "Europe/Berlin", wall) }

// at moves the clock and runs the scheduler's upkeep there.
func (e *env) at(t *testing.T, when time.Time) *env {
	t.Helper()
	e.clock.Set(when)
	e.upkeep(t)
	return e
}

func (e *env) record(t *testing.T, u study.UserRef) study.Progress {
	t.Helper()
	c, err := e.store.CohortByChannel(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.store.MemberByUser(context.Background(), c.ID, u)
	if err != nil {
		t.Fatal(err)
	}
	return m.Progress
}

// A study day runs from its card until the next card plus the grace, whatever the
// member's zone: a Tokyo member checking in at 02:00 their time for a Berlin card is on
// time; weekends and pauses lengthen the window; after it, a check-in is a catch-up.
func TestStudyDayWindows(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, "2027-01-04T06:00:00Z") // Monday, 07:00 in Berlin
		e.mustDo(t, ada, true, "/cohort setup start:2027-01-04 time:09:00 tz:Europe/Berlin cadence:weekdays")
		tokyo := study.UserRef{Platform: "console", Workspace: "w", ID: "kenji", Name: "Kenji"}

		for _, c := range []struct {
			name   string
			when   time.Time
			who    study.UserRef
			line   string
			want   string
			onTime bool
		}{
			{"before day 1's card: refused with when it comes", berlin(t, "2027-01-04 08:30"), ada, "/done", "has not started yet: Day 1's card comes today at 09:00 CET", false},
			{"day 1, at 02:00 Tokyo time the next night", in(t, "Asia/Tokyo", "2027-01-05 02:00"), tokyo, "/done", "✅ Day 1", true},
			{"day 1 in its grace, after day 2's card", berlin(t, "2027-01-05 12:59"), ada, "/done 1", "✅ Day 1", true},
			{"day 2 after its grace: a catch-up", berlin(t, "2027-01-06 13:01"), ada, "/done 2", "(late: it counts for completion, not for the streak)", false},
			{"Friday's card stays open over the weekend", berlin(t, "2027-01-10 22:00"), ada, "/done 5", "✅ Day 5", true},
			{"and until Monday's card plus the grace", berlin(t, "2027-01-11 12:59"), tokyo, "/done 5", "✅ Day 5", true},
		} {
			e.at(t, c.when)
			r, err := e.do(t, c.who, false, c.line)
			got := study.ErrorMessage(err)
			if err == nil {
				got = study.PlainText(r.Messages[0])
			}
			if !strings.Contains(got, c.want) {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
			if err == nil && strings.Contains(got, "late:") == c.onTime {
				t.Errorf("%s: on time %v, reply %q", c.name, !c.onTime, got)
			}
		}
		if p := e.record(t, ada); p.Mark(1) != study.MarkOnTime || p.Mark(2) != study.MarkLate || p.Mark(5) != study.MarkOnTime {
			t.Errorf("ada's day marks %q", p.Days)
		}

		// A pause after day 7 lengthens its window until the card after it.
		e.at(t, berlin(t, "2027-01-12 10:00")) // Tuesday: day 7
		e.mustDo(t, ada, true, "/cohort pause from:2027-01-13 until:2027-01-14")
		e.at(t, berlin(t, "2027-01-14 20:00"))
		if out := e.mustDo(t, tokyo, false, "/done 7"); strings.Contains(out, "late") {
			t.Errorf("day 7 during the pause after it: %s", out)
		}
	})
}

// Grace: /cohort set grace:2h shortens the window; 0h ends it with the next card.
func TestGraceSetting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, "2027-01-04T08:00:00Z")
	e.mustDo(t, ada, true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
	if out := e.mustDo(t, ada, true, "/cohort set grace:2h"); !strings.Contains(out, "grace 2h") {
		t.Errorf("set grace: %s", out)
	}
	e.at(t, utc(t, "2027-01-05T10:59:00Z"))
	if out := e.mustDo(t, ada, false, "/done 1"); strings.Contains(out, "late") {
		t.Errorf("inside a 2h grace: %s", out)
	}
	e.mustDo(t, ada, true, "/cohort set grace:0h")
	e.at(t, utc(t, "2027-01-06T09:01:00Z"))
	if out := e.mustDo(t, bob, false, "/done 2"); !strings.Contains(out, "late") {
		t.Errorf("a minute after the next card with no grace: %s", out)
	}
	if out := e.mustDo(t, ada, true, "/cohort status"); !strings.Contains(out, "on time until the next card + 0h grace") {
		t.Errorf("status: %s", out)
	}
}

// A member's own zone: their replies show their times; the cohort's day is the same.
func TestMemberTimeZone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, "2027-01-04T10:00:00Z") // Monday 11:00 in Berlin
	e.mustDo(t, ada, true, "/cohort setup start:2027-01-04 time:09:00 tz:Europe/Berlin")
	if out := e.mustDo(t, bob, false, "/me tz:Asia/Tokyo"); !strings.Contains(out, "your time zone is Asia/Tokyo: cards come at 17:00 your time") {
		t.Errorf("/me tz: %s", out)
	}
	e.mustDo(t, bob, false, "/done")
	if out := e.mustDo(t, bob, false, "/progress"); !strings.Contains(out, "Next card: Day 2, tomorrow at 17:00 JST.") {
		t.Errorf("/progress in Tokyo: %s", out)
	}
	if out := e.mustDo(t, ada, false, "/progress"); !strings.Contains(out, "no check-ins") {
		t.Errorf("ada: %s", out)
	}
	e.mustDo(t, ada, false, "/done")
	if out := e.mustDo(t, ada, false, "/progress"); !strings.Contains(out, "Next card: Day 2, tomorrow at 09:00 CET.") {
		t.Errorf("/progress in Berlin: %s", out)
	}
	if out := e.mustDo(t, bob, false, "/me"); !strings.Contains(out, "Time zone: Asia/Tokyo · cards come at 17:00 your time") || !strings.Contains(out, "Reminder: off") {
		t.Errorf("/me: %s", out)
	}
}

// Freezes: seven days on time earn one; a missed day spends it and the streak goes on,
// and /progress shows what it covered. Two misses with one freeze break the streak.
func TestStreakFreezesThroughTheCore(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, "2027-01-04T10:00:00Z")
		e.mustDo(t, ada, true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC name:Crew")
		day := func(n int) time.Time { return utc(t, "2027-01-04T10:00:00Z").AddDate(0, 0, n-1) }
		for n := 1; n <= 7; n++ {
			e.at(t, day(n))
			e.mustDo(t, ada, false, "/done")
		}
		e.at(t, day(8))
		if out := e.mustDo(t, ada, false, "/progress"); !strings.Contains(out, "streak 7 days") || !strings.Contains(out, "🧊 Streak freezes: 0 held of 2") {
			t.Errorf("day 7 in its grace: %s", out)
		}
		// The freeze is earned when day 7 closes: day 8's card plus the 4h grace.
		e.at(t, day(8).Add(3*time.Hour+time.Minute))
		if out := e.mustDo(t, ada, false, "/progress"); !strings.Contains(out, "streak 7 days") || !strings.Contains(out, "🧊 Streak freezes: 1 held of 2") {
			t.Errorf("after seven days: %s", out)
		}
		// Day 8 passes without a check-in; day 9 is done.
		e.at(t, day(9))
		e.mustDo(t, ada, false, "/done")
		e.at(t, day(10).Add(-30*time.Minute)) // day 9 still open
		out := e.mustDo(t, ada, false, "/progress")
		for _, want := range []string{"completed 8 of 10 days", "streak 8 days (best 8)", "Not done yet: days 8", "🧊 Streak freezes: 0 held of 2 · covered day 8"} {
			if !strings.Contains(out, want) {
				t.Errorf("after the covered miss, /progress lacks %q:\n%s", want, out)
			}
		}
		// Day 10, the last, passes without a check-in and no freeze is left: once its
		// window closes, the streak starts over; the best stays.
		e.at(t, day(11).Add(3*time.Hour+time.Minute))
		if out := e.mustDo(t, ada, false, "/progress"); !strings.Contains(out, "streak 0 days (best 8)") || !strings.Contains(out, "Not done yet: days 8, 10") {
			t.Errorf("after a second miss: %s", out)
		}
		// Freezes off: the record says so.
		e.mustDo(t, ada, true, "/cohort set freezes:off")
		if out := e.mustDo(t, ada, false, "/progress"); !strings.Contains(out, "held of 0") {
			t.Errorf("freezes off: %s", out)
		}
	})
}

// Away: days while away neither break nor extend the streak, and leave the member out of
// "not done yet" lists; /away off ends it.
func TestAwayKeepsTheStreak(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, "2027-01-04T10:00:00Z")
		e.mustDo(t, ada, true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC cadence:daily name:Crew")
		e.mustDo(t, ada, true, "/cohort set reminder:20:00")
		day := func(n int) time.Time { return utc(t, "2027-01-04T10:00:00Z").AddDate(0, 0, n-1) }
		for n := 1; n <= 2; n++ {
			e.at(t, day(n))
			e.mustDo(t, ada, false, "/done")
			e.mustDo(t, bob, false, "/done")
		}
		if out := e.mustDo(t, ada, false, "/away until:2027-01-07"); !strings.Contains(out, "Away through Thu 7 Jan 2027") {
			t.Errorf("/away: %s", out)
		}
		for n := 3; n <= 5; n++ {
			e.at(t, day(n))
			e.mustDo(t, bob, false, "/done")
		}
		e.at(t, day(5).Add(time.Hour))
		e.mustDo(t, ada, false, "/done")
		if out := e.mustDo(t, ada, false, "/progress"); strings.Contains(out, "Not done yet") {
			t.Errorf("a day away still in its grace is listed as not done:\n%s", out)
		}
		e.at(t, day(5).Add(3*time.Hour+time.Minute)) // day 4, away, has closed
		out := e.mustDo(t, ada, false, "/progress")
		for _, want := range []string{"completed 3 of 10 days", "streak 3 days (best 3)"} {
			if !strings.Contains(out, want) {
				t.Errorf("after time away, /progress lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "Not done yet") {
			t.Errorf("the days away are listed as not done:\n%s", out)
		}
		if p := e.record(t, ada); p.Mark(3) != study.MarkAway || p.Mark(4) != study.MarkAway {
			t.Errorf("ada's marks %q", p.Days)
		}
		// While away, the channel reminder leaves her out.
		if _, err := e.do(t, ada, false, "/away until:2027-01-10"); err != nil {
			t.Fatal(err)
		}
		c, _ := e.store.CohortByChannel(context.Background(), room)
		names, _, err := e.store.Laggards(context.Background(), c.ID, 6, day(6).Add(10*time.Hour), 30)
		if err != nil || len(names) != 1 || names[0] != "Bob" {
			t.Errorf("laggards of day 6 with ada away: %v %v", names, err)
		}
		if out := e.mustDo(t, ada, false, "/away off"); !strings.Contains(out, "Welcome back") {
			t.Errorf("/away off: %s", out)
		}
	})
}

// Bad input to the new settings: a specific line, and nothing changes.
func TestBadSettingsChangeNothing(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, "2027-01-04T10:00:00Z")
		e.mustDo(t, ada, true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		e.mustDo(t, ada, false, "/done")
		for _, c := range []struct {
			line, code, want string
			organizer        bool
		}{
			{"/me tz:Mars/Base", study.EINVALID, `unknown time zone "Mars/Base": use an IANA name like Europe/Berlin or America/New_York`, false},
			{"/me remind:25:00", study.EINVALID, "25:00 is not a time of day: hours run 00–23 and minutes 00–59", false},
			{"/me colour:blue", study.EINVALID, `unknown option "colour": this command takes tz, remind`, false},
			{"/away until:2027-01-01", study.EINVALID, "until 2027-01-01 is in the past (today is 2027-01-04)", false},
			{"/away until:2027-01-26", study.EINVALID, "until 2027-01-26 is more than 21 days ahead: at most until 2027-01-25", false},
			{"/away until:someday", study.EINVALID, `"someday" is not a date: use YYYY-MM-DD, like 2026-03-02`, false},
			{"/away", study.EINVALID, "until is missing: /away until:YYYY-MM-DD, or /away off when you are back", false},
			{"/away off", study.EINVALID, "You are not away in “Mini cohort”.", false},
			{"/cohort set grace:13h", study.EINVALID, "grace must be whole minutes between 0h and 12h, not 13h", true},
			{"/cohort set grace:soon", study.EINVALID, `"soon" is not a grace period: use hours and minutes, like 2h or 90m`, true},
			{"/cohort set grace:-1h", study.EINVALID, `"-1h" is not a grace period: use hours and minutes, like 2h or 90m`, true},
			{"/cohort set freezes:9", study.EINVALID, `freezes must be off, 1, 2 or 3, not "9"`, true},
			{"/cohort set grace:2h", study.EFORBIDDEN, "Only organizers can use /cohort set.", false},
		} {
			before := e.snapshot(t)
			_, err := e.do(t, ada, c.organizer, c.line)
			if study.ErrorCode(err) != c.code || study.ErrorMessage(err) != c.want {
				t.Errorf("%s\n got  %s: %q\n want %s: %q", c.line, study.ErrorCode(err), study.ErrorMessage(err), c.code, c.want)
			}
			if after := e.snapshot(t); after != before {
				t.Errorf("%s changed the store", c.line)
			}
		}
	})
}
