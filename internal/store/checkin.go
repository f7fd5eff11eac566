package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cohortbot/internal/study"
)

// memberColumns are a member row's columns in the order scanMember reads them.
const memberColumns = `id, cohort_id, platform, workspace_id, user_id, display_name, joined_at, completed, streak, best,
closed_streak, closed_through, on_time_run, freezes, frozen_days, reached_at, days, timezone, remind_at,
next_remind_at, away_from, away_until, away_last_day, board_rank, prev_board_rank`

func scanMember(rows interface{ Scan(...any) error }, r *memberRow) error {
	return rows.Scan(scanTargets(r)...)
}

// CheckIn records a check-in and keeps the member's progress in one transaction. On
// PostgreSQL it is one round trip: the statements go as one pipelined batch, which the
// server runs as one implicit transaction, and the progress arithmetic (study.ApplyCheckIn)
// happens in SQL. SQLite, in process, applies study.ApplyCheckIn in Go.
func (s *Store) CheckIn(ctx context.Context, w study.CheckInWrite) (study.Member, bool, error) {
	if s.dialect == Postgres {
		return s.checkInPostgres(ctx, w)
	}
	return s.checkInGo(ctx, w)
}

func (s *Store) checkInGo(ctx context.Context, w study.CheckInWrite) (study.Member, bool, error) {
	var out study.Member
	added := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u := w.User
		var ids []int64
		if err := tx.Raw(addMemberSQL, u.Platform, u.Workspace, u.ID, u.Name, ts(w.At), w.CohortID).Scan(&ids).Error; err != nil {
			return wrap(err, "add member %s to cohort %d", u.ID, w.CohortID)
		}
		if len(ids) == 1 {
			if err := tx.Exec(countNewMemberSQL, w.CohortID, ids[0]%StandingShards).Error; err != nil {
				return wrap(err, "count member %d", ids[0])
			}
		}
		var row memberRow
		if err := tx.Where(memberKey, w.CohortID, u.Platform, u.Workspace, u.ID).Take(&row).Error; err != nil {
			return wrap(err, "find member %s", u.ID)
		}
		if u.Name != "" && row.DisplayName != u.Name {
			if err := tx.Model(&memberRow{}).Where("id = ?", row.ID).Update("display_name", u.Name).Error; err != nil {
				return wrap(err, "rename member %d", row.ID)
			}
			row.DisplayName = u.Name
		}
		ci := checkInRow{CohortID: w.CohortID, MemberID: row.ID, Day: w.Day, Source: string(w.Source), Note: w.Note, At: ts(w.At), OnTime: w.OnTime, Request: w.Request}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ci)
		if res.Error != nil {
			return wrap(res.Error, "check in member %d for day %d", row.ID, w.Day)
		}
		out = toMember(row)
		if res.RowsAffected == 0 {
			if w.Request == "" {
				return nil
			}
			// This very request's check-in, from an attempt whose answer was lost?
			var same int64
			err := tx.Model(&checkInRow{}).Where("cohort_id = ? AND member_id = ? AND day = ? AND request = ?",
				w.CohortID, row.ID, w.Day, w.Request).Count(&same).Error
			added = same > 0
			return wrap(err, "find check-in of member %d for day %d", row.ID, w.Day)
		}
		added = true
		before := out.Progress
		out.Progress = study.ApplyCheckIn(before, w.Day, w.OnTime, ts(w.At), w.Length)
		if err := tx.Model(&memberRow{}).Where("id = ?", row.ID).UpdateColumns(progressColumns(out.Progress)).Error; err != nil {
			return wrap(err, "keep progress of member %d", row.ID)
		}
		return moveStanding(tx, w.CohortID, row.ID, before, out.Progress)
	})
	return out, added, err
}

// moveStanding moves a member's count from one (completed, streak) to another.
func moveStanding(tx *gorm.DB, cohortID, memberID int64, from, to study.Progress) error {
	if from.Completed == to.Completed && from.Streak == to.Streak {
		return nil
	}
	err := tx.Exec(`INSERT INTO standings (cohort_id, completed, streak, shard, members) VALUES (?, ?, ?, ?, -1), (?, ?, ?, ?, 1)
ON CONFLICT (cohort_id, completed, streak, shard) DO UPDATE SET members = standings.members + excluded.members`,
		cohortID, from.Completed, from.Streak, memberID%StandingShards, cohortID, to.Completed, to.Streak, memberID%StandingShards).Error
	return wrap(err, "move member %d's standing", memberID)
}

