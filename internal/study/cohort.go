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

	// Grace is how long a study day stays on time after the next day's card is posted.
	Grace time.Duration
	// MaxFreezes is how many streak freezes a member may hold (0: freezes are off).
	MaxFreezes int
	// ClosedThrough is the last study day whose window has closed and been applied to
	// every member's streak.
	ClosedThrough int
	// BoardPeriod and PrevBoardPeriod are the periods of the last two leaderboards, whose
	// ranks the members keep (a board's movement).
	BoardPeriod, PrevBoardPeriod string
	// EarlyDay's card went out at EarlyAt, before its time (/cohort post today): the day
	// starts then.
	EarlyDay int
	EarlyAt  time.Time
}

// DefaultMaxFreezes is how many streak freezes a member may hold in a new cohort.
const DefaultMaxFreezes = 2

// Default schedules of a new cohort.
const (
	DefaultLeaderboardCron = "0 17 * * FRI"
	DefaultRecapCron       = "0 18 * * SUN"
)

// Member is a person in a cohort: their record and their own settings.
type Member struct {
	ID       int64
	CohortID int64
	User     UserRef
	JoinedAt time.Time
	Progress Progress

	// TZ is the member's own time zone ("" is the cohort's): replies show their dates and
	// times in it, and their reminder follows it.
	TZ string
	// RemindAt is the member-local time of their personal reminder; nil is off.
	// NextRemind is the instant it is next due.
	RemindAt   *TimeOfDay
	NextRemind time.Time
	// Away, when Until is set, is the time the member is away: study days whose cards
	// come in [From, Until) neither break nor extend their streak. LastDay is the last
	// date away as they gave it.
	Away Away

	// BoardRank and PrevBoardRank are the member's ranks at the last two leaderboards
	// posted (0: not ranked then).
	BoardRank, PrevBoardRank int
}

// Away is a stretch of time a member is away.
type Away struct {
	From, Until time.Time
	LastDay     Date
}

// At reports whether t falls in the time away.
func (a Away) At(t time.Time) bool {
	return !a.Until.IsZero() && !t.Before(a.From) && t.Before(a.Until)
}

// CohortView is a cohort with its track and calendar resolved.
type CohortView struct {
	*Cohort
	Track    *Track
	Calendar Calendar
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
