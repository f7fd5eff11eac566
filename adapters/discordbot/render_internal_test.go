package discordbot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"cohortbot/content"
	"cohortbot/internal/curriculum"
	"cohortbot/internal/study"
)

// checkLimits fails t when a rendered message breaks one of Discord's limits or leaves a
// code block or spoiler open.
func checkLimits(t *testing.T, what string, msgs []outMessage) {
	t.Helper()
	for i, m := range msgs {
		if runes(m.Content) > maxContent {
			t.Errorf("%s #%d: content %d > %d", what, i, runes(m.Content), maxContent)
		}
		if len(m.Embeds) > maxEmbeds {
			t.Errorf("%s #%d: %d embeds", what, i, len(m.Embeds))
		}
		if m.Content == "" && len(m.Embeds) == 0 {
			t.Errorf("%s #%d: empty message", what, i)
		}
		total := 0
		for j, e := range m.Embeds {
			total += embedSize(e)
			if runes(e.Title) > maxTitle || runes(e.Description) > maxDesc || (e.Author != nil && runes(e.Author.Name) > maxAuthor) {
				t.Errorf("%s #%d embed %d over a limit: title %d, description %d", what, i, j, runes(e.Title), runes(e.Description))
			}
			if n := strings.Count(e.Description, "```"); n%2 != 0 {
				t.Errorf("%s #%d embed %d: unbalanced code fences (%d)", what, i, j, n)
			}
			if n := spoilerBars(e.Description); n%2 != 0 {
				t.Errorf("%s #%d embed %d: unbalanced spoilers (%d)", what, i, j, n)
			}
		}
		if total > maxEmbedTotal {
			t.Errorf("%s #%d: embeds total %d > %d", what, i, total, maxEmbedTotal)
		}
		if len(m.Components) > maxRows {
			t.Errorf("%s #%d: %d action rows", what, i, len(m.Components))
		}
	}
}

// spoilerBars counts the || that Discord reads as spoiler marks: outside code blocks and
// code spans, and not escaped.
func spoilerBars(s string) int {
	n := 0
	fence, span := false, false
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "```"):
			fence = !fence
			i += 2
		case s[i] == '`' && !fence:
			span = !span
		case s[i] == '\\':
			i++
		case !fence && !span && strings.HasPrefix(s[i:], "||"):
			n++
			i++
		}
	}
	return n
}

