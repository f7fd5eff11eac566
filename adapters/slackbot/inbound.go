package slackbot

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"cohortbot/internal/study"
)

func (a *Adapter) channelRef(team, channel string) study.ChannelRef {
	if team == "" {
		team = a.teamID
	}
	return study.ChannelRef{Platform: Platform, Workspace: team, Channel: channel}
}

// request is the core request of a user's action in a channel: who they are (the display
// name from users.info) and whether the workspace made them an admin or owner.
//
// Only an organizer command waits for users.info when its rate limit is spent (the admin
// flag decides it); anything else goes on with the handle the payload gave.
func (a *Adapter) request(ctx context.Context, team, channel, userID, fallback string, organizer bool) study.Request {
	if team == "" {
		team = a.teamID
	}
	lookup := ctx
	if !organizer {
		lookup = withoutWaiting(ctx)
	}
	name, admin := fallback, false
	if u, err := a.users.get(lookup, userID); errors.Is(err, errMethodBusy) {
		a.log.Debug("slack users.info skipped at its rate limit; using the handle", "user", userID)
	} else if err != nil {
		a.log.Warn("slack users.info failed; using the handle, not an admin", "user", userID, "err", err)
	} else {
		admin = u.admin
		if u.name != "" {
			name = u.name
		}
	}
	if name == "" {
		name = userID
	}
	return study.Request{Channel: a.channelRef(team, channel), Admin: admin,
		User: study.UserRef{Platform: Platform, Workspace: team, ID: userID, Name: name}}
}

// handleCommand answers a slash command (already acknowledged).
func (a *Adapter) handleCommand(ctx context.Context, cmd slack.SlashCommand) {
	t := &target{channel: cmd.ChannelID, user: cmd.UserID, responseURL: cmd.ResponseURL}
	name, sub, rest := study.SplitCommandLine(cmd.Command + " " + cmd.Text)
	name = commandOnSlack(name)
	req := a.request(ctx, cmd.TeamID, cmd.ChannelID, cmd.UserID, cmd.UserName, study.OrganizerCommand(name, sub))
	req.Command, req.Sub, req.Text = name, sub, rest
	reply, err := a.core.Handle(ctx, req)
	a.answer(ctx, t, reply, err)
}

// commandOnSlack maps a Slack command name back to the table's (Slack keeps some names
// for its own commands).
func commandOnSlack(name string) string {
	for _, c := range study.Commands() {
		if c.NameOn(Platform) == name {
			return c.Name
		}
	}
	return name
}

// handleInteraction passes button presses on (already acknowledged).
func (a *Adapter) handleInteraction(ctx context.Context, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	thread := cb.Container.ThreadTs
	if thread == "" {
		thread = cb.Message.ThreadTimestamp
	}
	t := &target{channel: channel, user: cb.User.ID, thread: thread, responseURL: cb.ResponseURL, preferAPI: true}
	for _, act := range cb.ActionCallback.BlockActions {
		req := a.request(ctx, cb.Team.ID, channel, cb.User.ID, cb.User.Name, false)
		req.Source, req.Action, req.Thread = study.SourceButton, act.ActionID, thread
		if strings.HasPrefix(channel, "D") {
			// A button on a direct message (a personal reminder): no cohort channel; the
			// button's id says what it is about.
			req.Channel.Channel, req.Thread = "", ""
		}
		reply, err := a.core.Handle(ctx, req)
		a.answer(ctx, t, reply, err)
	}
}

// handleEvent handles an Events API callback (already acknowledged): thread replies.
func (a *Adapter) handleEvent(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if ev.Type != slackevents.CallbackEvent {
		return
	}
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" && !a.seen.add(cb.EventID) {
		a.log.Debug("slack: duplicate event ignored", "event", cb.EventID)
		return
	}
	if m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent); ok {
		a.handleMessage(ctx, ev.TeamID, m)
	}
}

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// reactionNames are the core's reactions as Slack names its emoji.
var reactionNames = map[string]string{study.CheckMark: "white_check_mark"}

// handleMessage passes a member's reply in a thread to the core, which checks them in
// when the thread is a day's; the core's ✅ goes on the reply. Messages that are not
// replies in a thread never reach the core.
func (a *Adapter) handleMessage(ctx context.Context, team string, m *slackevents.MessageEvent) {
	if m.SubType != "" || m.BotID != "" || m.User == "" || m.User == a.botUserID {
		return
	}
	if m.ThreadTimeStamp == "" || m.ThreadTimeStamp == m.TimeStamp {
		return // not a reply in a thread
	}
	req := a.request(ctx, team, m.Channel, m.User, "", false)
	req.Source, req.Thread, req.Text = study.SourceReply, m.ThreadTimeStamp, unescaper.Replace(m.Text)
	reply, err := a.core.Handle(ctx, req)
	switch {
	case err != nil && study.IsNotACheckIn(err):
		return // not a day's thread, or no cohort here
	case err != nil:
		a.log.Debug("slack thread reply not counted", "channel", m.Channel, "user", m.User, "why", study.ErrorMessage(err))
		return
	case reply.React == "":
		return
	}
	err = a.api.AddReactionContext(ctx, reactionNames[reply.React], slack.ItemRef{Channel: m.Channel, Timestamp: m.TimeStamp})
	var se slack.SlackErrorResponse
	if err != nil && !(errors.As(err, &se) && se.Err == "already_reacted") {
		a.log.Warn("slack reactions.add failed", "channel", m.Channel, "err", err)
	}
}
