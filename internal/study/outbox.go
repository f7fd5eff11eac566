package study

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PostKind is what a scheduled outbox row delivers.
type PostKind string

const (
	KindDay         PostKind = "day"         // a study day's card (and its thread messages)
	KindPhaseStart  PostKind = "phase_start" // the phase intro before its first day
	KindPhaseEnd    PostKind = "phase_end"   // the outcome self-check after its last day
	KindLeaderboard PostKind = "leaderboard"
	KindRecap       PostKind = "recap"
	KindReminder    PostKind = "reminder"
	KindFinish      PostKind = "finish" // course completion with final standings
	KindNudge       PostKind = "nudge"  // a member's personal reminder, as a direct message
)

// PostKinds lists every kind, in the order a day's posts go out.
var PostKinds = []PostKind{KindPhaseStart, KindDay, KindPhaseEnd, KindReminder, KindLeaderboard, KindRecap, KindFinish, KindNudge}

// PostStatus is where an outbox row is in its life.
type PostStatus string

const (
	PostPending PostStatus = "pending"
	PostSending PostStatus = "sending"
	PostSent    PostStatus = "sent"
	PostFailed  PostStatus = "failed"
	PostSkipped PostStatus = "skipped"
)

// Outgoing is one delivery to one channel, or to one member directly.
type Outgoing struct {
	Channel ChannelRef
	// To, when set, sends the messages to this member as a direct message instead of to
	// Channel (which still names the platform and workspace): personal reminders.
	To   UserRef
	Kind PostKind
	// Messages in order. When the first has a ThreadName, the poster opens a thread on it
	// (where the platform has threads) and posts the rest into that thread.
	Messages []Message
	// Thread, when set, posts every message into this existing thread (reminders).
	Thread string
	// Nonce is stable per outbox row: platforms with idempotent sends (Discord's nonce with
	// enforce_nonce) turn a resend after a crash into the original message.
	Nonce string
	// Done is how far an earlier attempt got; the poster continues from there.
	Done Delivered
	// Resumed says an earlier attempt's outcome is unknown (it timed out, or the process
	// sending it died): the message after Done may exist already although it was never
	// recorded. Posters look for it on the platform before sending it again, so exactly
	// once does not depend on a resend landing inside an idempotency key's window.
	Resumed bool
}

// Delivered is how far a post's delivery has got: the platform messages sent so far, the
// root message and the thread it opened.
type Delivered struct {
	Parts     int
	MessageID string
	ThreadID  string
}

// Recorder keeps a post's progress before its next part goes out, so that a retry after a
// crash continues where the last attempt stopped instead of posting again, and a reply in
// a day's thread finds its day while the thread is still being filled. An error (the
// claim was lost, the database is away) stops the delivery.
type Recorder func(ctx context.Context, d Delivered) error

// MessageRef is where a delivery landed.
type MessageRef struct {
	MessageID string
	ThreadID  string // the thread opened on it (Discord thread id, Slack ts)
}

// Poster sends messages to one platform. It sends out.Messages from out.Done on and calls
// record after each platform message. Implementations classify failures with
// *DeliveryError; any other error is treated as transient and retried.
type Poster interface {
	Post(ctx context.Context, out Outgoing, record Recorder) (MessageRef, error)
}

// DeliveryError tells the delivery worker how to treat a failed send.
type DeliveryError struct {
	// Permanent failures (channel gone, no permission) are not retried; the reason shows
	// in /cohort status.
	Permanent bool
	// RetryAfter is the wait the platform asked for (HTTP 429 Retry-After), or with Paced
	// the wait until the channel's own rate limit lets the next message through.
	RetryAfter time.Duration
	// Paced says the post is not failing: its channel must wait RetryAfter under the
	// platform's limits, and the poster hands it back rather than hold a delivery worker
	// (a channel waiting on its own limit holds only itself). It is not an attempt.
	Paced  bool
	Reason string
}

func (e *DeliveryError) Error() string {
	switch {
	case e.Permanent:
		return "permanent delivery failure: " + e.Reason
	case e.Paced:
		return fmt.Sprintf("paced for %s: %s", e.RetryAfter, e.Reason)
	case e.RetryAfter > 0:
		return fmt.Sprintf("rate limited for %s: %s", e.RetryAfter, e.Reason)
	}
	return "delivery failure: " + e.Reason
}

// Posters routes an Outgoing to the poster of its channel's platform.
type Posters map[string]Poster

func (p Posters) Post(ctx context.Context, out Outgoing, record Recorder) (MessageRef, error) {
	poster, ok := p[out.Channel.Platform]
	if !ok {
		return MessageRef{}, &DeliveryError{Permanent: true, Reason: fmt.Sprintf("no %s connection is configured", out.Channel.Platform)}
	}
	return poster.Post(ctx, out, record)
}

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
	// MemberID, when set, makes the post a direct message to that member (through the
	// platform of ChannelID): it waits for no channel post, and none waits for it.
	MemberID  int64
	Kind      PostKind
	Period    string
	Day       int
	Status    PostStatus // pending, or skipped for a slot missed on an earlier local day
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
	MemberID  int64   // a direct message to this member, when set
	To        UserRef // the member, for a direct message
	Kind      PostKind
	Period    string
	Day       int
	Status    PostStatus
	Attempts  int
	LastError string
	Nonce     string
	Done      Delivered
	DueAt     time.Time
	ExpiresAt time.Time
	SentAt    time.Time
	// Lease is when this claim runs out unless its sender renews it.
	Lease time.Time
	// Claim is this claim's token: recording progress or an outcome, and renewing the
	// lease, only succeed while the post is still held under it, so a worker that stalled
	// past its lease cannot overwrite the result of the worker that took over.
	Claim string
	// TakenOver says this claim took the post from a sender whose lease ran out (a
	// process that died or stalled mid-send): parts it sent may be unrecorded.
	TakenOver bool
}

// ErrClaimLost stops a delivery whose claim another worker has taken over.
var ErrClaimLost = errors.New("the post's delivery claim was taken over by another worker")