func TestEveryCardRendersWithinDiscordLimits(t *testing.T) {
	t.Parallel()
	fsys, err := content.Track(content.DefaultTrack)
	if err != nil {
		t.Fatal(err)
	}
	src, err := curriculum.Load(fsys, curriculum.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := src.Track
	for n := 1; n <= tr.Len(); n++ {
		card := render(study.CardMessage(tr, n))
		checkLimits(t, fmt.Sprintf("day %d card", n), card)
		if len(card) != 1 {
			t.Errorf("day %d: the card takes %d messages; it should fit one (the thread starts on it)", n, len(card))
		}
		if b := card[len(card)-1].Components; len(b) != 1 || b[0].Components[0].CustomID != study.DoneAction(n).ID {
			t.Errorf("day %d: button %+v", n, b)
		}
		for i, m := range study.CardThreadMessages(tr, n) {
			checkLimits(t, fmt.Sprintf("day %d thread message %d", n, i), render(m))
		}
	}
	// A day's scheduled post: the card alone (the thread starts on it), then the thread's
	// parts packed. Nearly every day is card + thread + one message (k = 3).
	perK := map[int]int{}
	for n := 1; n <= tr.Len(); n++ {
		root, rest := renderPost(study.DayPost(tr, n), true)
		checkLimits(t, fmt.Sprintf("day %d post's card", n), root)
		checkLimits(t, fmt.Sprintf("day %d post's thread", n), rest)
		if len(root) != 1 {
			t.Errorf("day %d: the card (with any phase intro) takes %d messages", n, len(root))
		}
		perK[len(root)+1+len(rest)]++
	}
	if perK[3] < tr.Len()*9/10 || perK[3]+perK[4]+perK[5] != tr.Len() {
		t.Errorf("requests per day's post: %v, want k = 3 for at least 90%% of days and never more than 5", perK)
	}
	for p := 1; p <= len(tr.Phases); p++ {
		checkLimits(t, "phase intro", render(study.PhaseIntroMessage(tr, p)))
		checkLimits(t, "phase outcome", render(study.PhaseOutcomeMessage(tr, p)))
	}
}

func TestLongMessagesAreSplitSafely(t *testing.T) {
	t.Parallel()
	var prose, code, hidden []string
	for i := range 400 {
		prose = append(prose, fmt.Sprintf("Line %03d of the study text with *bold* words and `code`.", i))
		code = append(code, fmt.Sprintf("console.log(%d) // a long program line", i))
		hidden = append(hidden, fmt.Sprintf("Answer line %03d", i))
	}
	long := strings.Repeat("x", 5000) // one line longer than a description
	m := study.Message{
		Title: strings.Repeat("T", 300) + "\nSecond line",
		Sections: []study.Section{
			{Heading: "Study", Text: strings.Join(prose, "\n")},
			{Code: strings.Join(code, "\n"), Lang: "js"},
			{Heading: "Answers", Text: strings.Join(hidden, "\n") + "\n```\noutput\n```\n" + long, Hidden: true},
		},
		Actions: []study.Action{study.DoneAction(3)},
	}
	msgs := render(m)
	checkLimits(t, "long message", msgs)
	if len(msgs) < 4 {
		t.Errorf("only %d messages for ~40k characters", len(msgs))
	}
	var all strings.Builder
	for _, o := range msgs {
		for _, e := range o.Embeds {
			all.WriteString(e.Description + "\n")
		}
	}
	text := all.String()
	for _, want := range []string{"Line 000", "Line 399", "console.log(0)", "console.log(399)", "||Answer line 000", "Answer line 399", "||```\noutput\n```||", "**bold**"} {
		if !strings.Contains(text, want) {
			t.Errorf("split text lacks %q", want)
		}
	}
	if strings.Count(text, "x") < 5000 {
		t.Errorf("the long line lost characters")
	}
	if len(msgs[len(msgs)-1].Components) != 1 || len(msgs[0].Components) != 0 {
		t.Errorf("the button should be under the last message only")
	}
	if msgs[0].Embeds[0].Author == nil || runes(msgs[0].Embeds[0].Title) > maxTitle {
		t.Errorf("head embed %+v", msgs[0].Embeds[0].Author)
	}
}

// TestPackingKeepsOrderAndButtons: messages are packed in order, a message with buttons
// ends a pack (its buttons stay under it), and text content is never merged.
func TestPackingKeepsOrderAndButtons(t *testing.T) {
	t.Parallel()
	embedMsg := func(title string, chars int) study.Message {
		return study.Message{Title: title, Sections: []study.Section{{Text: strings.Repeat("x", chars)}}}
	}
	_, got := renderPost([]study.Message{
		embedMsg("a", 100), embedMsg("b", 100),
		{Title: "c", Sections: []study.Section{{Text: "with a button"}}, Actions: []study.Action{study.DoneAction(1)}},
		embedMsg("d", 3000), embedMsg("e", 3000), // d and e do not fit one message
		{Sections: []study.Section{{Text: "plain text"}}},
		embedMsg("f", 100),
	}, false)
	var shape []string
	for _, m := range got {
		var titles []string
		for _, e := range m.Embeds {
			titles = append(titles, e.Title)
		}
		if m.Content != "" {
			titles = append(titles, "text")
		}
		if len(m.Components) > 0 {
			titles = append(titles, "buttons")
		}
		shape = append(shape, strings.Join(titles, "+"))
	}
	if strings.Join(shape, " | ") != "a+b+c+buttons | d | e | text | f" {
		t.Errorf("packed as %v", shape)
	}
}

func TestPlainRepliesAreContent(t *testing.T) {
	t.Parallel()
	got := render(study.Message{Sections: []study.Section{{Text: "✅ *Day 1* checked in."}}})
	if len(got) != 1 || got[0].Content != "✅ **Day 1** checked in." || len(got[0].Embeds) != 0 {
		t.Errorf("plain reply %+v", got)
	}
	got2 := render(study.Message{Sections: []study.Section{{Text: "listen on PORT || 3000, or `a || b`"}}})
	if got2[0].Content != "listen on PORT \\|\\| 3000, or `a || b`" {
		t.Errorf("bars in prose: %q", got2[0].Content)
	}
	if got[0].Mentions == nil || len(got[0].Mentions.Parse) != 0 {
		t.Errorf("mentions are not suppressed")
	}
}

func TestDiscordMarkdown(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"*Deliverable:* a repo":         "**Deliverable:** a repo",
		"2 * 3 * 4":                     "2 * 3 * 4",
		"a*b*c":                         "a*b*c",
		"`*not bold*` and *bold*":       "`*not bold*` and **bold**",
		"**already**":                   "**already**",
		"_italic_ • bullet":             "_italic_ • bullet",
		"```\n*code*\n```\n*after*":     "```\n*code*\n```\n**after**",
		"*unclosed and more":            "*unclosed and more",
		"*Symptom:* crash; *Fix:* none": "**Symptom:** crash; **Fix:** none",
	} {
		if got := discordMarkdown(in); got != want {
			t.Errorf("discordMarkdown(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMessageNonce(t *testing.T) {
	t.Parallel()
	base := "cb1234567890123456789" // the outbox's 21 characters
	if got := messageNonce(base, 0); got != base {
		t.Errorf("first nonce %q", got)
	}
	if got := messageNonce(base, 12); got != base+".12" {
		t.Errorf("nonce 12 %q", got)
	}
	long := strings.Repeat("n", 40)
	a, b := messageNonce(long, 0), messageNonce(long, 99)
	if len(a) > maxNonce || len(b) > maxNonce || a == b || a != messageNonce(long, 0) {
		t.Errorf("long nonces %q %q", a, b)
	}
	if messageNonce("", 3) != "" {
		t.Error("no nonce without a base")
	}
}

func TestZoneMatch(t *testing.T) {
	t.Parallel()
	z := loadZones()
	for typed, want := range map[string]string{"berlin": "Europe/Berlin", "Europe/Ber": "Europe/Berlin", "new_york": "America/New_York", "kolk": "Asia/Kolkata", "America/Argentina/Cordoba": "America/Argentina/Cordoba"} {
		got := z.match(typed, 25)
		if len(got) == 0 || got[0] != want {
			t.Errorf("match(%q) = %v", typed, got)
		}
	}
	if got := z.match("zzzz", 25); len(got) != 0 {
		t.Errorf("match(zzzz) = %v", got)
	}
	if got := z.match("a", 25); len(got) != 25 {
		t.Errorf("match(a) gave %d", len(got))
	}
}

func TestTransportRewritesAndRefuses(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		w.WriteHeader(204)
	}))
	defer srv.Close()
	tr, err := newTransport(srv.URL + "/proxy/discord/")
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr}
	resp, err := c.Get("https://discord.com/api/v9/channels/1/messages/2/reactions/%E2%9C%85/@me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(paths) != 1 || paths[0] != "/proxy/discord/api/v9/channels/1/messages/2/reactions/%E2%9C%85/@me" {
		t.Errorf("paths %v", paths)
	}
	if _, err := c.Get("https://evil.example/api/v9/users/@me"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("a request to another host: %v", err)
	}
	if def, _ := newTransport("https://discord.com"); def.base != nil {
		t.Errorf("the default URL is rewritten")
	}
}

