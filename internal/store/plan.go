package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"cohortbot/internal/study"
)

// Planning is the one hot path that touches every due cohort: when thousands fall due at
// the same minute, one tick reads them, plans each and writes their posts and next
// instants. It is written set-based — a few statements per batch whatever its size, the
// outbox rows and the cohorts' next instants passed as arrays on PostgreSQL — and reads
// the due cohorts through the cohorts_next_due index, so that an idle tick costs two
// index probes.

func (s *Store) PlanDue(ctx context.Context, now time.Time, limit int, plan func(study.DueCohort) (study.Plan, error)) (int, error) {
	n := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows, err := s.dueCohorts(tx, now, limit)
		if err != nil || len(rows) == 0 {
			return err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		exBy, chBy, err := s.cohortParts(ctx, tx, ids)
		if err != nil {
			return err
		}
		posts := make([]study.NewPost, 0, len(rows))
		nextIDs := make([]int64, 0, len(rows))
		nexts := make([]time.Time, 0, len(rows))
		for _, r := range rows {
			c, err := fromRows(r, exBy[r.ID])
			if err != nil {
				return fmt.Errorf("cohort %d: %w", r.ID, err)
			}
			due := study.DueCohort{Cohort: *c, Recompute: r.NextDueAt == nil, Channels: chBy[r.ID]}
			if r.ScheduledThrough != nil {
				due.ScheduledThrough = *r.ScheduledThrough
			}
			p, err := plan(due)
			if err != nil {
				return fmt.Errorf("plan cohort %d: %w", r.ID, err)
			}
			posts = append(posts, p.Posts...)
			next := ts(p.NextDue)
			if p.NextDue.IsZero() {
				// Nothing left to schedule: park the cohort far ahead rather than NULL,
				// which would mean "recompute" on every tick.
				next = ts(now.AddDate(100, 0, 0))
			}
			nextIDs = append(nextIDs, r.ID)
			nexts = append(nexts, next)
			n++
		}
		if _, err := insertPosts(tx, posts, now); err != nil {
			return err
		}
		return s.recordPlans(ctx, tx, now, nextIDs, nexts)
	})
	return n, err
}

// dueCohorts takes up to limit cohorts due at now: first those whose schedule changed
// (next_due_at NULL), then the earliest due. Each query reads the cohorts_next_due index;
// on PostgreSQL the rows are locked, skipping those another process holds, so several
// processes tick at once without planning a cohort twice at the same time. The lock is
// FOR NO KEY UPDATE, the one the plan's own UPDATE takes: FOR UPDATE would also block the
// foreign-key checks of rows that name the cohort, so a new member's first check-in
// would wait for the whole tick. Only the columns planning reads are scanned, without
// reflection: this runs for every due cohort.
func (s *Store) dueCohorts(tx *gorm.DB, now time.Time, limit int) ([]cohortRow, error) {
	ctx := tx.Statement.Context
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR NO KEY UPDATE SKIP LOCKED"
	}
	const cols = `SELECT id, name, track, start_date, timezone, post_time, cadence, created_at, leaderboard_cron,
		recap_cron, reminder_time, scheduled_through, next_due_at, link_code FROM cohorts `
	var rows []cohortRow
	scan := func(r *sql.Rows) error {
		if rows == nil {
			rows = make([]cohortRow, 0, min(limit, 4096))
		}
		var c cohortRow
		err := r.Scan(&c.ID, &c.Name, &c.Track, &c.StartDate, &c.Timezone, &c.PostTime, &c.Cadence, &c.CreatedAt,
			&c.LeaderboardCron, &c.RecapCron, &c.ReminderTime, &c.ScheduledThrough, &c.NextDueAt, &c.LinkCode)
		rows = append(rows, c)
		return err
	}
	pool := tx.Statement.ConnPool
	if err := scanRows(ctx, pool, cols+"WHERE next_due_at IS NULL ORDER BY id LIMIT $1"+lock, []any{limit}, scan); err != nil {
		return nil, wrap(err, "cohorts to plan again")
	}
	if len(rows) < limit {
		err := scanRows(ctx, pool, cols+"WHERE next_due_at <= $1 ORDER BY next_due_at, id LIMIT $2"+lock, []any{ts(now), limit - len(rows)}, scan)
		if err != nil {
			return nil, wrap(err, "due cohorts")
		}
	}
	return rows, nil
}

// cohortParts reads the calendar exceptions and channels of the cohorts ids.
func (s *Store) cohortParts(ctx context.Context, tx *gorm.DB, ids []int64) (map[int64][]exceptionRow, map[int64][]study.BoundChannel, error) {
	exBy := map[int64][]exceptionRow{}
	chBy := make(map[int64][]study.BoundChannel, len(ids))
	if s.dialect != Postgres {
		var ex []exceptionRow
		if err := tx.Where("cohort_id IN ?", ids).Order("id").Find(&ex).Error; err != nil {
			return nil, nil, wrap(err, "due cohorts' exceptions")
		}
		for _, e := range ex {
			exBy[e.CohortID] = append(exBy[e.CohortID], e)
		}
		var chans []channelRow
		if err := tx.Where("cohort_id IN ?", ids).Order("id").Find(&chans).Error; err != nil {
			return nil, nil, wrap(err, "due cohorts' channels")
		}
		for _, c := range chans {
			chBy[c.CohortID] = append(chBy[c.CohortID], study.BoundChannel{ID: c.ID, Ref: study.ChannelRef{Platform: c.Platform, Workspace: c.WorkspaceID, Channel: c.ChannelID}})
		}
		return exBy, chBy, nil
	}
	pool := tx.Statement.ConnPool
	err := scanRows(ctx, pool, `SELECT id, cohort_id, kind, from_date, until_date FROM calendar_exceptions
		WHERE cohort_id = ANY($1::bigint[]) ORDER BY id`, []any{ids}, func(r *sql.Rows) error {
		var e exceptionRow
		if err := r.Scan(&e.ID, &e.CohortID, &e.Kind, &e.FromDate, &e.UntilDate); err != nil {
			return err
		}
		exBy[e.CohortID] = append(exBy[e.CohortID], e)
		return nil
	})
	if err != nil {
		return nil, nil, wrap(err, "due cohorts' exceptions")
	}
	err = scanRows(ctx, pool, `SELECT id, cohort_id, platform, workspace_id, channel_id FROM cohort_channels
		WHERE cohort_id = ANY($1::bigint[]) ORDER BY id`, []any{ids}, func(r *sql.Rows) error {
		var c study.BoundChannel
		var cohort int64
		if err := r.Scan(&c.ID, &cohort, &c.Ref.Platform, &c.Ref.Workspace, &c.Ref.Channel); err != nil {
			return err
		}
		chBy[cohort] = append(chBy[cohort], c)
		return nil
	})
	if err != nil {
		return nil, nil, wrap(err, "due cohorts' channels")
	}
	return exBy, chBy, nil
}

