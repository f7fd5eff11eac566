package study

import (
	"context"
	"time"
)

// Upkeep runs the core's own timed work due at now and says when it next has any (zero:
// nothing known). The scheduler calls it on every run and wakes for its next instant.
func (s *Service) Upkeep(ctx context.Context, now time.Time) (time.Time, error) {
	return time.Time{}, nil
}
