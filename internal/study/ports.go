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
	// MemberByUser finds a cohort's member; ENOTFOUND if they never joined.
	MemberByUser(ctx context.Context, cohortID int64, u UserRef) (*Member, error)
	Member(ctx context.Context, id int64) (*Member, error)
	// SaveMemberSettings stores a member's time zone, reminder and time away.
	SaveMemberSettings(ctx context.Context, m *Member) error
	// Members lists every member of a cohort (organizer reports and exports, not requests).
	Members(ctx context.Context, cohortID int64) ([]Member, error)

	// CheckIn records a check-in and keeps the member's progress (ApplyCheckIn), adding the
	// member if new, in one transaction; added is false when the member already had that
	// day (nothing changes then) — unless that check-in is this very request's, made by
	// an earlier attempt whose outcome was lost to a fault (the same Request key): a
	// retried check-in counts once and is answered as done. It returns the member as
	// they are now.
	CheckIn(ctx context.Context, w CheckInWrite) (m Member, added bool, err error)
	// CheckIns lists every check-in of a cohort (exports, not requests).
	CheckIns(ctx context.Context, cohortID int64) ([]CheckIn, error)

	Standings

	// ChannelSettings are a channel's settings (the organizer list and role); ENOTFOUND
	// when the channel has no cohort.
	ChannelSettings(ctx context.Context, ch ChannelRef) (map[string]string, error)
	SetChannelSetting(ctx context.Context, ch ChannelRef, key, value string) error

	PostLog
	Upkeeper
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
	// Failures are a cohort's posts that failed or wait for a retry after a failure,
	// newest first.
	Failures(ctx context.Context, cohortID int64, limit int) ([]Post, error)
}

// CheckInWrite is a check-in as the core decided it.
type CheckInWrite struct {
	CohortID int64
	User     UserRef
	Day      int
	Source   Source
	Note     string
	At       time.Time
	OnTime   bool
	// Length is the track's length: the size of a member's day marks.
	Length int
	// Request is the key of the request that checks in ("" for none).
	Request string
}

// Standings are the reads behind leaderboards, recaps and reminders: each reads the top
// of an index or a bounded summary, never every member.
type Standings interface {
	// Top is a cohort's first n members by days completed, streak, and who got there
	// first.
	Top(ctx context.Context, cohortID int64, n int) ([]Member, error)
	// Rank is the competition rank of a record (1 + the members strictly ahead on
	// completed days and streak) and how many members the cohort has.
	Rank(ctx context.Context, cohortID int64, p Progress) (rank, of int, err error)
	// StreakLeaders are the n members with the longest streaks above zero.
	StreakLeaders(ctx context.Context, cohortID int64, n int) ([]Member, error)
	// DayTallies counts the check-ins of each of days.
	DayTallies(ctx context.Context, cohortID int64, days []int) (map[int]int, error)
	// EveryDay names up to limit members who did each of days, and counts them all.
	EveryDay(ctx context.Context, cohortID int64, days []int, limit int) (names []string, total int, err error)
	// Laggards names up to limit members who have checked in before but not for day,
	// leaving out those away at t, and counts them all.
	Laggards(ctx context.Context, cohortID int64, day int, t time.Time, limit int) (names []string, total int, err error)
	// SnapshotBoard keeps every member's rank as the board of period ranks them; the
	// ranks before become the previous ones. A period already kept changes nothing.
	SnapshotBoard(ctx context.Context, cohortID int64, period string) error
}

// Upkeeper is the store side of the core's timed work.
type Upkeeper interface {
	// DueCloses are up to limit cohorts whose next study day is due to close at now, or
	// whose next close is not known yet.
	DueCloses(ctx context.Context, now time.Time, limit int) ([]Cohort, error)
	// CloseDay applies ApplyClose for day to every member of the cohort who has not had
	// it, and records the cohort closed through day with its next close due at next (zero:
	// none known). It reports false when the cohort was not at day-1 (another process
	// closed it).
	CloseDay(ctx context.Context, c CloseDay) (bool, error)
	// SetCloseDue records when the cohort's next day closes (zero: nothing to close).
	SetCloseDue(ctx context.Context, cohortID int64, at time.Time) error
	// PlanReminders takes up to limit members whose personal reminder is due at now, and
	// for each records what plan decides: a post to insert (nil: none) and when the
	// reminder is next due (zero: off).
	PlanReminders(ctx context.Context, now time.Time, limit int, plan func(r DueReminder) (*NewPost, time.Time)) (int, error)
	// NextUpkeep is the earliest close or reminder due (zero: none).
	NextUpkeep(ctx context.Context) (time.Time, error)
}

// CloseDay is one study day closing for a cohort.
type CloseDay struct {
	CohortID   int64
	Day        int
	PostedAt   time.Time // the day's card: a member away then is away that day
	MaxFreezes int
	Length     int
	Next       time.Time // when the day after closes (zero: not known)
}