func scanRows(ctx context.Context, pool gorm.ConnPool, query string, args []any, each func(*sql.Rows) error) error {
	rows, err := pool.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// recordPlans marks the cohorts planned through now and sets each one's next instant.
func (s *Store) recordPlans(ctx context.Context, tx *gorm.DB, now time.Time, ids []int64, nexts []time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if s.dialect == Postgres {
		_, err := tx.Statement.ConnPool.ExecContext(ctx, `UPDATE cohorts AS c SET scheduled_through = $1, next_due_at = v.next
			FROM unnest($2::bigint[], $3::timestamptz[]) AS v(id, next) WHERE c.id = v.id`, ts(now), ids, nexts)
		return wrap(err, "record plans of %d cohorts", len(ids))
	}
	// Cohorts on the same schedule share their next instant: one UPDATE per instant.
	byNext := map[time.Time][]int64{}
	for i, id := range ids {
		byNext[nexts[i]] = append(byNext[nexts[i]], id)
	}
	for next, group := range byNext {
		res := tx.Model(&cohortRow{}).Where("id IN ?", group).
			UpdateColumns(map[string]any{"scheduled_through": ts(now), "next_due_at": next})
		if res.Error != nil {
			return wrap(res.Error, "record plans of %d cohorts", len(group))
		}
	}
	return nil
}

func (s *Store) InsertPosts(ctx context.Context, posts []study.NewPost) (int, error) {
	return insertPosts(s.db.WithContext(ctx), posts, s.now())
}

// postColumns are the columns a new outbox row is written with, in insertPosts' order.
const postColumns = "cohort_id, channel_id, member_id, kind, period, day, status, last_error, nonce, due_at, not_before, expires_at, created_at"

// insertPosts inserts each post unless its (channel, member, kind, period) exists: the
// unique key is the claim, so planning twice (two processes, a restart) posts once. Rows
// keep their order, so a lane's posts get ascending ids: the delivery order of posts due
// at the same instant. db is the store's handle or a transaction, with its context.
func insertPosts(db *gorm.DB, posts []study.NewPost, now time.Time) (int, error) {
	if len(posts) == 0 {
		return 0, nil
	}
	ctx := db.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	n := len(posts)
	cohorts, chans, members := make([]int64, n), make([]int64, n), make([]int64, n)
	kinds, periods, statuses, errs, nonces := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	days := make([]int32, n)
	dues, expires := make([]time.Time, n), make([]time.Time, n)
	for i, p := range posts {
		status := p.Status
		if status == "" {
			status = study.PostPending
		}
		cohorts[i], chans[i], members[i] = p.CohortID, p.ChannelID, p.MemberID
		kinds[i], periods[i], statuses[i], errs[i], nonces[i] = string(p.Kind), p.Period, string(status), p.LastError, nonce(p)
		days[i] = int32(p.Day)
		dues[i], expires[i] = ts(p.DueAt), ts(p.ExpiresAt)
	}
	pool := db.Statement.ConnPool
	if db.Dialector.Name() == "postgres" {
		res, err := pool.ExecContext(ctx, `INSERT INTO posts (`+postColumns+`)
			SELECT c, ch, NULLIF(m, 0), k, pe, d, st, le, no, du, du, ex, $12
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[],
			            $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[])
			     WITH ORDINALITY AS t(c, ch, m, k, pe, d, st, le, no, du, ex, ord)
			ORDER BY ord
			ON CONFLICT DO NOTHING`,
			cohorts, chans, members, kinds, periods, days, statuses, errs, nonces, dues, expires, ts(now))
		if err != nil {
			return 0, wrap(err, "insert %d posts", n)
		}
		added, _ := res.RowsAffected()
		return int(added), nil
	}
	added := 0
	const batch = 500
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		var q strings.Builder
		q.WriteString("INSERT INTO posts (" + postColumns + ") VALUES ")
		args := make([]any, 0, (end-start)*13)
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, cohorts[i], chans[i], memberID(members[i]), kinds[i], periods[i], days[i], statuses[i], errs[i],
				nonces[i], dues[i], dues[i], expires[i], ts(now))
		}
		q.WriteString(" ON CONFLICT DO NOTHING")
		res, err := pool.ExecContext(ctx, q.String(), args...)
		if err != nil {
			return added, wrap(err, "insert %d posts", end-start)
		}
		k, _ := res.RowsAffected()
		added += int(k)
	}
	return added, nil
}
