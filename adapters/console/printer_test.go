package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"cohortbot/internal/study"
)

// TestPrinterShowsDirectMessages: a post addressed to a member is shown as a direct
// message to them, not as a post in the channel.
func TestPrinterShowsDirectMessages(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	p := NewPrinter(&b, func() time.Time { return time.Date(2027, 3, 10, 20, 0, 0, 0, time.UTC) })
	out := study.Outgoing{Channel: Channel, To: study.UserRef{Platform: Channel.Platform, ID: "bob", Name: "Bob"}, Kind: "nudge",
		Messages: []study.Message{{Sections: []study.Section{{Text: "⏰ Day 3 is still open."}}}}}
	var got study.Delivered
	if _, err := p.Post(context.Background(), out, func(_ context.Context, d study.Delivered) error { got = d; return nil }); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "📩 to Bob:\n⏰ Day 3 is still open.") || strings.Contains(s, "📣 posted") {
		t.Errorf("printed:\n%s", s)
	}
	if got.Parts != 1 || got.ThreadID != "" {
		t.Errorf("progress %+v", got)
	}
}
