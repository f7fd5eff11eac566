package slackbot

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// runSocket keeps the Socket Mode connection up. slack-go reconnects by itself on
// disconnect envelopes and lost pings; it returns only when a connection cannot be opened
// at all, and then this loop tries again with a growing wait.
func (a *Adapter) runSocket(failed chan<- error) {
	wait := time.Second
	for first := true; ; first = false {
		err := a.sm.RunContext(a.ctx)
		if a.ctx.Err() != nil {
			return
		}
		if first {
			select {
			case failed <- err:
			default:
			}
		}
		a.log.Error("slack socket mode stopped; reconnecting", "err", describe(err), "in", wait)
		select {
		case <-a.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Minute)
	}
}

// events reads the Socket Mode client's events: every envelope is acknowledged at once and
// handled in the background.
func (a *Adapter) events(connected chan struct{}) {
	var once sync.Once
	first := true
	for {
		var evt socketmode.Event
		select {
		case <-a.ctx.Done():
			return
		case evt = <-a.sm.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeConnecting:
			a.connected.Store(false)
			a.log.Debug("slack socket mode connecting")
		case socketmode.EventTypeConnected:
			a.connected.Store(true)
			if !first {
				a.reconnects.Add(1)
			}
			first = false
			a.log.Info("slack socket mode connected", "reconnects", a.reconnects.Load())
			once.Do(func() { close(connected) })
		case socketmode.EventTypeHello:
			a.log.Debug("slack socket mode hello")
		case socketmode.EventTypeConnectionError:
			if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
				a.log.Warn("slack socket mode connection failed", "err", describe(e.ErrorObj), "attempt", e.Attempt, "backoff", e.Backoff)
			}
		case socketmode.EventTypeInvalidAuth:
			a.log.Error("slack socket mode: Slack rejected SLACK_APP_TOKEN")
		case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
			a.log.Warn("slack socket mode problem", "type", string(evt.Type))
		case socketmode.EventTypeSlashCommand:
			cmd, ok := evt.Data.(slack.SlashCommand)
			a.ack(evt.Request)
			if ok {
				a.goHandle("command", func(ctx context.Context) { a.handleCommand(ctx, cmd) })
			}
		case socketmode.EventTypeInteractive:
			cb, ok := evt.Data.(slack.InteractionCallback)
			a.ack(evt.Request)
			if ok {
				a.goHandle("button", func(ctx context.Context) { a.handleInteraction(ctx, cb) })
			}
		case socketmode.EventTypeEventsAPI:
			ev, ok := evt.Data.(slackevents.EventsAPIEvent)
			a.ack(evt.Request)
			if ok {
				a.goHandle("event", func(ctx context.Context) { a.handleEvent(ctx, ev) })
			}
		}
	}
}

func (a *Adapter) ack(req *socketmode.Request) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	if err := a.sm.AckCtx(a.ctx, req.EnvelopeID, nil); err != nil {
		a.log.Warn("slack socket mode ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}