// checkInPostgresSQL is the check-in as one statement over the member row: insert the
// check-in, and if it is new, keep the progress as study.ApplyCheckIn does — mark the
// day, count it, and recount the streak as the closed streak plus the open days done on
// time since the last close — and move the member's count in the standings. The counters
// moved are the committer's shard ($14), not the member's: concurrent groups of check-ins
// then never wait on each other's counter rows (a shard's count may go below zero; only
// sums over shards mean anything).
var checkInPostgresSQL = fmt.Sprintf(`WITH m AS (
    SELECT %[1]s FROM members
     WHERE cohort_id = $1 AND platform = $2 AND workspace_id = $3 AND user_id = $4 FOR UPDATE
), ci AS (
    INSERT INTO check_ins (cohort_id, member_id, day, source, note, at, on_time, request)
    SELECT $1, m.id, $5, $6, $7, $8, $9, $13 FROM m
    ON CONFLICT (cohort_id, member_id, day) DO NOTHING
    RETURNING member_id
), nd AS (
    SELECT m.id, substr(m.days || $10, 1, $5 - 1) || $11 || substr(m.days || $10, $5 + 1, $12 - $5) AS days,
           m.closed_streak, m.closed_through
      FROM m JOIN ci ON ci.member_id = m.id
), ns AS (
    SELECT id, days, %[2]s AS streak FROM nd
), upd AS (
    UPDATE members SET completed = members.completed + 1, reached_at = $8, days = ns.days,
           streak = ns.streak, best = greatest(members.best, ns.streak)
      FROM ns WHERE members.id = ns.id
    RETURNING %[3]s
), moved AS (
    INSERT INTO standings (cohort_id, completed, streak, shard, members)
    SELECT $1, m.completed, m.streak, $14::smallint, -1 FROM m JOIN upd ON upd.id = m.id
    UNION ALL
    SELECT $1, upd.completed, upd.streak, $14::smallint, 1 FROM upd
    ON CONFLICT (cohort_id, completed, streak, shard) DO UPDATE SET members = standings.members + excluded.members
)
SELECT %[4]s, true FROM upd
UNION ALL
SELECT %[1]s, $13 <> '' AND EXISTS (SELECT 1 FROM check_ins x WHERE x.cohort_id = $1 AND x.member_id = m.id AND x.day = $5 AND x.request = $13)
  FROM m WHERE NOT EXISTS (SELECT 1 FROM upd)`,
	memberColumns, openStreakSQL("nd.closed_streak", "nd.days", "nd.closed_through"), prefixed("members.", memberColumns), prefixed("upd.", memberColumns))

// openStreakSQL is the streak from a closed streak and the marks after closed through,
// as study's openStreak rules it: one case per way the open days can be done on time.
func openStreakSQL(closedStreak, days, closedThrough string) string {
	patterns, add, floor := study.OpenStreakPatterns()
	var b strings.Builder
	b.WriteString("CASE")
	for i, pat := range patterns {
		var conds []string
		for k, on := range pat {
			cmp := "="
			if !on {
				cmp = "<>"
			}
			conds = append(conds, fmt.Sprintf("substr(%s, %s + %d, 1) %s 'T'", days, closedThrough, k+1, cmp))
		}
		value := fmt.Sprintf("%s + %d", closedStreak, add[i])
		if !pat[0] {
			value = fmt.Sprintf("greatest(%s, %d)", closedStreak, floor[i])
		}
		fmt.Fprintf(&b, " WHEN %s THEN %s", strings.Join(conds, " AND "), value)
	}
	b.WriteString(" END")
	return b.String()
}

func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// The member's insert and rename, the first statements of the check-in's batch. The
// insert looks first: a member who is already there (nearly every check-in) then costs
// an index probe, not a sequence number and a speculative insertion.
var (
	addMemberPostgresSQL = `WITH ins AS (
    INSERT INTO members (cohort_id, platform, workspace_id, user_id, display_name, joined_at, closed_through)
    SELECT id, $2, $3, $4, $5, $6, closed_through FROM cohorts WHERE id = $1
       AND NOT EXISTS (SELECT 1 FROM members WHERE cohort_id = $1 AND platform = $2 AND workspace_id = $3 AND user_id = $4)
    ON CONFLICT (cohort_id, platform, workspace_id, user_id) DO NOTHING
    RETURNING id
)
INSERT INTO standings (cohort_id, completed, streak, shard, members) SELECT $1, 0, 0, $7::smallint, 1 FROM ins
ON CONFLICT (cohort_id, completed, streak, shard) DO UPDATE SET members = standings.members + 1`
	renameMemberPostgresSQL = `UPDATE members SET display_name = $5
 WHERE cohort_id = $1 AND platform = $2 AND workspace_id = $3 AND user_id = $4 AND display_name <> $5`
)

// readCheckIn reads the check-in batch's results: the member statements', then the
// check-in's row.
func readCheckIn(br pgx.BatchResults, n int, row *memberRow, added *bool) error {
	for range n - 1 {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(scanTargets(row, added)...); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// scanTargets are memberRow's fields in memberColumns order, then extra.
func scanTargets(r *memberRow, extra ...any) []any {
	return append([]any{&r.ID, &r.CohortID, &r.Platform, &r.WorkspaceID, &r.UserID, &r.DisplayName, &r.JoinedAt, &r.Completed,
		&r.Streak, &r.Best, &r.ClosedStreak, &r.ClosedThrough, &r.OnTimeRun, &r.Freezes, &r.FrozenDays, &r.ReachedAt, &r.Days,
		&r.Timezone, &r.RemindAt, &r.NextRemindAt, &r.AwayFrom, &r.AwayUntil, &r.AwayLastDay, &r.BoardRank, &r.PrevBoardRank}, extra...)
}
