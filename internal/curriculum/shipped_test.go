package curriculum_test

import (
	"strings"
	"testing"

	"cohortbot/internal/study"
)

// TestShippedTrackCarriesItsExercises checks the days the syllabus makes special: output
// prediction, interview scripts and the debug day.
func TestShippedTrackCarriesItsExercises(t *testing.T) {
	t.Parallel()
	track := shippedTrack(t)
	day := func(phase, d int) study.Card { return track.Phases[phase-1].Days[d-1] }
	predict := map[[2]int]int{{2, 4}: 1, {2, 5}: 1, {2, 6}: 1, {9, 4}: 1, {10, 1}: 1, {18, 1}: 5}
	for pd, min := range predict {
		if n := len(day(pd[0], pd[1]).Predict); n < min {
			t.Errorf("phase %d day %d has %d predict snippets, want at least %d", pd[0], pd[1], n, min)
		}
	}
	for _, pd := range [][2]int{{1, 7}, {8, 6}, {18, 1}, {18, 2}, {18, 3}, {18, 4}, {18, 5}} {
		if len(day(pd[0], pd[1]).Script) == 0 {
			t.Errorf("phase %d day %d is a recap/interview day without an interview script", pd[0], pd[1])
		}
	}
	if n := len(day(18, 2).Debug); n < 3 {
		t.Errorf("phase 18 day 2 (Debug broken code) has %d broken snippets, want at least 3", n)
	}
}

// TestAnswersStayHidden renders every card and checks that model answers appear only in
// hidden sections, never in the posted card, and that the posted card fits.
func TestAnswersStayHidden(t *testing.T) {
	t.Parallel()
	track := shippedTrack(t)
	for n := 1; n <= track.Len(); n++ {
		c, _, _ := track.Card(n)
		posted := study.PlainText(study.CardMessage(track, n))
		if l := len([]rune(posted)); l > 1800 {
			t.Errorf("day %d: posted card is %d characters", n, l)
		}
		var visible, hidden strings.Builder
		for _, m := range study.CardThreadMessages(track, n) {
			for _, s := range m.Sections {
				if s.Hidden {
					hidden.WriteString(s.Text)
				} else {
					visible.WriteString(s.Text + s.Code)
				}
			}
		}
		for _, q := range c.Questions {
			if strings.Contains(posted, q.Answer) || strings.Contains(visible.String(), q.Answer) {
				t.Errorf("day %d: the answer to %q is visible", n, q.Q)
			}
			if !strings.Contains(hidden.String(), q.Answer) {
				t.Errorf("day %d: the answer to %q is missing from the hidden part", n, q.Q)
			}
		}
	}
}
