package study_test

// Fuzz targets of the core's parsers: what members type as arguments, dates, times of day,
// grace periods and cadences. `go test` runs their seeds; .ci/fuzz fuzzes each briefly.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"cohortbot/internal/fuzztest"
	"cohortbot/internal/study"
)

// optionKeys are the option names of every command and subcommand, in table order.
func optionKeys() [][]string {
	var out [][]string
	add := func(c study.Command) {
		var keys []string
		for _, o := range c.Options {
			keys = append(keys, o.Name)
		}
		out = append(out, keys)
	}
	for _, c := range study.Commands() {
		add(c)
		for _, s := range c.Subs {
			add(s)
		}
	}
	return out
}

// quoteArgs writes parsed arguments back as text: every token quoted, so that spaces in
// values survive.
func quoteArgs(a study.Args) string {
	var parts []string
	keys := make([]string, 0, len(a.Named))
	for k := range a.Named {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+`:"`+a.Named[k]+`"`)
	}
	for _, p := range a.Positional {
		parts = append(parts, `"`+p+`"`)
	}
	return strings.Join(parts, " ")
}

func sameArgs(a, b study.Args) bool {
	if len(a.Named) != len(b.Named) || !slices.Equal(a.Positional, b.Positional) {
		return false
	}
	for k, v := range a.Named {
		if w, ok := b.Named[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// FuzzParseArgs feeds command text to ParseArgs and ParseOptions with the options of one
// of the table's commands. A refusal is one specific line; parsed arguments name only the
// command's options, carry no quote marks, read back the same when written out quoted,
// and the strict parser never accepts what the lenient one refuses or reads differently.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		`start:2026-11-24 time:09:00 tz:Europe/Berlin cadence:weekdays name:"Winter crew"`,
		`12 read it twice`, `day:4 note:hi`, `tricky bit: closures`, `note:"a: b" 3`,
		`leaderboard:"0 17 * * FRI"`, `recap=off reminder=20:00`, `organizers:<@U123>,<@U456>`,
		`name:“Winter crew”`, `strat:2026-03-02`, `"unclosed`, `start:a start:b`, `TZ:UTC`,
		`from:2027-01-20 until:2027-01-22`, "note:\"line one\nline two\"", `=x :y "" ""`,
	} {
		for i := range optionKeys() {
			f.Add(s, uint8(i))
		}
	}
	all := optionKeys()
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		keys := all[int(which)%len(all)]
		loose, lerr := study.ParseArgs(text, keys...)
		strict, serr := study.ParseOptions(text, keys...)
		for _, r := range []struct {
			what string
			a    study.Args
			err  error
		}{{"ParseArgs", loose, lerr}, {"ParseOptions", strict, serr}} {
			if r.err != nil {
				if study.ErrorCode(r.err) != study.EINVALID {
					t.Errorf("%s(%q): %v is not an EINVALID refusal", r.what, text, r.err)
				}
				fuzztest.CheckRefusal(t, r.what, r.err)
				continue
			}
			for k, v := range r.a.Named {
				if !slices.Contains(keys, k) {
					t.Errorf("%s(%q): named %q is not an option of %v", r.what, text, k, keys)
				}
				if strings.ContainsAny(v, "\"“”") {
					t.Errorf("%s(%q): %s keeps a quote mark: %q", r.what, text, k, v)
				}
			}
			for _, p := range r.a.Positional {
				if strings.ContainsAny(p, "\"“”") {
					t.Errorf("%s(%q): a word keeps a quote mark: %q", r.what, text, p)
				}
			}
			again := quoteArgs(r.a)
			var back study.Args
			var err error
			if r.what == "ParseArgs" {
				back, err = study.ParseArgs(again, keys...)
			} else {
				back, err = study.ParseOptions(again, keys...)
			}
			if err != nil || !sameArgs(r.a, back) {
				t.Errorf("%s(%q) = %+v; written back as %q it reads %+v, %v", r.what, text, r.a, again, back, err)
			}
		}
		if serr == nil && (lerr != nil || !sameArgs(loose, strict)) {
			t.Errorf("%q: ParseOptions accepts %+v but ParseArgs gives %+v, %v", text, strict, loose, lerr)
		}
	})
}

