package study

import (
	"fmt"
	"time"
)

// memberClock shows dates and times to one member: in their own time zone when they set
// one, else in the cohort's.
type memberClock struct {
	loc *time.Location
}

// clockFor is m's clock in cohort v (m may be nil: the cohort's zone).
func (s *Service) clockFor(v CohortView, m *Member) memberClock {
	if m != nil && m.TZ != "" {
		if loc, err := LoadZone(m.TZ); err == nil {
			return memberClock{loc: loc}
		}
	}
	return memberClock{loc: v.Calendar.Loc}
}

// format is an instant as the member reads it: "Tue 3 Mar 18:00 JST".
func (c memberClock) format(t time.Time) string {
	return t.In(c.loc).Format("Mon 2 Jan 15:04 MST")
}

// date is the member's date at instant t.
func (c memberClock) date(t time.Time) Date { return DateOf(t, c.loc) }

// when says when an instant comes, from now: "today at 18:00 JST", "tomorrow at …", or
// the date and time.
func (c memberClock) when(t, now time.Time) string {
	switch c.date(t).Sub(c.date(now)) {
	case 0:
		return "today at " + t.In(c.loc).Format("15:04 MST")
	case 1:
		return "tomorrow at " + t.In(c.loc).Format("15:04 MST")
	}
	return fmt.Sprintf("on %s at %s", c.date(t).Human(), t.In(c.loc).Format("15:04 MST"))
}
