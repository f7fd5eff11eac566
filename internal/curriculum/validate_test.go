package curriculum_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"cohortbot/content"
	"cohortbot/internal/curriculum"
)

// brokenCopy copies the shipped track into a map FS and lets the test edit one phase file.
func brokenCopy(t *testing.T, file string, edit func(string) string) fstest.MapFS {
	t.Helper()
	fsys, err := content.Track(content.DefaultTrack)
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, name := range []string{"track.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../content/tracks/nodejs-backend", name))
		if err != nil {
			t.Fatal(err)
		}
		m[name] = &fstest.MapFile{Data: b}
	}
	names, _ := fsGlob(fsys)
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("../../content/tracks/nodejs-backend", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == file {
			edited := edit(string(b))
			if edited == string(b) {
				t.Fatalf("the edit changed nothing in %s", file)
			}
			b = []byte(edited)
		}
		m[name] = &fstest.MapFile{Data: b}
	}
	return m
}

// topicLine matches every day's topic line; replacing all of them guarantees a hit.
var topicLine = regexp.MustCompile(`(?m)^(\s+)topic: .*$`)

func TestShippedTrackValidates(t *testing.T) {
	t.Parallel()
	fsys, err := content.Track(content.DefaultTrack)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range curriculum.Validate(fsys, curriculum.Options{}) {
		t.Errorf("%s", p)
	}
}

func TestBrokenCopiesAreReported(t *testing.T) {
	t.Parallel()
	const phase1 = "phases/01-web-express-basics.yaml"
	tests := []struct {
		name     string
		file     string
		edit     func(string) string
		wantFile string
		wantMsg  string
	}{
		{
			name:     "missing topic",
			file:     phase1,
			edit:     func(s string) string { return topicLine.ReplaceAllString(s, "${1}topic: \"\"") },
			wantFile: phase1, wantMsg: "topic is required",
		},
		{
			name:     "duplicate day",
			file:     phase1,
			edit:     func(s string) string { return strings.Replace(s, "day: 3\n", "day: 2\n", 1) },
			wantFile: phase1, wantMsg: "duplicate day 2",
		},
		{
			name:     "bad YAML",
			file:     phase1,
			edit:     func(s string) string { return strings.Replace(s, "days:\n", "days: [\n", 1) },
			wantFile: phase1, wantMsg: "",
		},
		{
			name:     "unknown field",
			file:     phase1,
			edit:     func(s string) string { return strings.Replace(s, "\n    slug:", "\n    sulg: oops\n    slug:", 1) },
			wantFile: phase1, wantMsg: "field sulg not found",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			problems := curriculum.Validate(brokenCopy(t, tc.file, tc.edit), curriculum.Options{})
			if len(problems) == 0 {
				t.Fatal("no problem reported")
			}
			found := false
			for _, p := range problems {
				if p.File == tc.wantFile && p.Line > 0 && strings.Contains(p.Msg, tc.wantMsg) {
					found = true
				}
			}
			if !found {
				t.Errorf("want a problem in %s with a line and %q; got %v", tc.wantFile, tc.wantMsg, problems)
			}
		})
	}
}
