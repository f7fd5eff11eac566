package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"cohortbot/internal/study"
)

// OrganizersSetting is the channel setting that lists extra organizers (user ids).
const OrganizersSetting = "organizers"

const maxOrganizers = 50

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

func (a *Adapter) channelRef(team, channel string) study.ChannelRef {
	if team == "" {
		team = a.teamID
	}
	return study.ChannelRef{Platform: Platform, Workspace: team, Channel: channel}
}

// userRef names a member; users.info (cached) gives the display name.
func (a *Adapter) userRef(ctx context.Context, team, id, fallback string) study.UserRef {
	if team == "" {
		team = a.teamID
	}
	name := fallback
	if u, err := a.users.get(ctx, id); err != nil {
		a.log.Warn("slack users.info failed; using the handle", "user", id, "err", err)
	} else if u.name != "" {
		name = u.name
	}
	if name == "" {
		name = id
	}
	return study.UserRef{Platform: Platform, Workspace: team, ID: id, Name: name}
}

// isOrganizer: workspace admins and owners, and the channel's organizer list.
func (a *Adapter) isOrganizer(ctx context.Context, ch study.ChannelRef, userID string) bool {
	if u, err := a.users.get(ctx, userID); err != nil {
		a.log.Warn("slack users.info failed; checking the organizer list only", "user", userID, "err", err)
	} else if u.admin {
		return true
	}
	list, err := a.store.ChannelSetting(ctx, ch, OrganizersSetting)
	if err != nil {
		if study.ErrorCode(err) != study.ENOTFOUND {
			a.log.Error("slack: read organizer list", "channel", ch.Channel, "err", err)
		}
		return false
	}
	for _, id := range strings.Split(list, ",") {
		if id != "" && id == userID {
			return true
		}
	}
	return false
}

// handleCommand answers a slash command (already acknowledged).
func (a *Adapter) handleCommand(ctx context.Context, cmd slack.SlashCommand) {
	t := &target{channel: cmd.ChannelID, user: cmd.UserID, responseURL: cmd.ResponseURL}
	defer a.recoverTo(ctx, t, "command "+cmd.Command)
	name, sub, rest := study.SplitCommandLine(cmd.Command + " " + cmd.Text)
	if a.testHook != nil {
		a.testHook(name)
	}
	ch := a.channelRef(cmd.TeamID, cmd.ChannelID)
	req := study.Request{Channel: ch, User: a.userRef(ctx, cmd.TeamID, cmd.UserID, cmd.UserName), Command: name, Sub: sub, Text: rest}
	if name == "cohort" || name == "help" {
		req.Organizer = a.isOrganizer(ctx, ch, cmd.UserID)
	}
	a.log.Debug("slack command", "command", name, "sub", sub, "channel", cmd.ChannelID, "user", cmd.UserID, "organizer", req.Organizer)
	if name == "cohort" && sub == "set" {
		if msgs, handled, err := a.setOrganizers(ctx, req); handled {
			if err != nil {
				a.replyError(ctx, t, err)
			} else {
				a.reply(ctx, t, msgs, false)
			}
			return
		}
	}
	reply, err := a.core.Handle(ctx, req)
	if err != nil {
		a.replyError(ctx, t, err)
		return
	}
	msgs := reply.Messages
	if (name == "cohort" && (sub == "" || sub == "help")) || (name == "help" && req.Organizer) {
		msgs = append(msgs, study.Message{Sections: []study.Section{{Text: "/cohort set organizers:@ana,@ben — who else may use /cohort here (workspace admins and owners always can); organizers:off clears the list"}}})
	}
	a.reply(ctx, t, render(msgs), reply.Ephemeral)
}

var (
	mentionRe = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)
	userIDRe  = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
)

