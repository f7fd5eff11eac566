package store

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// TestSQLiteRefusesASecondProcess: SQLite mode runs one process; a second Open of the same
// data directory (a second process, as flock sees it) is refused with a clear error until
// the first closes.
func TestSQLiteRefusesASecondProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	first, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, Config{DataDir: dir})
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() {
		t.Fatalf("second open: %v", err)
	}
	for _, want := range []string{dir, "in use by another cohortbot process (pid", "one process only", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	again.Close()
}
