package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cohortbot/internal/study"
)

// farAhead stands for "nothing due": NULL means "compute", so a cohort with nothing
// to close is parked here instead.
func farAhead(now time.Time) time.Time { return now.AddDate(100, 0, 0) }

func (s *Store) DueCloses(ctx context.Context, now time.Time, limit int) ([]study.Cohort, error) {
	var rows []cohortRow
	err := s.db.WithContext(ctx).Where("close_due_at IS NULL OR close_due_at <= ?", ts(now)).
		Order("close_due_at IS NOT NULL, close_due_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, wrap(err, "cohorts with days to close")
	}
	return s.withExceptions(ctx, s.db.WithContext(ctx), rows)
}

// withExceptions rebuilds cohorts from their rows and their pauses and skips.
func (s *Store) withExceptions(ctx context.Context, db *gorm.DB, rows []cohortRow) ([]study.Cohort, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var ex []exceptionRow
	if err := db.Where("cohort_id IN ?", ids).Order("id").Find(&ex).Error; err != nil {
		return nil, wrap(err, "cohorts' exceptions")
	}
	by := map[int64][]exceptionRow{}
	for _, e := range ex {
		by[e.CohortID] = append(by[e.CohortID], e)
	}
	out := make([]study.Cohort, 0, len(rows))
	for _, r := range rows {
		c, err := fromRows(r, by[r.ID])
		if err != nil {
			return nil, fmt.Errorf("cohort %d: %w", r.ID, err)
		}
		out = append(out, *c)
	}
	return out, nil
}

func (s *Store) SetCloseDue(ctx context.Context, cohortID int64, at time.Time) error {
	if at.IsZero() {
		at = farAhead(s.now())
	}
	return wrap(s.db.WithContext(ctx).Model(&cohortRow{}).Where("id = ?", cohortID).UpdateColumn("close_due_at", ts(at)).Error,
		"next close of cohort %d", cohortID)
}

func (s *Store) CloseDay(ctx context.Context, c study.CloseDay) (bool, error) {
	next := c.Next
	if next.IsZero() {
		next = farAhead(s.now())
	}
	closed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The cohort's row is the lock: one process closes a day, once.
		res := tx.Exec(`UPDATE cohorts SET closed_through = ?, close_due_at = ? WHERE id = ? AND closed_through = ?`, c.Day, ts(next), c.CohortID, c.Day-1)
		if res.Error != nil {
			return wrap(res.Error, "close day %d of cohort %d", c.Day, c.CohortID)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		closed = true
		var err error
		if s.dialect == Postgres {
			err = tx.Exec(closeDaySQL, closeDayArgs(c)...).Error
		} else {
			err = closeDayGo(tx, c)
		}
		if err != nil {
			return wrap(err, "close day %d of cohort %d", c.Day, c.CohortID)
		}
		return recountStandings(tx, c.CohortID)
	})
	return closed, err
}

// closeDayGo applies study.ApplyClose member by member (SQLite, in process).
func closeDayGo(tx *gorm.DB, c study.CloseDay) error {
	var rows []memberRow
	if err := tx.Where("cohort_id = ? AND closed_through < ?", c.CohortID, c.Day).Find(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		m := toMember(r)
		p := study.ApplyClose(m.Progress, c.Day, m.Away.At(c.PostedAt), c.MaxFreezes, c.Length)
		if err := tx.Model(&memberRow{}).Where("id = ?", r.ID).UpdateColumns(progressColumns(p)).Error; err != nil {
			return err
		}
	}
	return nil
}

// closeDaySQL is study.ApplyClose for every member of a cohort who has not had the day's
// close, in one statement (PostgreSQL). Its arguments, typed once in p: the day, the
// day's card (away then means away that day), the freezes a member may hold, the cohort,
// a full row of not-done marks and the track's length.
var closeDaySQL = fmt.Sprintf(`WITH p AS (
    SELECT CAST(@day AS integer) AS day, CAST(@posted AS timestamptz) AS posted, CAST(@max AS integer) AS mx,
           CAST(@cohort AS bigint) AS cohort, CAST(@pad AS text) AS pad, CAST(@len AS integer) AS len
), old AS (
    SELECT m.id, m.days, m.closed_streak, m.on_time_run, m.freezes, m.frozen_days, m.best,
           substr(m.days, p.day, 1) AS mark,
           (m.away_until IS NOT NULL AND m.away_from <= p.posted AND p.posted < m.away_until) AS away
      FROM members m, p WHERE m.cohort_id = p.cohort AND m.closed_through < p.day
), new AS (
    SELECT o.id, o.best,
        CASE WHEN o.mark = 'T' THEN o.closed_streak + 1
             WHEN o.away THEN o.closed_streak
             WHEN o.freezes > 0 AND p.mx > 0 THEN o.closed_streak
             ELSE 0 END AS closed_streak,
        CASE WHEN o.mark = 'T' THEN o.on_time_run + 1
             WHEN o.away THEN o.on_time_run
             ELSE 0 END AS on_time_run,
        CASE WHEN o.mark = 'T' THEN (CASE WHEN (o.on_time_run + 1) %% %[1]d = 0 AND o.freezes < p.mx THEN o.freezes + 1 ELSE o.freezes END)
             WHEN o.away THEN o.freezes
             WHEN o.freezes > 0 AND p.mx > 0 THEN o.freezes - 1
             ELSE o.freezes END AS freezes,
        CASE WHEN o.mark <> 'T' AND NOT o.away AND o.freezes > 0 AND p.mx > 0
             THEN (CASE WHEN o.frozen_days = '' THEN '' ELSE o.frozen_days || ',' END) || CAST(p.day AS text)
             ELSE o.frozen_days END AS frozen_days,
        CASE WHEN o.mark = 'T' THEN o.days
             WHEN o.away AND o.mark IN ('.', '') THEN %[2]s
             WHEN NOT o.away AND o.freezes > 0 AND p.mx > 0 AND o.mark IN ('.', '') THEN %[3]s
             ELSE o.days END AS days
      FROM old o, p
)
UPDATE members SET closed_streak = new.closed_streak, on_time_run = new.on_time_run,
       freezes = least(new.freezes, p.mx), frozen_days = new.frozen_days, days = new.days, closed_through = p.day,
       streak = %[4]s,
       best = greatest(new.best, %[4]s)
  FROM new, p WHERE members.id = new.id`,
	study.FreezeEvery, setMarkSQL("o.days", "p.day", "'A'"), setMarkSQL("o.days", "p.day", "'F'"), openStreakSQL("new.closed_streak", "new.days", "p.day"))

