package main

import (
	"context"
	"log/slog"
	"time"

	"cohortbot/internal/logging"
	"cohortbot/internal/study"
)

// tracedPoster logs each delivery attempt at debug level with the attempt's request id
// (from the scheduler) and the send's channel and nonce.
type tracedPoster struct {
	platform string
	next     study.Poster
	log      *slog.Logger
}

func (p tracedPoster) Post(ctx context.Context, out study.Outgoing, record study.Recorder) (study.MessageRef, error) {
	// The scheduler put the attempt's request id on ctx; add what only the send knows.
	ctx = logging.With(ctx, "channel", out.Channel.Channel, "nonce", out.Nonce)
	start := time.Now()
	ref, err := p.next.Post(ctx, out, record)
	if err != nil {
		p.log.DebugContext(ctx, "delivery attempt failed", "took", time.Since(start), "err", err)
	} else {
		p.log.DebugContext(ctx, "delivery attempt sent", "took", time.Since(start), "message", ref.MessageID)
	}
	return ref, err
}
