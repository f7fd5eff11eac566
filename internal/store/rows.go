package store

import (
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
}

func (checkInRow) TableName() string { return "check_ins" }

func toCohortRow(c *study.Cohort) cohortRow {
	return cohortRow{
		ID: c.ID, Name: c.Name, Track: c.Track, StartDate: c.Start.String(), Timezone: c.TZ,
		PostTime: c.PostAt.String(), Cadence: string(c.Cadence), CreatedAt: c.CreatedAt.UTC(),
		LeaderboardCron: c.LeaderboardCron, RecapCron: c.RecapCron, ReminderTime: reminderColumn(c.Reminder), LinkCode: c.LinkCode,
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
		LeaderboardCron: r.LeaderboardCron, RecapCron: r.RecapCron, LinkCode: r.LinkCode}
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
	return study.Member{
		ID: r.ID, CohortID: r.CohortID, JoinedAt: r.JoinedAt,
		User: study.UserRef{Platform: r.Platform, Workspace: r.WorkspaceID, ID: r.UserID, Name: r.DisplayName},
	}
}

func toCheckIn(r checkInRow) study.CheckIn {
	return study.CheckIn{CohortID: r.CohortID, MemberID: r.MemberID, Day: r.Day, Source: study.Source(r.Source), Note: r.Note, At: r.At, OnTime: r.OnTime}
}