func closeDayArgs(c study.CloseDay) []any {
	return []any{map[string]any{"day": c.Day, "posted": ts(c.PostedAt), "max": c.MaxFreezes, "cohort": c.CohortID,
		"pad": strings.Repeat(string(study.MarkNotDone), c.Length), "len": c.Length}}
}

// setMarkSQL is days with day's mark set, padded with not-done marks to the track's
// length (p.pad, p.len): the SQL of study's setMark.
func setMarkSQL(days, day, mark string) string {
	return fmt.Sprintf("substr(%[1]s || p.pad, 1, %[2]s - 1) || %[3]s || substr(%[1]s || p.pad, %[2]s + 1, p.len - %[2]s)", days, day, mark)
}

func (s *Store) PlanReminders(ctx context.Context, now time.Time, limit int, plan func(study.DueReminder) (*study.NewPost, time.Time)) (int, error) {
	n := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("next_remind_at IS NOT NULL AND next_remind_at <= ?", ts(now)).Order("next_remind_at, id").Limit(limit)
		if s.dialect == Postgres {
			// Several bot processes plan at once: each takes the members no one else holds.
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []memberRow
		if err := q.Find(&rows).Error; err != nil {
			return wrap(err, "reminders due")
		}
		if len(rows) == 0 {
			return nil
		}
		ids := map[int64]bool{}
		var cohortIDs []int64
		for _, r := range rows {
			if !ids[r.CohortID] {
				ids[r.CohortID] = true
				cohortIDs = append(cohortIDs, r.CohortID)
			}
		}
		var crow []cohortRow
		if err := tx.Where("id IN ?", cohortIDs).Find(&crow).Error; err != nil {
			return wrap(err, "cohorts of reminders")
		}
		cohorts, err := s.withExceptions(ctx, tx, crow)
		if err != nil {
			return err
		}
		byID := map[int64]study.Cohort{}
		for _, c := range cohorts {
			byID[c.ID] = c
		}
		var chans []channelRow
		if err := tx.Where("cohort_id IN ?", cohortIDs).Order("id").Find(&chans).Error; err != nil {
			return wrap(err, "channels of reminders")
		}
		var posts []study.NewPost
		for _, r := range rows {
			due := study.DueReminder{Member: toMember(r), Cohort: byID[r.CohortID]}
			for _, ch := range chans {
				if ch.CohortID == r.CohortID && ch.Platform == r.Platform && ch.WorkspaceID == r.WorkspaceID {
					due.Channel = study.BoundChannel{ID: ch.ID, Ref: study.ChannelRef{Platform: ch.Platform, Workspace: ch.WorkspaceID, Channel: ch.ChannelID}}
					break
				}
			}
			post, next := plan(due)
			if post != nil {
				posts = append(posts, *post)
			}
			if err := tx.Model(&memberRow{}).Where("id = ?", r.ID).UpdateColumn("next_remind_at", tsPtr(next)).Error; err != nil {
				return wrap(err, "next reminder of member %d", r.ID)
			}
			n++
		}
		_, err = insertPosts(tx, posts, now)
		return err
	})
	return n, err
}

func (s *Store) NextUpkeep(ctx context.Context) (time.Time, error) {
	db := s.db.WithContext(ctx)
	var a, b []time.Time
	if err := db.Model(&cohortRow{}).Where("close_due_at IS NOT NULL").Order("close_due_at").Limit(1).Pluck("close_due_at", &a).Error; err != nil {
		return time.Time{}, wrap(err, "next close")
	}
	if err := db.Model(&memberRow{}).Where("next_remind_at IS NOT NULL").Order("next_remind_at").Limit(1).Pluck("next_remind_at", &b).Error; err != nil {
		return time.Time{}, wrap(err, "next reminder")
	}
	var next time.Time
	for _, t := range append(a, b...) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	var pending []int64
	// A cohort whose next close is not known yet is due now.
	if err := db.Model(&cohortRow{}).Where("close_due_at IS NULL").Limit(1).Pluck("id", &pending).Error; err != nil {
		return time.Time{}, wrap(err, "cohorts to plan closes for")
	}
	if len(pending) > 0 {
		next = s.now()
	}
	return next, nil
}
