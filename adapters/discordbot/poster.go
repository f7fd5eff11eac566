package discordbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"cohortbot/internal/study"
)

// threadArchive is the auto-archive duration of day threads, in minutes (one day).
const threadArchive = 1440

// maxNonce is Discord's longest message nonce.
const maxNonce = 25

// Post delivers a scheduled post: each core message rendered into one or more Discord
// messages; when the first has a ThreadName, a thread is started on it and the rest go
// into the thread. It continues from out.Done and records its progress after each
// message and the thread, so a retry never starts over. Every message also carries a
// nonce derived from the outbox row's with enforce_nonce, so a resend whose record was
// lost (a crash between send and record) returns the message already posted instead of
// posting twice; a thread already started on it is found again (a thread started from a
// message has the message's id).
func (b *Bot) Post(ctx context.Context, out study.Outgoing, record study.Recorder) (study.MessageRef, error) {
	if len(out.Messages) == 0 {
		return study.MessageRef{}, &study.DeliveryError{Permanent: true, Reason: "nothing to post"}
	}
	done := out.Done
	target := out.Channel.Channel
	switch {
	case out.Thread != "":
		target = out.Thread
	case done.ThreadID != "":
		target = done.ThreadID
	}
	seq := 0
	for i, m := range out.Messages {
		for _, part := range render(m) {
			if seq < done.Parts {
				seq++
				continue // sent by an earlier attempt
			}
			part.Nonce = messageNonce(out.Nonce, seq)
			part.EnforceNonce = part.Nonce != ""
			seq++
			id, err := b.createMessage(ctx, target, part)
			if err != nil {
				return study.MessageRef{}, deliveryError(err)
			}
			if done.MessageID == "" {
				done.MessageID = id
			}
			done.Parts = seq
			if err := record(ctx, done); err != nil {
				return study.MessageRef{}, err
			}
		}
		if i == 0 && m.ThreadName != "" && out.Thread == "" && done.ThreadID == "" {
			tid, err := b.startThread(ctx, target, done.MessageID, m.ThreadName)
			if err != nil {
				return study.MessageRef{}, deliveryError(err)
			}
			done.ThreadID, target = tid, tid
			if err := record(ctx, done); err != nil {
				return study.MessageRef{}, err
			}
		}
	}
	ref := study.MessageRef{MessageID: done.MessageID, ThreadID: done.ThreadID}
	if out.Thread != "" {
		ref.ThreadID = out.Thread
	}
	return ref, nil
}

// messageNonce derives the nonce of the seq-th message of a post from the post's nonce,
// within Discord's 25 characters: the post's own nonce for the first message, then
// "nonce.1", "nonce.2"…; a long nonce is hashed first.
func messageNonce(base string, seq int) string {
	if base == "" {
		return ""
	}
	suffix := ""
	if seq > 0 {
		suffix = "." + strconv.Itoa(seq)
	}
	if len(base)+len(suffix) > maxNonce {
		sum := sha256.Sum256([]byte(base))
		base = hex.EncodeToString(sum[:])[:maxNonce-len(suffix)]
	}
	return base + suffix
}

func (b *Bot) createMessage(ctx context.Context, channelID string, m outMessage) (string, error) {
	var got struct {
		ID string `json:"id"`
	}
	url := discordgo.EndpointChannelMessages(channelID)
	// With a nonce the create is idempotent, so 5xx and network errors may be retried.
	err := b.call(ctx, "POST /channels/{channel}/messages", http.MethodPost, url, m, &got,
		callOpts{idempotent: m.EnforceNonce, major: channelID})
	if err != nil {
		return "", err
	}
	if got.ID == "" {
		return "", errors.New("discord POST /channels/{channel}/messages: no message id in the answer")
	}
	return got.ID, nil
}

// startThread opens the day's public thread on message messageID.
func (b *Bot) startThread(ctx context.Context, channelID, messageID, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Thread"
	}
	body := map[string]any{"name": truncate(name, 100), "auto_archive_duration": threadArchive}
	var got struct {
		ID string `json:"id"`
	}
	url := discordgo.EndpointChannelMessageThread(channelID, messageID)
	err := b.call(ctx, "POST /channels/{channel}/messages/{message}/threads", http.MethodPost, url, body, &got,
		callOpts{idempotent: true, major: channelID})
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == codeThreadExists {
		// Already started (a resend): the thread has the message's id.
		got.ID, err = messageID, nil
	}
	if err != nil {
		return "", err
	}
	b.chans.put(got.ID, channelInfo{thread: true, parent: channelID})
	return got.ID, nil
}
