// Package store keeps cohorts, members and check-ins in PostgreSQL (or, with no
// DATABASE_URL, an embedded SQLite file) through GORM. It implements study.Store; its row
// types and GORM tags stay here and are converted at the boundary.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"cohortbot/internal/study"
	"cohortbot/migrations"
)

// Dialect names the database behind a Store.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Config says where the data lives.
type Config struct {
	// DatabaseURL selects PostgreSQL; empty means SQLite under DataDir.
	DatabaseURL string
	DataDir     string
	Now         func() time.Time
	Log         *slog.Logger
}

// Store implements study.Store.
type Store struct {
	url     string
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect Dialect
	now     func() time.Time
	log     *slog.Logger
	lock    *os.File // SQLite: held while open, so that one process uses the file
	cohorts cohortCache

	// PostgreSQL check-ins wait here for a committer (checkin_group.go).
	pending    chan *pendingCheckIn
	quit       chan struct{}
	stopOnce   sync.Once
	committers sync.WaitGroup
}

// InUseError refuses a second process on one SQLite file: SQLite mode runs one bot
// process only (several replicas need PostgreSQL).
type InUseError struct {
	Path string // the lock file beside the database
	PID  int    // the holder's process id, 0 when unknown
}

func (e *InUseError) Error() string {
	who := "another cohortbot process"
	if e.PID > 0 {
		who = fmt.Sprintf("another cohortbot process (pid %d)", e.PID)
	}
	return fmt.Sprintf("the SQLite database in %s is in use by %s: SQLite mode runs one process only. "+
		"Stop the other process first, or set DATABASE_URL to share a PostgreSQL database between several processes",
		filepath.Dir(e.Path), who)
}

var _ study.Store = (*Store)(nil)

// maxConns bounds the PostgreSQL connections of one process.
const maxConns = 20

// Open connects to the database; call Migrate before use.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	gcfg := &gorm.Config{
		SkipDefaultTransaction: true,
		// No PrepareStmt: GORM's statement cache makes a transaction wait for a statement
		// that another caller is preparing, and that caller waits for a connection the
		// transaction holds (go-gorm/gorm#7465) — on SQLite's one connection a stall of
		// every check-in and delivery until a context ran out. pgx already keeps each
		// connection's prepared statements, and SQLite prepares in microseconds.
		TranslateError: true, // duplicate keys become gorm.ErrDuplicatedKey, matched with errors.Is
		NowFunc:        func() time.Time { return cfg.Now().UTC() },
		Logger:         logger.Discard,
	}
	s := &Store{now: cfg.Now, log: cfg.Log, url: cfg.DatabaseURL}
	var dial gorm.Dialector
	if cfg.DatabaseURL != "" {
		s.dialect = Postgres
		dial = postgres.Open(cfg.DatabaseURL)
	} else {
		s.dialect = SQLite
		dir := cfg.DataDir
		if dir == "" {
			dir = "data"
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open store: data dir %s: %w", dir, err)
		}
		path := filepath.Join(dir, "cohortbot.db")
		lf, err := lockFile(path + ".lock")
		if err != nil {
			return nil, fmt.Errorf("open sqlite store: %w", err)
		}
		s.lock = lf
		dial = sqlite.Open("file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	}
	db, err := gorm.Open(dial, gcfg)
	if err != nil {
		s.unlock()
		return nil, fmt.Errorf("open %s store: %w", s.dialect, redact(err, cfg.DatabaseURL))
	}
	if s.sqlDB, err = db.DB(); err != nil {
		s.unlock()
		return nil, fmt.Errorf("open %s store: %w", s.dialect, err)
	}
	if s.dialect == SQLite {
		// One writer at a time is SQLite's model; a single connection also keeps the
		// pragmas above in force for every statement.
		s.sqlDB.SetMaxOpenConns(1)
	} else {
		// Keep every connection the pool opens: database/sql keeps only 2 idle by
		// default, and a busy bot then opens and closes connections all the time, each
		// a new server process that has to plan its statements afresh.
		s.sqlDB.SetMaxOpenConns(maxConns)
		s.sqlDB.SetMaxIdleConns(maxConns)
		s.sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := s.sqlDB.PingContext(ctx); err != nil {
		s.sqlDB.Close()
		s.unlock()
		return nil, fmt.Errorf("open %s store: %w", s.dialect, redact(err, cfg.DatabaseURL))
	}
	s.db = db
	if s.dialect == Postgres {
		s.warm(ctx)
		s.startCommitters()
	}
	return s, nil
}

// warm opens the pool's connections up front, so that the first burst of work (a
// fan-out at a due minute, a wave of commands) does not wait for new server processes.
// A failure here is not an error: the pool opens connections as it needs them anyway.
func (s *Store) warm(ctx context.Context) {
	conns := make([]*sql.Conn, 0, maxConns)
	for range maxConns {
		c, err := s.sqlDB.Conn(ctx)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
}

// redact keeps a connection string (and its password) out of error messages.
func redact(err error, url string) error {
	if url == "" || err == nil {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), url, "[DATABASE_URL]"))
}

// URL is the PostgreSQL URL this store was opened with ("" for SQLite); tests use it to
// open a second process's connections.
func (s *Store) URL() string { return s.url }

// Dialect reports which database this is.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close releases the connections, and then the SQLite lock.
func (s *Store) Close() error {
	s.stopCommitters()
	err := s.sqlDB.Close()
	s.unlock()
	return err
}

func (s *Store) unlock() {
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.sqlDB.PingContext(ctx) }

// DB exposes the GORM handle to sibling packages' tests and benchmarks.
func (s *Store) DB() *gorm.DB { return s.db }

func (s *Store) migrator() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, string(s.dialect))
	if err != nil {
		return nil, err
	}
	if s.dialect == SQLite {
		return goose.NewProvider(goose.DialectSQLite3, s.sqlDB, sub)
	}
	// Several processes may start at once (replicas, the migration job): a session advisory
	// lock lets one migrate while the others wait, then find nothing left to do.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, s.sqlDB, sub, goose.WithSessionLocker(locker))
}

// Migrate applies every pending migration, each file in its own transaction.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.dialect, err)
	}
	for _, r := range res {
		s.log.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "took", r.Duration)
	}
	return nil
}

// MigrateTo applies the migrations up to version and no further (tests of upgrades start
// from the schema an earlier release made).
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.migrator()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate %s to %d: %w", s.dialect, version, err)
	}
	return nil
}

// MigrateDown rolls back the latest migration.
func (s *Store) MigrateDown(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrate down %s: %w", s.dialect, err)
	}
	return nil
}

// MigrationStatus lists each migration and whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]string, error) {
	p, err := s.migrator()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]string, len(st))
	for i, m := range st {
		out[i] = fmt.Sprintf("%-8s %s", m.State, filepath.Base(m.Source.Path))
	}
	return out, nil
}

// Pending reports whether migrations remain to be applied (readiness).
func (s *Store) Pending(ctx context.Context) (bool, error) {
	p, err := s.migrator()
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}

// wrap maps driver errors to the core's codes: the operator text (what the store was
// doing) goes in the error's Op, never in the line a member may be shown. Anything else
// keeps its context.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return study.OpError(study.ENOTFOUND, op)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return study.OpError(study.ECONFLICT, op)
	}
	return fmt.Errorf("%s: %w", op, err)
}
