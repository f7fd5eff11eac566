package study

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Date is a calendar date without a time zone: a day in a cohort's local calendar.
// The zero Date means "not set".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate normalizes like time.Date (Feb 30 becomes Mar 2).
func NewDate(y int, m time.Month, d int) Date {
	return DateOfTime(time.Date(y, m, d, 12, 0, 0, 0, time.UTC))
}

// DateOf is the local date of the instant t in loc.
func DateOf(t time.Time, loc *time.Location) Date { return DateOfTime(t.In(loc)) }

// DateOfTime is the date t shows on its own clock.
func DateOfTime(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate accepts exactly YYYY-MM-DD and refuses dates that do not exist.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, "-")
	if len(parts) != 3 || len(parts[0]) != 4 || len(parts[1]) != 2 || len(parts[2]) != 2 || !digits(parts[0]+parts[1]+parts[2]) {
		return Date{}, Errorf(EINVALID, "%q is not a date: use YYYY-MM-DD, like 2026-03-02", s)
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil {
		return Date{}, Errorf(EINVALID, "%q is not a date: use YYYY-MM-DD, like 2026-03-02", s)
	}
	if m < 1 || m > 12 || d < 1 || d > 31 || NewDate(y, time.Month(m), d) != (Date{y, time.Month(m), d}) {
		return Date{}, Errorf(EINVALID, "%s is not a day on the calendar", s)
	}
	return Date{y, time.Month(m), d}, nil
}

func (d Date) IsZero() bool { return d == Date{} }

func (d Date) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

func (d Date) AddDays(n int) Date { return DateOfTime(d.noon().AddDate(0, 0, n)) }

func (d Date) Weekday() time.Weekday { return d.noon().Weekday() }

// Sub returns the number of days from o to d.
func (d Date) Sub(o Date) int { return int(math.Round(d.noon().Sub(o.noon()).Hours() / 24)) }

func (d Date) Before(o Date) bool { return d.Sub(o) < 0 }
func (d Date) After(o Date) bool  { return d.Sub(o) > 0 }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Human is the date as members read it: "Mon 2 Mar 2026".
func (d Date) Human() string { return d.noon().Format("Mon 2 Jan 2006") }

// TimeOfDay is a local wall-clock time, minute precision.
type TimeOfDay struct {
	Hour, Minute int
}

// ParseTimeOfDay accepts H:MM or HH:MM on a 24-hour clock.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	hh, e1 := strconv.Atoi(h)
	mm, e2 := strconv.Atoi(m)
	if !ok || e1 != nil || e2 != nil || len(m) != 2 || len(h) < 1 || len(h) > 2 || !digits(h+m) {
		return TimeOfDay{}, Errorf(EINVALID, "%q is not a time: use HH:MM on a 24-hour clock, like 09:00", s)
	}
	if hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return TimeOfDay{}, Errorf(EINVALID, "%s is not a time of day: hours run 00–23 and minutes 00–59", s)
	}
	return TimeOfDay{hh, mm}, nil
}

// digits reports whether s is all ASCII digits: strconv.Atoi also takes a sign, and
// "+026-01-01" or "+9:05" is not what anyone means by a date or a time.
func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// LoadZone resolves an IANA time zone name; "UTC" and "Local"-style aliases are not
// special, except that the empty name is refused.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" || strings.Contains(name, "..") {
		return nil, Errorf(EINVALID, "%q is not a time zone: use an IANA name like Europe/Berlin or UTC", name)
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, Errorf(EINVALID, "unknown time zone %q: use an IANA name like Europe/Berlin or America/New_York", name)
	}
	// Loading reads and parses the zone's data each time; a tick resolves every due
	// cohort's zone, and there are only a few hundred zones.
	zones.Store(name, loc)
	return loc, nil
}

var zones sync.Map // IANA name → *time.Location

// LocalInstant is the instant at which the wall clock in loc first shows t on date d.
//
// time.Date leaves the result unspecified for wall times that a DST change skips or
// repeats, so the choice is made here: a skipped time (spring forward) resolves to the
// first instant after the gap, a repeated time (fall back) to its first occurrence.
func LocalInstant(d Date, t TimeOfDay, loc *time.Location) time.Time {
	wall := time.Date(d.Year, d.Month, d.Day, t.Hour, t.Minute, 0, 0, time.UTC)
	var best time.Time
	minOffset := 0
	for i, probe := range []int{-2, -1, 0, 1, 2} {
		_, off := wall.AddDate(0, 0, probe).In(loc).Zone()
		if i == 0 || off < minOffset {
			minOffset = off
		}
		cand := wall.Add(-time.Duration(off) * time.Second)
		if sameWall(cand.In(loc), wall) && (best.IsZero() || cand.Before(best)) {
			best = cand
		}
	}
	if !best.IsZero() {
		return best
	}
	// In a gap: reading the wall time with the smaller (pre-change) offset lands after the
	// change; the zone that starts there starts at the first valid instant.
	after := wall.Add(-time.Duration(minOffset) * time.Second).In(loc)
	start, _ := after.ZoneBounds()
	if start.IsZero() {
		return after
	}
	return start
}

func sameWall(local, wall time.Time) bool {
	y, m, d := local.Date()
	wy, wm, wd := wall.Date()
	return y == wy && m == wm && d == wd && local.Hour() == wall.Hour() && local.Minute() == wall.Minute()
}
