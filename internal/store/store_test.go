package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cohortbot/internal/pgtest"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	ch = study.ChannelRef{Platform: "discord", Workspace: "g1", Channel: "c1"}
)

func fixedNow() time.Time { return t0 }

func mustDate(t *testing.T, s string) study.Date {
	t.Helper()
	d, err := study.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newCohort(t *testing.T) *study.Cohort {
	return &study.Cohort{
		Name: "Spring", Track: "nodejs-backend", Start: mustDate(t, "2026-03-02"), TZ: "Europe/Berlin",
		PostAt: study.TimeOfDay{Hour: 9}, Cadence: study.Weekdays, CreatedAt: t0,
		Pauses: []study.DateRange{{From: mustDate(t, "2026-04-06"), Until: mustDate(t, "2026-04-10")}, {From: mustDate(t, "2026-06-01")}},
		Skips:  []study.Date{mustDate(t, "2026-05-01")},
	}
}

// mustCreateCohort creates newCohort bound to ch.
func mustCreateCohort(t *testing.T, s *store.Store) *study.Cohort {
	t.Helper()
	c := newCohort(t)
	if err := s.CreateCohort(context.Background(), c, ch); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCohortRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := storetest.MustOpen(t, d, fixedNow)
		c := mustCreateCohort(t, s)
		got, err := s.CohortByChannel(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != c.ID || got.Name != c.Name || got.Start != c.Start || got.TZ != c.TZ || got.PostAt != c.PostAt || got.Cadence != c.Cadence {
			t.Errorf("round trip: got %+v, want %+v", got, c)
		}
		if len(got.Pauses) != 2 || got.Pauses[1].Until != (study.Date{}) || got.Pauses[0] != c.Pauses[0] || len(got.Skips) != 1 || got.Skips[0] != c.Skips[0] {
			t.Errorf("exceptions: got %+v / %+v", got.Pauses, got.Skips)
		}

		got.Name, got.Pauses, got.Skips = "Renamed", nil, []study.Date{mustDate(t, "2026-05-04")}
		if err := s.UpdateCohort(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, _ := s.Cohort(ctx, c.ID)
		if again.Name != "Renamed" || len(again.Pauses) != 0 || len(again.Skips) != 1 || again.Skips[0] != mustDate(t, "2026-05-04") {
			t.Errorf("after update: %+v", again)
		}
		all, err := s.Cohorts(ctx)
		if err != nil || len(all) != 1 {
			t.Errorf("Cohorts: %v, %v", all, err)
		}
	})
}

func TestCodedErrors(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := storetest.MustOpen(t, d, fixedNow)
		if _, err := s.CohortByChannel(ctx, ch); study.ErrorCode(err) != study.ENOTFOUND {
			t.Errorf("missing channel: code %q (%v), want not_found", study.ErrorCode(err), err)
		}
		if err := s.CreateCohort(ctx, newCohort(t), ch); err != nil {
			t.Fatal(err)
		}
		err := s.CreateCohort(ctx, newCohort(t), ch)
		if study.ErrorCode(err) != study.ECONFLICT {
			t.Errorf("second cohort on one channel: code %q (%v), want conflict", study.ErrorCode(err), err)
		}
		if all, _ := s.Cohorts(ctx); len(all) != 1 {
			t.Errorf("the refused cohort left a row: %d cohorts", len(all))
		}
		if err := s.UpdateCohort(ctx, &study.Cohort{ID: 999, Start: mustDate(t, "2026-01-01"), Cadence: study.Daily}); study.ErrorCode(err) != study.ENOTFOUND {
			t.Errorf("update missing cohort: %v", err)
		}
	})
}

