package schedule_test

import (
	"context"
	"testing"
	"time"

	"cohortbot/internal/store"
	"cohortbot/internal/study"
)

// seedCohorts inserts n daily 09:00 UTC cohorts starting on start, one channel each, with
// set-based SQL (the store's one-by-one API would dominate the set-up).
func seedCohorts(b *testing.B, e *env, n int, start string) {
	b.Helper()
	db := e.store.DB()
	now := e.clock.Now()
	err := db.Exec(`INSERT INTO cohorts (name, track, start_date, timezone, post_time, cadence, created_at, updated_at)
		SELECT 'bench ' || g, 'nodejs-backend', ?, 'UTC', '09:00', 'daily', ?, ? FROM generate_series(1, ?) AS g`, start, now, now, n).Error
	if err != nil {
		b.Fatal(err)
	}
	err = db.Exec(`INSERT INTO cohort_channels (cohort_id, platform, workspace_id, channel_id, created_at)
		SELECT id, 'fake', 'w', 'c' || id, ? FROM cohorts`, now).Error
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTick10kCohorts measures one tick at which all 10,000 cohorts are due: the
// bounded due query, planning, and claiming each day's card in the outbox.
func BenchmarkTick10kCohorts(b *testing.B) {
	e := newEnv(b, store.Postgres, at(b, "2027-01-03T12:00:00Z"))
	seedCohorts(b, e, 10000, "2027-01-04")
	ctx := context.Background()
	day := at(b, "2027-01-04T09:00:00Z")
	e.clock.Set(day.Add(-time.Hour))
	if err := e.sched.Tick(ctx); err != nil { // first plan: every cohort's next_due_at
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.clock.Set(day.Add(time.Duration(i) * 24 * time.Hour))
		if err := e.sched.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var rows int64
	e.store.DB().Raw("SELECT count(*) FROM posts").Scan(&rows)
	if want := int64(b.N) * 10000; rows < want {
		b.Fatalf("%d outbox rows after %d ticks, want at least %d", rows, b.N, want)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/tick")
}

// BenchmarkIdleTick100kCohorts measures a tick at which none of 100,000 cohorts is due
// (each planned through yesterday, next due tomorrow): the due query reads the
// cohorts_next_due index and finds nothing. The idle wake's other reads are measured
// with it: the next due instant and a claim that finds nothing ready.
func BenchmarkIdleTick100kCohorts(b *testing.B) {
	e := newEnv(b, store.Postgres, at(b, "2027-01-03T12:00:00Z"))
	seedCohorts(b, e, 100000, "2027-01-04")
	now := at(b, "2027-01-04T12:00:00Z")
	err := e.store.DB().Exec(`UPDATE cohorts SET scheduled_through = ?, next_due_at = ?`, now.Add(-time.Hour), now.Add(21*time.Hour)).Error
	if err != nil {
		b.Fatal(err)
	}
	e.store.DB().Exec("ANALYZE")
	e.clock.Set(now)
	ctx := context.Background()
	b.Run("tick", func(b *testing.B) {
		for b.Loop() {
			if err := e.sched.Tick(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/tick")
	})
	b.Run("next-due", func(b *testing.B) {
		for b.Loop() {
			next, err := e.store.NextDue(ctx, now)
			if err != nil || !next.Equal(now.Add(21*time.Hour)) {
				b.Fatalf("next due %s, %v", next, err)
			}
		}
	})
	b.Run("claim", func(b *testing.B) {
		for b.Loop() {
			if ps, err := e.store.ClaimPosts(ctx, now, time.Minute, 64); err != nil || len(ps) != 0 {
				b.Fatalf("claimed %d, %v", len(ps), err)
			}
		}
	})
}

// BenchmarkDeliver measures claim + render + send + record to a poster with no latency.
func BenchmarkDeliver(b *testing.B) {
	e := newEnv(b, store.Postgres, at(b, "2027-01-03T12:00:00Z"))
	seedCohorts(b, e, 2000, "2027-01-04")
	ctx := context.Background()
	e.clock.Set(at(b, "2027-01-04T08:00:00Z"))
	if err := e.sched.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	sent := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e.clock.Set(at(b, "2027-01-04T09:00:00Z").Add(time.Duration(i) * 24 * time.Hour))
		if err := e.sched.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		n, err := e.sched.Deliver(ctx)
		if err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	b.StopTimer()
	if len(e.plat.sent()) != sent || sent < 2000*b.N {
		b.Fatalf("sent %d, platform saw %d", sent, len(e.plat.sent()))
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "posts/s")
	_ = study.KindDay
}
