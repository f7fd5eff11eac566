package study_test

import (
	"slices"
	"testing"
	"time"

	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

// TestStreakRules replays each history of studytest.StreakScenarios through the core's
// rules: check-ins as they come, each day's close after its window.
func TestStreakRules(t *testing.T) {
	t.Parallel()
	for _, sc := range studytest.StreakScenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			p := replay(sc)
			if p.Completed != sc.Completed || p.Streak != sc.Streak || p.Best != sc.Best || p.Freezes != sc.Freezes || !slices.Equal(p.FrozenDays, sc.Frozen) {
				t.Errorf("completed/streak/best/freezes = %d/%d/%d/%d, covered %v; want %d/%d/%d/%d, covered %v (days %q)",
					p.Completed, p.Streak, p.Best, p.Freezes, p.FrozenDays, sc.Completed, sc.Streak, sc.Best, sc.Freezes, sc.Frozen, p.Days)
			}
		})
	}
}

// replay runs a scenario through ApplyCheckIn and ApplyClose.
func replay(sc studytest.StreakScenario) study.Progress {
	var p study.Progress
	at := time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)
	n := len(sc.Days)
	for i := 0; i < n; i++ {
		d := i + 1
		at = at.Add(24 * time.Hour)
		if sc.Days[i] == 'T' {
			p = study.ApplyCheckIn(p, d, true, at, n)
		}
		if d > n-sc.Open {
			continue // still open: no close, and nothing late yet
		}
		p = study.ApplyClose(p, d, sc.Days[i] == 'A', sc.MaxFreezes, n)
		if sc.Days[i] == 'L' {
			p = study.ApplyCheckIn(p, d, false, at.Add(25*time.Hour), n)
		}
	}
	return p
}
