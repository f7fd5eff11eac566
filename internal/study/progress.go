package study

import (
	"sort"
	"strings"
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
	// OnTime is true when the check-in came inside the day's window; late catch-ups count
	// for completion, not for the streak.
	OnTime bool
}

// Day marks: one character per study day in a member's record.
const (
	MarkNotDone = '.'
	MarkOnTime  = 'T' // checked in inside the day's window
	MarkLate    = 'L' // caught up after it
	MarkAway    = 'A' // not done, and the member was away: neither breaks nor extends
	MarkFrozen  = 'F' // not done, and a streak freeze covered it
)

// FreezeEvery is how many consecutive on-time days earn a streak freeze.
const FreezeEvery = 7

// lookahead is how many open days after the last closed one count towards a streak
// before they close: the current day and, in its grace, the one before, with one to spare
// for a close that runs late.
const lookahead = 3

// Progress is a member's record, kept as they check in and as study days close, so that
// reading it costs the same on day 93 as on day 1.
type Progress struct {
	Completed int
	// Streak counts consecutive study days done on time, up to the latest: closed days
	// (where a freeze may cover a miss and time away neither breaks nor extends) followed
	// by the open days done so far.
	Streak int
	Best   int
	// Freezes held; FrozenDays are the days they covered.
	Freezes    int
	FrozenDays []int
	// ReachedAt is when the member reached Completed: ties rank by who got there first.
	ReachedAt time.Time
	// Days holds a mark per study day (MarkOnTime…); days past its end are not done.
	Days string

	// The state the streak is kept with: the streak through ClosedThrough, and the
	// consecutive on-time closed days that earn freezes.
	ClosedStreak  int
	ClosedThrough int
	OnTimeRun     int
}

// Mark is day n's mark.
func (p Progress) Mark(n int) byte {
	if n < 1 || n > len(p.Days) {
		return MarkNotDone
	}
	return p.Days[n-1]
}

// Done reports whether day n is checked in, on time or late.
func (p Progress) Done(n int) bool { m := p.Mark(n); return m == MarkOnTime || m == MarkLate }

// Missing are the days up to cur not done, leaving out the days the member was away.
func (p Progress) Missing(cur int) []int {
	var out []int
	for n := 1; n <= cur; n++ {
		if m := p.Mark(n); m != MarkOnTime && m != MarkLate && m != MarkAway {
			out = append(out, n)
		}
	}
	return out
}

// setMark returns days with day n's mark set, padded to length with not-done marks.
func setMark(days string, n int, mark byte, length int) string {
	b := []byte(days + strings.Repeat(string(MarkNotDone), max(0, length-len(days))))
	if n >= 1 && n <= len(b) {
		b[n-1] = mark
	}
	return string(b)
}

// openStreak is the streak with the open days after the last closed one: their on-time
// run added to the closed streak; or, when the first open day is not done yet (it may
// still be, in its grace), at least the run of on-time days the member has done since —
// what the streak will be even if that day ends missed.
func openStreak(closedStreak int, open string) int {
	run := 0
	for run < len(open) && open[run] == MarkOnTime {
		run++
	}
	if run > 0 {
		return closedStreak + run
	}
	last := strings.LastIndexByte(open, MarkOnTime)
	if last < 0 {
		return closedStreak
	}
	tail := 0
	for k := last; k >= 0 && open[k] == MarkOnTime; k-- {
		tail++
	}
	return max(closedStreak, tail)
}

// open is the marks of the open days after the last closed one.
func (p Progress) open() string {
	b := make([]byte, lookahead)
	for k := range b {
		b[k] = p.Mark(p.ClosedThrough + 1 + k)
	}
	return string(b)
}

// The rules below are the definition of a streak. The SQLite store applies them as they
// are; the PostgreSQL store applies the same arithmetic in SQL, in the check-in's one
// round trip (and a test runs the same histories through both and through these).

// ApplyCheckIn is p after a new check-in for day n (on time or not), at instant at, in a
// track of length days.
func ApplyCheckIn(p Progress, n int, onTime bool, at time.Time, length int) Progress {
	mark := byte(MarkLate)
	if onTime {
		mark = MarkOnTime
	}
	p.Completed++
	p.ReachedAt = at
	p.Days = setMark(p.Days, n, mark, length)
	p.Streak = openStreak(p.ClosedStreak, p.open())
	p.Best = max(p.Best, p.Streak)
	return p
}

// ApplyClose is p after day n's window closed: done on time, the streak grows (and every
// FreezeEvery on-time days earn a freeze, up to maxFreezes); away, nothing changes; missed,
// a held freeze covers it or the streak starts over.
func ApplyClose(p Progress, n int, away bool, maxFreezes, length int) Progress {
	switch mark := p.Mark(n); {
	case mark == MarkOnTime:
		p.ClosedStreak++
		p.OnTimeRun++
		if p.OnTimeRun%FreezeEvery == 0 && p.Freezes < maxFreezes {
			p.Freezes++
		}
	case away:
		if mark == MarkNotDone {
			p.Days = setMark(p.Days, n, MarkAway, length)
		}
	case p.Freezes > 0 && maxFreezes > 0:
		p.Freezes--
		p.OnTimeRun = 0
		p.FrozenDays = append(append([]int(nil), p.FrozenDays...), n)
		if mark == MarkNotDone {
			p.Days = setMark(p.Days, n, MarkFrozen, length)
		}
	default:
		p.ClosedStreak = 0
		p.OnTimeRun = 0
	}
	p.Freezes = min(p.Freezes, maxFreezes)
	p.ClosedThrough = n
	p.Streak = openStreak(p.ClosedStreak, p.open())
	p.Best = max(p.Best, p.Streak)
	return p
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

// OpenStreakPatterns lists, for every way the open days after the last closed one can be
// done on time or not (true: on time), what openStreak makes of them as (the run added
// to the closed streak, or the floor the streak takes when the first open day is not
// done): the stores that keep progress in SQL spell the same rule out case by case.
func OpenStreakPatterns() (patterns [][]bool, add, floor []int) {
	for bits := 0; bits < 1<<lookahead; bits++ {
		pat := make([]bool, lookahead)
		open := make([]byte, lookahead)
		for k := range pat {
			pat[k] = bits&(1<<k) != 0
			open[k] = MarkNotDone
			if pat[k] {
				open[k] = MarkOnTime
			}
		}
		a, f := 0, 0
		if pat[0] {
			a = openStreak(0, string(open))
		} else {
			f = openStreak(0, string(open))
		}
		patterns, add, floor = append(patterns, pat), append(add, a), append(floor, f)
	}
	return patterns, add, floor
}