// FuzzParseDate: a date is accepted only when it is on the calendar, and it reads back the
// same from its own YYYY-MM-DD.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-11-24", "2027-01-20", "2028-02-29", "2027-02-29", "2026-13-01", "2026-00-10",
		"2026-1-2", " 2026-03-02 ", "26-03-02", "2026/03/02", "0000-01-01", "9999-12-31", "", "today", "2026-03-02\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := study.ParseDate(s)
		if err != nil {
			if study.ErrorCode(err) != study.EINVALID {
				t.Errorf("ParseDate(%q): %v is not an EINVALID refusal", s, err)
			}
			fuzztest.CheckRefusal(t, "ParseDate", err)
			return
		}
		if d.IsZero() || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
			t.Fatalf("ParseDate(%q) = %+v: not a date", s, d)
		}
		if study.NewDate(d.Year, d.Month, d.Day) != d {
			t.Errorf("ParseDate(%q) = %+v: not on the calendar", s, d)
		}
		back, err := study.ParseDate(d.String())
		if err != nil || back != d {
			t.Errorf("ParseDate(%q) = %v; ParseDate(%q) = %v, %v", s, d, d.String(), back, err)
		}
		if next := d.AddDays(1); next.Sub(d) != 1 || !d.Before(next) || next.AddDays(-1) != d {
			t.Errorf("%v: the next day %v is not one day later", d, next)
		}
	})
}

// FuzzParseTimeOfDay: a time of day is within 00:00–23:59 and reads back from its HH:MM.
func FuzzParseTimeOfDay(f *testing.F) {
	for _, s := range []string{"09:00", "9:00", "23:59", "00:00", "24:00", "12:60", "20:00", " 7:05 ", "7:5", "0700", "07:00:00", "off", "", "-1:00", "1:-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tod, err := study.ParseTimeOfDay(s)
		if err != nil {
			if study.ErrorCode(err) != study.EINVALID {
				t.Errorf("ParseTimeOfDay(%q): %v is not an EINVALID refusal", s, err)
			}
			fuzztest.CheckRefusal(t, "ParseTimeOfDay", err)
			return
		}
		if tod.Hour < 0 || tod.Hour > 23 || tod.Minute < 0 || tod.Minute > 59 {
			t.Fatalf("ParseTimeOfDay(%q) = %+v: outside 00:00–23:59", s, tod)
		}
		back, err := study.ParseTimeOfDay(tod.String())
		if err != nil || back != tod {
			t.Errorf("ParseTimeOfDay(%q) = %v; ParseTimeOfDay(%q) = %v, %v", s, tod, tod.String(), back, err)
		}
	})
}

// FuzzParseGrace: a grace period is whole minutes within 0–12 h and reads back from
// Go's own duration text.
func FuzzParseGrace(f *testing.F) {
	for _, s := range []string{"4h", "2h", "0", "0h", "90m", "1h30m", "12h", "12h1m", "13h", "-1h", "+1h", "30s", "1.5h", "4", "", "off", "720m", "0.5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := study.ParseGrace(s)
		if err != nil {
			if study.ErrorCode(err) != study.EINVALID {
				t.Errorf("ParseGrace(%q): %v is not an EINVALID refusal", s, err)
			}
			fuzztest.CheckRefusal(t, "ParseGrace", err)
			return
		}
		if d < 0 || d > study.MaxGrace || d%time.Minute != 0 {
			t.Fatalf("ParseGrace(%q) = %v: not whole minutes within 0–12h", s, d)
		}
		back, err := study.ParseGrace(d.String())
		if err != nil || back != d {
			t.Errorf("ParseGrace(%q) = %v; ParseGrace(%q) = %v, %v", s, d, d.String(), back, err)
		}
	})
}

// zones are time zones with the awkward cases: half-hour offsets and DST, DST at
// midnight, a 30-minute DST shift, the southern hemisphere.
var zones = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "America/Santiago",
	"Australia/Lord_Howe", "Asia/Tokyo", "America/Havana", "Pacific/Chatham"}

