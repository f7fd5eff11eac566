package curriculum_test

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cohortbot/internal/curriculum"
	"cohortbot/internal/study"
)

// syllabusPhase is what the syllabus says of a phase, parsed from its markdown.
type syllabusPhase struct {
	number                         int
	title, subtitle, goal, outcome string
	days                           int
	topics                         []string
	seniorLabel                    string
	senior                         []string
}

var (
	phaseRe = regexp.MustCompile(`^# \S+ PHASE (\d+) — (.+?)(?:\s*>+)?\s*$`)
	dayRe   = regexp.MustCompile(`^Day (\d+) → (.+?)\s*$`)
)

func parseSyllabus(t *testing.T, path string) (phases []syllabusPhase, covers []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open syllabus: %v", err)
	}
	defer f.Close()
	var cur *syllabusPhase
	inCovers, inOutcome, inSenior := false, false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case phaseRe.MatchString(line):
			m := phaseRe.FindStringSubmatch(line)
			n, _ := strconv.Atoi(m[1])
			phases = append(phases, syllabusPhase{number: n, title: m[2]})
			cur = &phases[len(phases)-1]
			inOutcome, inSenior = false, false
		case line == "This syllabus covers:":
			inCovers = true
		case inCovers && strings.HasPrefix(line, "✔"):
			covers = append(covers, strings.TrimSpace(strings.TrimPrefix(line, "✔")))
		case cur == nil || inCovers:
		case strings.HasPrefix(line, "(") && cur.subtitle == "":
			cur.subtitle = line
		case strings.HasPrefix(line, "Days: "):
			cur.days, _ = strconv.Atoi(strings.TrimPrefix(line, "Days: "))
		case strings.HasPrefix(line, "Goal: "):
			cur.goal = strings.TrimPrefix(line, "Goal: ")
		case dayRe.MatchString(line):
			cur.topics = append(cur.topics, dayRe.FindStringSubmatch(line)[2])
		case strings.HasPrefix(line, "ADD"):
			cur.seniorLabel, inSenior = strings.TrimSuffix(line, ":"), true
		case strings.HasPrefix(line, "✔"):
			inSenior = true
			cur.senior = append(cur.senior, strings.TrimSpace(strings.TrimPrefix(line, "✔")))
		case strings.Contains(line, "Outcome:"):
			inOutcome = true
		case inOutcome:
			cur.outcome = strings.Trim(line, "“”\"")
			inOutcome = false
		case strings.HasPrefix(line, "✅"):
			cur = nil
		}
		_ = inSenior
	}
	return phases, covers
}

func shippedTrack(t *testing.T) *study.Track {
	t.Helper()
	src, err := curriculum.LoadDefault()
	if err != nil {
		t.Fatalf("the shipped track does not load: %v", err)
	}
	return src.Track
}

// TestShippedTrackMatchesSyllabus holds the track to the syllabus word for word.
func TestShippedTrackMatchesSyllabus(t *testing.T) {
	t.Parallel()
	want, covers := parseSyllabus(t, "../../content/tracks/nodejs-backend/syllabus.md")
	track := shippedTrack(t)

	counts := []int{7, 6, 6, 5, 7, 6, 5, 6, 6, 4, 4, 4, 5, 4, 5, 4, 4, 5}
	if len(want) != len(counts) || len(track.Phases) != len(counts) {
		t.Fatalf("phases: syllabus %d, track %d, want %d", len(want), len(track.Phases), len(counts))
	}
	if track.Len() != 93 {
		t.Errorf("track has %d days, want 93", track.Len())
	}
	for i, w := range want {
		p := track.Phases[i]
		if w.days != counts[i] || len(w.topics) != counts[i] || len(p.Days) != counts[i] {
			t.Errorf("phase %d: syllabus says %d days and lists %d, track has %d, want %d", i+1, w.days, len(w.topics), len(p.Days), counts[i])
		}
		check := func(field, got, want string) {
			if got != want {
				t.Errorf("phase %d %s: track %q, syllabus %q", i+1, field, got, want)
			}
		}
		check("number", strconv.Itoa(p.Number), strconv.Itoa(w.number))
		check("title", p.Title, w.title)
		check("subtitle", p.Subtitle, w.subtitle)
		check("goal", p.Goal, w.goal)
		check("outcome", p.Outcome, w.outcome)
		check("senior label", p.SeniorLabel, w.seniorLabel)
		for j, topic := range w.topics {
			if j < len(p.Days) {
				check("day "+strconv.Itoa(j+1)+" topic", p.Days[j].Topic, topic)
			}
		}
		var items []string
		for _, s := range p.Senior {
			items = append(items, s.Item)
		}
		check("senior items", strings.Join(items, " | "), strings.Join(w.senior, " | "))
	}
	if got := strings.Join(track.Covers, " | "); got != strings.Join(covers, " | ") {
		t.Errorf("covers: track %q, syllabus %q", got, strings.Join(covers, " | "))
	}
}
