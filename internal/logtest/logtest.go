// Package logtest captures what a test's components log, safely across goroutines, so a
// test can assert on log lines (and that secrets never appear in them).
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is an io.Writer for slog handlers that tests read while the code still writes.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
