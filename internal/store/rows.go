package store

import (
	"strconv"
	"strings"
	"time"

	"cohortbot/internal/study"
)

// Row types mirror the migrations; they never leave this package.

type cohortRow struct {
	ID        int64 `gorm:"primaryKey"`
	Name      string
	Track     string
	StartDate string
	Timezone  string
	PostTime  string
	Cadence   string
	CreatedAt time.Time
	UpdatedAt time.Time

	LeaderboardCron  string
	RecapCron        string
	ReminderTime     string
	ScheduledThrough *time.Time
	NextDueAt        *time.Time
	LinkCode         string

	GraceMinutes    int
	MaxFreezes      int
	ClosedThrough   int
	CloseDueAt      *time.Time
	BoardPeriod     string
	PrevBoardPeriod string
	EarlyDay        int
	EarlyAt         *time.Time
}

func (cohortRow) TableName() string { return "cohorts" }

type postRow struct {
	ID         int64 `gorm:"primaryKey"`
	CohortID   int64
	ChannelID  int64
	MemberID   *int64 // a direct message to this member; nil for a channel post
	Kind       string
	Period     string
	Day        int
	Status     string
	Attempts   int
	LastError  string
	Nonce      string
	MessageID  string
	ThreadID   string
	PartsSent  int
	DueAt      time.Time
	NotBefore  time.Time
	ExpiresAt  time.Time
	LeaseUntil *time.Time
	SentAt     *time.Time
	CreatedAt  time.Time
	Claim      string // the current (or last) claim's token
	TakenOver  bool   // the current claim took the post from a sender whose lease ran out
}

func (postRow) TableName() string { return "posts" }

type settingRow struct {
	ChannelID int64  `gorm:"primaryKey"`
	Key       string `gorm:"primaryKey"`
	Value     string
}

func (settingRow) TableName() string { return "channel_settings" }

type channelRow struct {
	ID          int64 `gorm:"primaryKey"`
	CohortID    int64
	Platform    string
	WorkspaceID string
	ChannelID   string
	CreatedAt   time.Time
}

func (channelRow) TableName() string { return "cohort_channels" }

type exceptionRow struct {
	ID        int64 `gorm:"primaryKey"`
	CohortID  int64
	Kind      string
	FromDate  string
	UntilDate string
}

func (exceptionRow) TableName() string { return "calendar_exceptions" }

type memberRow struct {
	ID          int64 `gorm:"primaryKey"`
	CohortID    int64
	Platform    string
	WorkspaceID string
	UserID      string
	DisplayName string
	JoinedAt    time.Time

	Completed     int
	Streak        int
	Best          int
	ClosedStreak  int
	ClosedThrough int
	OnTimeRun     int
	Freezes       int
	FrozenDays    string
	ReachedAt     *time.Time
	Days          string

	Timezone      string
	RemindAt      string
	NextRemindAt  *time.Time
	AwayFrom      *time.Time
	AwayUntil     *time.Time
	AwayLastDay   string
	BoardRank     *int
	PrevBoardRank *int
}

func (memberRow) TableName() string { return "members" }

type checkInRow struct {
	ID       int64 `gorm:"primaryKey"`
	CohortID int64
	MemberID int64
	Day      int
	Source   string
	Note     string
	At       time.Time
	OnTime   bool
	Request  string
}

func (checkInRow) TableName() string { return "check_ins" }

func toCohortRow(c *study.Cohort) cohortRow {
	return cohortRow{
		ID: c.ID, Name: c.Name, Track: c.Track, StartDate: c.Start.String(), Timezone: c.TZ,
		PostTime: c.PostAt.String(), Cadence: string(c.Cadence), CreatedAt: c.CreatedAt.UTC(),
		LeaderboardCron: c.LeaderboardCron, RecapCron: c.RecapCron, ReminderTime: reminderColumn(c.Reminder), LinkCode: c.LinkCode,
		GraceMinutes: int(c.Grace / time.Minute), MaxFreezes: c.MaxFreezes, EarlyDay: c.EarlyDay, EarlyAt: tsPtr(c.EarlyAt),
	}
}

func reminderColumn(t *study.TimeOfDay) string {
	if t == nil {
		return ""
	}
	return t.String()
}

func toExceptionRows(c *study.Cohort) []exceptionRow {
	var rows []exceptionRow
	for _, p := range c.Pauses {
		rows = append(rows, exceptionRow{CohortID: c.ID, Kind: "pause", FromDate: p.From.String(), UntilDate: p.Until.String()})
	}
	for _, d := range c.Skips {
		rows = append(rows, exceptionRow{CohortID: c.ID, Kind: "skip", FromDate: d.String()})
	}
	return rows
}