// setOrganizers handles /cohort set organizers:… (the core does not know this key). It
// reports handled=false when the text does not set organizers.
func (a *Adapter) setOrganizers(ctx context.Context, req study.Request) ([]slackMessage, bool, error) {
	args, err := study.ParseArgs(req.Text, OrganizersSetting)
	if err != nil {
		return nil, false, nil // the core answers the same parse error
	}
	val, ok := args.Named[OrganizersSetting]
	if !ok {
		return nil, false, nil
	}
	if !req.Organizer {
		return nil, true, study.Errorf(study.EFORBIDDEN, "Only organizers can use /cohort set.")
	}
	ids, clear, err := parseOrganizers(append([]string{val}, args.Positional...))
	if err != nil {
		return nil, true, err
	}
	if _, err := a.store.CohortByChannel(ctx, req.Channel); study.ErrorCode(err) == study.ENOTFOUND {
		return nil, true, study.Errorf(study.EINVALID, "This channel has no cohort yet: run /cohort setup first, then /cohort set organizers:@ana,@ben.")
	} else if err != nil {
		return nil, true, fmt.Errorf("set organizers: %w", err)
	}
	if err := a.store.SetChannelSetting(ctx, req.Channel, OrganizersSetting, strings.Join(ids, ",")); err != nil {
		return nil, true, fmt.Errorf("set organizers: %w", err)
	}
	a.log.Info("slack organizers changed", "channel", req.Channel.Channel, "by", req.User.ID, "count", len(ids))
	if clear {
		return textMessage("👥 The organizer list of this channel is cleared; workspace admins and owners are still organizers."), true, nil
	}
	mentions := make([]string, len(ids))
	for i, id := range ids {
		mentions[i] = "<@" + id + ">"
	}
	return textMessage(fmt.Sprintf("👥 Organizers of this channel: %s. Workspace admins and owners are organizers too.", strings.Join(mentions, ", "))), true, nil
}

