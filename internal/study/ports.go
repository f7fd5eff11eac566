package study

import (
	"context"
	"time"
)

// Store keeps cohorts, members, check-ins and channel settings, and the part of the
// outbox the core reads and writes. Implementations return the core's coded errors
// (OpError): ENOTFOUND for a missing row, ECONFLICT for a duplicate key.
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
	// UpdateCohort saves settings, pauses and skips, and asks the scheduler to plan the
	// cohort again.
	UpdateCohort(ctx context.Context, c *Cohort) error

	// EnsureMember finds or adds the member, keeping the display name current.
	EnsureMember(ctx context.Context, cohortID int64, u UserRef, now time.Time) (*Member, error)
	Members(ctx context.Context, cohortID int64) ([]Member, error)
	// AddCheckIn inserts ci; ECONFLICT when the member already has that day.
	AddCheckIn(ctx context.Context, ci *CheckIn) error
	CheckIns(ctx context.Context, cohortID int64) ([]CheckIn, error)

	// ChannelSettings are a channel's settings (the organizer list and role); ENOTFOUND
	// when the channel has no cohort.
	ChannelSettings(ctx context.Context, ch ChannelRef) (map[string]string, error)
	SetChannelSetting(ctx context.Context, ch ChannelRef, key, value string) error

	PostLog
}

// PostLog is what the core reads and writes of the outbox: it plans posts, composes them
// and reports on them; the scheduler claims, sends and records them.
type PostLog interface {
	// InsertPosts records posts unless their (channel, kind, period) exists; it returns
	// how many were new.
	InsertPosts(ctx context.Context, posts []NewPost) (int, error)
	Channels(ctx context.Context, cohortID int64) ([]BoundChannel, error)
	// DayOfThread is the study day whose card opened thread in ch; ENOTFOUND for any other
	// thread. It knows a thread as soon as the card's delivery recorded it, before the
	// rest of the thread is posted.
	DayOfThread(ctx context.Context, ch ChannelRef, thread string) (int, error)
	// ThreadOfDay is the thread day's card opened in a channel, "" if none yet.
	ThreadOfDay(ctx context.Context, channelID int64, day int) (string, error)
	// PreviousSent is when the channel's latest sent post of kind, other than post except,
	// went out; ok is false when there was none.
	PreviousSent(ctx context.Context, channelID int64, kind PostKind, except int64) (at time.Time, ok bool, err error)
	// Failures are a cohort's posts that failed or wait for a retry after a failure,
	// newest first.
	Failures(ctx context.Context, cohortID int64, limit int) ([]Post, error)
}
