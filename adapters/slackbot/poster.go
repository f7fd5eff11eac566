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
// Each part of a scheduled post carries message metadata naming the post's nonce and
// the part (partMark). When an earlier attempt's outcome is unknown (out.Resumed: it
// timed out, or its process died), the first part this attempt would send is first
// looked for in the channel's latest messages (conversations.history) or the thread's
// (conversations.replies), with include_all_metadata, and only sent if it is not there.
// Direct messages are not looked for: the user id they are posted to is not a
// conversation id history can read, and opening the conversation would need the
// im:write scope; a personal reminder is one message, taken over within the lease.
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
		mark := partMark(out.Nonce, i)
		var ts string
		var err error
		if out.Resumed && i == out.Done.Parts && out.To.ID == "" {
			// Only the first part this attempt sends can have been sent unrecorded.
			ts, err = p.a.findPart(ctx, channel, thread, mark)
			if ts != "" {
				p.a.log.Info("slack: a part sent by an earlier attempt was found; not sending it again",
					"channel", channel, "part", i+1, "ts", ts)
			}
		}
		if err == nil && ts == "" {
			steps[i].msg.mark = mark
			ts, err = p.a.postMessage(ctx, channel, steps[i].msg, thread, p.a.cfg.MaxPostWait)
		}
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
	if m.mark != nil {
		opts = append(opts, slack.MsgOptionMetadata(*m.mark))
	}
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

// partEvent is the event type of the metadata that marks a scheduled post's part.
const partEvent = "cohortbot_post_part"

// recentLimit is how many of a channel's (or thread's) latest messages findPart reads.
// A resumed post is taken over within seconds of its sender's death, so its part, if
// made, is among them unless the channel is very busy.
const recentLimit = 100

// maxReplyPages bounds how much of a thread findPart reads.
const maxReplyPages = 10

// partMark is the metadata of part i of the post with nonce (nil without a nonce).
func partMark(nonce string, i int) *slack.SlackMetadata {
	if nonce == "" {
		return nil
	}
	return &slack.SlackMetadata{EventType: partEvent, EventPayload: map[string]any{"post": nonce, "part": i}}
}

// findPart looks for the message marked mark among the latest messages of channel, or of
// thread when set, and returns its ts ("" when it is not there).
func (a *Adapter) findPart(ctx context.Context, channel, thread string, mark *slack.SlackMetadata) (string, error) {
	if mark == nil {
		return "", nil
	}
	var msgs []slack.Message
	var err error
	if thread != "" {
		// A thread is read from its parent on, oldest first: a few pages reach its end
		// (members' replies included).
		cursor := ""
		for range maxReplyPages {
			page, more, next, err := a.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: thread, Cursor: cursor, Limit: recentLimit, IncludeAllMetadata: true})
			if err != nil {
				return "", fmt.Errorf("conversations.replies in %s: %w", channel, err)
			}
			msgs = append(msgs, page...)
			if !more || next == "" {
				break
			}
			cursor = next
		}
	} else {
		var h *slack.GetConversationHistoryResponse
		h, err = a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Limit: recentLimit, IncludeAllMetadata: true})
		if err != nil {
			return "", fmt.Errorf("conversations.history of %s: %w", channel, err)
		}
		msgs = h.Messages
	}
	for _, m := range msgs {
		md := m.Metadata
		if md.EventType == mark.EventType && fmt.Sprint(md.EventPayload["post"]) == fmt.Sprint(mark.EventPayload["post"]) &&
			fmt.Sprint(md.EventPayload["part"]) == fmt.Sprint(mark.EventPayload["part"]) {
			return m.Timestamp, nil
		}
	}
	return "", nil
}
