package study

import (
	"sort"
	"time"
)

// Source is how a member checked in.
type Source string

const (
	SourceCommand Source = "command"
	SourceButton  Source = "button"
	SourceReply   Source = "reply"
)

// CheckIn records that a member did a day. The store keeps one per (cohort, member, day).
type CheckIn struct {
	CohortID int64
	MemberID int64
	Day      int
	Source   Source
	Note     string
	At       time.Time
	// OnTime is true when the day was the member's current day at check-in time; late
	// catch-ups count for completion, not for the streak.
	OnTime bool
}

// Progress is one member's standing, derived from their check-ins.
type Progress struct {
	Completed int
	Streak    int
	Best      int
	ReachedAt time.Time // when the member reached Completed: ranks ties by who got there first
	Done      map[int]bool
}

// ComputeProgress folds one member's check-ins. current is the cohort's current day; the
// streak counts consecutive on-time days ending at current or, if today is not done yet,
// at current-1. Day numbers are consecutive study days, so pauses, skips and weekends
// neither break nor extend a streak.
func ComputeProgress(checkIns []CheckIn, current int) Progress {
	p := Progress{Done: make(map[int]bool, len(checkIns))}
	onTime := make(map[int]bool, len(checkIns))
	for _, c := range checkIns {
		if p.Done[c.Day] {
			continue
		}
		p.Done[c.Day] = true
		p.Completed++
		if c.At.After(p.ReachedAt) {
			p.ReachedAt = c.At
		}
		if c.OnTime {
			onTime[c.Day] = true
		}
	}
	end := current
	if !onTime[end] {
		end--
	}
	for d := end; d >= 1 && onTime[d]; d-- {
		p.Streak++
	}
	run := 0
	for d := 1; d <= maxKey(onTime); d++ {
		if onTime[d] {
			run++
			p.Best = max(p.Best, run)
		} else {
			run = 0
		}
	}
	return p
}

func maxKey(m map[int]bool) int {
	n := 0
	for k := range m {
		n = max(n, k)
	}
	return n
}

// Standing is one row of a leaderboard.
type Standing struct {
	MemberID  int64
	UserID    string // the platform's id, to find the asking member
	Name      string
	Completed int
	Streak    int
	Best      int
	ReachedAt time.Time
	Rank      int
}

// RankStandings sorts by days completed, then current streak, then who reached that count
// first, and assigns competition ranks (1, 2, 2, 4): members equal on completed days and
// streak share a rank, listed in the order they got there.
func RankStandings(s []Standing) {
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.Completed != b.Completed {
			return a.Completed > b.Completed
		}
		if a.Streak != b.Streak {
			return a.Streak > b.Streak
		}
		if !a.ReachedAt.Equal(b.ReachedAt) {
			return a.ReachedAt.Before(b.ReachedAt)
		}
		return a.Name < b.Name
	})
	for i := range s {
		if i > 0 && s[i].Completed == s[i-1].Completed && s[i].Streak == s[i-1].Streak {
			s[i].Rank = s[i-1].Rank
		} else {
			s[i].Rank = i + 1
		}
	}
}
