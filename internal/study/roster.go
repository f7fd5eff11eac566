package study

import (
	"context"
	"fmt"
	"time"
)

// Roster is a cohort's members with their check-ins, loaded once per request: the
// standings, progress lines and "not done yet" lists of that request all read it.
type Roster struct {
	view     CohortView
	Members  []Member
	byMember map[int64][]CheckIn
	byDay    map[int]map[int64]bool
}

// roster loads a cohort's members and their check-ins.
func (s *Service) roster(ctx context.Context, v CohortView) (*Roster, error) {
	members, err := s.store.Members(ctx, v.ID)
	if err != nil {
		return nil, fmt.Errorf("members of cohort %d: %w", v.ID, err)
	}
	all, err := s.store.CheckIns(ctx, v.ID)
	if err != nil {
		return nil, fmt.Errorf("check-ins of cohort %d: %w", v.ID, err)
	}
	r := &Roster{view: v, Members: members, byMember: map[int64][]CheckIn{}, byDay: map[int]map[int64]bool{}}
	for _, c := range all {
		r.byMember[c.MemberID] = append(r.byMember[c.MemberID], c)
		if r.byDay[c.Day] == nil {
			r.byDay[c.Day] = map[int64]bool{}
		}
		r.byDay[c.Day][c.MemberID] = true
	}
	return r, nil
}

// progressOf is one member's progress with day cur as the current day.
func (r *Roster) progressOf(memberID int64, cur int) Progress {
	return ComputeProgress(r.byMember[memberID], cur)
}

// did reports whether member m has checked in for day n.
func (r *Roster) did(m int64, n int) bool { return r.byDay[n][m] }

// active reports whether member m has ever checked in.
func (r *Roster) active(m int64) bool { return len(r.byMember[m]) > 0 }

// StandingsAt is the leaderboard as it stood at instant at, from the members who had
// joined and the check-ins made by then: a board's movement is measured against the
// previous board without storing it.
func (r *Roster) StandingsAt(at time.Time) []Standing {
	cur := r.view.DayAt(at)
	out := make([]Standing, 0, len(r.Members))
	for _, m := range r.Members {
		if m.JoinedAt.After(at) {
			continue
		}
		var upTo []CheckIn
		for _, c := range r.byMember[m.ID] {
			if !c.At.After(at) {
				upTo = append(upTo, c)
			}
		}
		p := ComputeProgress(upTo, cur)
		out = append(out, Standing{MemberID: m.ID, UserID: m.User.ID, Name: m.User.Name, Completed: p.Completed, Streak: p.Streak, Best: p.Best, ReachedAt: p.ReachedAt})
	}
	RankStandings(out)
	return out
}

// Standings computes the cohort's leaderboard now (export, cohortbot cohort show).
func (s *Service) Standings(ctx context.Context, v CohortView) ([]Standing, error) {
	r, err := s.roster(ctx, v)
	if err != nil {
		return nil, err
	}
	return r.StandingsAt(s.now()), nil
}
