// Package logging builds cohortbot's slog loggers: JSON or text, a level, secrets redacted
// from every message and attribute, and attributes carried by a context (a request id, the
// cohort, the platform) added to every line logged with that context.
package logging

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Options configure New.
type Options struct {
	Level slog.Leveler
	JSON  bool
	// Redact, when set, rewrites every message and attribute value (secrets → [redacted]).
	Redact func(string) string
}

// New returns a logger writing to w.
func New(w io.Writer, o Options) *slog.Logger {
	ho := &slog.HandlerOptions{Level: o.Level}
	if o.Redact != nil {
		ho.ReplaceAttr = redactAttr(o.Redact)
	}
	var h slog.Handler
	if o.JSON {
		h = slog.NewJSONHandler(w, ho)
	} else {
		h = slog.NewTextHandler(w, ho)
	}
	return slog.New(contextHandler{h})
}

// redactAttr rewrites string values, and values of any other kind whose printed form
// holds a secret (an error, a URL, a struct).
func redactAttr(redact func(string) string) func([]string, slog.Attr) slog.Attr {
	return func(_ []string, a slog.Attr) slog.Attr {
		switch a.Value.Kind() {
		case slog.KindString:
			a.Value = slog.StringValue(redact(a.Value.String()))
		case slog.KindAny:
			var s string
			switch v := a.Value.Any().(type) {
			case error:
				s = v.Error()
			case fmt.Stringer:
				s = v.String()
			default:
				s = fmt.Sprintf("%+v", v)
			}
			if r := redact(s); r != s {
				a.Value = slog.StringValue(r)
			}
		}
		return a
	}
}

type ctxKey struct{}

// With returns a context whose log lines carry args (key, value pairs or slog.Attrs) when
// logged with the *Context methods (InfoContext, …).
func With(ctx context.Context, args ...any) context.Context {
	prev, _ := ctx.Value(ctxKey{}).([]slog.Attr)
	r := slog.NewRecord(zeroTime, 0, "", 0)
	r.Add(args...)
	attrs := append([]slog.Attr(nil), prev...)
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a); return true })
	return context.WithValue(ctx, ctxKey{}, attrs)
}

// Attrs returns the attributes With put on ctx.
func Attrs(ctx context.Context) []slog.Attr {
	a, _ := ctx.Value(ctxKey{}).([]slog.Attr)
	return a
}

// NewRequestID returns a short random id for one command or delivery.
func NewRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// WithRequest starts a request: a fresh request id plus args on ctx.
func WithRequest(ctx context.Context, args ...any) (context.Context, string) {
	id := NewRequestID()
	return With(ctx, append([]any{"request", id}, args...)...), id
}

// contextHandler adds the context's attributes to each record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs := Attrs(ctx); len(attrs) > 0 {
		r = r.Clone()
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

var zeroTime = time.Time{}
