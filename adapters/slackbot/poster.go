package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"cohortbot/internal/study"
)

// poster delivers scheduled posts: Block Kit messages, the first of which opens the day's
// thread (its ts), paced per channel at Slack's limits.
type poster struct {
	a *Adapter
}

func newPoster(a *Adapter) *poster { return &poster{a: a} }

// Post implements study.Poster. The card is its own message (it opens the thread); the
// thread's parts are packed into as few messages as Slack's limits allow (50 blocks),
// each part keeping its Show answers button. A post addressed to a member (out.To) goes
// to them as a direct message (the app's Messages tab). Slack has no idempotency key, so
// the post's progress is recorded after each message: a retry after a failure or a crash
// continues in the same thread with the next message instead of posting the card again.
//
// A post never waits long for its own channel: when the channel's pace (or a 429) holds
// it for more than MaxPostWait, it is handed back to the scheduler (DeliveryError with
// Paced or RetryAfter), which retries it on time while other channels' posts go on.
func (p *poster) Post(ctx context.Context, out study.Outgoing, record study.Recorder) (study.MessageRef, error) {
	if len(out.Messages) == 0 {
		return study.MessageRef{}, &study.DeliveryError{Permanent: true, Reason: "nothing to post"}
	}
	channel := out.Channel.Channel
	opensThread := out.Thread == "" && out.Messages[0].ThreadName != ""
	if out.To.ID != "" {
		// A user id as the channel posts to the app's direct messages with them.
		channel, opensThread = out.To.ID, false
	}
	root, rest := renderSplit(out.Messages)
	type step struct {
		msg      slackMessage
		inThread bool
	}
	var steps []step
	for i, m := range root {
		steps = append(steps, step{m, opensThread && i > 0})
	}
	for _, m := range rest {
		steps = append(steps, step{m, opensThread})
	}
	if len(steps) == 0 {
		return study.MessageRef{}, &study.DeliveryError{Permanent: true, Reason: "nothing to post"}
	}
	done := out.Done
	for i := done.Parts; i < len(steps); i++ {
		thread := out.Thread
		if steps[i].inThread {
			thread = done.ThreadID
		}
		ts, err := p.a.postMessage(ctx, channel, steps[i].msg, thread, p.a.cfg.MaxPostWait)
		if err != nil {
			de := classify(err)
			if de.RetryAfter > 0 && !de.Paced {
				p.a.limits.holdChannel(channel, de.RetryAfter)
			}
			if !de.Paced {
				p.a.log.Warn("slack post failed", "channel", channel, "kind", out.Kind, "message", i+1, "of", len(steps), "err", de.Reason, "permanent", de.Permanent, "retry_after", de.RetryAfter)
			}
			return study.MessageRef{}, de
		}
		if i == 0 {
			done.MessageID = ts
			if opensThread {
				done.ThreadID = ts
			}
		}
		done.Parts = i + 1
		if err := record(ctx, done); err != nil {
			return study.MessageRef{}, err
		}
	}
	ref := study.MessageRef{MessageID: done.MessageID, ThreadID: done.ThreadID}
	if out.Thread != "" {
		ref.ThreadID = out.Thread
	}
	return ref, nil
}

// postMessage sends one message to a channel (into thread when set), paced per channel;
// it waits at most maxWait for the channel's pace (0: as long as it takes).
func (a *Adapter) postMessage(ctx context.Context, channel string, m slackMessage, thread string, maxWait time.Duration) (string, error) {
	if err := a.limits.waitChannel(ctx, channel, maxWait); err != nil {
		return "", err
	}
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...), slack.MsgOptionDisableLinkUnfurl()}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	_, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", fmt.Errorf("chat.postMessage to %s: %w", channel, err)
	}
	return ts, nil
}

// permanentReasons are Slack errors that no retry can fix, with what an organizer reads in
// /cohort status.
var permanentReasons = map[string]string{
	"channel_not_found":                     "the Slack channel does not exist or the bot cannot see it (invite it with /invite @cohortbot)",
	"not_in_channel":                        "the bot is not a member of the Slack channel (invite it with /invite @cohortbot)",
	"is_archived":                           "the Slack channel is archived",
	"restricted_action":                     "the workspace does not allow the bot to post in this channel",
	"restricted_action_read_only_channel":   "the channel is read-only",
	"restricted_action_thread_only_channel": "the channel only allows thread replies",
	"ekm_access_denied":                     "the workspace's key management denies access",
	"team_access_not_granted":               "the app is not installed for this workspace",
	"no_permission":                         "the bot lacks permission in this channel",
	"missing_scope":                         "the Slack app lacks a scope: reinstall it from deploy/slack/manifest.yaml",
	"not_authed":                            "no Slack bot token was sent",
	"invalid_auth":                          "Slack rejected the bot token",
	"account_inactive":                      "the Slack bot token belongs to a deactivated app or user",
	"token_revoked":                         "the Slack bot token was revoked",
	"token_expired":                         "the Slack bot token expired",
	"msg_too_long":                          "Slack refused the message as too long",
	"invalid_blocks":                        "Slack refused the message's blocks",
	"invalid_blocks_format":                 "Slack refused the message's blocks",
	"no_text":                               "Slack refused an empty message",
	"thread_not_found":                      "the day's thread no longer exists",
}

// classify turns a Web API failure into the delivery worker's terms.
func classify(err error) *study.DeliveryError {
	var we *waitError
	if errors.As(err, &we) {
		return &study.DeliveryError{Paced: true, RetryAfter: we.wait, Reason: "Slack's pace for the channel"}
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		wait := max(rl.RetryAfter, time.Second)
		return &study.DeliveryError{RetryAfter: wait, Reason: fmt.Sprintf("Slack rate limit (HTTP 429, retry after %s)", wait)}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code == http.StatusTooManyRequests {
			return &study.DeliveryError{RetryAfter: 5 * time.Second, Reason: "Slack rate limit (HTTP 429)"}
		}
		return &study.DeliveryError{Reason: fmt.Sprintf("Slack answered HTTP %d", sc.Code)}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if why, ok := permanentReasons[se.Err]; ok {
			return &study.DeliveryError{Permanent: true, Reason: se.Err + ": " + why}
		}
		if se.Err == "ratelimited" {
			return &study.DeliveryError{RetryAfter: 5 * time.Second, Reason: "Slack rate limit (ratelimited)"}
		}
		return &study.DeliveryError{Reason: "Slack error " + se.Err}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &study.DeliveryError{Reason: "Slack did not answer in time"}
	}
	if errors.Is(err, context.Canceled) {
		return &study.DeliveryError{Reason: "cancelled while sending (shutting down)"}
	}
	return &study.DeliveryError{Reason: "could not reach Slack: " + err.Error()}
}
