// Package loadseed fills a PostgreSQL cohort with members and their on-time history in a
// few set-based statements: the large, old cohorts that benchmarks and load runs measure.
// The rows are the ones the bot would have kept had every member checked in on time every
// day, so the bot carries on from them as from its own.
package loadseed

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"cohortbot/internal/store"
	"cohortbot/internal/study"
)

// Spec is what to seed.
type Spec struct {
	CohortID  int64
	Platform  string // "discord", "slack" or "console"
	Workspace string // the guild or team id
	// Members get user ids UserID(UserPrefix, 1…Members) and names "Member N".
	UserPrefix string
	Members    int
	// History is how many study days (1…History) every member checked in on time, each
	// at First plus one day per day; the cohort counts them closed.
	History int
	First   time.Time
}

// UserID is the n-th seeded member's platform user id.
func UserID(prefix string, n int) string { return fmt.Sprintf("%s%d", prefix, n) }

// Name is the n-th seeded member's display name.
func Name(n int) string { return fmt.Sprintf("Member %d", n) }

// Seed writes the members, their check-ins, the cohort's closed days and its standings,
// then refreshes the planner's statistics.
func Seed(ctx context.Context, db *gorm.DB, s Spec) error {
	db = db.WithContext(ctx)
	h := s.History
	reached := s.First.AddDate(0, 0, max(h-1, 0))
	steps := []struct {
		what string
		sql  string
		args []any
	}{
		{"members", `INSERT INTO members (cohort_id, platform, workspace_id, user_id, display_name, joined_at,
			completed, streak, best, closed_streak, closed_through, on_time_run, freezes, reached_at, days)
			SELECT ?, ?, ?, ? || g, 'Member ' || g, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? > 0 THEN ?::timestamptz END, repeat('T', ?)
			  FROM generate_series(1, ?) AS g`,
			[]any{s.CohortID, s.Platform, s.Workspace, s.UserPrefix, s.First, h, h, h, h, h, h, min(h/study.FreezeEvery, study.DefaultMaxFreezes), h, reached, h, s.Members}},
		{"check-ins", `INSERT INTO check_ins (cohort_id, member_id, day, source, note, at, on_time)
			SELECT ?, m.id, d, 'command', '', ?::timestamptz + (d - 1) * interval '1 day', true
			  FROM members m, generate_series(1, ?) AS d WHERE m.cohort_id = ?`,
			[]any{s.CohortID, s.First, h, s.CohortID}},
		{"closed days", `UPDATE cohorts SET closed_through = GREATEST(closed_through, ?), close_due_at = NULL WHERE id = ?`,
			[]any{h, s.CohortID}},
		{"standings", `INSERT INTO standings (cohort_id, completed, streak, shard, members)
			SELECT cohort_id, completed, streak, id % ?, count(*) FROM members WHERE cohort_id = ? GROUP BY 1, 2, 3, 4
			ON CONFLICT (cohort_id, completed, streak, shard) DO UPDATE SET members = excluded.members`,
			[]any{store.StandingShards, s.CohortID}},
		{"statistics", `VACUUM ANALYZE`, nil},
	}
	for _, st := range steps {
		if err := db.Exec(st.sql, st.args...).Error; err != nil {
			return fmt.Errorf("seed cohort %d: %s: %w", s.CohortID, st.what, err)
		}
	}
	return nil
}
