package store

import (
	"context"
	"testing"
	"time"

	"cohortbot/internal/pgtest"
)

// TestTransactionsNeverWaitOnAStatementBeingPrepared: with GORM's prepared-statement cache
// (PrepareStmt), a statement run outside a transaction puts its cache entry in place and
// then waits for a connection to prepare it on. A transaction that runs the same statement
// waits for that entry (and, through the cache's lock held by such a waiter, so does any
// new statement); when every connection is in such a transaction, nothing moves until a
// context runs out (go-gorm/gorm#7465, #7350). On SQLite's single connection that stalled
// check-ins and deliveries for 10 s. Here one transaction holds the pool's only connection
// while a statement outside waits for it: the transaction must still run that statement
// and commit.
func TestTransactionsNeverWaitOnAStatementBeingPrepared(t *testing.T) {
	t.Parallel()
	for _, d := range []Dialect{SQLite, Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := Config{DataDir: t.TempDir()}
			if d == Postgres {
				cfg.DatabaseURL = pgtest.URL(t)
			}
			s, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			s.sqlDB.SetMaxOpenConns(1) // as on SQLite; on PostgreSQL, every connection busy

			tx := s.db.WithContext(ctx).Begin()
			if tx.Error != nil {
				t.Fatal(tx.Error)
			}
			defer tx.Rollback()
			waits := s.sqlDB.Stats().WaitCount
			outside := make(chan error, 1)
			go func() {
				octx, cancel := context.WithTimeout(ctx, 20*time.Second)
				defer cancel()
				outside <- s.db.WithContext(octx).Exec("SELECT 1 AS outside").Error
			}()
			for s.sqlDB.Stats().WaitCount == waits {
				select {
				case err := <-outside:
					t.Fatalf("the statement outside ran while the transaction held the only connection: %v", err)
				default:
					time.Sleep(time.Millisecond) // until the outside statement waits for the pool
				}
			}
			inside := make(chan error, 1)
			// The same statement: its cache entry is the one being prepared outside.
			go func() { inside <- tx.Exec("SELECT 1 AS outside").Error }()
			select {
			case err := <-inside:
				if err != nil {
					t.Fatalf("statement in the transaction: %v", err)
				}
			case err := <-outside:
				t.Fatalf("the transaction's statement waited until the one outside gave up (%v)", err)
			}
			if err := tx.Commit().Error; err != nil {
				t.Fatalf("commit: %v", err)
			}
			if err := <-outside; err != nil {
				t.Errorf("the statement outside, after the commit: %v", err)
			}
		})
	}
}
