package study

import (
	"fmt"
	"strings"
)

// CardHeader is the line above a day's topic: "Phase 2 · Day 4 of 6 · Day 11/93".
func CardHeader(t *Track, n int) string {
	c, p, ok := t.Card(n)
	if !ok {
		return ""
	}
	return fmt.Sprintf("Phase %d · Day %d of %d · Day %d/%d", p.Number, c.Day, len(p.Days), n, t.Len())
}

// ThreadName is the name of a day's thread: "Day 11 — Event loop".
func ThreadName(c Card) string {
	name := fmt.Sprintf("Day %d — %s", c.Number, c.Topic)
	if r := []rune(name); len(r) > 100 { // Discord's thread-name limit, and long enough anywhere
		name = string(r[:99]) + "…"
	}
	return name
}

const checkInHint = "Check in: press ✅ Done, reply in this thread, or type /done."

// CardMessage is the posted part of a day's card: what a member reads in the channel.
// It opens the day's thread.
func CardMessage(t *Track, n int) Message {
	c, _, _ := t.Card(n)
	m := Message{
		Title:      CardHeader(t, n) + "\n" + c.Topic,
		Actions:    []Action{DoneAction(n)},
		ThreadName: ThreadName(c),
	}
	if c.Stub() {
		m.Sections = append(m.Sections, Section{Text: "The full card for this day is still being written; study the topic above and share what you found in the thread."})
	} else {
		m.Sections = append(m.Sections,
			Section{Text: c.Hook},
			Section{Heading: "📖 Study", Text: c.Study},
			Section{Heading: fmt.Sprintf("🛠 Task (%d min)", c.Task.Minutes), Text: taskText(c.Task)},
		)
	}
	m.Sections = append(m.Sections, Section{Text: checkInHint})
	return m
}

func taskText(t Task) string {
	return strings.Join([]string{t.Do, "*Deliverable:* " + t.Deliverable, "*Works when:* " + t.Check}, "\n")
}

// CardThreadMessages are the parts of a card that go into its thread: objectives, the
// mock-interview questions with hidden answers, predict-output snippets, the interview
// script, debug exercises and references. Each part with hidden answers carries a Reveal
// button whose key names the part ("questions", "predict-2", "debug-1", "script"), so a
// button keeps revealing the same answers whatever the order of the parts.
func CardThreadMessages(t *Track, n int) []Message {
	c, _, _ := t.Card(n)
	if c.Stub() {
		return nil
	}
	var out []Message
	intro := Message{Title: "🎯 Today you will be able to", Sections: []Section{{Text: bullets(c.Objectives)}}}
	out = append(out, intro)

	qs := Message{Title: "🎤 Mock interview", Reveal: RevealAction(n, "questions")}
	for i, q := range c.Questions {
		label := fmt.Sprintf("Q%d. %s", i+1, q.Q)
		if q.Senior != "" {
			label += " (senior)"
		}
		qs.Sections = append(qs.Sections,
			Section{Text: "*" + label + "*"},
			Section{Heading: fmt.Sprintf("Model answer %d", i+1), Text: q.Answer + "\nMust mention: " + strings.Join(q.Points, "; "), Hidden: true},
		)
	}
	out = append(out, qs)

	for i, s := range c.Predict {
		m := Message{Title: fmt.Sprintf("🔮 Predict the output (%d/%d) — %s", i+1, len(c.Predict), moduleName(s.Module)),
			Reveal: RevealAction(n, fmt.Sprintf("predict-%d", i+1))}
		m.Sections = append(m.Sections, Section{Code: s.Code, Lang: "js"})
		ans := "Output:"
		if len(s.Outputs) > 1 {
			ans = "Any of these outputs:"
		}
		hidden := []string{ans}
		for _, o := range s.Outputs {
			hidden = append(hidden, "```\n"+strings.TrimRight(o, "\n")+"\n```")
		}
		if s.Why != "" {
			hidden = append(hidden, s.Why)
		}
		m.Sections = append(m.Sections, Section{Heading: "Answer", Text: strings.Join(hidden, "\n"), Hidden: true})
		out = append(out, m)
	}

	for i, d := range c.Debug {
		m := Message{Title: fmt.Sprintf("🐞 Debug this (%d/%d) — %s", i+1, len(c.Debug), moduleName(d.Module)),
			Reveal: RevealAction(n, fmt.Sprintf("debug-%d", i+1))}
		m.Sections = append(m.Sections,
			Section{Code: d.Code, Lang: "js"},
			Section{Text: "*Symptom:* " + d.Symptom},
			Section{Heading: "Fix", Text: d.Fix, Hidden: true},
		)
		out = append(out, m)
	}

	if len(c.Script) > 0 {
		m := Message{Title: "🧑‍💼 Interview script — take turns as interviewer", Reveal: RevealAction(n, "script")}
		for i, s := range c.Script {
			text := fmt.Sprintf("*%d. %s*", i+1, s.Ask)
			if len(s.FollowUps) > 0 {
				text += "\nFollow-ups: " + strings.Join(s.FollowUps, " · ")
			}
			m.Sections = append(m.Sections, Section{Text: text}, Section{Heading: "A strong answer", Text: s.Strong, Hidden: true})
		}
		out = append(out, m)
	}

	refs := make([]string, len(c.References))
	for i, r := range c.References {
		refs[i] = "• " + r.Title + " — " + r.URL
	}
	out = append(out, Message{Title: "📚 References", Sections: []Section{{Text: strings.Join(refs, "\n")}}})
	return out
}

