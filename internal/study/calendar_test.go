package study_test

import (
	"testing"
	"time"

	"cohortbot/internal/study"
)

// Readable builders for calendar cases.

func date(t *testing.T, s string) study.Date {
	t.Helper()
	d, err := study.ParseDate(s)
	if err != nil {
		t.Fatalf("bad test date %q: %v", s, err)
	}
	return d
}

func clock(t *testing.T, s string) study.TimeOfDay {
	t.Helper()
	tod, err := study.ParseTimeOfDay(s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return tod
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("zone %s: %v (is tzdata installed?)", name, err)
	}
	return loc
}

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad instant %q: %v", s, err)
	}
	return v.UTC()
}

func TestLocalInstantAcrossDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		zone string
		date string
		at   string
		want string // UTC
	}{
		{"Berlin, day before spring forward", "Europe/Berlin", "2027-03-27", "09:00", "2027-03-27T08:00:00Z"},
		{"Berlin, spring forward keeps 09:00 local", "Europe/Berlin", "2027-03-28", "09:00", "2027-03-28T07:00:00Z"},
		{"Berlin, 02:30 does not exist: first valid instant (03:00 CEST)", "Europe/Berlin", "2027-03-28", "02:30", "2027-03-28T01:00:00Z"},
		{"Berlin, fall back: 02:30 happens twice, posts at the first", "Europe/Berlin", "2027-10-31", "02:30", "2027-10-31T00:30:00Z"},
		{"Berlin, after fall back 09:00 is CET", "Europe/Berlin", "2027-10-31", "09:00", "2027-10-31T08:00:00Z"},
		{"New York, day before spring forward", "America/New_York", "2027-03-13", "09:00", "2027-03-13T14:00:00Z"},
		{"New York, spring forward keeps 09:00 local", "America/New_York", "2027-03-14", "09:00", "2027-03-14T13:00:00Z"},
		{"New York, 02:30 does not exist: 03:00 EDT", "America/New_York", "2027-03-14", "02:30", "2027-03-14T07:00:00Z"},
		{"New York, fall back: 01:30 at its first (EDT) occurrence", "America/New_York", "2027-11-07", "01:30", "2027-11-07T05:30:00Z"},
		{"Kolkata, +05:30", "Asia/Kolkata", "2027-01-04", "09:00", "2027-01-04T03:30:00Z"},
		{"Kolkata, 23:59", "Asia/Kolkata", "2027-01-04", "23:59", "2027-01-04T18:29:00Z"},
		{"Chatham, +13:45 in summer", "Pacific/Chatham", "2027-01-10", "09:00", "2027-01-09T19:15:00Z"},
		{"Chatham, +12:45 in winter", "Pacific/Chatham", "2027-07-10", "09:00", "2027-07-09T20:15:00Z"},
		{"Chatham, 03:00 skipped on its DST day: 03:45 CHADT", "Pacific/Chatham", "2027-09-26", "03:00", "2027-09-25T14:00:00Z"},
		{"UTC, 00:00", "UTC", "2027-01-04", "00:00", "2027-01-04T00:00:00Z"},
		{"UTC, 23:59", "UTC", "2027-01-04", "23:59", "2027-01-04T23:59:00Z"},
		{"New York, 00:00 on spring-forward day exists", "America/New_York", "2027-03-14", "00:00", "2027-03-14T05:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := study.LocalInstant(date(t, tc.date), clock(t, tc.at), zone(t, tc.zone))
			if want := utc(t, tc.want); !got.Equal(want) {
				t.Errorf("LocalInstant(%s %s %s) = %s, want %s", tc.date, tc.at, tc.zone, got.UTC().Format(time.RFC3339), tc.want)
			}
		})
	}
}