func TestMembersAndCheckIns(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := storetest.MustOpen(t, d, fixedNow)
		c := mustCreateCohort(t, s)
		u := study.UserRef{Platform: "discord", Workspace: "g1", ID: "u1", Name: "Ada"}
		m1, err := s.EnsureMember(ctx, c.ID, u, t0)
		if err != nil {
			t.Fatal(err)
		}
		u.Name = "Ada L."
		m2, err := s.EnsureMember(ctx, c.ID, u, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if m1.ID != m2.ID || m2.User.Name != "Ada L." {
			t.Errorf("EnsureMember twice: %+v then %+v", m1, m2)
		}
		w := study.CheckInWrite{CohortID: c.ID, User: u, Day: 1, Source: study.SourceButton, At: t0, OnTime: true, Length: 93, Request: "req-1"}
		m, added, err := s.CheckIn(ctx, w)
		if err != nil || !added || m.ID != m1.ID || m.Progress.Completed != 1 || m.Progress.Streak != 1 || m.Progress.Mark(1) != study.MarkOnTime {
			t.Fatalf("check-in: %+v added=%v err=%v", m.Progress, added, err)
		}
		dup := w
		dup.Source, dup.At, dup.Request = study.SourceReply, t0.Add(time.Minute), "req-2"
		if m, added, err := s.CheckIn(ctx, dup); err != nil || added || m.Progress.Completed != 1 {
			t.Errorf("second check-in for a day: added=%v completed=%d err=%v, want nothing new", added, m.Progress.Completed, err)
		}
		// The same write again — a retry after its answer was lost — is the same check-in:
		// answered as added, counted once.
		if m, added, err := s.CheckIn(ctx, w); err != nil || !added || m.Progress.Completed != 1 || m.Progress.Streak != 1 {
			t.Errorf("the same check-in retried: added=%v progress=%+v err=%v, want added and counted once", added, m.Progress, err)
		}
		got, err := s.CheckIns(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Source != study.SourceButton || !got[0].At.Equal(t0) || !got[0].OnTime {
			t.Errorf("check-ins: %+v", got)
		}
		members, _ := s.Members(ctx, c.ID)
		if len(members) != 1 {
			t.Errorf("members: %+v", members)
		}
	})
}

func TestMigrateDownAndUp(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := storetest.MustOpen(t, d, fixedNow)
		if pending, err := s.Pending(ctx); err != nil || pending {
			t.Fatalf("after Migrate: pending=%v err=%v", pending, err)
		}
		if err := s.MigrateDown(ctx); err != nil {
			t.Fatal(err)
		}
		if pending, _ := s.Pending(ctx); !pending {
			t.Error("after a down migration nothing is pending")
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateCohort(ctx, newCohort(t), ch); err != nil {
			t.Fatalf("schema after down+up: %v", err)
		}
	})
}

// TestKeptProgressMatchesTheRules replays every streak history through the store — its
// check-ins and its day closes, on each database — and checks the kept record against
// the core's rules (study.ApplyCheckIn, study.ApplyClose) and the scenario's outcome.
func TestKeptProgressMatchesTheRules(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := storetest.MustOpen(t, d, fixedNow)
		for i, sc := range studytest.StreakScenarios() {
			c := newCohort(t)
			chn := study.ChannelRef{Platform: "discord", Workspace: "g1", Channel: fmt.Sprintf("streaks-%d", i)}
			if err := s.CreateCohort(ctx, c, chn); err != nil {
				t.Fatal(err)
			}
			u := study.UserRef{Platform: "discord", Workspace: "g1", ID: "u1", Name: "Ada"}
			m, err := s.EnsureMember(ctx, c.ID, u, t0)
			if err != nil {
				t.Fatal(err)
			}
			n := len(sc.Days)
			var model study.Progress
			at := t0
			for k := 0; k < n; k++ {
				day := k + 1
				at = at.Add(24 * time.Hour)
				posted := at.Add(-time.Hour)
				if sc.Days[k] == 'T' {
					if _, _, err := s.CheckIn(ctx, study.CheckInWrite{CohortID: c.ID, User: u, Day: day, Source: study.SourceCommand, At: at, OnTime: true, Length: n}); err != nil {
						t.Fatal(err)
					}
					model = study.ApplyCheckIn(model, day, true, at, n)
				}
				if day > n-sc.Open {
					continue
				}
				away := sc.Days[k] == 'A'
				if away {
					m.Away = study.Away{From: posted.Add(-time.Minute), Until: posted.Add(time.Minute), LastDay: study.DateOf(posted, time.UTC)}
				} else {
					m.Away = study.Away{}
				}
				if err := s.SaveMemberSettings(ctx, m); err != nil {
					t.Fatal(err)
				}
				if ok, err := s.CloseDay(ctx, study.CloseDay{CohortID: c.ID, Day: day, PostedAt: posted, MaxFreezes: sc.MaxFreezes, Length: n}); err != nil || !ok {
					t.Fatalf("close day %d: %v %v", day, ok, err)
				}
				model = study.ApplyClose(model, day, away, sc.MaxFreezes, n)
				if sc.Days[k] == 'L' {
					late := at.Add(25 * time.Hour)
					if _, _, err := s.CheckIn(ctx, study.CheckInWrite{CohortID: c.ID, User: u, Day: day, Source: study.SourceCommand, At: late, OnTime: false, Length: n}); err != nil {
						t.Fatal(err)
					}
					model = study.ApplyCheckIn(model, day, false, late, n)
				}
			}
			got, err := s.MemberByUser(ctx, c.ID, u)
			if err != nil {
				t.Fatal(err)
			}
			p := got.Progress
			if p.Completed != sc.Completed || p.Streak != sc.Streak || p.Best != sc.Best || p.Freezes != sc.Freezes || !slices.Equal(p.FrozenDays, sc.Frozen) {
				t.Errorf("%s: stored completed/streak/best/freezes = %d/%d/%d/%d covered %v, want %d/%d/%d/%d covered %v",
					sc.Name, p.Completed, p.Streak, p.Best, p.Freezes, p.FrozenDays, sc.Completed, sc.Streak, sc.Best, sc.Freezes, sc.Frozen)
			}
			if strings.TrimRight(p.Days, ".") != strings.TrimRight(model.Days, ".") || p.ClosedStreak != model.ClosedStreak || p.OnTimeRun != model.OnTimeRun || p.ClosedThrough != model.ClosedThrough {
				t.Errorf("%s: stored %+v, the rules give %+v", sc.Name, p, model)
			}
			// The standings count the member where their record stands.
			if rank, of, err := s.Rank(ctx, c.ID, p); err != nil || (p.Completed > 0 && (rank != 1 || of != 1)) {
				t.Errorf("%s: rank %d of %d, %v", sc.Name, rank, of, err)
			}
		}
	})
}

