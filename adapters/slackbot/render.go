package slackbot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"cohortbot/internal/study"
)

// Slack's Block Kit limits, and our own bound on how much one message carries.
const (
	maxBlocks      = 50   // blocks per message
	maxSectionText = 3000 // characters per section or context text
	maxHeaderText  = 150  // characters in a header
	maxButtonText  = 75   // characters on a button
	maxMessageText = 12000
	maxFallback    = 300 // the notification text that goes with blocks
)

// slackMessage is one chat.postMessage worth of blocks.
type slackMessage struct {
	Blocks []slack.Block
	Text   string // notification fallback
	// mark, when set, is sent as the message's metadata: which post and part it is.
	mark *slack.SlackMetadata
}

// group is one study.Message rendered as blocks.
type group struct {
	blocks   []slack.Block
	chars    int
	fallback string
}

// render turns core messages into Slack messages: each core message becomes a group of
// blocks, and groups are packed into messages within Slack's limits.
func render(msgs []study.Message) []slackMessage {
	return pack(groups(msgs))
}

func groups(msgs []study.Message) []group {
	var out []group
	for i, m := range msgs {
		if g, ok := renderGroup(m, i); ok {
			out = append(out, g)
		}
	}
	return out
}

// renderSplit renders the first core message on its own (the root of a post's thread) and
// packs the others together.
func renderSplit(msgs []study.Message) (root, rest []slackMessage) {
	if len(msgs) == 0 {
		return nil, nil
	}
	gs := groups(msgs)
	if len(gs) == 0 {
		return nil, nil
	}
	return pack(gs[:1]), pack(gs[1:])
}

// renderGroup renders one core message. When it has a Reveal button, its hidden sections
// are left out and the button shows them to the member who presses it; otherwise (a
// member's own /today) they are shown, marked as answers.
func renderGroup(m study.Message, idx int) (group, bool) {
	var g group
	add := func(b slack.Block, chars int) {
		g.blocks = append(g.blocks, b)
		g.chars += chars
	}
	if t := strings.TrimSpace(m.Title); t != "" {
		lines := strings.Split(t, "\n")
		head := truncate(strings.TrimSpace(lines[len(lines)-1]), maxHeaderText)
		if head != "" {
			add(slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, head, true, false)), utf8.RuneCountInString(head))
			g.fallback = head
		}
		if len(lines) > 1 {
			ctx := strings.TrimSpace(strings.Join(lines[:len(lines)-1], "\n"))
			if ctx != "" {
				for _, piece := range splitText(ctx, maxSectionText) {
					add(slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, escape(piece), false, false)), utf8.RuneCountInString(piece))
				}
				g.fallback = strings.TrimSpace(ctx + " — " + g.fallback)
			}
		}
	}
	revealable := m.Reveal.ID != ""
	hidden := 0
	for _, s := range m.Sections {
		if s.Hidden && revealable {
			hidden++
			continue
		}
		heading := s.Heading
		if s.Hidden {
			heading = strings.TrimSpace(heading + " (answer)")
		}
		for _, text := range sectionTexts(heading, s.Text, s.Code, s.Mentions) {
			add(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil), utf8.RuneCountInString(text))
			if g.fallback == "" {
				g.fallback = plain(s.Heading + " " + s.Text)
			}
		}
	}
	var buttons []slack.BlockElement
	for _, a := range m.Actions {
		b := slack.NewButtonBlockElement(a.ID, a.ID, slack.NewTextBlockObject(slack.PlainTextType, truncate(a.Label, maxButtonText), true, false))
		if a.Primary {
			b = b.WithStyle(slack.StylePrimary)
		}
		buttons = append(buttons, b)
	}
	if hidden > 0 {
		note := "🙈 The model answer is hidden: *Show answers* shows it only to you."
		if hidden > 1 {
			note = fmt.Sprintf("🙈 %d answers are hidden: *Show answers* shows them only to you.", hidden)
		}
		add(slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, note, false, false)), utf8.RuneCountInString(note))
		id := m.Reveal.ID
		buttons = append(buttons, slack.NewButtonBlockElement(id, id, slack.NewTextBlockObject(slack.PlainTextType, truncate(m.Reveal.Label, maxButtonText), true, false)))
	}
	if len(buttons) > 0 {
		g.blocks = append(g.blocks, slack.NewActionBlock("actions-"+strconv.Itoa(idx), buttons...))
	}
	if len(g.blocks) == 0 {
		return g, false
	}
	if g.fallback == "" {
		g.fallback = "cohortbot"
	}
	g.fallback = truncate(g.fallback, maxFallback)
	return g, true
}

