package main

import (
	"context"
	"log/slog"
	"time"

	"cohortbot/internal/logging"
	"cohortbot/internal/study"
)

// commandLog wraps the core's entry points for adapters: each call gets a request id on
// its context (lines the core and adapters log with that context carry it) and one line
// in the log when it ends.
type commandLog struct {
	svc *study.Service
	log *slog.Logger
}

// Handle answers a command.
func (c *commandLog) Handle(ctx context.Context, req study.Request) (study.Reply, error) {
	name := req.Command
	if name == "cohort" && req.Sub != "" {
		name += " " + req.Sub
	}
	ctx, _ = logging.WithRequest(ctx, "platform", req.Channel.Platform, "channel", req.Channel.Channel, "command", name)
	start := time.Now()
	reply, err := c.svc.Handle(ctx, req)
	c.done(ctx, "command", start, err)
	return reply, err
}

// CheckIn records a check-in from a button or a thread reply.
func (c *commandLog) CheckIn(ctx context.Context, req study.CheckInRequest) (study.Reply, error) {
	ctx, _ = logging.WithRequest(ctx, "platform", req.Channel.Platform, "channel", req.Channel.Channel, "command", "check-in", "source", string(req.Source))
	start := time.Now()
	reply, err := c.svc.CheckIn(ctx, req)
	c.done(ctx, "check-in", start, err)
	return reply, err
}

func (c *commandLog) done(ctx context.Context, what string, start time.Time, err error) {
	took := time.Since(start).Round(time.Microsecond)
	switch code := study.ErrorCode(err); code {
	case "":
		c.log.InfoContext(ctx, what+" handled", "took", took)
	case study.EINTERNAL:
		c.log.ErrorContext(ctx, what+" failed", "took", took, "err", err)
	default:
		c.log.InfoContext(ctx, what+" refused", "took", took, "code", code)
	}
}

// tracedPoster logs each delivery attempt at debug level with the attempt's request id
// (from the scheduler) and the send's channel and nonce.
type tracedPoster struct {
	platform string
	next     study.Poster
	log      *slog.Logger
}

func (p tracedPoster) Post(ctx context.Context, out study.Outgoing) (study.MessageRef, error) {
	// The scheduler put the attempt's request id on ctx; add what only the send knows.
	ctx = logging.With(ctx, "channel", out.Channel.Channel, "nonce", out.Nonce)
	start := time.Now()
	ref, err := p.next.Post(ctx, out)
	if err != nil {
		p.log.DebugContext(ctx, "delivery attempt failed", "took", time.Since(start), "err", err)
	} else {
		p.log.DebugContext(ctx, "delivery attempt sent", "took", time.Since(start), "message", ref.MessageID)
	}
	return ref, err
}