// The limits pace requests under the global limit, hold a route whose bucket Discord
// reported empty until it resets, hold everything after a global 429, and never pace an
// interaction's answer.
func TestLimitsFollowDiscordsHeaders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const route = "POST /channels/{channel}/messages"
	l := newLimits(50, 2) // 20ms apart after a burst of 2
	began := time.Now()
	for range 7 {
		if err := l.wait(ctx, route, "c1", 0); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(began); d < 90*time.Millisecond {
		t.Errorf("7 requests at 50/s (burst 2) took only %s", d)
	}

	// An interaction's answer does not wait for the global bucket.
	l = newLimits(1, 1)
	l.wait(ctx, route, "c1", 0) // the one token
	began = time.Now()
	for range 20 {
		l.wait(ctx, "POST /interactions/{id}/{token}/callback", "", 0)
	}
	if d := time.Since(began); d > 50*time.Millisecond {
		t.Errorf("20 interaction answers took %s behind the global limit", d)
	}

	// Remaining 0 holds that channel's route until the reset, not another channel's.
	l = newLimits(1000, 100)
	h := http.Header{}
	h.Set("X-RateLimit-Bucket", "abc")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset-After", "0.2")
	l.update(route, "c1", h, 200)
	began = time.Now()
	l.wait(ctx, route, "c2", 0)
	if d := time.Since(began); d > 50*time.Millisecond {
		t.Errorf("another channel waited %s", d)
	}
	l.wait(ctx, route, "c1", 0)
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Errorf("an empty bucket held its channel only %s", d)
	}

	// A global 429 holds every request, interaction answers included.
	g := http.Header{}
	g.Set("X-RateLimit-Global", "true")
	g.Set("Retry-After", "0.2")
	l.update(route, "c3", g, http.StatusTooManyRequests)
	began = time.Now()
	l.wait(ctx, "POST /interactions/{id}/{token}/callback", "", 0)
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Errorf("a global 429 of 200ms held only %s", d)
	}
	cctx, cancel := context.WithCancel(ctx)
	l.update(route, "c3", func() http.Header { g.Set("Retry-After", "3600"); return g }(), http.StatusTooManyRequests)
	cancel()
	if err := l.wait(cctx, route, "c9", 0); err == nil {
		t.Error("wait ignored a cancelled context")
	}

	// A scheduled post that would wait longer than it may for its channel's bucket gets
	// the wait back at once, and takes no place in the bucket.
	l = newLimits(1000, 100)
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset-After", "3")
	l.update(route, "c4", h, 200)
	began = time.Now()
	var we *waitError
	if err := l.wait(ctx, route, "c4", time.Second); !errors.As(err, &we) || we.wait < 2*time.Second || time.Since(began) > 50*time.Millisecond {
		t.Errorf("a post facing a 3 s bucket: %v after %s", err, time.Since(began))
	}
	if err := l.wait(ctx, route, "c5", time.Second); err != nil {
		t.Errorf("another channel's post: %v", err)
	}
}