// pack puts groups into as few messages as the limits allow, with a divider between
// groups; a group too large for one message is split across several.
func pack(groups []group) []slackMessage {
	var out []slackMessage
	var cur slackMessage
	chars := 0
	flush := func() {
		if len(cur.Blocks) > 0 {
			out = append(out, cur)
		}
		cur, chars = slackMessage{}, 0
	}
	for _, g := range groups {
		need := len(g.blocks)
		if len(cur.Blocks) > 0 {
			need++ // the divider
		}
		if len(cur.Blocks) > 0 && (len(cur.Blocks)+need > maxBlocks || chars+g.chars > maxMessageText) {
			flush()
		}
		if len(cur.Blocks) > 0 {
			cur.Blocks = append(cur.Blocks, slack.NewDividerBlock())
		}
		if cur.Text == "" {
			cur.Text = g.fallback
		}
		for _, b := range g.blocks {
			n := blockChars(b)
			if len(cur.Blocks) >= maxBlocks || (chars+n > maxMessageText && len(cur.Blocks) > 0) {
				flush()
				cur.Text = g.fallback
			}
			cur.Blocks = append(cur.Blocks, b)
			chars += n
		}
	}
	flush()
	return out
}

func blockChars(b slack.Block) int {
	switch x := b.(type) {
	case *slack.SectionBlock:
		if x.Text != nil {
			return utf8.RuneCountInString(x.Text.Text)
		}
	case *slack.HeaderBlock:
		if x.Text != nil {
			return utf8.RuneCountInString(x.Text.Text)
		}
	case *slack.ContextBlock:
		n := 0
		for _, e := range x.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				n += utf8.RuneCountInString(t.Text)
			}
		}
		return n
	}
	return 0
}

// sectionTexts renders a section's heading, text and code as mrkdwn, split into pieces of
// at most maxSectionText characters (code stays fenced in every piece). mentions keeps
// the core's <@id> mentions in the text as mentions.
func sectionTexts(heading, text, code string, mentions bool) []string {
	var pieces []string
	esc := escape
	if mentions {
		esc = escapeKeepingMentions
	}
	if t := strings.TrimSpace(text); t != "" {
		for _, p := range splitText(t, maxSectionText) {
			pieces = append(pieces, esc(p))
		}
	}
	if c := strings.TrimRight(code, "\n"); strings.TrimSpace(c) != "" {
		for _, p := range splitText(c, maxSectionText-8) {
			pieces = append(pieces, "```\n"+escape(p)+"\n```")
		}
	}
	if h := strings.TrimSpace(heading); h != "" {
		h = "*" + escape(h) + "*"
		if len(pieces) > 0 && utf8.RuneCountInString(pieces[0])+utf8.RuneCountInString(h)+1 <= maxSectionText {
			pieces[0] = h + "\n" + pieces[0]
		} else {
			pieces = append([]string{h}, pieces...)
		}
	}
	return pieces
}

// splitText cuts s into pieces whose escaped length is at most limit, at line ends where it
// can, else at spaces, else anywhere between runes.
func splitText(s string, limit int) []string {
	var out []string
	for s != "" {
		if escapedLen(s) <= limit {
			out = append(out, s)
			break
		}
		// The longest prefix within the limit.
		n, end := 0, 0
		for i, r := range s {
			w := escapedRuneLen(r)
			if n+w > limit {
				break
			}
			n += w
			end = i + utf8.RuneLen(r)
		}
		cut := end
		if i := strings.LastIndex(s[:end], "\n"); i > 0 {
			cut = i
		} else if i := strings.LastIndex(s[:end], " "); i > 0 {
			cut = i
		}
		if cut == 0 {
			cut = max(end, 1)
		}
		out = append(out, strings.TrimRight(s[:cut], " \n"))
		s = strings.TrimLeft(s[cut:], " \n")
	}
	return out
}

func escapedRuneLen(r rune) int {
	switch r {
	case '&':
		return 5
	case '<', '>':
		return 4
	}
	return 1
}

func escapedLen(s string) int {
	n := 0
	for _, r := range s {
		n += escapedRuneLen(r)
	}
	return n
}

// escape makes text safe for Slack mrkdwn: &, < and > are control characters there (links,
// mentions), so the core's text is shown as written.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }

// mention is a user mention as the core writes it.
var mention = regexp.MustCompile(`<@[UW][A-Z0-9]+>`)

// escapeKeepingMentions escapes everything but the mentions.
func escapeKeepingMentions(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range mention.FindAllStringIndex(s, -1) {
		b.WriteString(escape(s[last:m[0]]))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(escape(s[last:]))
	return b.String()
}

// plain strips the markdown subset for notification text.
func plain(s string) string {
	s = strings.NewReplacer("*", "", "_", "", "`", "").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
