package study

import (
	"context"
	"fmt"
	"time"
)

// Upkeep runs the core's own timed work due at now — closing study days whose windows
// have ended, and planning members' personal reminders — and says when it next has any
// (zero: nothing known). The scheduler calls it on every run and wakes for its next
// instant.
func (s *Service) Upkeep(ctx context.Context, now time.Time) (time.Time, error) {
	if err := s.closeDays(ctx, now); err != nil {
		return time.Time{}, err
	}
	for {
		n, err := s.store.PlanReminders(ctx, now, upkeepBatch, func(r DueReminder) (*NewPost, time.Time) {
			return s.planReminder(r, now)
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("plan reminders: %w", err)
		}
		if n > 0 {
			s.changed() // direct messages to send
		}
		if n < upkeepBatch {
			break
		}
	}
	return s.store.NextUpkeep(ctx)
}

const upkeepBatch = 200

// closeDays closes every study day whose window has ended: each member who did it on
// time extends their streak, the away keep theirs, and the rest spend a freeze or start
// over (ApplyClose). Closes replay in order, so a database carried over from before kept
// progress, or a bot that was down for days, catches up.
func (s *Service) closeDays(ctx context.Context, now time.Time) error {
	for {
		due, err := s.store.DueCloses(ctx, now, upkeepBatch)
		if err != nil {
			return fmt.Errorf("due closes: %w", err)
		}
		for i := range due {
			if err := s.closeCohort(ctx, &due[i], now); err != nil {
				return err
			}
		}
		if len(due) < upkeepBatch {
			return nil
		}
	}
}

func (s *Service) closeCohort(ctx context.Context, c *Cohort, now time.Time) error {
	v, err := s.View(c)
	if err != nil {
		s.log.Warn("cannot close days of a cohort that cannot be read", "cohort", c.ID, "err", err)
		return s.store.SetCloseDue(ctx, c.ID, time.Time{})
	}
	for {
		d := c.ClosedThrough + 1
		end, endKnown := v.WindowEnd(d)
		posted, postKnown := v.PostedAt(d)
		switch {
		case d > v.Track.Len() || !endKnown || !postKnown:
			// Done, or paused open-ended: nothing to close until settings change.
			return s.store.SetCloseDue(ctx, c.ID, time.Time{})
		case end.After(now):
			return s.store.SetCloseDue(ctx, c.ID, end)
		}
		var next time.Time
		if e, ok := v.WindowEnd(d + 1); ok && d+1 <= v.Track.Len() {
			next = e
		}
		closed, err := s.store.CloseDay(ctx, CloseDay{CohortID: c.ID, Day: d, PostedAt: posted, MaxFreezes: v.MaxFreezes, Length: v.Track.Len(), Next: next})
		if err != nil {
			return fmt.Errorf("close day %d of cohort %d: %w", d, c.ID, err)
		}
		if !closed {
			return nil // another process is closing this cohort's days
		}
		c.ClosedThrough = d
	}
}
