package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"cohortbot/internal/study"
)

// Printer is the console's screen: replies to the typed lines and the scheduler's posts
// share it, from different goroutines. It is the study.Poster of the "console" platform.
type Printer struct {
	mu     sync.Mutex
	out    io.Writer
	now    func() time.Time
	posted int
}

// NewPrinter prints to out; now stamps each post.
func NewPrinter(out io.Writer, now func() time.Time) *Printer {
	return &Printer{out: out, now: now}
}

func (p *Printer) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.out, s)
}

func (p *Printer) prompt(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.out, s)
}

func (p *Printer) reply(ctx context.Context, reply study.Reply, err error, log *slog.Logger) {
	if err != nil {
		reply = study.ErrorReply(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, m := range reply.Messages {
		if i > 0 {
			fmt.Fprintln(p.out, "───")
		}
		fmt.Fprint(p.out, study.PlainText(m))
	}
}

// Post shows a scheduled post as it happens: the console is the channel. Threads are
// named but flat; the message id counts posts so thread replies can find their day.
func (p *Printer) Post(ctx context.Context, out study.Outgoing, record study.Recorder) (study.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := out.Done
	if done.MessageID == "" {
		p.posted++
		done.MessageID = fmt.Sprintf("console-%d", p.posted)
	}
	opens := len(out.Messages) > 0 && out.Messages[0].ThreadName != "" && out.Thread == ""
	if out.To.ID != "" {
		// A direct message to one member (a personal reminder).
		fmt.Fprintf(p.out, "\n📩 to %s:\n", out.To.Name)
		opens = false
	} else {
		fmt.Fprintf(p.out, "\n📣 posted (%s · %s)\n", out.Kind, p.now().Format("Mon 2 Jan 15:04 MST"))
	}
	for i := done.Parts; i < len(out.Messages); i++ {
		m := out.Messages[i]
		switch {
		case i == 1 && opens:
			fmt.Fprintf(p.out, "🧵 thread “%s”\n", out.Messages[0].ThreadName)
		case i > 0:
			fmt.Fprintln(p.out, "───")
		}
		fmt.Fprint(p.out, study.PlainText(m))
		done.Parts = i + 1
		if i == 0 && opens {
			done.ThreadID = "thread-" + done.MessageID
		}
		if err := record(ctx, done); err != nil {
			return study.MessageRef{}, err
		}
	}
	fmt.Fprintln(p.out)
	ref := study.MessageRef{MessageID: done.MessageID, ThreadID: done.ThreadID}
	if out.Thread != "" {
		ref.ThreadID = out.Thread
	}
	return ref, nil
}
