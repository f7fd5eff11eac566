package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"cohortbot/internal/study"
)

// standingOrder is the leaderboard's order; members_standing indexes it.
const standingOrder = "completed DESC, streak DESC, reached_at, display_name, id"

func (s *Store) Top(ctx context.Context, cohortID int64, n int) ([]study.Member, error) {
	var rows []memberRow
	err := s.db.WithContext(ctx).Where("cohort_id = ? AND completed > 0", cohortID).Order(standingOrder).Limit(n).Find(&rows).Error
	if err != nil {
		return nil, wrap(err, "top of cohort %d", cohortID)
	}
	return toMembers(rows), nil
}

func toMembers(rows []memberRow) []study.Member {
	out := make([]study.Member, len(rows))
	for i, r := range rows {
		out[i] = toMember(r)
	}
	return out
}

func (s *Store) Rank(ctx context.Context, cohortID int64, p study.Progress) (int, int, error) {
	var got struct{ Ahead, Total int64 }
	err := s.db.WithContext(ctx).Raw(`SELECT
    coalesce(sum(CASE WHEN completed > ? OR (completed = ? AND streak > ?) THEN members ELSE 0 END), 0) AS ahead,
    coalesce(sum(members), 0) AS total
  FROM standings WHERE cohort_id = ? AND completed > 0`, p.Completed, p.Completed, p.Streak, cohortID).Scan(&got).Error
	if err != nil {
		return 0, 0, wrap(err, "rank in cohort %d", cohortID)
	}
	return int(got.Ahead) + 1, int(got.Total), nil
}

func (s *Store) StreakLeaders(ctx context.Context, cohortID int64, n int) ([]study.Member, error) {
	var rows []memberRow
	err := s.db.WithContext(ctx).Where("cohort_id = ? AND streak > 0", cohortID).Order("streak DESC, reached_at, id").Limit(n).Find(&rows).Error
	if err != nil {
		return nil, wrap(err, "streak leaders of cohort %d", cohortID)
	}
	return toMembers(rows), nil
}

func (s *Store) DayTallies(ctx context.Context, cohortID int64, days []int) (map[int]int, error) {
	out := map[int]int{}
	if len(days) == 0 {
		return out, nil
	}
	var rows []struct{ Day, N int }
	err := s.db.WithContext(ctx).Raw(`SELECT day, count(*) AS n FROM check_ins WHERE cohort_id = ? AND day IN ? GROUP BY day`, cohortID, days).Scan(&rows).Error
	if err != nil {
		return nil, wrap(err, "check-ins per day of cohort %d", cohortID)
	}
	for _, r := range rows {
		out[r.Day] = r.N
	}
	return out, nil
}

// namedCount runs where over a cohort's members: the first limit names in name order,
// and how many match.
func (s *Store) namedCount(ctx context.Context, where string, args []any, limit int) ([]string, int, error) {
	db := s.db.WithContext(ctx)
	var names []string
	if err := db.Model(&memberRow{}).Where(where, args...).Order("display_name, id").Limit(limit).Pluck("display_name", &names).Error; err != nil {
		return nil, 0, err
	}
	var total int64
	if err := db.Model(&memberRow{}).Where(where, args...).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	return names, int(total), nil
}

func (s *Store) EveryDay(ctx context.Context, cohortID int64, days []int, limit int) ([]string, int, error) {
	where, args := "cohort_id = ?", []any{cohortID}
	for _, d := range days {
		where += " AND substr(days, ?, 1) IN ('T', 'L')"
		args = append(args, d)
	}
	names, total, err := s.namedCount(ctx, where, args, limit)
	return names, total, wrap(err, "members who did every day of cohort %d", cohortID)
}

func (s *Store) Laggards(ctx context.Context, cohortID int64, day int, t time.Time, limit int) ([]string, int, error) {
	names, total, err := s.namedCount(ctx,
		"cohort_id = ? AND completed > 0 AND substr(days, ?, 1) NOT IN ('T', 'L') AND NOT (away_until IS NOT NULL AND away_from <= ? AND ? < away_until)",
		[]any{cohortID, day, ts(t), ts(t)}, limit)
	return names, total, wrap(err, "members to remind in cohort %d", cohortID)
}

func (s *Store) SnapshotBoard(ctx context.Context, cohortID int64, period string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE cohorts SET prev_board_period = board_period, board_period = ? WHERE id = ? AND board_period <> ?`, period, cohortID, period)
		if res.Error != nil {
			return wrap(res.Error, "board %s of cohort %d", period, cohortID)
		}
		if res.RowsAffected == 0 {
			return nil // kept already (another channel, another process)
		}
		if err := tx.Exec(`UPDATE members SET prev_board_rank = board_rank, board_rank = NULL WHERE cohort_id = ?`, cohortID).Error; err != nil {
			return wrap(err, "board ranks of cohort %d", cohortID)
		}
		err := tx.Exec(`UPDATE members SET board_rank = r.rk
  FROM (SELECT id, rank() OVER (ORDER BY completed DESC, streak DESC) AS rk FROM members WHERE cohort_id = ? AND completed > 0) AS r
 WHERE members.id = r.id`, cohortID).Error
		return wrap(err, "board ranks of cohort %d", cohortID)
	})
}

// recountStandings rebuilds a cohort's standings counters from its members (after a
// close has changed many streaks at once).
func recountStandings(tx *gorm.DB, cohortID int64) error {
	if err := tx.Exec(`DELETE FROM standings WHERE cohort_id = ?`, cohortID).Error; err != nil {
		return wrap(err, "clear standings of cohort %d", cohortID)
	}
	err := tx.Exec(fmt.Sprintf(`INSERT INTO standings (cohort_id, completed, streak, shard, members)
SELECT cohort_id, completed, streak, id %% %d, count(*) FROM members WHERE cohort_id = ? GROUP BY cohort_id, completed, streak, id %% %d`, StandingShards, StandingShards),
		cohortID).Error
	return wrap(err, "count standings of cohort %d", cohortID)
}