// fromRows rebuilds a cohort. Stored values were validated on the way in, so a parse
// failure here means the row was edited by hand: report it rather than guess.
func fromRows(r cohortRow, ex []exceptionRow) (*study.Cohort, error) {
	c := &study.Cohort{ID: r.ID, Name: r.Name, Track: r.Track, TZ: r.Timezone, Cadence: study.Cadence(r.Cadence), CreatedAt: r.CreatedAt,
		LeaderboardCron: r.LeaderboardCron, RecapCron: r.RecapCron, LinkCode: r.LinkCode,
		Grace: time.Duration(r.GraceMinutes) * time.Minute, MaxFreezes: r.MaxFreezes, ClosedThrough: r.ClosedThrough,
		BoardPeriod: r.BoardPeriod, PrevBoardPeriod: r.PrevBoardPeriod, EarlyDay: r.EarlyDay}
	if r.EarlyAt != nil {
		c.EarlyAt = *r.EarlyAt
	}
	var err error
	if r.ReminderTime != "" {
		t, err := study.ParseTimeOfDay(r.ReminderTime)
		if err != nil {
			return nil, err
		}
		c.Reminder = &t
	}
	if c.Start, err = study.ParseDate(r.StartDate); err != nil {
		return nil, err
	}
	if c.PostAt, err = study.ParseTimeOfDay(r.PostTime); err != nil {
		return nil, err
	}
	for _, e := range ex {
		from, err := study.ParseDate(e.FromDate)
		if err != nil {
			return nil, err
		}
		if e.Kind == "skip" {
			c.Skips = append(c.Skips, from)
			continue
		}
		p := study.DateRange{From: from}
		if e.UntilDate != "" {
			if p.Until, err = study.ParseDate(e.UntilDate); err != nil {
				return nil, err
			}
		}
		c.Pauses = append(c.Pauses, p)
	}
	return c, nil
}

func toMember(r memberRow) study.Member {
	m := study.Member{
		ID: r.ID, CohortID: r.CohortID, JoinedAt: r.JoinedAt, TZ: r.Timezone,
		User: study.UserRef{Platform: r.Platform, Workspace: r.WorkspaceID, ID: r.UserID, Name: r.DisplayName},
		Progress: study.Progress{
			Completed: r.Completed, Streak: r.Streak, Best: r.Best, Freezes: r.Freezes, FrozenDays: dayList(r.FrozenDays),
			Days: r.Days, ClosedStreak: r.ClosedStreak, ClosedThrough: r.ClosedThrough, OnTimeRun: r.OnTimeRun,
		},
	}
	if r.ReachedAt != nil {
		m.Progress.ReachedAt = *r.ReachedAt
	}
	if t, err := study.ParseTimeOfDay(r.RemindAt); err == nil && r.RemindAt != "" {
		m.RemindAt = &t
	}
	if r.NextRemindAt != nil {
		m.NextRemind = *r.NextRemindAt
	}
	if r.AwayFrom != nil && r.AwayUntil != nil {
		m.Away = study.Away{From: *r.AwayFrom, Until: *r.AwayUntil}
		m.Away.LastDay, _ = study.ParseDate(r.AwayLastDay)
	}
	if r.BoardRank != nil {
		m.BoardRank = *r.BoardRank
	}
	if r.PrevBoardRank != nil {
		m.PrevBoardRank = *r.PrevBoardRank
	}
	return m
}

// dayList reads "3,17" (the days a freeze covered).
func dayList(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func dayListText(days []int) string {
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, ",")
}

// progressColumns are a member's kept progress as row columns.
func progressColumns(p study.Progress) map[string]any {
	return map[string]any{
		"completed": p.Completed, "streak": p.Streak, "best": p.Best, "closed_streak": p.ClosedStreak,
		"closed_through": p.ClosedThrough, "on_time_run": p.OnTimeRun, "freezes": p.Freezes,
		"frozen_days": dayListText(p.FrozenDays), "reached_at": tsPtr(p.ReachedAt), "days": p.Days,
	}
}

func toCheckIn(r checkInRow) study.CheckIn {
	return study.CheckIn{CohortID: r.CohortID, MemberID: r.MemberID, Day: r.Day, Source: study.Source(r.Source), Note: r.Note, At: r.At, OnTime: r.OnTime}
}
