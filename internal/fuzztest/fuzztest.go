// Package fuzztest is the harness of the fuzz targets that feed strangers' input through
// the core: a real SQLite store in a known state (two cohorts with members, check-ins,
// settings, posted days with threads), a fixed clock, and the checks every input must pass.
//
// Every input starts from the same baseline. A refusal must leave the store exactly as it
// was (Settle compares a digest of every table); an input that changed it is undone before
// the next one by restoring the baseline's database file, so a failing input reproduces on
// its own.
package fuzztest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"cohortbot/internal/clocktest"
	"cohortbot/internal/curriculum"
	"cohortbot/internal/schedule"
	"cohortbot/internal/store"
	"cohortbot/internal/study"
)

// The baseline's calendar: the running cohort starts on Monday 4 January 2027 at 09:00
// Berlin time on weekdays, and the world stands on Tuesday 12 January at 11:00 Berlin, day
// 7; the upcoming cohort starts on Monday 1 February (daily, UTC).
var (
	Start = time.Date(2027, 1, 4, 7, 0, 0, 0, time.UTC)
	Now   = time.Date(2027, 1, 12, 10, 0, 0, 0, time.UTC)
)

// Day is the running cohort's study day at Now.
const Day = 7

// Config names the platform's side of the baseline: whose channels and people they are.
type Config struct {
	// Channel runs the cohort that is on day 7; Soon runs one that has not started; Free
	// has none.
	Channel, Soon, Free study.ChannelRef
	// Admin is a platform admin; Organizer is on Channel's organizer list; Member is a
	// plain member. They set up, organize and check in during the baseline.
	Admin, Organizer, Member study.UserRef
	// Roles of Organizer (the organizer role of Channel is the first, when set).
	Roles []string
}

// World is the core over the baseline store.
type World struct {
	cfg        Config
	dir        string
	base       []byte
	baseTables map[string]string
	clock      *clocktest.Clock
	track      *study.Track
	st         *store.Store
	svc        *study.Service
	// writes is SQLite's count of rows the store's one connection has changed, when the
	// input began: while it stays the same, nothing was written.
	writes int64

	// Threads are the thread ids of Channel's posted days, by day.
	Threads map[int]string
	// LinkCode links another channel to Channel's cohort.
	LinkCode string
	// StopReminders is the id of Member's Stop reminders button.
	StopReminders string
}

var (
	trackOnce sync.Once
	track     *study.Track
	trackErr  error
)

// Track is the shipped track, loaded once per process.
func Track(tb testing.TB) *study.Track {
	tb.Helper()
	trackOnce.Do(func() {
		src, err := curriculum.LoadDefault()
		if err != nil {
			trackErr = err
			return
		}
		track = src.Track
	})
	if trackErr != nil {
		tb.Fatal(trackErr)
	}
	return track
}

// New builds the baseline in tb's temporary directory. It takes a second or so; a fuzz
// target calls it once, before f.Fuzz.
func New(tb testing.TB, cfg Config) *World {
	tb.Helper()
	w := &World{cfg: cfg, dir: tb.TempDir(), clock: clocktest.New(Start), track: Track(tb), Threads: map[int]string{}}
	ctx := context.Background()
	w.open(tb)
	if err := w.st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	w.baseline(tb)
	// The baseline's file: checkpointed and closed, then reopened for the inputs.
	if _, err := w.sqlDB(tb).Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		tb.Fatal(err)
	}
	w.st.Close()
	var err error
	if w.base, err = os.ReadFile(w.path()); err != nil {
		tb.Fatal(err)
	}
	w.open(tb)
	w.baseTables = w.tables(tb)
	tb.Cleanup(func() { w.st.Close() })
	return w
}

