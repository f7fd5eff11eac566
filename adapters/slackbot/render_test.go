package slackbot

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"cohortbot/internal/study"
)

// checkLimits fails for a message Slack would refuse: over 50 blocks, a section or context
// over 3000 characters, a header over 150, duplicate action ids.
func checkLimits(t *testing.T, what string, m slackMessage) {
	t.Helper()
	if len(m.Blocks) == 0 || len(m.Blocks) > maxBlocks {
		t.Errorf("%s: %d blocks", what, len(m.Blocks))
	}
	if m.Text == "" || utf8.RuneCountInString(m.Text) > maxFallback {
		t.Errorf("%s: fallback text %q", what, m.Text)
	}
	ids := map[string]bool{}
	for _, b := range m.Blocks {
		switch x := b.(type) {
		case *slack.HeaderBlock:
			if n := utf8.RuneCountInString(x.Text.Text); n == 0 || n > maxHeaderText || x.Text.Type != slack.PlainTextType {
				t.Errorf("%s: header %q", what, x.Text.Text)
			}
		case *slack.SectionBlock:
			if n := utf8.RuneCountInString(x.Text.Text); n == 0 || n > maxSectionText {
				t.Errorf("%s: section of %d characters", what, n)
			}
		case *slack.ContextBlock:
			for _, e := range x.ContextElements.Elements {
				if n := utf8.RuneCountInString(e.(*slack.TextBlockObject).Text); n == 0 || n > maxSectionText {
					t.Errorf("%s: context of %d characters", what, n)
				}
			}
		case *slack.ActionBlock:
			for _, e := range x.Elements.ElementSet {
				btn := e.(*slack.ButtonBlockElement)
				if ids[btn.ActionID] {
					t.Errorf("%s: action id %s twice", what, btn.ActionID)
				}
				ids[btn.ActionID] = true
			}
		case *slack.DividerBlock:
		default:
			t.Errorf("%s: unexpected block %T", what, b)
		}
	}
	if _, err := json.Marshal(m.Blocks); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func allText(ms []slackMessage) string {
	var b strings.Builder
	for _, m := range ms {
		for _, bl := range m.Blocks {
			switch x := bl.(type) {
			case *slack.SectionBlock:
				b.WriteString(x.Text.Text + "\n")
			case *slack.HeaderBlock:
				b.WriteString(x.Text.Text + "\n")
			case *slack.ContextBlock:
				for _, e := range x.ContextElements.Elements {
					b.WriteString(e.(*slack.TextBlockObject).Text + "\n")
				}
			}
		}
	}
	return b.String()
}

// Every day of the shipped track renders within Slack's limits, with its Done button on the
// card and a Show answers button wherever something is hidden.
func TestEveryCardFitsSlack(t *testing.T) {
	t.Parallel()
	track := loadTrack(t)
	for n := 1; n <= track.Len(); n++ {
		msgs := append([]study.Message{study.CardMessage(track, n)}, study.CardThreadMessages(track, n)...)
		root, rest := renderSplit(msgs)
		if len(root) == 0 {
			t.Fatalf("day %d: no card", n)
		}
		for i, m := range append(append([]slackMessage{}, root...), rest...) {
			checkLimits(t, "day "+itoa(n)+" message "+itoa(i), m)
		}
		if len(root)+len(rest) > 6 {
			t.Errorf("day %d: %d messages (paced at one a second)", n, len(root)+len(rest))
		}
		var done, answers int
		for _, m := range append(append([]slackMessage{}, root...), rest...) {
			for _, b := range m.Blocks {
				if a, ok := b.(*slack.ActionBlock); ok {
					for _, e := range a.Elements.ElementSet {
						id := e.(*slack.ButtonBlockElement).ActionID
						switch {
						case id == "done:"+itoa(n):
							done++
						case strings.HasPrefix(id, "reveal:"+itoa(n)+":"):
							answers++
						}
					}
				}
			}
		}
		hidden := 0
		for _, m := range msgs {
			for _, sec := range m.Sections {
				if sec.Hidden {
					hidden++
					break
				}
			}
		}
		if done != 1 || answers != hidden {
			t.Errorf("day %d: %d done buttons, %d answer buttons for %d messages with hidden parts", n, done, answers, hidden)
		}
		// Nothing hidden is shown, and everything else is.
		text := allText(append(root, rest...))
		for _, m := range msgs {
			for _, s := range m.Sections {
				probe := firstLine(s.Text)
				if len(probe) < 25 || strings.Contains(probe, "*") {
					continue
				}
				if got := strings.Contains(text, escape(probe)); got == s.Hidden {
					t.Errorf("day %d: %q shown=%v hidden=%v", n, probe, got, s.Hidden)
				}
			}
		}
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestLongMessagesAreSplitSafely(t *testing.T) {
	t.Parallel()
	word := "lorem<ipsum>&dolor "
	long := strings.Repeat(word, 600) // ~11400 characters, more once escaped
	code := strings.Repeat("if (a < b && c > d) { x(); }\n", 300)
	m := study.Message{Title: "Phase 9 · Day 99\n" + strings.Repeat("T", 400), Sections: []study.Section{{Heading: "Long", Text: long}, {Code: code, Lang: "js"}}}
	for i := 0; i < 70; i++ {
		m.Sections = append(m.Sections, study.Section{Text: "line " + itoa(i)})
	}
	m.Actions = []study.Action{study.DoneAction(3)}
	out := render([]study.Message{m, {Title: "second", Sections: []study.Section{{Text: "after"}}}})
	if len(out) < 3 {
		t.Fatalf("%d messages", len(out))
	}
	for i, sm := range out {
		checkLimits(t, "message "+itoa(i), sm)
	}
	text := allText(out)
	if got := strings.Count(text, escape(strings.TrimSpace(word))); got != 600 {
		t.Errorf("%d of 600 words survived the split", got)
	}
	if strings.Contains(text, "<ipsum>") || strings.Contains(text, "&&") {
		t.Error("text not escaped for mrkdwn")
	}
	if got := strings.Count(text, "x(); }"); got != 300 {
		t.Errorf("%d of 300 code lines survived", got)
	}
	for _, sm := range out {
		for _, b := range sm.Blocks {
			if s, ok := b.(*slack.SectionBlock); ok && strings.Contains(s.Text.Text, "x();") {
				if !strings.HasPrefix(s.Text.Text, "```\n") || !strings.HasSuffix(s.Text.Text, "\n```") {
					t.Errorf("a code piece lost its fence: %.40q…", s.Text.Text)
				}
			}
		}
	}
	if !strings.Contains(text, "line 69") || !strings.Contains(text, "after") {
		t.Error("sections lost")
	}
	// The button stays at the end of its message, after its last section.
	found := false
	for _, sm := range out {
		lastLine, button := -1, -1
		for i, b := range sm.Blocks {
			if s, ok := b.(*slack.SectionBlock); ok && s.Text.Text == "line 69" {
				lastLine = i
			}
			if a, ok := b.(*slack.ActionBlock); ok && a.Elements.ElementSet[0].(*slack.ButtonBlockElement).ActionID == "done:3" {
				button = i
			}
		}
		if button >= 0 {
			found = true
			if lastLine < 0 || button != lastLine+1 {
				t.Errorf("the Done button is at block %d, the last section at %d", button, lastLine)
			}
		}
	}
	if !found {
		t.Error("no Done button")
	}
	head := out[0].Blocks[0].(*slack.HeaderBlock).Text.Text
	if utf8.RuneCountInString(head) != maxHeaderText || !strings.HasSuffix(head, "…") {
		t.Errorf("header %d characters", utf8.RuneCountInString(head))
	}
}

func TestSplitText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in    string
		limit int
		want  []string
	}{
		{"short", 10, []string{"short"}},
		{"one two three", 8, []string{"one two", "three"}},
		{"aaaa\nbbbb cccc", 10, []string{"aaaa", "bbbb cccc"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"a&b&c", 6, []string{"a&", "b&", "c"}}, // & costs 5 escaped
		{"ééééé", 2, []string{"éé", "éé", "é"}},
	} {
		got := splitText(c.in, c.limit)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("splitText(%q, %d) = %q, want %q", c.in, c.limit, got, c.want)
		}
	}
}
