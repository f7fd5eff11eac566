// Package middleware is the mechanics every chat adapter shares around the core: a chain
// of middleware over study.Handler (recover, request id and log line, timing), and Work,
// which runs an adapter's event handlers tracked and recovered so that shutdown can wait
// for them. Policy stays in the core; translation stays in the adapters.
package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"cohortbot/internal/logging"
	"cohortbot/internal/study"
)

// Middleware wraps a Handler.
type Middleware func(study.Handler) study.Handler

// Chain wraps h in mw, the first outermost.
func Chain(h study.Handler, mw ...Middleware) study.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// errPanic stands for a recovered panic: the member sees the internal-error line.
type errPanic struct{ v any }

func (e errPanic) Error() string { return fmt.Sprintf("handler panicked: %v", e.v) }

// Recover turns a panic below it into an internal error, logged with its stack.
func Recover(log *slog.Logger) Middleware {
	return func(next study.Handler) study.Handler {
		return study.HandlerFunc(func(ctx context.Context, req study.Request) (reply study.Reply, err error) {
			defer func() {
				if r := recover(); r != nil {
					log.ErrorContext(ctx, "handler panicked", "command", study.CommandName(req), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					reply, err = study.Reply{}, errPanic{r}
				}
			}()
			return next.Handle(ctx, req)
		})
	}
}

// Log gives each request a request id on its context — lines the core and the adapters
// log with that context carry it — and one log line when it ends: handled, refused (a
// member's bad input) or failed.
func Log(log *slog.Logger) Middleware {
	return func(next study.Handler) study.Handler {
		return study.HandlerFunc(func(ctx context.Context, req study.Request) (study.Reply, error) {
			ctx, _ = logging.WithRequest(ctx, "platform", req.Channel.Platform, "channel", req.Channel.Channel, "command", label(req))
			start := time.Now()
			reply, err := next.Handle(ctx, req)
			took := time.Since(start).Round(time.Microsecond)
			switch code := study.ErrorCode(err); code {
			case "":
				log.InfoContext(ctx, "command handled", "took", took)
			case study.EINTERNAL:
				log.ErrorContext(ctx, "command failed", "took", took, "err", err)
			default:
				log.InfoContext(ctx, "command refused", "took", took, "code", code)
			}
			return reply, err
		})
	}
}

// Observer hears how long each request took and how it ended (metrics).
type Observer interface {
	CommandDone(platform, command string, took time.Duration, err error)
}

// Observe times each request for o, labelled with the command's path, "button" or
// "reply" (a bounded set: see Labels).
func Observe(o Observer) Middleware {
	return func(next study.Handler) study.Handler {
		return study.HandlerFunc(func(ctx context.Context, req study.Request) (study.Reply, error) {
			start := time.Now() // wall time, not the injected clock: this measures latency
			reply, err := next.Handle(ctx, req)
			o.CommandDone(req.Channel.Platform, label(req), time.Since(start), err)
			return reply, err
		})
	}
}

// Labels are every label Observe reports: the command table's paths, button, reply and
// other (a mistyped command).
func Labels() []string {
	return append(study.CommandNames(), string(study.SourceButton), string(study.SourceReply), "other")
}

func label(req study.Request) string {
	switch req.Source {
	case study.SourceButton, study.SourceReply:
		return string(req.Source)
	}
	return study.CommandName(req)
}
