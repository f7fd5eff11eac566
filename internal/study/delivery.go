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

// Post statuses.
const (
	PostPending = "pending"
	PostSending = "sending"
	PostSent    = "sent"
	PostFailed  = "failed"
	PostSkipped = "skipped"
)

// BoundChannel is a cohort's channel with its binding id (the outbox key's first part).
type BoundChannel struct {
	ID  int64
	Ref ChannelRef
}

// DueCohort is a cohort whose schedule needs attention.
type DueCohort struct {
	Cohort Cohort
	// ScheduledThrough is the instant up to which posts were planned (zero: never).
	ScheduledThrough time.Time
	// Recompute is set when an organizer changed the schedule since the last plan.
	Recompute bool
	Channels  []BoundChannel
}

// NewPost is an outbox row to claim.
type NewPost struct {
	CohortID  int64
	ChannelID int64
	Kind      string
	Period    string
	Day       int
	Status    string // pending, or skipped for a slot missed on an earlier local day
	LastError string
	DueAt     time.Time
	ExpiresAt time.Time
}

// Plan is what the scheduler decided for one due cohort at a tick: the cohort counts as
// planned through the tick's instant.
type Plan struct {
	Posts   []NewPost
	NextDue time.Time // zero: nothing more to schedule
}

// Post is an outbox row.
type Post struct {
	ID        int64
	CohortID  int64
	ChannelID int64
	Channel   ChannelRef
	Kind      string
	Period    string
	Day       int
	Status    string
	Attempts  int
	LastError string
	Nonce     string
	MessageID string
	ThreadID  string
	DueAt     time.Time
	ExpiresAt time.Time
	SentAt    time.Time
	// Lease identifies this claim: recording an outcome only succeeds while the post is
	// still held under it, so a worker that stalled past its lease cannot overwrite the
	// result of the worker that took over.
	Lease time.Time
}

// Outbox is the scheduler's storage.
type Outbox interface {
	Store
	// PlanDue finds up to limit cohorts that are due at now (one bounded query over all
	// cohorts), calls plan for each while holding them, and records the plans: new posts
	// are inserted unless their (channel, kind, period) exists. Returns the cohorts planned.
	PlanDue(ctx context.Context, now time.Time, limit int, plan func(DueCohort) (Plan, error)) (int, error)
	// InsertPosts records posts outside a plan (/cohort post); it returns how many were new.
	InsertPosts(ctx context.Context, posts []NewPost) (int, error)
	// ClaimPosts leases up to limit posts ready at now, at most one per channel and only a
	// channel's earliest unsent post, so posts of a channel go out in order.
	ClaimPosts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Post, error)
	MarkSent(ctx context.Context, p Post, ref MessageRef, at time.Time) error
	MarkRetry(ctx context.Context, p Post, notBefore time.Time, reason string) error
	MarkDone(ctx context.Context, p Post, status, reason string) error
	// Posts lists a cohort's posts of a kind (all kinds for ""), newest first.
	Posts(ctx context.Context, cohortID int64, kind string, limit int) ([]Post, error)
	Channels(ctx context.Context, cohortID int64) ([]BoundChannel, error)
	// NextDue is the earliest instant any cohort or retry may fall due (zero: none).
	NextDue(ctx context.Context) (time.Time, error)
}
