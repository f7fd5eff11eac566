package store_test

import (
	"context"
	"testing"
	"time"

	"cohortbot/internal/curriculum"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

// TestUpgradeCarriesCheckInsIntoKeptProgress starts from a database as the release
// before kept progress made it (migrations up to 00004), with check-ins in it; migrates
// in place; and checks that every member's record — completion, day marks, streak,
// rank — comes out of the check-ins once the core's upkeep has replayed the closed days.
func TestUpgradeCarriesCheckInsIntoKeptProgress(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		// Friday 8 January 2027, 10:00 UTC: day 5 of a daily 09:00 UTC cohort.
		now := time.Date(2027, 1, 8, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s := storetest.MustOpenAt(t, d, clock, 4)
		db := s.DB()
		at := func(day, hour int) time.Time { return time.Date(2027, 1, 3+day, hour, 0, 0, 0, time.UTC) }
		mustExec := func(sql string, args ...any) {
			t.Helper()
			if err := db.Exec(sql, args...).Error; err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		mustExec(`INSERT INTO cohorts (id, name, track, start_date, timezone, post_time, cadence, created_at, updated_at, link_code)
			VALUES (1, 'Old crew', 'nodejs-backend', '2027-01-04', 'UTC', '09:00', 'daily', ?, ?, 'OLDCODE1')`, now, now)
		mustExec(`INSERT INTO cohort_channels (id, cohort_id, platform, workspace_id, channel_id, created_at) VALUES (1, 1, 'discord', 'g', 'c', ?)`, now)
		mustExec(`INSERT INTO members (id, cohort_id, platform, workspace_id, user_id, display_name, joined_at) VALUES
			(1, 1, 'discord', 'g', 'ada', 'Ada', ?), (2, 1, 'discord', 'g', 'bob', 'Bob', ?)`, at(1, 9), at(1, 9))
		for day := 1; day <= 5; day++ { // Ada: every day on time
			mustExec(`INSERT INTO check_ins (cohort_id, member_id, day, source, note, at, on_time) VALUES (1, 1, ?, 'command', '', ?, ?)`, day, at(day, 9+day%3), true)
		}
		mustExec(`INSERT INTO check_ins (cohort_id, member_id, day, source, note, at, on_time) VALUES
			(1, 2, 1, 'button', '', ?, true), (1, 2, 2, 'reply', 'notes', ?, true), (1, 2, 4, 'command', '', ?, false)`,
			at(1, 12), at(2, 12), at(5, 8))

		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		src, err := curriculum.LoadDefault()
		if err != nil {
			t.Fatal(err)
		}
		svc := studytest.MustService(t, s, clock, src.Track)
		if _, err := svc.Upkeep(ctx, now); err != nil {
			t.Fatalf("upkeep: %v", err)
		}
		for _, want := range []struct {
			user                    string
			completed, streak, best int
			days                    string
			rank                    int
		}{
			// Days 1–3 have closed; day 4 is in its grace until 13:00, day 5 open.
			// Ada: every day on time.
			{"ada", 5, 5, 5, "TTTTT", 1},
			// Bob: 1 and 2 on time, 3 missed (no freeze earned yet), 4 recorded late by
			// the old release; day 5 not done.
			{"bob", 3, 0, 2, "TT.L", 2},
		} {
			m, err := s.MemberByUser(ctx, 1, study.UserRef{Platform: "discord", Workspace: "g", ID: want.user})
			if err != nil {
				t.Fatal(err)
			}
			p := m.Progress
			if p.Completed != want.completed || p.Streak != want.streak || p.Best != want.best || p.Days[:len(want.days)] != want.days || p.ClosedThrough != 3 {
				t.Errorf("%s after the upgrade: %+v, want completed %d streak %d best %d days %q closed through day 3",
					want.user, p, want.completed, want.streak, want.best, want.days)
			}
			if rank, of, err := s.Rank(ctx, 1, p); err != nil || rank != want.rank || of != 2 {
				t.Errorf("%s: rank %d of %d, %v", want.user, rank, of, err)
			}
		}
		// Nothing lost: every check-in is still there.
		if cis, err := s.CheckIns(ctx, 1); err != nil || len(cis) != 8 {
			t.Errorf("check-ins after the upgrade: %d, %v", len(cis), err)
		}
	})
}
