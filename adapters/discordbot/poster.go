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

// Post delivers a scheduled post: the core's messages rendered and packed into as few
// Discord messages as its limits allow (renderPost); when the first opens a thread, a
// thread is started on it and the rest go into the thread, packed. A post addressed to a
// member (out.To) goes to their direct-message channel instead. It continues from
// out.Done and records its progress after each message and the thread, so a retry never
// starts over. Every message also carries a nonce derived from the outbox row's with
// enforce_nonce, so a resend whose record was lost (a crash between send and record)
// returns the message already posted instead of posting twice; a thread already started
// on it is found again (a thread started from a message has the message's id).
//
// The nonce alone would make exactly once depend on a resend coming within the few
// minutes Discord remembers a nonce. So when an earlier attempt's outcome is unknown
// (out.Resumed: it timed out, or its process died), the first part this attempt would
// send is first looked for among the target's recent messages (findSent) and only sent
// if it is not there.
//
// A post never waits long for its own channel: when the channel's bucket (or a 429) holds
// it for more than maxPostWait, it is handed back to the scheduler (DeliveryError with
// Paced or RetryAfter), which retries it on time while other channels' posts go on.
func (b *Bot) Post(ctx context.Context, out study.Outgoing, record study.Recorder) (study.MessageRef, error) {
	if len(out.Messages) == 0 {
		return study.MessageRef{}, &study.DeliveryError{Permanent: true, Reason: "nothing to post"}
	}
	done := out.Done
	target := out.Channel.Channel
	opensThread := out.Messages[0].ThreadName != "" && out.Thread == ""
	switch {
	case out.To.ID != "":
		dm, err := b.dmChannel(ctx, out.To.ID)
		if err != nil {
			return study.MessageRef{}, deliveryError(err)
		}
		target, opensThread = dm, false
	case out.Thread != "":
		target = out.Thread
	case done.ThreadID != "":
		target = done.ThreadID
	}
	root, rest := renderPost(out.Messages, opensThread)
	seq := 0
	// Only the first part this attempt sends can have been sent unrecorded: an earlier
	// one was recorded before the next went out.
	check := out.Resumed
	send := func(part outMessage) error {
		if seq < done.Parts {
			seq++
			return nil // sent by an earlier attempt
		}
		part.Nonce = messageNonce(out.Nonce, seq)
		part.EnforceNonce = part.Nonce != ""
		seq++
		var id string
		if check {
			check = false
			found, err := b.findSent(ctx, target, part)
			if err != nil {
				return deliveryError(err)
			}
			if found != "" {
				b.log.Info("discord: a part sent by an earlier attempt was found in its channel; not sending it again",
					"channel", target, "part", seq, "message", found)
			}
			id = found
		}
		if id == "" {
			var err error
			if id, err = b.createMessage(ctx, target, part); err != nil {
				return deliveryError(err)
			}
		}
		if done.MessageID == "" {
			done.MessageID = id
		}
		done.Parts = seq
		return record(ctx, done)
	}
	for _, part := range root {
		if err := send(part); err != nil {
			return study.MessageRef{}, err
		}
	}
	if opensThread && done.ThreadID == "" {
		tid, err := b.startThread(ctx, target, done.MessageID, out.Messages[0].ThreadName)
		if err != nil {
			return study.MessageRef{}, deliveryError(err)
		}
		done.ThreadID = tid
		if err := record(ctx, done); err != nil {
			return study.MessageRef{}, err
		}
	}
	if opensThread {
		target = done.ThreadID
	}
	for _, part := range rest {
		if err := send(part); err != nil {
			return study.MessageRef{}, err
		}
	}
	ref := study.MessageRef{MessageID: done.MessageID, ThreadID: done.ThreadID}
	if out.Thread != "" {
		ref.ThreadID = out.Thread
	}
	return ref, nil
}

// dmChannel opens (or finds again) the direct-message channel with a user.
func (b *Bot) dmChannel(ctx context.Context, userID string) (string, error) {
	if id, ok := b.dms.get(userID); ok {
		return id, nil
	}
	var got struct {
		ID string `json:"id"`
	}
	err := b.call(ctx, "POST /users/@me/channels", http.MethodPost, discordgo.EndpointUserChannels("@me"),
		map[string]string{"recipient_id": userID}, &got, callOpts{idempotent: true, post: true})
	if err != nil {
		return "", err
	}
	if got.ID == "" {
		return "", errors.New("discord POST /users/@me/channels: no channel id in the answer")
	}
	b.dms.put(userID, got.ID)
	return got.ID, nil
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
		callOpts{idempotent: m.EnforceNonce, major: channelID, post: true})
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
		callOpts{idempotent: true, major: channelID, post: true})
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

// recentLimit is how many of a channel's latest messages findSent reads (Discord's
// maximum per request). A resumed post is taken over within seconds of its sender's
// death, so its part, if made, is among them unless the channel is very busy.
const recentLimit = 100

// sentMessage is what findSent reads of a fetched message. Discord does not return a
// message's nonce when it is fetched (only in the create's answer and the gateway
// event), so a part is recognised by its author and its content.
type sentMessage struct {
	ID     string `json:"id"`
	Author struct {
		ID  string `json:"id"`
		Bot bool   `json:"bot"`
	} `json:"author"`
	outMessage
}

// findSent looks for part among the latest messages of channel (GET
// /channels/{channel}/messages) and returns its id, or "" when it is not there: a message
// by this bot whose content, embeds and buttons are the part's. A post's parts differ
// from each other (each part's text is its own; a day's card names its day), so the
// marker of a part is its own content.
func (b *Bot) findSent(ctx context.Context, channel string, part outMessage) (string, error) {
	var got []sentMessage
	url := discordgo.EndpointChannelMessages(channel) + "?limit=" + strconv.Itoa(recentLimit)
	err := b.call(ctx, "GET /channels/{channel}/messages", http.MethodGet, url, nil, &got,
		callOpts{idempotent: true, major: channel, post: true})
	if err != nil {
		return "", err
	}
	_, botID := b.ids()
	want := part.fingerprint()
	for _, m := range got {
		mine := m.Author.ID == botID || (botID == "" && m.Author.Bot)
		if mine && m.fingerprint() == want {
			return m.ID, nil
		}
	}
	return "", nil
}

// fingerprint is what a message shows, as Discord keeps it (surrounding blank space
// trimmed): its text, its embeds' titles, authors and descriptions, and its buttons.
func (m outMessage) fingerprint() string {
	h := sha256.New()
	put := func(s string) {
		s = strings.TrimSpace(s)
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	put(m.Content)
	for _, e := range m.Embeds {
		put(e.Title)
		put(e.Description)
		if e.Author != nil {
			put(e.Author.Name)
		} else {
			put("")
		}
	}
	for _, r := range m.Components {
		for _, c := range r.Components {
			put(c.CustomID)
			put(c.Label)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
