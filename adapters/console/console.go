// Package console is a chat channel in the terminal: a newcomer's first run and a way to
// script sessions (printf '/today\n' | cohortbot). It talks to the same core and store as
// the platforms; the member is also an organizer, and /as NAME switches member.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"

	"cohortbot/internal/study"
)

// Channel is the one console channel every session shares, so data survives restarts.
var Channel = study.ChannelRef{Platform: "console", Workspace: "local", Channel: "console"}

// Config wires a Console.
type Config struct {
	Core    study.Handler
	Printer *Printer
	Log     *slog.Logger
	User    string // the member typing
	Prompt  bool   // show a prompt (an interactive terminal)
	// Clock moves the simulated clock (/clock +7d, /clock now) and returns the new time;
	// nil when the console has no scheduler.
	Clock func(ctx context.Context, d time.Duration, reset bool) (time.Time, error)
	// AfterLine runs after each line (the scheduler's catch-up, so posts appear promptly).
	AfterLine func(ctx context.Context)
}

// Console reads commands line by line and prints replies.
type Console struct {
	cfg  Config
	pr   *Printer
	user study.UserRef
}

// New makes a console.
func New(cfg Config) *Console {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c := &Console{cfg: cfg, pr: cfg.Printer}
	c.switchUser(cfg.User)
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
	c.pr.line(fmt.Sprintf("cohortbot console — you are %s (an organizer). /help lists commands, /as NAME switches member, Ctrl-D quits.", c.user.Name))
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
		if c.cfg.Prompt {
			c.pr.prompt(c.user.Name + "> ")
		}
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

// Line handles one typed line.
func (c *Console) Line(ctx context.Context, line string) {
	line = strings.TrimSpace(line)
	req := study.Request{Channel: Channel, User: c.user, Admin: true}
	switch {
	case line == "" || strings.HasPrefix(line, "#"):
		return
	case strings.HasPrefix(line, "/as"):
		name := strings.TrimSpace(strings.TrimPrefix(line, "/as"))
		if name == "" {
			c.pr.reply(ctx, study.Reply{}, study.Errorf(study.EINVALID, "say who: /as NAME"), c.cfg.Log)
			return
		}
		c.switchUser(name)
		c.pr.line("You are now " + name + ".")
		return
	case line == "/clock" || strings.HasPrefix(line, "/clock "):
		c.clock(ctx, strings.TrimSpace(strings.TrimPrefix(line, "/clock")))
		return
	case !strings.HasPrefix(line, "/"):
		// A plain line is a reply in today's thread: it checks the member in.
		req.Source, req.Text = study.SourceReply, line
	default:
		req.Command, req.Sub, req.Text = study.SplitCommandLine(line)
	}
	reply, err := c.cfg.Core.Handle(ctx, req)
	if reply.React != "" {
		reply = study.Reply{Messages: []study.Message{{Sections: []study.Section{{Text: reply.React + " counted: you are checked in for today."}}}}}
	}
	c.pr.reply(ctx, reply, err, c.cfg.Log)
	if c.cfg.AfterLine != nil {
		c.cfg.AfterLine(ctx)
	}
}

// clock moves the simulated time: /clock +7d, +3h, +30m, or now (back to real time).
func (c *Console) clock(ctx context.Context, arg string) {
	if c.cfg.Clock == nil {
		c.pr.reply(ctx, study.Reply{}, study.Errorf(study.EINVALID, "/clock needs the scheduler"), c.cfg.Log)
		return
	}
	var d time.Duration
	reset := arg == "now"
	if !reset {
		var err error
		if d, err = parseStep(arg); err != nil {
			c.pr.reply(ctx, study.Reply{}, err, c.cfg.Log)
			return
		}
	}
	t, err := c.cfg.Clock(ctx, d, reset)
	if err != nil {
		c.pr.reply(ctx, study.Reply{}, err, c.cfg.Log)
		return
	}
	c.pr.line(fmt.Sprintf("🕰 It is now %s.", t.UTC().Format("Mon 2 Jan 2006 15:04 UTC")))
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
