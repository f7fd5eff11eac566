package discordbot

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"cohortbot/internal/study"
)

// Discord's message limits (characters, counted as code points).
const (
	maxContent    = 2000
	maxTitle      = 256
	maxAuthor     = 256
	maxDesc       = 4096
	maxEmbedTotal = 6000 // all embeds of one message together
	maxEmbeds     = 10
	maxButtons    = 5 // per action row
	maxRows       = 5
	maxLabel      = 80

	// pieceMax is the longest piece of text put into one description; longer sections
	// are split on line boundaries (code blocks and spoilers are closed and reopened).
	pieceMax = 3900
)

// embedColor is the accent of cohortbot's embeds.
const embedColor = 0x5865F2

// outMessage is one Discord message to send (a channel message, an interaction
// response, or a webhook follow-up or edit).
type outMessage struct {
	Content    string      `json:"content,omitempty"`
	Embeds     []embed     `json:"embeds,omitempty"`
	Components []actionRow `json:"components,omitempty"`
	Flags      int         `json:"flags,omitempty"`
	Mentions   *noMentions `json:"allowed_mentions,omitempty"`
	// Nonce with EnforceNonce makes a repeated create return the first message instead
	// of posting again (discordgo's MessageSend has no nonce field, hence this type).
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// noMentions keeps curriculum text and member names from pinging anyone.
type noMentions struct {
	Parse []string `json:"parse"`
}

type embed struct {
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	Color       int          `json:"color,omitempty"`
	Author      *embedAuthor `json:"author,omitempty"`
}

type embedAuthor struct {
	Name string `json:"name"`
}

type actionRow struct {
	Type       int      `json:"type"` // 1
	Components []button `json:"components"`
}

type button struct {
	Type     int    `json:"type"`  // 2
	Style    int    `json:"style"` // 3 success (green)
	Label    string `json:"label"`
	CustomID string `json:"custom_id"`
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func truncate(s string, n int) string {
	if runes(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// render turns a core message into one or more Discord messages within Discord's limits:
// a short plain reply becomes content; anything else becomes embeds (title, then the
// sections in descriptions), split across embeds and messages when long. Hidden sections
// become ||spoilers||; actions become buttons under the last message.
func render(m study.Message) []outMessage {
	var out []outMessage
	if isPlain(m) {
		text := escapeBars(discordMarkdown(m.Sections[0].Text))
		for _, s := range m.Sections[1:] {
			text += "\n\n" + escapeBars(discordMarkdown(s.Text))
		}
		if runes(text) <= maxContent {
			out = []outMessage{{Content: text}}
		}
	}
	if out == nil {
		out = renderEmbeds(m)
	}
	if rows := buttons(m.Actions); len(rows) > 0 {
		if len(out) == 0 {
			out = []outMessage{{Content: "\u200b"}}
		}
		out[len(out)-1].Components = rows
	}
	for i := range out {
		out[i].Mentions = &noMentions{Parse: []string{}}
	}
	return out
}

// renderPost renders a scheduled post's messages into the Discord messages to send, in
// order. When the first opens a thread, it is rendered alone (the thread starts on its
// last message); the messages after it, or all of them when there is no thread to open,
// are packed: consecutive embed-only messages share one Discord message up to its 10
// embeds and 6,000 characters. The packing depends only on the messages, so a retry
// counts the same parts.
func renderPost(msgs []study.Message, opensThread bool) (root, rest []outMessage) {
	if len(msgs) == 0 {
		return nil, nil
	}
	if opensThread {
		root, msgs = render(msgs[0]), msgs[1:]
	}
	var outs []outMessage
	for _, m := range msgs {
		outs = append(outs, render(m)...)
	}
	return root, pack(outs)
}

// pack merges consecutive Discord messages that carry only embeds into as few messages as
// Discord's limits allow. A message's buttons stay under its last embed, so a message
// with buttons ends a merge; text content is never merged (it shows above the embeds).
func pack(outs []outMessage) []outMessage {
	var packed []outMessage
	size := 0 // characters in the embeds of the last packed message
	for _, m := range outs {
		if n := len(packed); n > 0 {
			last := &packed[n-1]
			mSize := 0
			for _, e := range m.Embeds {
				mSize += embedSize(e)
			}
			if last.Content == "" && len(last.Components) == 0 && m.Content == "" && len(m.Embeds) > 0 &&
				len(last.Embeds)+len(m.Embeds) <= maxEmbeds && size+mSize <= maxEmbedTotal {
				last.Embeds = append(last.Embeds, m.Embeds...)
				last.Components = m.Components
				size += mSize
				continue
			}
		}
		packed = append(packed, m)
		size = 0
		for _, e := range m.Embeds {
			size += embedSize(e)
		}
	}
	return packed
}

// isPlain reports whether m is only text: no title, headings, code or hidden parts.
func isPlain(m study.Message) bool {
	if m.Title != "" || len(m.Sections) == 0 {
		return false
	}
	for _, s := range m.Sections {
		if s.Heading != "" || s.Code != "" || s.Hidden || s.Text == "" {
			return false
		}
	}
	return true
}

func buttons(actions []study.Action) []actionRow {
	var rows []actionRow
	for i, a := range actions {
		if i/maxButtons >= maxRows {
			break
		}
		if i%maxButtons == 0 {
			rows = append(rows, actionRow{Type: 1})
		}
		r := &rows[len(rows)-1]
		r.Components = append(r.Components, button{Type: 2, Style: 3, Label: truncate(a.Label, maxLabel), CustomID: a.ID})
	}
	return rows
}

// piece is a unit of description text: open + text + close, where open/close (a code
// fence, spoiler bars) must wrap every part when the text is split.
type piece struct {
	open, text, close string
	sep               string // what separates it from the piece before
}

func (p piece) String() string { return p.open + p.text + p.close }
func (p piece) len() int       { return runes(p.open) + runes(p.text) + runes(p.close) }

func renderEmbeds(m study.Message) []outMessage {
	var head embed
	head.Color = embedColor
	if m.Title != "" {
		lines := strings.Split(strings.TrimSpace(m.Title), "\n")
		if len(lines) > 1 {
			head.Author = &embedAuthor{Name: truncate(lines[0], maxAuthor)}
			lines = lines[1:]
		}
		head.Title = truncate(strings.Join(lines, " — "), maxTitle)
	}
	var pieces []piece
	for _, s := range m.Sections {
		pieces = append(pieces, sectionPieces(s)...)
	}
	var split []piece
	for _, p := range pieces {
		split = append(split, splitPiece(p, pieceMax)...)
	}

	var msgs []outMessage
	cur := outMessage{Embeds: []embed{head}}
	total := embedSize(head)
	for _, p := range split {
		e := &cur.Embeds[len(cur.Embeds)-1]
		add := p.String()
		withSep := add
		if e.Description != "" {
			withSep = p.sep + add
		}
		switch {
		case runes(e.Description)+runes(withSep) <= maxDesc && total+runes(withSep) <= maxEmbedTotal:
			e.Description += withSep
			total += runes(withSep)
		case len(cur.Embeds) < maxEmbeds && total+runes(add) <= maxEmbedTotal:
			cur.Embeds = append(cur.Embeds, embed{Color: embedColor, Description: add})
			total += runes(add)
		default:
			msgs = append(msgs, cur)
			cur = outMessage{Embeds: []embed{{Color: embedColor, Description: add}}}
			total = runes(add)
		}
	}
	msgs = append(msgs, cur)
	// An embed needs something in it: a message with only a title and no sections keeps
	// its title; an empty message becomes a zero-width space.
	for i := range msgs {
		var kept []embed
		for _, e := range msgs[i].Embeds {
			if e.Title != "" || e.Description != "" || e.Author != nil {
				kept = append(kept, e)
			}
		}
		msgs[i].Embeds = kept
		if len(kept) == 0 {
			msgs[i].Content = "\u200b"
		}
	}
	return msgs
}

func embedSize(e embed) int {
	n := runes(e.Title) + runes(e.Description)
	if e.Author != nil {
		n += runes(e.Author.Name)
	}
	return n
}

// sectionPieces renders one section: a bold heading, then its text and code; hidden
// parts are wrapped in spoilers one prose paragraph or code block at a time.
func sectionPieces(s study.Section) []piece {
	var out []piece
	sep := "\n\n"
	if s.Heading != "" {
		out = append(out, piece{text: "**" + escapeStars(s.Heading) + "**", sep: sep})
		sep = "\n"
	}
	if s.Text != "" {
		for _, seg := range segments(s.Text) {
			p := piece{sep: sep}
			if seg.code {
				p.open, p.text, p.close = "```"+seg.lang+"\n", seg.text, "\n```"
			} else if s.Hidden {
				p.text = discordMarkdown(seg.text)
			} else {
				p.text = escapeBars(discordMarkdown(seg.text))
			}
			if s.Hidden {
				p = spoiler(p)
			}
			out = append(out, p)
			sep = "\n"
		}
	}
	if s.Code != "" {
		p := piece{open: "```" + s.Lang + "\n", text: strings.TrimRight(s.Code, "\n"), close: "\n```", sep: sep}
		if s.Hidden {
			p = spoiler(p)
		}
		out = append(out, p)
	}
	return out
}

// spoiler hides a piece. Bars inside it get a zero-width space so that they cannot close
// the spoiler early (JavaScript's || is common in answers).
func spoiler(p piece) piece {
	p.text = strings.ReplaceAll(p.text, "||", "|\u200b|")
	p.open, p.close = "||"+p.open, p.close+"||"
	return p
}

// escapeBars keeps a || in prose (outside `code`) from starting a spoiler.
func escapeBars(s string) string {
	if !strings.Contains(s, "||") {
		return s
	}
	var b strings.Builder
	inCode := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '`':
			inCode = !inCode
		case !inCode && s[i] == '|' && i+1 < len(s) && s[i+1] == '|':
			b.WriteString(`\|\|`)
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func escapeStars(s string) string { return strings.ReplaceAll(s, "*", "\\*") }

type segment struct {
	code       bool
	lang, text string
}

// segments splits text at ``` fences into prose and code blocks.
func segments(text string) []segment {
	var out []segment
	var cur []string
	inCode, lang := false, ""
	flush := func() {
		t := strings.Join(cur, "\n")
		if inCode || strings.TrimSpace(t) != "" {
			out = append(out, segment{code: inCode, lang: lang, text: strings.Trim(t, "\n")})
		}
		cur = nil
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			flush()
			if !inCode {
				lang = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "```"))
			} else {
				lang = ""
			}
			inCode = !inCode
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// splitPiece cuts a piece longer than max into pieces on line boundaries (and inside a
// line when one line is too long), each wrapped in the piece's open and close.
func splitPiece(p piece, max int) []piece {
	if p.len() <= max {
		return []piece{p}
	}
	room := max - runes(p.open) - runes(p.close)
	var out []piece
	var cur strings.Builder
	push := func() {
		if cur.Len() == 0 {
			return
		}
		sep := "\n"
		if len(out) == 0 {
			sep = p.sep
		}
		out = append(out, piece{open: p.open, text: strings.TrimRight(cur.String(), "\n"), close: p.close, sep: sep})
		cur.Reset()
	}
	for _, line := range strings.Split(p.text, "\n") {
		for runes(line) > room {
			push()
			r := []rune(line)
			cut := room
			// Prefer a space near the end of the room.
			for i := room - 1; i > room*3/4; i-- {
				if unicode.IsSpace(r[i]) {
					cut = i + 1
					break
				}
			}
			cur.WriteString(string(r[:cut]))
			push()
			line = string(r[cut:])
		}
		if runes(cur.String())+runes(line)+1 > room {
			push()
		}
		cur.WriteString(line + "\n")
	}
	push()
	return out
}

// discordMarkdown converts the core's markdown subset to Discord's: *bold* becomes
// **bold** (a single star is italic on Discord); _italic_, `code` and bullets are the same.
// Code spans and fenced blocks are left alone.
func discordMarkdown(s string) string {
	if !strings.Contains(s, "*") {
		return s
	}
	lines := strings.Split(s, "\n")
	inFence := false
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if !inFence {
			lines[i] = boldLine(line)
		}
	}
	return strings.Join(lines, "\n")
}

func boldLine(line string) string {
	r := []rune(line)
	var b strings.Builder
	inCode := false
	isWordy := func(i int) bool {
		return i >= 0 && i < len(r) && (unicode.IsLetter(r[i]) || unicode.IsDigit(r[i]))
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '`':
			inCode = !inCode
			b.WriteRune(c)
		case c == '*' && !inCode && i+1 < len(r) && r[i+1] == '*':
			b.WriteString("**") // already Discord bold
			i++
		case c == '*' && !inCode && !isWordy(i-1) && i+1 < len(r) && !unicode.IsSpace(r[i+1]):
			// Find the closing star on this line: after a non-space, before a non-word.
			end := -1
			for j := i + 2; j < len(r); j++ {
				if r[j] == '`' {
					break
				}
				if r[j] == '*' && !unicode.IsSpace(r[j-1]) && !isWordy(j+1) {
					end = j
					break
				}
			}
			if end < 0 {
				b.WriteRune(c)
				continue
			}
			b.WriteString("**" + string(r[i+1:end]) + "**")
			i = end
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