func moduleName(m string) string {
	if m == "esm" {
		return "ES module (.mjs)"
	}
	return "CommonJS (.cjs)"
}

// DayPost is what study day n's scheduled post sends: its card, which opens the day's
// thread, then the thread's parts. On a phase's first day the card leads with the phase's
// intro, so that the intro costs no message of its own: platforms pack the card and its
// thread into as few messages as their limits allow.
func DayPost(t *Track, n int) []Message {
	card := CardMessage(t, n)
	if c, p, ok := t.Card(n); ok && c.Day == 1 {
		card.Sections = append(phaseIntroSections(t, p.Number), card.Sections...)
	}
	return append([]Message{card}, CardThreadMessages(t, n)...)
}

// PhaseIntroMessage is a phase's intro on its own: its title, what it covers and its days.
func PhaseIntroMessage(t *Track, phase int) Message {
	p := t.Phases[phase-1]
	return Message{Title: phaseTitle(t, p), Sections: phaseIntroBody(p)}
}

// phaseIntroSections are a phase's intro as the leading sections of its first card.
func phaseIntroSections(t *Track, phase int) []Section {
	p := t.Phases[phase-1]
	body := phaseIntroBody(p)
	body[0].Heading = "🧭 " + phaseTitle(t, p)
	return body
}

func phaseTitle(t *Track, p Phase) string {
	return fmt.Sprintf("Phase %d of %d — %s", p.Number, len(t.Phases), p.Title)
}

func phaseIntroBody(p Phase) []Section {
	text := p.Subtitle
	if p.Goal != "" {
		text += "\n*Goal:* " + p.Goal
	}
	text += fmt.Sprintf("\n%d days: ", len(p.Days))
	topics := make([]string, len(p.Days))
	for i, d := range p.Days {
		topics[i] = d.Topic
	}
	out := []Section{{Text: text + strings.Join(topics, " · ")}}
	if len(p.Senior) > 0 {
		items := make([]string, len(p.Senior))
		for i, s := range p.Senior {
			items[i] = s.Item
		}
		heading := p.SeniorLabel
		if heading == "" {
			heading = "Also covered"
		}
		out = append(out, Section{Heading: heading, Text: bullets(items)})
	}
	return out
}

// PhaseOutcomeMessage follows the last day of a phase: the outcome as a self-check.
func PhaseOutcomeMessage(t *Track, phase int) Message {
	p := t.Phases[phase-1]
	return Message{
		Title:    fmt.Sprintf("Phase %d complete — self-check", p.Number),
		Sections: []Section{{Text: fmt.Sprintf("🎯 “%s”\nCan you say this honestly? React or /done today's card to confirm; revisit a day with /done DAY.", p.Outcome)}},
	}
}
