package slackbot

import (
	"context"
	"errors"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// runSocket keeps the Socket Mode connection up. slack-go reconnects by itself on
// disconnect envelopes and lost pings, trying at once; when an attempt fails, events
// ends the run and this loop waits on the adapter's backoff (capped low: however long
// Slack was away, the bot is back soon after it) before a fresh run. A run that ends
// with an error of its own (Slack refused the app token) fails Start.
func (a *Adapter) runSocket(failed chan<- error) {
	failures := 0 // failed attempts in a row
	for {
		run, stop := context.WithCancel(a.ctx)
		a.runMu.Lock()
		a.stopRun = stop
		a.runMu.Unlock()
		sessions := a.sessions.Load()
		err := a.sm.RunContext(run)
		ended := run.Err() != nil // events ended it: an attempt failed
		stop()
		if a.ctx.Err() != nil {
			return
		}
		if !ended && err != nil && !errors.Is(err, context.Canceled) {
			select {
			case failed <- err:
			default:
			}
			a.log.Error("slack socket mode stopped", "err", describe(err))
		}
		if a.sessions.Load() != sessions {
			failures = 0 // it was connected in between: a new outage
		}
		failures++
		if err := a.cfg.Reconnect.Wait(a.ctx, failures); err != nil {
			return
		}
	}
}

// endRun ends the current Socket Mode run (a connection attempt failed).
func (a *Adapter) endRun() {
	a.runMu.Lock()
	defer a.runMu.Unlock()
	if a.stopRun != nil {
		a.stopRun()
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
			a.sessions.Add(1)
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
				a.log.Warn("slack socket mode connection failed", "err", describe(e.ErrorObj))
			}
			a.endRun()
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
