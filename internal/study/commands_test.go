package study_test

import (
	"context"
	"strings"
	"testing"

	"cohortbot/internal/clocktest"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

// /help is the command table: every command and subcommand, the organizers' part only to
// organizers.
func TestHelpIsTheCommandTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, "2027-01-04T10:00:00Z")
	member := e.mustDo(t, bob, false, "/help")
	organizer := e.mustDo(t, ada, true, "/help")
	for _, c := range study.Commands() {
		if len(c.Subs) == 0 {
			if !strings.Contains(member, "/"+c.Name+" ") {
				t.Errorf("member help lacks /%s", c.Name)
			}
			continue
		}
		for _, s := range c.Subs {
			path := "/" + s.Path(c.Name)
			if !strings.Contains(organizer, path+" ") {
				t.Errorf("organizer help lacks %s", path)
			}
			if strings.Contains(member, path+" ") {
				t.Errorf("member help shows %s", path)
			}
		}
	}
	if names := study.CommandNames(); len(names) < 10 || names[0] != "today" {
		t.Errorf("command names %v", names)
	}
}

// A Show answers button names its part by a stable key, so it reveals the same answers
// whatever the order of the thread's parts; a button from before keys existed reveals all
// of its day's answers, never another part's.
func TestRevealByStableKey(t *testing.T) {
	t.Parallel()
	track := miniTrack()
	track.Phases[0].Days[0] = study.Card{Phase: 1, Day: 1, Number: 1, Topic: "Topic 1", Slug: "t1", Study: "Read.",
		Objectives: []string{"know"}, Task: study.Task{Minutes: 5, Do: "do", Deliverable: "it", Check: "works"},
		Questions: []study.Question{{Q: "Why?", Answer: "Because of the loop.", Points: []string{"loop"}}},
		Predict: []study.Snippet{
			{Module: "commonjs", Code: "console.log(1)", Outputs: []string{"first-output"}},
			{Module: "esm", Code: "console.log(2)", Outputs: []string{"second-output"}},
		}}
	clk := clocktest.New(utc(t, "2027-01-04T10:00:00Z"))
	st := storetest.MustOpen(t, store.SQLite, clk.Now)
	svc := studytest.MustService(t, st, clk.Now, track)
	ctx := context.Background()
	if _, err := svc.Handle(ctx, study.Request{Channel: room, User: ada, Admin: true, Command: "cohort", Sub: "setup", Text: "start:2027-01-04 time:09:00 tz:UTC"}); err != nil {
		t.Fatal(err)
	}
	press := func(action string) (string, error) {
		r, err := svc.Handle(ctx, study.Request{Channel: room, User: bob, Source: study.SourceButton, Action: action})
		if err == nil && !r.Ephemeral {
			t.Errorf("%s: answers shown to the channel", action)
		}
		var b strings.Builder
		for _, m := range r.Messages {
			b.WriteString(study.PlainText(m))
		}
		return b.String(), err
	}
	// The buttons the thread carries are the ones that work.
	var keys []string
	for _, m := range study.CardThreadMessages(track, 1) {
		if m.Reveal.ID != "" {
			keys = append(keys, m.Reveal.ID)
		}
	}
	if strings.Join(keys, " ") != "reveal:1:questions reveal:1:predict-1 reveal:1:predict-2" {
		t.Fatalf("reveal buttons %v", keys)
	}
	for action, want := range map[string]string{
		"reveal:1:questions": "Because of the loop.", "reveal:1:predict-2": "second-output", "reveal:1:predict-1": "first-output",
	} {
		got, err := press(action)
		if err != nil || !strings.Contains(got, want) {
			t.Errorf("%s: %v\n%s", action, err, got)
		}
		for _, other := range []string{"Because of the loop.", "first-output", "second-output"} {
			if other != want && strings.Contains(got, other) {
				t.Errorf("%s also revealed %q", action, other)
			}
		}
	}
	// A Slack button posted before keys existed: every answer of its day.
	got, err := press("answers:1:0")
	if err != nil || !strings.Contains(got, "Because of the loop.") || !strings.Contains(got, "second-output") {
		t.Errorf("legacy button: %v\n%s", err, got)
	}
	for _, bad := range []string{"reveal:1:", "reveal:x:questions", "reveal:0:questions", "answers:1:2:3", "frob:1"} {
		if _, err := press(bad); study.ErrorMessage(err) != "This button is no longer in use." {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := press("reveal:11:questions"); study.ErrorMessage(err) != "That button is out of date." {
		t.Errorf("day 11 of 10: %v", err)
	}
	if _, err := press("reveal:2:questions"); study.ErrorMessage(err) != "There are no hidden answers here." {
		t.Errorf("a day without answers: %v", err)
	}
}
