// Package console is a chat channel in the terminal: a newcomer's first run and a way to
// script sessions (printf '/today\n' | cohortbot). It talks to the same core and store as
// the platforms; the member is also the organizer, and /as NAME switches member.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"cohortbot/internal/study"
)

// Channel is the one console channel every session shares, so data survives restarts.
var Channel = study.ChannelRef{Platform: "console", Workspace: "local", Channel: "console"}

// Console reads commands line by line and prints replies and posts.
type Console struct {
	svc    *study.Service
	out    io.Writer
	log    *slog.Logger
	user   study.UserRef
	prompt bool

	mu     sync.Mutex // replies and posts (from the scheduler's goroutine) share out
	posted int
	now    func() time.Time

	// OnClock moves the simulated clock (/clock +7d, /clock now) and returns the new time;
	// nil when the console has no scheduler.
	OnClock func(ctx context.Context, d time.Duration, reset bool) (time.Time, error)
	// AfterLine runs after each line (the scheduler's catch-up, so posts appear promptly).
	AfterLine func(ctx context.Context)
}

// New makes a console for member name.
func New(svc *study.Service, out io.Writer, log *slog.Logger, name string, prompt bool) *Console {
	c := &Console{svc: svc, out: out, log: log, prompt: prompt, now: svc.Now}
	c.switchUser(name)
	return c
}

func (c *Console) switchUser(name string) {
	id := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return '-'
	}, name)
	c.user = study.UserRef{Platform: Channel.Platform, Workspace: Channel.Workspace, ID: id, Name: name}
}

// Run reads in until it ends or ctx is cancelled.
func (c *Console) Run(ctx context.Context, in io.Reader) error {
	fmt.Fprintf(c.out, "cohortbot console — you are %s (an organizer). /help lists commands, /as NAME switches member, Ctrl-D quits.\n", c.user.Name)
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
		close(lines)
	}()
	for {
		c.showPrompt()
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return <-errc
			}
			c.Line(ctx, line)
		}
	}
}

func (c *Console) showPrompt() {
	if c.prompt {
		fmt.Fprintf(c.out, "%s> ", c.user.Name)
	}
}

// Line handles one typed line.
func (c *Console) Line(ctx context.Context, line string) {
	line = strings.TrimSpace(line)
	switch {
	case line == "" || strings.HasPrefix(line, "#"):
		return
	case strings.HasPrefix(line, "/as"):
		name := strings.TrimSpace(strings.TrimPrefix(line, "/as"))
		if name == "" {
			c.printError(study.Errorf(study.EINVALID, "say who: /as NAME"))
			return
		}
		c.switchUser(name)
		c.print(study.Reply{Messages: []study.Message{{Sections: []study.Section{{Text: "You are now " + name + "."}}}}}, nil)
		return
	case line == "/clock" || strings.HasPrefix(line, "/clock "):
		c.clock(ctx, strings.TrimSpace(strings.TrimPrefix(line, "/clock")))
		return
	case !strings.HasPrefix(line, "/"):
		// A plain line is a reply in today's thread: it checks the member in.
		reply, err := c.svc.CheckIn(ctx, study.CheckInRequest{Channel: Channel, User: c.user, Source: study.SourceReply, Note: line})
		c.print(reply, err)
		return
	}
	cmd, sub, rest := study.SplitCommandLine(line)
	reply, err := c.svc.Handle(ctx, study.Request{
		Channel: Channel, User: c.user, Organizer: true, Command: cmd, Sub: sub, Text: rest,
	})
	c.print(reply, err)
	if c.AfterLine != nil {
		c.AfterLine(ctx)
	}
}

// clock moves the simulated time: /clock +7d, +3h, +30m, or now (back to real time).
func (c *Console) clock(ctx context.Context, arg string) {
	if c.OnClock == nil {
		c.printError(study.Errorf(study.EINVALID, "/clock needs the scheduler"))
		return
	}
	var d time.Duration
	reset := arg == "now"
	if !reset {
		var err error
		if d, err = parseStep(arg); err != nil {
			c.printError(err)
			return
		}
	}
	t, err := c.OnClock(ctx, d, reset)
	if err != nil {
		c.printError(err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, "🕰 It is now %s.\n", t.UTC().Format("Mon 2 Jan 2006 15:04 UTC"))
}

// parseStep reads +7d, +3h, +30m (days are 24 hours of simulated time).
func parseStep(s string) (time.Duration, error) {
	bad := study.Errorf(study.EINVALID, "use /clock +7d, /clock +3h, /clock +30m or /clock now")
	if !strings.HasPrefix(s, "+") || len(s) < 3 {
		return 0, bad
	}
	n, err := strconv.Atoi(s[1 : len(s)-1])
	if err != nil || n <= 0 || n > 400 {
		return 0, bad
	}
	switch s[len(s)-1] {
	case 'd':
		return time.Duration(n) * 24 * time.Hour, nil
	case 'h':
		return time.Duration(n) * time.Hour, nil
	case 'm':
		return time.Duration(n) * time.Minute, nil
	}
	return 0, bad
}

func (c *Console) print(reply study.Reply, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.writeError(err)
		return
	}
	for i, m := range reply.Messages {
		if i > 0 {
			fmt.Fprintln(c.out, "───")
		}
		fmt.Fprint(c.out, study.PlainText(m))
	}
}

func (c *Console) printError(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeError(err)
}

func (c *Console) writeError(err error) {
	if study.ErrorCode(err) == study.EINTERNAL {
		c.log.Error("command failed", "err", err)
	}
	fmt.Fprintln(c.out, "⚠️ "+study.ErrorMessage(err))
}

// Post shows a scheduled post as it happens: the console is the channel. Threads are
// named but flat; the message id counts posts so thread replies can find their day.
func (c *Console) Post(ctx context.Context, out study.Outgoing) (study.MessageRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posted++
	ref := study.MessageRef{MessageID: fmt.Sprintf("console-%d", c.posted)}
	when := ""
	if c.now != nil {
		when = " · " + c.now().Format("Mon 2 Jan 15:04 MST")
	}
	fmt.Fprintf(c.out, "\n📣 posted (%s%s)\n", out.Kind, when)
	for i, m := range out.Messages {
		if i == 1 && out.Messages[0].ThreadName != "" {
			fmt.Fprintf(c.out, "🧵 thread “%s”\n", out.Messages[0].ThreadName)
			ref.ThreadID = "thread-" + ref.MessageID
		} else if i > 0 {
			fmt.Fprintln(c.out, "───")
		}
		fmt.Fprint(c.out, study.PlainText(m))
	}
	if out.Messages != nil && out.Messages[0].ThreadName != "" && ref.ThreadID == "" {
		ref.ThreadID = "thread-" + ref.MessageID
	}
	fmt.Fprintln(c.out)
	return ref, nil
}
