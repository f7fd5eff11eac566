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
	"strings"
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
}

// New makes a console for member name.
func New(svc *study.Service, out io.Writer, log *slog.Logger, name string, prompt bool) *Console {
	c := &Console{svc: svc, out: out, log: log, prompt: prompt}
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
		fmt.Fprintf(c.out, "You are now %s.\n", name)
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
}

func (c *Console) print(reply study.Reply, err error) {
	if err != nil {
		c.printError(err)
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
	if study.ErrorCode(err) == study.EINTERNAL {
		c.log.Error("command failed", "err", err)
	}
	fmt.Fprintln(c.out, "⚠️ "+study.ErrorMessage(err))
}
