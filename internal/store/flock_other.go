//go:build !unix

package store

import "os"

// lockFile is a no-op where flock is unavailable: SQLite's own file locking still keeps
// the data consistent, but a second process is not refused up front.
func lockFile(string) (*os.File, error) { return nil, nil }