// totalChanges is SQLite's total_changes() on the store's connection (it has one).
func (w *World) totalChanges(tb testing.TB) int64 {
	tb.Helper()
	var n int64
	if err := w.sqlDB(tb).QueryRow("SELECT total_changes()").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func (w *World) path() string { return filepath.Join(w.dir, "cohortbot.db") }

func (w *World) open(tb testing.TB) {
	tb.Helper()
	st, err := store.Open(context.Background(), store.Config{DataDir: w.dir, Now: w.clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := study.New(study.Config{Store: st, Tracks: []*study.Track{w.track}, Now: w.clock.Now, Cron: schedule.Cron})
	if err != nil {
		tb.Fatal(err)
	}
	w.st, w.svc = st, svc
	w.writes = w.totalChanges(tb)
}

func (w *World) sqlDB(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := w.st.DB().DB()
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// Service is the core as it stands (a new one after every reset).
func (w *World) Service() *study.Service { return w.svc }

// Store is the store as it stands.
func (w *World) Store() *store.Store { return w.st }

// Config is the world's platform side.
func (w *World) Config() Config { return w.cfg }

// Settle ends one input: when the store's data changed, it fails t if the input was
// refused, and restores the baseline either way; changed reports whether the data changed.
// Adapters reach the core through Service, which is a new one after a restore.
func (w *World) Settle(t testing.TB, refused error) (changed bool) {
	t.Helper()
	if w.totalChanges(t) == w.writes {
		return false // nothing written: the cheap answer for most inputs
	}
	now := w.tables(t)
	var diff []string
	for name, rows := range now {
		if w.baseTables[name] != rows {
			diff = append(diff, name)
		}
	}
	for name := range w.baseTables {
		if _, ok := now[name]; !ok {
			diff = append(diff, name)
		}
	}
	if len(diff) == 0 {
		w.reset(t) // rows written back as they were: the same data, but not the same ids to come
		return false
	}
	sort.Strings(diff)
	if refused != nil {
		var b strings.Builder
		for _, name := range diff {
			fmt.Fprintf(&b, "\n--- %s before:\n%s\n+++ %s after:\n%s", name, w.baseTables[name], name, now[name])
		}
		t.Errorf("refused (%v) but the store changed in %s:%s", refused, strings.Join(diff, ", "), b.String())
	}
	w.reset(t)
	return true
}

// reset puts the baseline's database file back and reopens the store and the core.
func (w *World) reset(tb testing.TB) {
	tb.Helper()
	w.st.Close()
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(w.path() + suffix); err != nil && !os.IsNotExist(err) {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(w.path(), w.base, 0o600); err != nil {
		tb.Fatal(err)
	}
	w.clock.Set(Now)
	w.open(tb)
}

// tables reads every table, row by row in rowid order, but the migrations' own and
// sqlite_sequence: an insert that meets a unique key (a repeated check-in) still uses up
// an id, as a PostgreSQL sequence does, without changing any data.
func (w *World) tables(tb testing.TB) map[string]string {
	tb.Helper()
	db := w.sqlDB(tb)
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'goose%' AND name != 'sqlite_sequence' ORDER BY name`)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			tb.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range names {
		out[n] = dumpTable(tb, db, n)
	}
	return out
}

// ignored are columns a refusal may change: a member's display name follows the platform
// on every request that reaches their row (a repeated /done included), as EnsureMember
// keeps it current. It is the platform's word for who they are, not what they asked for.
var ignored = map[string]bool{"members.display_name": true}

func dumpTable(tb testing.TB, db *sql.DB, name string) string {
	tb.Helper()
	rows, err := db.Query(`SELECT * FROM "` + name + `" ORDER BY rowid`)
	if err != nil {
		tb.Fatalf("read %s: %v", name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		for i, v := range vals {
			if ignored[name+"."+cols[i]] {
				continue
			}
			if i > 0 {
				b.WriteString(" | ")
			}
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%s=%v", cols[i], v)
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// CheckRefusal fails t unless err is what a member may be shown for bad input: a coded
// error (an internal error on bad input is a bug), whose message is one line, not empty
// and not the generic "something went wrong".
func CheckRefusal(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if study.ErrorCode(err) == study.EINTERNAL {
		t.Errorf("%s: an internal error for a member's input: %v", what, err)
		return
	}
	CheckShown(t, what, study.ErrorReply(err))
	if msg := study.ErrorMessage(err); strings.TrimSpace(msg) == "" {
		t.Errorf("%s: an empty refusal (%v)", what, err)
	}
}

// maxRefusal is the most a one-line refusal may take: well within a Slack section (3000)
// and a Discord message (2000), whatever the member typed.
const maxRefusal = 400

// CheckShown fails t unless a refusal as a member sees it is one short line of text.
func CheckShown(t testing.TB, what string, r study.Reply) {
	t.Helper()
	if len(r.Messages) != 1 {
		t.Errorf("%s: a refusal in %d messages", what, len(r.Messages))
		return
	}
	text := strings.TrimSpace(study.PlainText(r.Messages[0]))
	switch {
	case text == "" || text == "⚠️":
		t.Errorf("%s: an empty refusal", what)
	case strings.ContainsAny(text, "\n\r"):
		t.Errorf("%s: a refusal of more than one line: %q", what, text)
	case utf8.RuneCountInString(text) > maxRefusal:
		t.Errorf("%s: a refusal of %d characters, not one short line: %q", what, utf8.RuneCountInString(text), text)
	case strings.Contains(text, "Something went wrong"):
		t.Errorf("%s: the generic refusal for a member's input: %q", what, text)
	}
}

// CheckAnswer fails t unless a successful reply says something: a message or a reaction.
func CheckAnswer(t testing.TB, what string, r study.Reply) {
	t.Helper()
	if r.React != "" {
		return
	}
	if len(r.Messages) == 0 {
		t.Errorf("%s: an empty answer", what)
		return
	}
	for i, m := range r.Messages {
		if strings.TrimSpace(study.PlainText(m)) == "" {
			t.Errorf("%s: message %d of the answer is empty", what, i)
		}
	}
}

// CheckCohorts fails t if a cohort, as an accepted input left it, cannot be read or
// planned (what the scheduler will do with it next), or has a name that would break a
// refusal quoting it over two lines.
func (w *World) CheckCohorts(t testing.TB, what string) {
	t.Helper()
	cs, err := w.st.Cohorts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if strings.ContainsFunc(c.Name, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) {
			t.Errorf("%s: cohort %d is named %q, which no one-line refusal can quote", what, c.ID, c.Name)
		}
		v, err := w.svc.View(&c)
		if err != nil {
			t.Errorf("%s: cohort %d cannot be read back: %v", what, c.ID, err)
			continue
		}
		// Organizers' dates stay within reach: a start within a year of today (as setup
		// asks), and an end that can be projected unless a pause is open-ended.
		today := v.Calendar.Today(w.clock.Now())
		if d := today.Sub(c.Start); d > 366 || d < -366 {
			t.Errorf("%s: cohort %d starts on %v, more than a year from today", what, c.ID, c.Start)
		}
		open := false
		for _, p := range c.Pauses {
			open = open || p.Until.IsZero()
		}
		if end, ok := v.Calendar.EndDate(); !ok && !open {
			t.Errorf("%s: cohort %d has no projected end (%v), and no open-ended pause: %+v", what, c.ID, end, c.Pauses)
		}
		for _, at := range []time.Time{w.clock.Now(), w.clock.Now().Add(7 * 24 * time.Hour)} {
			if _, err := w.svc.Plan(study.DueCohort{Cohort: c}, at); err != nil {
				t.Errorf("%s: cohort %d cannot be planned at %s: %v", what, c.ID, at, err)
			}
		}
	}
}

// knownPanics are bugs the fuzzers found and that are not fixed yet: an input that hits
// one is skipped rather than failed, so that the fuzzers go on looking for new ones
// instead of stopping at the same one. None now; an entry is {function in the stack,
// text of the panic}, and goes with its fix.
var knownPanics []struct{ where, what string }

// KnownPanic reports whether a panic's value and stack are one of the known panics.
func KnownPanic(value any, stack string) bool {
	for _, k := range knownPanics {
		if strings.Contains(stack, k.where) && strings.Contains(fmt.Sprint(value), k.what) {
			return true
		}
	}
	return false
}

// SkipKnownPanics, deferred by a fuzz function, skips an input that hit a known panic and
// lets any other panic go on.
func SkipKnownPanics(t testing.TB) {
	if r := recover(); r != nil {
		if stack := string(debug.Stack()); KnownPanic(r, stack) {
			t.Skipf("known panic (reported in issue 14): %v", r)
		}
		panic(r)
	}
}