// TestDailyPostsAcrossDST walks a daily cohort through both DST changes of a year and
// checks that every post is at 09:00 local, one per day, none skipped or doubled.
func TestDailyPostsAcrossDST(t *testing.T) {
	t.Parallel()
	for _, z := range []string{"Europe/Berlin", "America/New_York", "Pacific/Chatham", "Asia/Kolkata"} {
		t.Run(z, func(t *testing.T) {
			t.Parallel()
			loc := zone(t, z)
			cal := study.Calendar{Start: date(t, "2027-01-01"), Loc: loc, PostAt: clock(t, "09:00"), Cadence: study.Daily, Length: 365}
			now := utc(t, "2026-12-31T00:00:00Z")
			seen := map[study.Date]bool{}
			for i := 1; i <= 365; i++ {
				day, at, ok := cal.NextPost(now)
				if !ok || day != i {
					t.Fatalf("after %s: next post day %d ok=%v, want day %d", now, day, ok, i)
				}
				local := at.In(loc)
				d := study.DateOfTime(local)
				if local.Hour() != 9 || local.Minute() != 0 || seen[d] {
					t.Fatalf("day %d posts at %s (seen that date before: %v)", i, local, seen[d])
				}
				seen[d] = true
				now = at.Add(time.Second)
			}
		})
	}
}

func TestCalendarPositions(t *testing.T) {
	t.Parallel()
	// A weekday cohort that starts on a Saturday: day 1 is the Monday after.
	weekdays := study.Calendar{Start: date(t, "2027-03-06"), Loc: time.UTC, PostAt: clock(t, "09:00"), Cadence: study.Weekdays, Length: 93}
	// A daily cohort from Fri 1 Jan 2027 paused across the Phase 1 → Phase 2 boundary
	// (days 7 and 8 would fall on 7 and 8 Jan) and skipping one date.
	paused := study.Calendar{Start: date(t, "2027-01-01"), Loc: time.UTC, PostAt: clock(t, "09:00"), Cadence: study.Daily, Length: 93,
		Pauses: []study.DateRange{{From: date(t, "2027-01-07"), Until: date(t, "2027-01-09")}},
		Skips:  []study.Date{date(t, "2027-01-12")}}
	plain := paused
	plain.Pauses, plain.Skips = nil, nil

	tests := []struct {
		name  string
		cal   study.Calendar
		on    string
		state study.State
		day   int
		why   string
		next  string
		until int
	}{
		{"weekdays: Saturday start is before day 1", weekdays, "2027-03-06", study.Upcoming, 0, "weekend", "2027-03-08", 2},
		{"weekdays: Sunday still upcoming", weekdays, "2027-03-07", study.Upcoming, 0, "weekend", "2027-03-08", 1},
		{"weekdays: Monday is day 1", weekdays, "2027-03-08", study.Studying, 1, "", "", 0},
		{"weekdays: Friday is day 5", weekdays, "2027-03-12", study.Studying, 5, "", "", 0},
		{"weekdays: next Saturday rests on day 5", weekdays, "2027-03-13", study.Resting, 5, "weekend", "2027-03-15", 0},
		{"weekdays: next Monday is day 6", weekdays, "2027-03-15", study.Studying, 6, "", "", 0},
		{"before the start: starts in 3 days", plain, "2026-12-29", study.Upcoming, 0, "before the start", "2027-01-01", 3},
		{"pause: day 6 still on 6 Jan", paused, "2027-01-06", study.Studying, 6, "", "", 0},
		{"pause: 7 Jan rests", paused, "2027-01-07", study.Resting, 6, "paused", "2027-01-10", 0},
		{"pause: last phase-1 day moves to 10 Jan", paused, "2027-01-10", study.Studying, 7, "", "", 0},
		{"pause: phase 2 starts 11 Jan", paused, "2027-01-11", study.Studying, 8, "", "", 0},
		{"skip: 12 Jan has no card", paused, "2027-01-12", study.Resting, 8, "skipped", "2027-01-13", 0},
		{"skip: day 9 on 13 Jan", paused, "2027-01-13", study.Studying, 9, "", "", 0},
		{"finished after the last day", plain, "2027-04-04", study.Finished, 93, "", "", 0},
		{"last day itself", plain, "2027-04-03", study.Studying, 93, "", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.cal.At(date(t, tc.on))
			var next study.Date
			if tc.next != "" {
				next = date(t, tc.next)
			}
			if p.State != tc.state || p.Day != tc.day || p.Why != tc.why || p.Next != next || p.Until != tc.until {
				t.Errorf("At(%s) = %+v, want state %d day %d why %q next %s until %d", tc.on, p, tc.state, tc.day, tc.why, tc.next, tc.until)
			}
		})
	}
}

