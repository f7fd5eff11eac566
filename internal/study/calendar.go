package study

import (
	"strings"
	"time"
)

// Cadence says which dates are study dates.
type Cadence string

const (
	Daily    Cadence = "daily"
	Weekdays Cadence = "weekdays"
)

func ParseCadence(s string) (Cadence, error) {
	switch c := Cadence(strings.ToLower(strings.TrimSpace(s))); c {
	case Daily, Weekdays:
		return c, nil
	}
	return "", Errorf(EINVALID, "unknown cadence %q: use daily or weekdays", s)
}

// DateRange is an inclusive range of dates. A zero Until means open-ended: paused until
// an organizer resumes.
type DateRange struct {
	From, Until Date
}

func (r DateRange) Contains(d Date) bool {
	return !d.Before(r.From) && (r.Until.IsZero() || !d.After(r.Until))
}

func (r DateRange) String() string {
	if r.Until.IsZero() {
		return r.From.String() + " until resumed"
	}
	if r.From == r.Until {
		return r.From.String()
	}
	return r.From.String() + " to " + r.Until.String()
}

// Calendar maps a cohort's local dates to curriculum days. Every method is a pure function
// of its fields: the scheduler, the commands and the tests share it.
type Calendar struct {
	Start   Date
	Loc     *time.Location
	PostAt  TimeOfDay
	Cadence Cadence
	Pauses  []DateRange
	Skips   []Date
	Length  int // study days in the track
}

// horizon bounds every walk over the calendar: a cohort that has not finished after this
// many calendar days is paused open-ended, and the walk stops instead of spinning.
const horizon = 20 * 366

// RestReason says why a date is not a study date ("" when it is one).
func (c Calendar) RestReason(d Date) string {
	switch {
	case d.Before(c.Start):
		return "before the start"
	case c.Cadence == Weekdays && (d.Weekday() == time.Saturday || d.Weekday() == time.Sunday):
		return "weekend"
	}
	for _, s := range c.Skips {
		if s == d {
			return "skipped"
		}
	}
	for _, p := range c.Pauses {
		if p.Contains(d) {
			return "paused"
		}
	}
	return ""
}

func (c Calendar) IsStudyDate(d Date) bool { return c.RestReason(d) == "" }

// openPauseFrom returns the start of an open-ended pause, if any.
func (c Calendar) openPauseFrom() (Date, bool) {
	for _, p := range c.Pauses {
		if p.Until.IsZero() {
			return p.From, true
		}
	}
	return Date{}, false
}

// DateOfDay returns the date on which curriculum day n falls; ok is false when n is out of
// range or falls inside an open-ended pause (its date is not known yet).
func (c Calendar) DateOfDay(n int) (Date, bool) {
	if n < 1 || n > c.Length {
		return Date{}, false
	}
	open, hasOpen := c.openPauseFrom()
	count := 0
	for d, i := c.Start, 0; i < horizon; d, i = d.AddDays(1), i+1 {
		if hasOpen && !d.Before(open) {
			return Date{}, false
		}
		if c.IsStudyDate(d) {
			count++
			if count == n {
				return d, true
			}
		}
	}
	return Date{}, false
}

// EndDate is the projected date of the last study day.
func (c Calendar) EndDate() (Date, bool) { return c.DateOfDay(c.Length) }

// CurrentDay is the number of study dates from the start up to and including d, capped at
// the track length: the day a member is on. 0 means nothing has been posted yet.
func (c Calendar) CurrentDay(d Date) int {
	count := 0
	for x, i := c.Start, 0; !x.After(d) && i < horizon && count < c.Length; x, i = x.AddDays(1), i+1 {
		if c.IsStudyDate(x) {
			count++
		}
	}
	return count
}

// State is where a cohort is in its course on a date.
type State int

const (
	Upcoming State = iota // before day 1
	Studying              // d is study day Day
	Resting               // d is not a study date; Day is the last one (may be 0)
	Finished              // after the last day
)

// Position is where a cohort stands on a date.
type Position struct {
	State State
	Day   int    // the current day: today's (Studying) or the last one (Resting, Finished)
	Why   string // Resting: weekend, paused, skipped
	Next  Date   // the next study date, when known (Upcoming, Resting)
	Until int    // Upcoming: days until day 1
}

// At returns the position on date d.
func (c Calendar) At(d Date) Position {
	cur := c.CurrentDay(d)
	if cur == c.Length {
		if end, ok := c.DateOfDay(c.Length); ok && d.After(end) {
			return Position{State: Finished, Day: c.Length}
		}
	}
	why := c.RestReason(d)
	if why == "" {
		return Position{State: Studying, Day: cur}
	}
	next, ok := c.DateOfDay(cur + 1)
	if cur == 0 {
		p := Position{State: Upcoming, Next: next, Why: why}
		if ok {
			p.Until = next.Sub(d)
		}
		return p
	}
	return Position{State: Resting, Day: cur, Why: why, Next: next}
}

// Today is the local date of now in the cohort's zone.
func (c Calendar) Today(now time.Time) Date { return DateOf(now, c.Loc) }

// PostInstant is when day n's card goes out.
func (c Calendar) PostInstant(n int) (time.Time, bool) {
	d, ok := c.DateOfDay(n)
	if !ok {
		return time.Time{}, false
	}
	return LocalInstant(d, c.PostAt, c.Loc), true
}

// NextPost returns the first study day whose post instant is at or after now.
func (c Calendar) NextPost(now time.Time) (day int, at time.Time, ok bool) {
	today := c.Today(now)
	day = c.CurrentDay(today.AddDays(-1)) + 1
	// Day's date is the first study date from today on: walk from there rather than
	// finding each candidate day's date from the start again.
	d := today
	if d.Before(c.Start) {
		d = c.Start
	}
	open, hasOpen := c.openPauseFrom()
	for i := 0; day <= c.Length && i < horizon; d, i = d.AddDays(1), i+1 {
		if hasOpen && !d.Before(open) {
			return 0, time.Time{}, false
		}
		if !c.IsStudyDate(d) {
			continue
		}
		if at := LocalInstant(d, c.PostAt, c.Loc); !at.Before(now) {
			return day, at, true
		}
		day++
	}
	return 0, time.Time{}, false
}
