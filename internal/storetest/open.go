package storetest

import (
	"context"
	"testing"
	"time"

	"cohortbot/internal/pgtest"
	"cohortbot/internal/store"
)

// MustOpenAt opens a fresh store migrated only up to version: the schema an earlier
// release left, for tests of upgrades.
func MustOpenAt(t testing.TB, d store.Dialect, now func() time.Time, version int64) *store.Store {
	t.Helper()
	cfg := store.Config{Now: now}
	if d == store.Postgres {
		cfg.DatabaseURL = pgtest.URL(t)
	} else {
		cfg.DataDir = t.TempDir()
	}
	ctx := context.Background()
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s store: %v", d, err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.MigrateTo(ctx, version); err != nil {
		t.Fatalf("migrate %s to %d: %v", d, version, err)
	}
	return s
}