func TestProjectedEndMovesWithPauses(t *testing.T) {
	t.Parallel()
	cal := study.Calendar{Start: date(t, "2027-01-01"), Loc: time.UTC, Cadence: study.Daily, Length: 93}
	if end, ok := cal.EndDate(); !ok || end != date(t, "2027-04-03") {
		t.Errorf("end = %s %v, want 2027-04-03", end, ok)
	}
	cal.Pauses = []study.DateRange{{From: date(t, "2027-01-07"), Until: date(t, "2027-01-09")}}
	if end, _ := cal.EndDate(); end != date(t, "2027-04-06") {
		t.Errorf("end with a 3-day pause = %s, want 2027-04-06", end)
	}
	cal.Pauses = []study.DateRange{{From: date(t, "2027-02-01")}}
	if end, ok := cal.EndDate(); ok {
		t.Errorf("open-ended pause: end %s should be unknown", end)
	}
	weekdays := study.Calendar{Start: date(t, "2027-03-06"), Loc: time.UTC, Cadence: study.Weekdays, Length: 93}
	// 93 weekdays from Mon 8 Mar 2027: 18 full weeks (90 days) end Fri 9 Jul; 3 more → Wed 14 Jul.
	if end, _ := weekdays.EndDate(); end != date(t, "2027-07-14") {
		t.Errorf("weekday end = %s, want 2027-07-14", end)
	}
}

func TestParseInputs(t *testing.T) {
	t.Parallel()
	bad := []struct{ in, kind, want string }{
		{"2026-3-1", "date", `"2026-3-1" is not a date: use YYYY-MM-DD, like 2026-03-02`},
		{"2026-02-30", "date", "2026-02-30 is not a day on the calendar"},
		{"2027-13-01", "date", "2027-13-01 is not a day on the calendar"},
		{"+026-01-01", "date", `"+026-01-01" is not a date: use YYYY-MM-DD, like 2026-03-02`},
		{"2026-+1-01", "date", `"2026-+1-01" is not a date: use YYYY-MM-DD, like 2026-03-02`},
		{"25:00", "time", "25:00 is not a time of day: hours run 00–23 and minutes 00–59"},
		{"9am", "time", `"9am" is not a time: use HH:MM on a 24-hour clock, like 09:00`},
		{"+9:05", "time", `"+9:05" is not a time: use HH:MM on a 24-hour clock, like 09:00`},
		{"09:-5", "time", `"09:-5" is not a time: use HH:MM on a 24-hour clock, like 09:00`},
		{"12:60", "time", "12:60 is not a time of day: hours run 00–23 and minutes 00–59"},
		{"Mars/Olympus", "zone", `unknown time zone "Mars/Olympus": use an IANA name like Europe/Berlin or America/New_York`},
		{"monthly", "cadence", `unknown cadence "monthly": use daily or weekdays`},
	}
	for _, tc := range bad {
		var err error
		switch tc.kind {
		case "date":
			_, err = study.ParseDate(tc.in)
		case "time":
			_, err = study.ParseTimeOfDay(tc.in)
		case "zone":
			_, err = study.LoadZone(tc.in)
		case "cadence":
			_, err = study.ParseCadence(tc.in)
		}
		if study.ErrorCode(err) != study.EINVALID || study.ErrorMessage(err) != tc.want {
			t.Errorf("%s %q: got %q (%s), want %q", tc.kind, tc.in, study.ErrorMessage(err), study.ErrorCode(err), tc.want)
		}
	}
	if d, err := study.ParseDate("2028-02-29"); err != nil || d.String() != "2028-02-29" {
		t.Errorf("leap day: %v %v", d, err)
	}
	if tod, err := study.ParseTimeOfDay("7:05"); err != nil || tod.String() != "07:05" {
		t.Errorf("7:05: %v %v", tod, err)
	}
}
