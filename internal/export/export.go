// Package export gathers a cohort's organizer data — settings, members with their
// streaks and ranks, check-ins per day, every check-in — through the same core service the
// chat commands use, and writes it as JSON, CSV or a text summary (cohortbot cohort
// show|export).
package export

import (
	"context"
	"fmt"
	"sort"
	"time"

	"cohortbot/internal/study"
)

// Source is the store reads a report needs (*store.Store).
type Source interface {
	Cohort(ctx context.Context, id int64) (*study.Cohort, error)
	Members(ctx context.Context, cohortID int64) ([]study.Member, error)
	CheckIns(ctx context.Context, cohortID int64) ([]study.CheckIn, error)
	Channels(ctx context.Context, cohortID int64) ([]study.BoundChannel, error)
}

// Report is one cohort's data as of GeneratedAt.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	Cohort      Cohort    `json:"cohort"`
	Members     []Member  `json:"members"`
	Days        []Day     `json:"days"`
	CheckIns    []CheckIn `json:"check_ins"`
}

// Cohort is the cohort's settings and where it stands.
type Cohort struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Track       string   `json:"track"`
	Start       string   `json:"start"`
	Timezone    string   `json:"timezone"`
	PostTime    string   `json:"post_time"`
	Cadence     string   `json:"cadence"`
	Leaderboard string   `json:"leaderboard_cron,omitempty"`
	Recap       string   `json:"recap_cron,omitempty"`
	Reminder    string   `json:"reminder,omitempty"`
	Pauses      []string `json:"pauses,omitempty"`
	Skips       []string `json:"skips,omitempty"`
	Channels    []string `json:"channels"`
	Today       string   `json:"today"`
	CurrentDay  int      `json:"current_day"`
	Length      int      `json:"length"`
}

// Member is one member's standing.
type Member struct {
	ID         int64     `json:"id"`
	Platform   string    `json:"platform"`
	Workspace  string    `json:"workspace"`
	UserID     string    `json:"user_id"`
	Name       string    `json:"name"`
	JoinedAt   time.Time `json:"joined_at"`
	Rank       int       `json:"rank"`
	Completed  int       `json:"completed"`
	Streak     int       `json:"streak"`
	Best       int       `json:"best_streak"`
	Freezes    int       `json:"freezes"`
	FrozenDays []int     `json:"frozen_days,omitempty"`
	// Days maps each posted day to "on time", "late", "away", "frozen" or "" (not done).
	Days []string `json:"days"`
}

// dayMarks are a member's day marks as exports name them.
var dayMarks = map[byte]string{study.MarkOnTime: "on time", study.MarkLate: "late", study.MarkAway: "away", study.MarkFrozen: "frozen"}

// Day is one posted study day and its check-ins.
type Day struct {
	Day      int    `json:"day"`
	Date     string `json:"date"`
	Topic    string `json:"topic"`
	CheckIns int    `json:"check_ins"`
	OnTime   int    `json:"on_time"`
}

// CheckIn is one recorded check-in.
type CheckIn struct {
	MemberID int64     `json:"member_id"`
	Member   string    `json:"member"`
	Day      int       `json:"day"`
	Source   string    `json:"source"`
	At       time.Time `json:"at"`
	OnTime   bool      `json:"on_time"`
	Note     string    `json:"note,omitempty"`
}

