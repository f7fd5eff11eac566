package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/slack-go/slack"

	"cohortbot/internal/study"
)

// target is where the answer to one request goes.
type target struct {
	channel     string
	user        string
	thread      string
	responseURL string
	// preferAPI answers a button press with chat.postEphemeral first: it shows next to the
	// message the member pressed.
	preferAPI bool
	used      int // messages sent to responseURL (Slack accepts five)
}

// answer sends the core's reply, or its one-line error, to the member or the channel.
func (a *Adapter) answer(ctx context.Context, t *target, reply study.Reply, err error) {
	if err != nil {
		reply = study.ErrorReply(err)
	}
	a.reply(ctx, t, render(reply.Messages), reply.Ephemeral)
}

// hideURL drops the path of a URL from a transport error: a response_url works as a
// credential for half an hour, so it stays out of the logs.
func hideURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		host := ue.URL
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Scheme + "://" + u.Host
		}
		return fmt.Errorf("%s %s: %w", ue.Op, host, ue.Err)
	}
	return err
}

// reply sends messages to the member (ephemeral) or the channel.
func (a *Adapter) reply(ctx context.Context, t *target, msgs []slackMessage, ephemeral bool) {
	for _, m := range msgs {
		if err := a.replyOne(ctx, t, m, ephemeral); err != nil {
			a.log.Warn("slack reply failed", "channel", t.channel, "user", t.user, "err", err)
			return
		}
	}
}

func (a *Adapter) replyOne(ctx context.Context, t *target, m slackMessage, ephemeral bool) error {
	viaURL := func() error {
		typ := slack.ResponseTypeInChannel
		if ephemeral {
			typ = slack.ResponseTypeEphemeral
		}
		_, _, _, err := a.api.SendMessageContext(ctx, "", slack.MsgOptionResponseURL(t.responseURL, typ),
			slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
		if err != nil {
			return fmt.Errorf("response_url: %w", hideURL(err))
		}
		t.used++
		return nil
	}
	canURL := t.responseURL != "" && t.used < 5
	viaAPI := func() error {
		if !ephemeral {
			_, err := a.postMessage(ctx, t.channel, m, t.thread, 0)
			return err
		}
		opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
		if t.thread != "" {
			opts = append(opts, slack.MsgOptionTS(t.thread))
		}
		_, err := a.api.PostEphemeralContext(ctx, t.channel, t.user, opts...)
		return err
	}
	var order []func() error
	switch {
	case canURL && !t.preferAPI:
		order = []func() error{viaURL, viaAPI}
	case canURL:
		order = []func() error{viaAPI, viaURL}
	default:
		order = []func() error{viaAPI}
	}
	var errs []error
	for _, send := range order {
		err := send()
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
