package study

import (
	"fmt"
	"strings"
)

// Message is what the core asks a platform to show. Adapters render it within their
// platform's limits: Discord embeds and spoilers, Slack blocks and a reveal button, plain
// text in the console.
type Message struct {
	Title    string
	Sections []Section
	Actions  []Action
	// ThreadName, when set, asks the poster to open a thread on this message; the messages
	// that follow it in the same post go into that thread.
	ThreadName string
}

// Section is a block of a message. Text uses a small markdown subset: *bold*, _italic_,
// `code`, and "• " bullets.
type Section struct {
	Heading string
	Text    string
	Code    string
	Lang    string
	// Hidden sections (model answers, fixes) are revealed on demand: spoilers on Discord, a
	// "Show answers" button on Slack.
	Hidden bool
}

// Action is a button under a message.
type Action struct {
	ID    string // "done:12": what a press means, parsed back by ParseAction
	Label string
}

// DoneAction is the check-in button of day n.
func DoneAction(n int) Action { return Action{ID: fmt.Sprintf("done:%d", n), Label: "✅ Done"} }

// ParseAction reads a button id back; ok is false for ids the core did not make.
func ParseAction(id string) (kind string, day int, ok bool) {
	k, v, found := strings.Cut(id, ":")
	if !found || k != "done" {
		return "", 0, false
	}
	if _, err := fmt.Sscanf(v, "%d", &day); err != nil || day < 1 || fmt.Sprint(day) != v {
		return "", 0, false
	}
	return k, day, true
}

// PlainText renders a message for a terminal (and measures what a member reads).
func PlainText(m Message) string {
	var b strings.Builder
	if m.Title != "" {
		b.WriteString(m.Title)
		b.WriteString("\n")
	}
	for _, s := range m.Sections {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		if s.Heading != "" {
			b.WriteString(s.Heading)
			if s.Hidden {
				b.WriteString(" (hidden until revealed)")
			}
			b.WriteString("\n")
		}
		if s.Text != "" {
			b.WriteString(s.Text)
			b.WriteString("\n")
		}
		if s.Code != "" {
			b.WriteString(indent(s.Code, "    "))
		}
	}
	if len(m.Actions) > 0 {
		labels := make([]string, len(m.Actions))
		for i, a := range m.Actions {
			labels[i] = "[" + a.Label + "]"
		}
		b.WriteString("\n" + strings.Join(labels, " ") + "\n")
	}
	return b.String()
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func bullets(items []string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString("• " + it + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
