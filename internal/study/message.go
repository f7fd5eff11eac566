package study

import (
	"fmt"
	"strconv"
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
	// Reveal, when set, is the button that shows this message's hidden sections to the
	// member who presses it, for platforms that cannot hide text inline (Slack). Its id
	// names the day and the part by a stable key, never by position.
	Reveal Action
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
	// Mentions marks text the core wrote with platform mentions (<@id>, <@&role>) that
	// must stay mentions; everything else is shown as written.
	Mentions bool
}

// Action is a button under a message.
type Action struct {
	ID      string // what a press means, read back by the core: "done:12", "reveal:12:questions"
	Label   string
	Primary bool // the button the message is for (Done on a card)
}

// Action kinds.
const (
	actionDone      = "done"
	actionReveal    = "reveal"
	actionRemindOff = "remind-off"
)

// DoneAction is the check-in button of day n.
func DoneAction(n int) Action {
	return Action{ID: fmt.Sprintf("%s:%d", actionDone, n), Label: "✅ Done", Primary: true}
}

// RevealAction shows the hidden part key of day n's thread.
func RevealAction(n int, key string) Action {
	return Action{ID: fmt.Sprintf("%s:%d:%s", actionReveal, n, key), Label: "🔓 Show answers"}
}

// parseAction reads a button id back; ok is false for ids the core did not make. Slack
// cards posted before reveal keys existed carry "answers:DAY[:INDEX]": those reveal every
// hidden part of the day, since an index may point elsewhere now.
func parseAction(id string) (kind string, day int, key string, ok bool) {
	parts := strings.Split(id, ":")
	if len(parts) < 2 {
		return "", 0, "", false
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 1 || strconv.Itoa(n) != parts[1] {
		return "", 0, "", false
	}
	switch {
	case parts[0] == actionDone && len(parts) == 2:
		return actionDone, n, "", true
	case parts[0] == actionRemindOff && len(parts) == 2:
		return actionRemindOff, n, "", true
	case parts[0] == actionReveal && len(parts) == 3 && parts[2] != "":
		return actionReveal, n, parts[2], true
	case parts[0] == "answers" && len(parts) <= 3:
		return actionReveal, n, "", true
	}
	return "", 0, "", false
}

// Reply is the core's answer. Ephemeral replies are shown only to the member who asked.
type Reply struct {
	Messages  []Message
	Ephemeral bool
	// React, when set, acknowledges the member's own message with this emoji instead of
	// answering it (a thread reply that checked them in).
	React string
}

// CheckMark is the reaction on a thread reply that checked its author in.
const CheckMark = "✅"

func textReply(ephemeral bool, format string, args ...any) Reply {
	return Reply{Ephemeral: ephemeral, Messages: []Message{{Sections: []Section{{Text: fmt.Sprintf(format, args...)}}}}}
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

func hasHidden(m Message) bool {
	for _, s := range m.Sections {
		if s.Hidden {
			return true
		}
	}
	return false
}
