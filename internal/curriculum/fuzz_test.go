package curriculum_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"cohortbot/internal/curriculum"
	"cohortbot/internal/study"
)

const stubTrack = `id: my-track
title: My track
covers: [one, two]
`

const stubPhase1 = `phase: 1
title: BASICS
subtitle: (start)
outcome: I know the basics.
days:
  - day: 1
    number: 1
    topic: First things
    slug: first-things
  - day: 2
    number: 2
    topic: Second things
    slug: second-things
`

const stubPhase2 = `phase: 2
title: MORE
subtitle: (more)
outcome: I know more.
senior_label: Senior
senior:
  - item: depth
    day: 1
days:
  - day: 1
    number: 3
    topic: Third things
    slug: third-things
`

// shippedPhase1 is the shipped track's first phase cut down to its first day: a whole,
// valid card with questions, answers and references.
func shippedPhase1(f *testing.F) string {
	b, err := os.ReadFile("../../content/tracks/nodejs-backend/phases/01-web-express-basics.yaml")
	if err != nil {
		f.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n  - day: 2\n")
	if i < 0 {
		f.Fatal("phase 1 has no day 2")
	}
	return s[:i+1]
}

// FuzzLoad feeds a track's files, as an organizer brings them (track.yaml and up to two
// phase files), to the loader, with and without drafts (stubs) allowed.
//
// Nothing panics; Load fails exactly when Validate reports problems, with those problems;
// every problem names its file, a line within it and one line of text (the validator
// prints one problem per line). A track that loads numbers its days 1..n without gaps,
// renders every card, phase intro and outcome without panicking, keeps each posted card
// within the limit, and has a JSON form.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(stubTrack), []byte(stubPhase1), []byte(stubPhase2), true)
	f.Add([]byte(stubTrack), []byte(stubPhase1), []byte(stubPhase2), false)
	f.Add([]byte(stubTrack), []byte(shippedPhase1(f)), []byte(nil), false)
	f.Add([]byte(stubTrack), []byte(shippedPhase1(f)), []byte(stubPhase2), true)
	f.Add([]byte("id: Bad ID\ntitle: \"\"\nextra: 1\n"), []byte("phase: x\n"), []byte("days: [1, 2]\n"), false)
	f.Add([]byte("id: [\n"), []byte("\t- tabs"), []byte("---\n---\n"), true)
	f.Fuzz(func(t *testing.T, track, phase1, phase2 []byte, stubs bool) {
		fsys := fstest.MapFS{"track.yaml": {Data: track}, "phases/01-first.yaml": {Data: phase1}}
		if len(phase2) > 0 {
			fsys["phases/02-second.yaml"] = &fstest.MapFile{Data: phase2}
		}
		opts := curriculum.Options{AllowStubs: stubs}
		src, err := curriculum.Load(fsys, opts)
		problems := curriculum.Validate(fsys, opts)
		for _, p := range problems {
			file, ok := fsys[p.File]
			if !ok && p.File != "phases/" && p.File != "phases" {
				t.Errorf("problem in %q, not one of the track's files: %v", p.File, p)
			}
			lines := 1
			if ok {
				lines = yamlLines(file.Data)
			}
			if p.Line < 0 || p.Line > lines+1 {
				t.Errorf("%v: line %d of a file with %d lines", p, p.Line, lines)
			}
			if strings.TrimSpace(p.Msg) == "" || strings.ContainsAny(p.String(), "\r\n") {
				t.Errorf("a problem must be one line of text: %q", p.String())
			}
		}
		if err != nil {
			var pe curriculum.ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("Load: %v is not a list of problems", err)
			}
			if !slices.Equal([]curriculum.Problem(pe), problems) {
				t.Fatalf("Load reports %v, Validate %v", pe, problems)
			}
			return
		}
		if len(problems) > 0 {
			t.Fatalf("Load accepted a track with problems: %v", problems)
		}
		checkTrack(t, src, stubs)
	})
}

// yamlLines counts lines as the YAML parser does: besides \n, \r\n and \r, YAML 1.1 breaks
// lines at NEL (U+0085) and the Unicode line and paragraph separators (U+2028, U+2029).
func yamlLines(b []byte) int {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	n := 1
	for _, brk := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(s, brk)
	}
	return n
}

func checkTrack(t *testing.T, src *curriculum.Source, stubs bool) {
	tr := src.Track
	if tr.Len() == 0 {
		t.Fatal("a loaded track has no days")
	}
	n := 0
	for pi, p := range tr.Phases {
		if p.Number != pi+1 {
			t.Errorf("phase %d is numbered %d", pi+1, p.Number)
		}
		study.PlainText(study.PhaseIntroMessage(tr, p.Number))
		study.PlainText(study.PhaseOutcomeMessage(tr, p.Number))
		for di, d := range p.Days {
			n++
			if d.Number != n || d.Day != di+1 || d.Phase != p.Number {
				t.Errorf("day %d of phase %d is numbered %d (day %d of phase %d)", di+1, p.Number, d.Number, d.Day, d.Phase)
			}
			c, ph, ok := tr.Card(n)
			if !ok || c.Number != n || ph.Number != p.Number {
				t.Errorf("Card(%d) = day %d of phase %v, %v", n, c.Number, ph, ok)
			}
			if c.Stub() && !stubs {
				t.Errorf("day %d is a stub, and stubs are not allowed", n)
			}
			posted := study.PlainText(study.CardMessage(tr, n))
			if l := len([]rune(posted)); !c.Stub() && l > curriculum.MaxPostedCard {
				t.Errorf("day %d: the posted card is %d characters", n, l)
			}
			for _, m := range study.CardThreadMessages(tr, n) {
				study.PlainText(m)
			}
			if b, err := src.DayJSON(n); err != nil || !json.Valid(b) {
				t.Errorf("DayJSON(%d): %v", n, err)
			}
		}
	}
	if b, err := src.JSON(); err != nil || !json.Valid(b) {
		t.Errorf("JSON: %v", err)
	}
}
