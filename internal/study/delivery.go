package study

import (
	"context"
	"fmt"
	"time"
)

// Post kinds: what a scheduled outbox row delivers.
const (
	KindDay         = "day"         // a study day's card (and its thread messages)
	KindPhaseStart  = "phase_start" // the phase intro before its first day
	KindPhaseEnd    = "phase_end"   // the outcome self-check after its last day
	KindLeaderboard = "leaderboard"
	KindRecap       = "recap"
	KindReminder    = "reminder"
	KindFinish      = "finish" // course completion with final standings
)

// Outgoing is one delivery to one channel.
type Outgoing struct {
	Channel ChannelRef
	// Messages in order. When the first has a ThreadName, the poster opens a thread on it
	// (where the platform has threads) and posts the rest into that thread.
	Messages []Message
	// Thread, when set, posts every message into this existing thread (reminders).
	Thread string
	// Nonce is stable per outbox row: platforms with idempotent sends (Discord's nonce with
	// enforce_nonce) turn a resend after a crash into the original message.
	Nonce string
	Kind  string
}

// MessageRef is where a delivery landed.
type MessageRef struct {
	MessageID string
	ThreadID  string // the thread opened on it (Discord thread id, Slack ts)
}

// Poster sends messages to one platform. Implementations classify failures with
// *DeliveryError; any other error is treated as transient and retried.
type Poster interface {
	Post(ctx context.Context, out Outgoing) (MessageRef, error)
}

// DeliveryError tells the delivery worker how to treat a failed send.
type DeliveryError struct {
	// Permanent failures (channel gone, no permission) are not retried; the reason shows
	// in /cohort status.
	Permanent bool
	// RetryAfter is the wait the platform asked for (HTTP 429 Retry-After).
	RetryAfter time.Duration
	Reason     string
}

func (e *DeliveryError) Error() string {
	switch {
	case e.Permanent:
		return "permanent delivery failure: " + e.Reason
	case e.RetryAfter > 0:
		return fmt.Sprintf("rate limited for %s: %s", e.RetryAfter, e.Reason)
	}
	return "delivery failure: " + e.Reason
}

// Posters routes an Outgoing to the poster of its channel's platform.
type Posters map[string]Poster

func (p Posters) Post(ctx context.Context, out Outgoing) (MessageRef, error) {
	poster, ok := p[out.Channel.Platform]
	if !ok {
		return MessageRef{}, &DeliveryError{Permanent: true, Reason: fmt.Sprintf("no %s connection is configured", out.Channel.Platform)}
	}
	return poster.Post(ctx, out)
}

// Publisher posts a cohort's post of a kind right away (/cohort post); the scheduler
// implements it so that the post counts as that period's and is not repeated later.
type Publisher interface {
	PublishNow(ctx context.Context, cohortID int64, kind string) (string, error)
}
