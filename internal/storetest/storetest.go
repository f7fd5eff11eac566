// Package storetest opens real stores for tests: SQLite in a temporary directory and
// PostgreSQL through pgtest, migrated and ready.
package storetest

import (
	"context"
	"testing"
	"time"

	"cohortbot/internal/pgtest"
	"cohortbot/internal/store"
)

// Dialects are the databases every store-backed suite runs against.
var Dialects = []store.Dialect{store.SQLite, store.Postgres}

// MustOpen opens and migrates a fresh store of the given dialect, closed when t ends.
func MustOpen(t testing.TB, d store.Dialect, now func() time.Time) *store.Store {
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
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", d, err)
	}
	return s
}

// ForEach runs f as a subtest per dialect, in parallel.
func ForEach(t *testing.T, f func(t *testing.T, d store.Dialect)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			f(t, d)
		})
	}
}
