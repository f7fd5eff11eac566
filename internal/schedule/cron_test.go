package schedule_test

import (
	"testing"

	"cohortbot/internal/schedule"
)

// TestCronRefusesZonePrefixes: robfig/cron panics on "TZ=" with no space after it, and a
// zone in the spec would overrule the cohort's; the parser refuses both forms, with or
// without a space.
func TestCronRefusesZonePrefixes(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"TZ=", "CRON_TZ=", "CRON_TZ=UTC", "TZ=Europe/Berlin", "TZ=Europe/Berlin 0 17 * * FRI"} {
		if _, err := schedule.Cron.Parse(spec); err == nil {
			t.Errorf("Parse(%q) accepted a zone prefix", spec)
		}
	}
	if _, err := schedule.Cron.Parse("0 17 * * FRI"); err != nil {
		t.Errorf("Parse: %v", err)
	}
}