// Build reads cohort id and computes its report at svc's now.
func Build(ctx context.Context, svc *study.Service, src Source, id int64) (*Report, error) {
	c, err := src.Cohort(ctx, id)
	if study.ErrorCode(err) == study.ENOTFOUND {
		return nil, fmt.Errorf("there is no cohort %d (cohortbot cohort list shows the ids)", id)
	} else if err != nil {
		return nil, fmt.Errorf("cohort %d: %w", id, err)
	}
	v, err := svc.View(c)
	if err != nil {
		return nil, err
	}
	members, err := src.Members(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("members of cohort %d: %w", id, err)
	}
	all, err := src.CheckIns(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("check-ins of cohort %d: %w", id, err)
	}
	chans, err := src.Channels(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("channels of cohort %d: %w", id, err)
	}
	now := svc.Now()
	today := v.Calendar.Today(now)
	cur := v.DayAt(now)
	r := &Report{GeneratedAt: now.UTC(), Cohort: cohortOf(v, chans, today, cur)}

	// Every member's kept record, ranked as the leaderboard ranks them.
	var ranked []study.Standing
	for _, m := range members {
		if m.Progress.Completed > 0 {
			ranked = append(ranked, study.Standing{MemberID: m.ID, Name: m.User.Name, Completed: m.Progress.Completed,
				Streak: m.Progress.Streak, ReachedAt: m.Progress.ReachedAt})
		}
	}
	study.RankStandings(ranked)
	rank := map[int64]int{}
	for _, s := range ranked {
		rank[s.MemberID] = s.Rank
	}
	names := map[int64]string{}
	for _, m := range members {
		names[m.ID] = m.User.Name
		p := m.Progress
		row := Member{ID: m.ID, Platform: m.User.Platform, Workspace: m.User.Workspace, UserID: m.User.ID, Name: m.User.Name,
			JoinedAt: m.JoinedAt.UTC(), Rank: rank[m.ID], Completed: p.Completed, Streak: p.Streak, Best: p.Best,
			Freezes: p.Freezes, FrozenDays: p.FrozenDays, Days: make([]string, cur)}
		for d := 1; d <= cur; d++ {
			row.Days[d-1] = dayMarks[p.Mark(d)]
		}
		r.Members = append(r.Members, row)
	}
	sort.SliceStable(r.Members, func(i, j int) bool {
		a, b := r.Members[i], r.Members[j]
		if (a.Rank == 0) != (b.Rank == 0) {
			return b.Rank == 0
		}
		return a.Rank < b.Rank
	})

	for d := 1; d <= cur; d++ {
		day := Day{Day: d}
		if date, ok := v.Calendar.DateOfDay(d); ok {
			day.Date = date.String()
		}
		if card, _, ok := v.Track.Card(d); ok {
			day.Topic = card.Topic
		}
		r.Days = append(r.Days, day)
	}
	for _, ci := range all {
		if ci.Day >= 1 && ci.Day <= len(r.Days) {
			r.Days[ci.Day-1].CheckIns++
			if ci.OnTime {
				r.Days[ci.Day-1].OnTime++
			}
		}
		r.CheckIns = append(r.CheckIns, CheckIn{MemberID: ci.MemberID, Member: names[ci.MemberID], Day: ci.Day,
			Source: string(ci.Source), At: ci.At.UTC(), OnTime: ci.OnTime, Note: ci.Note})
	}
	sort.SliceStable(r.CheckIns, func(i, j int) bool { return r.CheckIns[i].At.Before(r.CheckIns[j].At) })
	return r, nil
}

func cohortOf(v study.CohortView, chans []study.BoundChannel, today study.Date, cur int) Cohort {
	c := Cohort{ID: v.ID, Name: v.Name, Track: v.Track.ID, Start: v.Start.String(), Timezone: v.TZ, PostTime: v.PostAt.String(),
		Cadence: string(v.Cadence), Leaderboard: v.LeaderboardCron, Recap: v.RecapCron, Reminder: reminder(v.Reminder),
		Today: today.String(), CurrentDay: cur, Length: v.Track.Len(), Channels: []string{}}
	for _, p := range v.Pauses {
		c.Pauses = append(c.Pauses, p.String())
	}
	for _, s := range v.Skips {
		c.Skips = append(c.Skips, s.String())
	}
	for _, ch := range chans {
		c.Channels = append(c.Channels, ch.Ref.Platform+"/"+ch.Ref.Workspace+"/"+ch.Ref.Channel)
	}
	return c
}

func reminder(t *study.TimeOfDay) string {
	if t == nil {
		return ""
	}
	return t.String()
}
