package study

import (
	"context"
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
	// ReminderAt is the local time of the daily reminder, "" when off.
	ReminderAt string
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

// Store keeps cohorts, members and check-ins. Implementations return the core's coded
// errors: ENOTFOUND for a missing row, ECONFLICT for a duplicate key.
type Store interface {
	// CreateCohort inserts c (setting c.ID) and binds it to ch; ECONFLICT if ch is bound.
	CreateCohort(ctx context.Context, c *Cohort, ch ChannelRef) error
	CohortByChannel(ctx context.Context, ch ChannelRef) (*Cohort, error)
	// CohortByLinkCode finds the cohort a /cohort link code belongs to; ENOTFOUND if none.
	CohortByLinkCode(ctx context.Context, code string) (*Cohort, error)
	// BindChannel adds a channel to a cohort; ECONFLICT if the channel is bound.
	BindChannel(ctx context.Context, cohortID int64, ch ChannelRef) error
	Cohort(ctx context.Context, id int64) (*Cohort, error)
	Cohorts(ctx context.Context) ([]Cohort, error)
	// UpdateCohort saves settings, pauses and skips.
	UpdateCohort(ctx context.Context, c *Cohort) error
	// EnsureMember finds or adds the member, keeping the display name current.
	EnsureMember(ctx context.Context, cohortID int64, u UserRef, now time.Time) (*Member, error)
	Members(ctx context.Context, cohortID int64) ([]Member, error)
	// AddCheckIn inserts ci; ECONFLICT when the member already has that day.
	AddCheckIn(ctx context.Context, ci *CheckIn) error
	CheckIns(ctx context.Context, cohortID int64) ([]CheckIn, error)

	// DayOfThread returns the study day whose card opened thread in ch; ENOTFOUND for any
	// other thread.
	DayOfThread(ctx context.Context, ch ChannelRef, thread string) (int, error)
	// ChannelSetting and SetChannelSetting keep an adapter's per-channel settings (a
	// Discord organizer role, a Slack organizer list); "" when unset.
	ChannelSetting(ctx context.Context, ch ChannelRef, key string) (string, error)
	SetChannelSetting(ctx context.Context, ch ChannelRef, key, value string) error
}
