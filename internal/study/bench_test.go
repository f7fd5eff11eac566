package study_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm/logger"

	"cohortbot/internal/clocktest"
	"cohortbot/internal/curriculum"
	"cohortbot/internal/loadseed"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

// benchCohort is a PostgreSQL cohort with members members, history days of on-time
// check-ins for each, and the clock on day 90 of the shipped track.
func benchCohort(b testing.TB, members, history int) (*study.Service, *store.Store, *clocktest.Clock) {
	b.Helper()
	src, err := curriculum.LoadDefault()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	clk := clocktest.New(start.AddDate(0, 0, 89).Add(30 * time.Minute)) // day 90, 09:30
	st := storetest.MustOpen(b, store.Postgres, clk.Now)
	svc := studytest.MustService(b, st, clk.Now, src.Track)
	ctx := context.Background()
	if _, err := svc.Handle(ctx, study.Request{Channel: room, User: ada, Admin: true, Command: "cohort", Sub: "setup",
		Text: "start:2027-01-04 time:09:00 tz:UTC name:Bench"}); err != nil {
		b.Fatal(err)
	}
	if err := loadseed.Seed(ctx, st.DB(), loadseed.Spec{CohortID: 1, Platform: "console", Workspace: "w", UserPrefix: "u",
		Members: members, History: history, First: start}); err != nil {
		b.Fatal(err)
	}
	return svc, st, clk
}

// BenchmarkCheckIn is one /done through the core on PostgreSQL, in a cohort of 10,000
// members that is fresh and in one with 60 days of history (600,000 check-ins): the cost
// must not grow with the history.
func BenchmarkCheckIn(b *testing.B) {
	for _, history := range []int{0, 60} {
		b.Run(fmt.Sprintf("members=10000/history=%dd", history), func(b *testing.B) {
			const members = 10000
			svc, _, _ := benchCohort(b, members, history)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Each member checks in for a day of their own: today, then the days before.
				day := 90 - i/members
				n := i%members + 1
				u := study.UserRef{Platform: "console", Workspace: "w", ID: loadseed.UserID("u", n), Name: loadseed.Name(n)}
				if _, err := svc.Handle(ctx, study.Request{Channel: room, User: u, Command: "done", Text: fmt.Sprint(day)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLeaderboardAndProgress are /leaderboard (the top 10 and the asker's rank) and
// /progress for a member near the bottom, in a cohort of 100,000 members.
func BenchmarkLeaderboardAndProgress(b *testing.B) {
	svc, st, _ := benchCohort(b, 100000, 0)
	ctx := context.Background()
	// Spread the members over the standings, as a real cohort is.
	if err := st.DB().Exec(`UPDATE members SET completed = id % 90 + 1, streak = id % 13, reached_at = now() - (id % 1000) * interval '1 minute' WHERE cohort_id = 1`).Error; err != nil {
		b.Fatal(err)
	}
	if err := st.DB().Exec(`DELETE FROM standings WHERE cohort_id = 1`).Error; err != nil {
		b.Fatal(err)
	}
	if err := st.DB().Exec(`INSERT INTO standings (cohort_id, completed, streak, shard, members)
		SELECT cohort_id, completed, streak, id % 16, count(*) FROM members WHERE cohort_id = 1 GROUP BY 1, 2, 3, 4`).Error; err != nil {
		b.Fatal(err)
	}
	st.DB().Exec(`VACUUM ANALYZE`)
	asker := study.UserRef{Platform: "console", Workspace: "w", ID: "u90", Name: "Member 90"} // completed 1: near the bottom
	trace := &sqlTrace{Interface: st.DB().Logger}
	st.DB().Logger = trace
	for _, cmd := range []string{"leaderboard", "progress"} {
		b.Run(cmd, func(b *testing.B) {
			trace.reset()
			for i := 0; i < b.N; i++ {
				r, err := svc.Handle(ctx, study.Request{Channel: room, User: asker, Command: cmd})
				if err != nil || len(r.Messages) == 0 {
					b.Fatalf("%s: %v", cmd, err)
				}
			}
			b.ReportMetric(float64(trace.total().Microseconds())/1000/float64(b.N), "db-ms/op")
			b.ReportMetric(float64(trace.count())/float64(b.N), "statements/op")
			if os.Getenv("EXPLAIN") != "" {
				// The plans of one more request's statements, for docs/performance.md.
				trace.reset()
				if _, err := svc.Handle(ctx, study.Request{Channel: room, User: asker, Command: cmd}); err != nil {
					b.Fatal(err)
				}
				for _, q := range trace.statements() {
					var plan []string
					if err := st.DB().Raw("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + q).Scan(&plan).Error; err != nil {
						b.Fatalf("explain %s: %v", q, err)
					}
					b.Logf("%s\n%s", q, strings.Join(plan, "\n"))
				}
			}
		})
	}
}

// sqlTrace adds up the time of the statements that go through GORM (the database time
// a request costs, round trips included) and keeps the first statements since reset.
type sqlTrace struct {
	logger.Interface
	mu      sync.Mutex
	elapsed time.Duration
	n       int
	recent  []string
}

func (t *sqlTrace) Trace(_ context.Context, begin time.Time, fc func() (string, int64), _ error) {
	q, _ := fc()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.elapsed += time.Since(begin)
	t.n++
	if len(t.recent) < 20 {
		t.recent = append(t.recent, q)
	}
}

func (t *sqlTrace) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.elapsed, t.n, t.recent = 0, 0, nil
}

func (t *sqlTrace) total() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.elapsed
}

func (t *sqlTrace) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

func (t *sqlTrace) statements() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.recent...)
}
