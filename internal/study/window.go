package study

import "time"

// DefaultGrace is how long a study day stays open after the next day's card is posted.
const (
	DefaultGrace = 4 * time.Hour
	MaxGrace     = 12 * time.Hour
)

// A study day's window runs from its card's post instant until the next study day's card
// is posted, plus the cohort's grace. A check-in inside the window is on time, whatever
// the member's time zone; after it, a catch-up that counts for completion only. Weekends
// under the weekday cadence and pauses lengthen a window, since the next card comes later.

// DayAt is the study day a member is on at instant t: the latest day whose card has been
// posted (0 before day 1's card). It is the one place that answers "which day is it", for
// check-ins, progress, standings and every post.
func (v CohortView) DayAt(t time.Time) int {
	cal := v.Calendar
	today := cal.Today(t)
	d := cal.CurrentDay(today)
	if d >= 1 && cal.IsStudyDate(today) {
		if at, ok := v.PostedAt(d); ok && t.Before(at) {
			d-- // today's card is still to come
		}
	}
	if v.EarlyDay == d+1 && d < cal.Length && !t.Before(v.EarlyAt) {
		d++ // the next card went out early
	}
	return d
}

// PostedAt is when day n's card is posted: its time, or earlier when an organizer posted
// it early (false: not known, e.g. paused open-ended).
func (v CohortView) PostedAt(n int) (time.Time, bool) {
	at, ok := v.Calendar.PostInstant(n)
	if ok && n == v.EarlyDay && v.EarlyAt.Before(at) {
		return v.EarlyAt, true
	}
	return at, ok
}

// NextPost is the next card still to come after now: the calendar's, less one posted
// early.
func (v CohortView) NextPost(now time.Time) (day int, at time.Time, ok bool) {
	day, at, ok = v.Calendar.NextPost(now)
	if ok && day == v.EarlyDay && !now.Before(v.EarlyAt) {
		return v.Calendar.NextPost(at.Add(time.Nanosecond))
	}
	return day, at, ok
}

// WindowEnd is when day n stops being on time: the next study day's card plus the grace.
// After the last day it is the instant the next card would have come. ok is false while
// the next card's date is unknown (an open-ended pause): the day stays open until then.
func (v CohortView) WindowEnd(n int) (time.Time, bool) {
	ext := v
	ext.Calendar.Length = max(v.Calendar.Length, n+1) // the last day's window ends where a next card would go
	next, ok := ext.PostedAt(n + 1)
	if !ok {
		return time.Time{}, false
	}
	return next.Add(v.Grace), true
}

// OnTime reports whether a check-in for day n at instant t is inside n's window.
func (v CohortView) OnTime(n int, t time.Time) bool {
	start, ok := v.PostedAt(n)
	if !ok || t.Before(start) {
		return false
	}
	end, ok := v.WindowEnd(n)
	return !ok || t.Before(end)
}

// OpenDays are the days whose windows contain t, oldest first: at most the current day
// and, during its grace, the one before.
func (v CohortView) OpenDays(t time.Time) []int {
	cur := v.DayAt(t)
	var out []int
	for n := max(1, cur-1); n <= cur; n++ {
		if v.OnTime(n, t) {
			out = append(out, n)
		}
	}
	return out
}
