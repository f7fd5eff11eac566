package study

import (
	"fmt"
	"time"
)

// ChannelRef names a chat channel on a platform. A cohort is bound to one or more.
type ChannelRef struct {
	Platform  string // "discord", "slack", "console"
	Workspace string // Discord guild, Slack team
	Channel   string
}

// UserRef names a member on a platform, with the display name the platform gave.
type UserRef struct {
	Platform  string
	Workspace string
	ID        string
	Name      string
}

// Cohort is a group studying one track on one calendar.
type Cohort struct {
	ID        int64
	Name      string
	Track     string
	Start     Date
	TZ        string
	PostAt    TimeOfDay
	Cadence   Cadence
	Pauses    []DateRange
	Skips     []Date
	CreatedAt time.Time

	// Schedules of the periodic posts, robfig/cron syntax in the cohort's zone; "" is off.
	LeaderboardCron string
	RecapCron       string
	// Reminder is the local time of the daily reminder in the day's thread; nil is off.
	// Replace it, never write through it: cohorts are copied by value.
	Reminder *TimeOfDay
	// LinkCode lets an organizer bind another channel (on any platform) to this cohort.
	LinkCode string
}

// Default schedules of a new cohort.
const (
	DefaultLeaderboardCron = "0 17 * * FRI"
	DefaultRecapCron       = "0 18 * * SUN"
)

// Member is a person in a cohort.
type Member struct {
	ID       int64
	CohortID int64
	User     UserRef
	JoinedAt time.Time
}

// CohortView is a cohort with its track and calendar resolved.
type CohortView struct {
	*Cohort
	Track    *Track
	Calendar Calendar
}

// DayAt is the study day a member is on at instant t: the one place that answers "which
// day is it", for check-ins, progress, standings and every post.
func (v CohortView) DayAt(t time.Time) int {
	return v.Calendar.CurrentDay(v.Calendar.Today(t))
}

// View resolves a stored cohort's track and calendar.
func (s *Service) View(c *Cohort) (CohortView, error) {
	t, ok := s.tracks[c.Track]
	if !ok {
		return CohortView{}, fmt.Errorf("cohort %d: track %q is not loaded", c.ID, c.Track)
	}
	loc, err := LoadZone(c.TZ)
	if err != nil {
		return CohortView{}, fmt.Errorf("cohort %d: %w", c.ID, err)
	}
	return CohortView{Cohort: c, Track: t, Calendar: Calendar{
		Start: c.Start, Loc: loc, PostAt: c.PostAt, Cadence: c.Cadence,
		Pauses: c.Pauses, Skips: c.Skips, Length: t.Len(),
	}}, nil
}