// parseOrganizers reads mentions (<@U123|ana>, as Slack sends them when the command
// escapes users) or user ids, separated by commas or spaces; "off" or "none" clears.
func parseOrganizers(items []string) (ids []string, clear bool, err error) {
	var fields []string
	for _, it := range items {
		fields = append(fields, strings.FieldsFunc(it, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
	}
	usage := "/cohort set organizers:@ana,@ben (or organizers:off)"
	if len(fields) == 1 && (strings.EqualFold(fields[0], "off") || strings.EqualFold(fields[0], "none")) {
		return nil, true, nil
	}
	seen := map[string]bool{}
	for _, f := range fields {
		var id string
		switch m := mentionRe.FindStringSubmatch(f); {
		case m != nil:
			id = m[1]
		case userIDRe.MatchString(f):
			id = f
		case strings.HasPrefix(f, "@"):
			return nil, false, study.Errorf(study.EINVALID, "%q is not a mention Slack resolved: pick each person from the @ list as you type (the /cohort command needs “Escape channels, users, and links” on, as in deploy/slack/manifest.yaml)", f)
		default:
			return nil, false, study.Errorf(study.EINVALID, "set organizers on their own, as mentions: %s", usage)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, false, study.Errorf(study.EINVALID, "who? %s", usage)
	}
	if len(ids) > maxOrganizers {
		return nil, false, study.Errorf(study.EINVALID, "that is %d organizers; list at most %d", len(ids), maxOrganizers)
	}
	return ids, false, nil
}

// handleInteraction answers a button press (already acknowledged).
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
	defer a.recoverTo(ctx, t, "button")
	ch := a.channelRef(cb.Team.ID, channel)
	for _, act := range cb.ActionCallback.BlockActions {
		if a.testHook != nil {
			a.testHook("button")
		}
		id := act.ActionID
		if _, day, ok := study.ParseAction(id); ok {
			user := a.userRef(ctx, cb.Team.ID, cb.User.ID, cb.User.Name)
			reply, err := a.core.CheckIn(ctx, study.CheckInRequest{Channel: ch, User: user, Day: day, Source: study.SourceButton})
			if err != nil {
				a.replyError(ctx, t, err)
				continue
			}
			a.reply(ctx, t, render(reply.Messages), true)
			continue
		}
		if strings.HasPrefix(id, answersPrefix) {
			a.reveal(ctx, t, ch, id)
			continue
		}
		a.log.Debug("slack: unknown button", "action", id)
	}
}

// reveal shows the hidden parts of a day's thread message to the member who pressed Show
// answers.
func (a *Adapter) reveal(ctx context.Context, t *target, ch study.ChannelRef, id string) {
	parts := strings.Split(strings.TrimPrefix(id, answersPrefix), ":")
	day, err1 := strconv.Atoi(parts[0])
	idx := -1
	var err2 error
	if len(parts) > 1 {
		idx, err2 = strconv.Atoi(parts[1])
	}
	if len(parts) > 2 || err1 != nil || err2 != nil {
		a.replyError(ctx, t, study.Errorf(study.EINVALID, "That button is out of date."))
		return
	}
	c, err := a.store.CohortByChannel(ctx, ch)
	if study.ErrorCode(err) == study.ENOTFOUND {
		a.replyError(ctx, t, study.Errorf(study.ENOTFOUND, "This channel has no cohort any more."))
		return
	} else if err != nil {
		a.replyError(ctx, t, fmt.Errorf("show answers: %w", err))
		return
	}
	v, err := a.svc.View(c)
	if err != nil {
		a.replyError(ctx, t, fmt.Errorf("show answers: %w", err))
		return
	}
	if day < 1 || day > v.Track.Len() {
		a.replyError(ctx, t, study.Errorf(study.EINVALID, "That button is out of date."))
		return
	}
	msgs := study.CardThreadMessages(v.Track, day)
	var pick []study.Message
	if idx >= 0 && idx < len(msgs) && hasHidden(msgs[idx]) {
		pick = msgs[idx : idx+1]
	} else {
		for _, m := range msgs {
			if hasHidden(m) {
				pick = append(pick, m)
			}
		}
	}
	if len(pick) == 0 {
		a.replyError(ctx, t, study.Errorf(study.ENOTFOUND, "There are no hidden answers here."))
		return
	}
	out := make([]study.Message, len(pick))
	for i, m := range pick {
		secs := make([]study.Section, len(m.Sections))
		for j, s := range m.Sections {
			s.Hidden = false
			secs[j] = s
		}
		out[i] = study.Message{Title: "🔓 " + m.Title, Sections: secs}
	}
	a.reply(ctx, t, render(out), true)
}

func hasHidden(m study.Message) bool {
	for _, s := range m.Sections {
		if s.Hidden {
			return true
		}
	}
	return false
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

// handleMessage checks a member in when they reply in a day's thread.
func (a *Adapter) handleMessage(ctx context.Context, team string, m *slackevents.MessageEvent) {
	if m.SubType != "" || m.BotID != "" || m.User == "" || m.User == a.botUserID {
		return
	}
	if m.ThreadTimeStamp == "" || m.ThreadTimeStamp == m.TimeStamp {
		return // not a reply in a thread
	}
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("slack thread reply handler panicked", "panic", fmt.Sprint(r))
		}
	}()
	note := strings.TrimSpace(unescaper.Replace(m.Text))
	if utf8.RuneCountInString(note) > study.MaxNote {
		note = string([]rune(note)[:study.MaxNote-1]) + "…"
	}
	ch := a.channelRef(team, m.Channel)
	// The core finds the thread's day in the outbox; a card this process posted moments
	// ago may not be recorded there yet, so its day is passed along.
	req := study.CheckInRequest{Channel: ch, User: a.userRef(ctx, team, m.User, ""), Thread: m.ThreadTimeStamp, Source: study.SourceReply, Note: note}
	req.Day = a.roots.day(m.Channel, m.ThreadTimeStamp)
	_, err := a.core.CheckIn(ctx, req)
	switch study.ErrorCode(err) {
	case "":
	case study.ENOTFOUND:
		return // not a day's thread, or no cohort here
	case study.EINTERNAL:
		a.log.Error("slack thread reply check-in failed", "channel", m.Channel, "user", m.User, "err", err)
		return
	default:
		a.log.Debug("slack thread reply not counted", "channel", m.Channel, "user", m.User, "why", study.ErrorMessage(err))
		return
	}
	err = a.api.AddReactionContext(ctx, "white_check_mark", slack.ItemRef{Channel: m.Channel, Timestamp: m.TimeStamp})
	var se slack.SlackErrorResponse
	if err != nil && !(errors.As(err, &se) && se.Err == "already_reacted") {
		a.log.Warn("slack reactions.add failed", "channel", m.Channel, "err", err)
	}
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

// replyError answers with the core's one-line message; internal errors are logged, not
// shown.
func (a *Adapter) replyError(ctx context.Context, t *target, err error) {
	if study.ErrorCode(err) == study.EINTERNAL {
		a.log.Error("slack request failed", "channel", t.channel, "user", t.user, "err", err)
	}
	a.reply(ctx, t, render([]study.Message{{Sections: []study.Section{{Text: "⚠️ " + study.ErrorMessage(err)}}}}), true)
}

// recoverTo turns a panic in a handler into a log line and a short answer.
func (a *Adapter) recoverTo(ctx context.Context, t *target, what string) {
	if r := recover(); r != nil {
		a.log.Error("slack handler panicked", "handler", what, "panic", fmt.Sprint(r))
		a.replyError(ctx, t, errors.New("panic"))
	}
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
			_, err := a.postMessage(ctx, t.channel, m, t.thread)
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