// FuzzCadence: a cadence is daily or weekdays, whatever its case and spacing, and a
// calendar built with it (start, post time, zone, skips and a pause drawn by the fuzzer)
// numbers its study days consistently: day n falls on a study date, later than day n-1,
// its date counts as day n, its card goes out that local day, and the end is the last day.
func FuzzCadence(f *testing.F) {
	f.Add("weekdays", int16(0), uint8(9), uint8(0), uint8(1), uint64(0), int8(-1), uint8(0), false, uint8(93))
	f.Add("daily", int16(27), uint8(18), uint8(30), uint8(0), uint64(1<<5), int8(10), uint8(3), false, uint8(10))
	f.Add(" Weekdays ", int16(-300), uint8(0), uint8(30), uint8(4), uint64(0xff00), int8(2), uint8(0), true, uint8(40))
	f.Add("DAILY", int16(60), uint8(2), uint8(30), uint8(2), uint64(0), int8(0), uint8(5), false, uint8(1))
	f.Add("monthly", int16(0), uint8(9), uint8(0), uint8(0), uint64(0), int8(-1), uint8(0), false, uint8(93))
	f.Add("", int16(0), uint8(9), uint8(0), uint8(0), uint64(0), int8(-1), uint8(0), false, uint8(93))
	start := study.NewDate(2027, time.January, 4)
	f.Fuzz(func(t *testing.T, cadence string, offset int16, hh, mm, zone uint8, skips uint64, pauseAt int8, pauseLen uint8, open bool, length uint8) {
		c, err := study.ParseCadence(cadence)
		if err != nil {
			if study.ErrorCode(err) != study.EINVALID {
				t.Errorf("ParseCadence(%q): %v is not an EINVALID refusal", cadence, err)
			}
			fuzztest.CheckRefusal(t, "ParseCadence", err)
			return
		}
		if (c != study.Daily && c != study.Weekdays) || !strings.EqualFold(strings.TrimSpace(cadence), string(c)) {
			t.Fatalf("ParseCadence(%q) = %q", cadence, c)
		}
		if back, err := study.ParseCadence(string(c)); err != nil || back != c {
			t.Errorf("ParseCadence(%q) = %q, %v", c, back, err)
		}
		loc, err := study.LoadZone(zones[int(zone)%len(zones)])
		if err != nil {
			t.Fatal(err)
		}
		cal := study.Calendar{Start: start.AddDays(int(offset) % 400), Loc: loc, Cadence: c,
			PostAt: study.TimeOfDay{Hour: int(hh) % 24, Minute: int(mm) % 60}, Length: 1 + int(length)%120}
		for i := range 64 {
			if skips&(1<<i) != 0 {
				cal.Skips = append(cal.Skips, cal.Start.AddDays(i))
			}
		}
		if pauseAt >= 0 {
			p := study.DateRange{From: cal.Start.AddDays(int(pauseAt))}
			if !open {
				p.Until = p.From.AddDays(int(pauseLen) % 30)
			}
			cal.Pauses = append(cal.Pauses, p)
		}
		prev := study.Date{}
		for n := 1; n <= cal.Length; n++ {
			d, ok := cal.DateOfDay(n)
			if !ok {
				if !open || pauseAt < 0 {
					t.Fatalf("%+v: day %d has no date, and no pause is open-ended", cal, n)
				}
				break
			}
			if why := cal.RestReason(d); why != "" {
				t.Fatalf("day %d falls on %v, which is not a study date (%s)", n, d, why)
			}
			if c == study.Weekdays && (d.Weekday() == time.Saturday || d.Weekday() == time.Sunday) {
				t.Fatalf("weekdays: day %d falls on a %s", n, d.Weekday())
			}
			if !prev.IsZero() && !d.After(prev) {
				t.Fatalf("day %d on %v is not after day %d on %v", n, d, n-1, prev)
			}
			if cur := cal.CurrentDay(d); cur != n {
				t.Fatalf("day %d falls on %v, but CurrentDay(%v) = %d", n, d, d, cur)
			}
			at, ok := cal.PostInstant(n)
			if !ok || study.DateOf(at, loc) != d {
				t.Fatalf("day %d on %v is posted at %v (%v), another local day", n, d, at.In(loc), ok)
			}
			if pos := cal.At(d); pos.State != study.Studying || pos.Day != n {
				t.Fatalf("At(%v) = %+v, want studying day %d", d, pos, n)
			}
			prev = d
			if n == cal.Length {
				if end, ok := cal.EndDate(); !ok || end != d {
					t.Fatalf("EndDate() = %v, %v; the last day falls on %v", end, ok, d)
				}
				if pos := cal.At(d.AddDays(1)); pos.State != study.Finished {
					t.Fatalf("the day after the last, At = %+v", pos)
				}
			}
		}
	})
}
