// Package studytest builds the core for tests, wired as `cohortbot run` wires it.
package studytest

import (
	"testing"
	"time"

	"cohortbot/internal/schedule"
	"cohortbot/internal/study"
)

// MustService builds a Service over st with the real cron parser; the first track is the
// default.
func MustService(t testing.TB, st study.Store, now func() time.Time, tracks ...*study.Track) *study.Service {
	t.Helper()
	svc, err := study.New(study.Config{Store: st, Tracks: tracks, Now: now, Cron: schedule.Cron})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// MustScheduler builds a scheduler over st for svc's core, delivering through poster.
// tweak, when not nil, adjusts the configuration first.
func MustScheduler(t testing.TB, st schedule.Outbox, svc *study.Service, poster study.Poster, now func() time.Time, tweak func(*schedule.Config)) *schedule.Scheduler {
	t.Helper()
	cfg := schedule.Config{Outbox: st, Core: svc, Poster: poster, Now: now}
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := schedule.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
