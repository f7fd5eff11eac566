package study_test

import (
	"strings"
	"testing"
	"time"

	"cohortbot/internal/study"
)

// checkIns builds one member's check-ins from a compact spec: day → on time?
func checkIns(spec map[int]bool) []study.CheckIn {
	var out []study.CheckIn
	base := time.Date(2027, 1, 1, 10, 0, 0, 0, time.UTC)
	for day, onTime := range spec {
		out = append(out, study.CheckIn{Day: day, OnTime: onTime, At: base.AddDate(0, 0, day)})
	}
	return out
}

func TestStreaks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                    string
		current                 int
		done                    map[int]bool
		completed, streak, best int
	}{
		{"every day on time", 5, map[int]bool{1: true, 2: true, 3: true, 4: true, 5: true}, 5, 5, 5},
		{"today not done yet: streak ends yesterday", 5, map[int]bool{1: true, 2: true, 3: true, 4: true}, 4, 4, 4},
		{"a missed day breaks it", 5, map[int]bool{1: true, 2: true, 4: true, 5: true}, 4, 2, 2},
		{"a late catch-up counts for completion, not the streak", 5, map[int]bool{1: true, 2: true, 3: true, 4: false, 5: true}, 5, 1, 3},
		{"missed yesterday and today: no streak, best kept", 6, map[int]bool{1: true, 2: true, 3: true, 4: true}, 4, 0, 4},
		{"nothing yet", 3, map[int]bool{}, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := study.ComputeProgress(checkIns(tc.done), tc.current)
			if p.Completed != tc.completed || p.Streak != tc.streak || p.Best != tc.best {
				t.Errorf("completed/streak/best = %d/%d/%d, want %d/%d/%d", p.Completed, p.Streak, p.Best, tc.completed, tc.streak, tc.best)
			}
		})
	}
}

func TestRankStandings(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time { return time.Date(2027, 1, 5, h, 0, 0, 0, time.UTC) }
	s := []study.Standing{
		{Name: "dan", Completed: 4, Streak: 4, ReachedAt: at(9)},
		{Name: "ada", Completed: 5, Streak: 2, ReachedAt: at(12)},
		{Name: "bob", Completed: 5, Streak: 5, ReachedAt: at(11)},
		{Name: "cyd", Completed: 5, Streak: 2, ReachedAt: at(10)},
		{Name: "eve", Completed: 1, Streak: 0, ReachedAt: at(8)},
	}
	study.RankStandings(s)
	want := []struct {
		name string
		rank int
	}{{"bob", 1}, {"cyd", 2}, {"ada", 2}, {"dan", 4}, {"eve", 5}}
	for i, w := range want {
		if s[i].Name != w.name || s[i].Rank != w.rank {
			t.Errorf("row %d = %s rank %d, want %s rank %d", i, s[i].Name, s[i].Rank, w.name, w.rank)
		}
	}
}

func TestLeaderboardMovementAndAskerRow(t *testing.T) {
	t.Parallel()
	v := study.CohortView{Cohort: &study.Cohort{Name: "Crew"}}
	prev := []study.Standing{{MemberID: 1, Rank: 1}, {MemberID: 2, Rank: 2}, {MemberID: 3, Rank: 3}}
	now := []study.Standing{
		{MemberID: 2, UserID: "b", Name: "bob", Completed: 5, Streak: 5, Rank: 1},
		{MemberID: 1, UserID: "a", Name: "ada", Completed: 4, Streak: 1, Rank: 2},
		{MemberID: 3, UserID: "c", Name: "cyd", Completed: 3, Rank: 3},
		{MemberID: 4, UserID: "d", Name: "dan", Completed: 2, Rank: 4},
	}
	posted := study.PlainText(study.LeaderboardMessage(v, now, prev, 4, ""))
	for _, want := range []string{"🥇 bob — 5 days done · 🔥 5 days ▲1", "🥈 ada — 4 days done · 🔥 1 day ▼1", "🥉 cyd — 3 days done · 🔥 0 days =", "4. dan — 2 days done · 🔥 0 days 🆕"} {
		if !strings.Contains(posted, want) {
			t.Errorf("posted board lacks %q:\n%s", want, posted)
		}
	}
	asked := study.PlainText(study.LeaderboardMessage(v, now, nil, 2, "d"))
	if !strings.Contains(asked, "…\n4. dan") || strings.Contains(asked, "cyd") || strings.Contains(asked, "▲") {
		t.Errorf("/leaderboard for dan:\n%s", asked)
	}
}