// TestCheckInIsOneTransaction: when any statement of a check-in fails (here the day
// breaks a constraint), nothing of it stays — not even the new member, whom the same
// round trip added first.
func TestCheckInIsOneTransaction(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := storetest.MustOpen(t, d, fixedNow)
		c := mustCreateCohort(t, s)
		u := study.UserRef{Platform: "discord", Workspace: "g1", ID: "newcomer", Name: "Nia"}
		if _, _, err := s.CheckIn(ctx, study.CheckInWrite{CohortID: c.ID, User: u, Day: 0, Source: study.SourceCommand, At: t0, OnTime: true, Length: 93}); err == nil {
			t.Fatal("a check-in for day 0 succeeded")
		}
		if _, err := s.MemberByUser(ctx, c.ID, u); study.ErrorCode(err) != study.ENOTFOUND {
			t.Errorf("the failed check-in left its member behind: %v", err)
		}
		if _, of, err := s.Rank(ctx, c.ID, study.Progress{}); err != nil || of != 0 {
			t.Errorf("standings after the failed check-in: %d members, %v", of, err)
		}
	})
}

// TestPlanningDoesNotHoldUpCheckIns: a tick holds its due cohorts locked while it plans
// them. A new member's first check-in writes a row that names the cohort, and must not
// wait for the tick to end (a tick of thousands of cohorts takes a third of a second).
func TestPlanningDoesNotHoldUpCheckIns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.MustOpen(t, store.Postgres, fixedNow)
	c := mustCreateCohort(t, s)
	planning, release := make(chan struct{}), make(chan struct{})
	planned := make(chan error, 1)
	go func() {
		_, err := s.PlanDue(ctx, t0, 10, func(due study.DueCohort) (study.Plan, error) {
			close(planning)
			<-release
			return study.Plan{NextDue: t0.Add(time.Hour)}, nil
		})
		planned <- err
	}()
	<-planning
	checkedIn := make(chan error, 1)
	go func() {
		u := study.UserRef{Platform: "discord", Workspace: "g1", ID: "new", Name: "Newcomer"}
		_, _, err := s.CheckIn(ctx, study.CheckInWrite{CohortID: c.ID, User: u, Day: 1, Source: study.SourceCommand, At: t0, OnTime: true, Length: 93})
		checkedIn <- err
	}()
	select {
	case err := <-checkedIn:
		if err != nil {
			t.Errorf("check-in during planning: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("a new member's check-in still waits for the planning transaction after 10s")
	}
	close(release)
	if err := <-planned; err != nil {
		t.Fatalf("plan: %v", err)
	}
}
