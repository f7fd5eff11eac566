package slackfake

import (
	"fmt"
	"time"
)

// Command is a slash command invocation.
type Command struct {
	Channel  string
	User     string
	UserName string
	Command  string // "/cohort"
	Text     string
}

// CommandPayload is the slash command as Slack sends it (the Socket Mode payload; the same
// keys form-encoded over HTTP), with a fresh response_url whose id is returned.
func (s *Server) CommandPayload(c Command) (map[string]string, string) {
	u, id := s.NewResponseURL()
	return map[string]string{
		"token": "verification-token-unused", "team_id": TeamID, "team_domain": "fake",
		"channel_id": c.Channel, "channel_name": "study", "user_id": c.User, "user_name": c.UserName,
		"command": c.Command, "text": c.Text, "api_app_id": AppID, "is_enterprise_install": "false",
		"response_url": u, "trigger_id": "trig-" + id,
	}, id
}

// SlashCommand delivers a slash command over Socket Mode and returns the envelope id and
// the response_url id.
func (s *Server) SlashCommand(c Command) (envelopeID, responseID string, err error) {
	p, rid := s.CommandPayload(c)
	env, err := s.Send("slash_commands", p, 0)
	return env, rid, err
}

// Press is a button press on a message.
type Press struct {
	User      User
	Channel   string
	MessageTS string // "" for an ephemeral message
	ThreadTS  string
	Ephemeral bool
	Blocks    []map[string]any // the message's blocks; the button is looked up here
	ActionID  string
}

// BlockActionsPayload builds the block_actions payload Slack sends when the button with
// p.ActionID in p.Blocks is pressed, with a fresh response_url whose id is returned.
func (s *Server) BlockActionsPayload(p Press) (map[string]any, string, error) {
	var btn *Button
	for _, b := range Buttons(p.Blocks) {
		if b.ActionID == p.ActionID {
			btn = &b
			break
		}
	}
	if btn == nil {
		return nil, "", fmt.Errorf("slackfake: no button %q in the message", p.ActionID)
	}
	u, id := s.NewResponseURL()
	now := fmt.Sprintf("%d.000100", time.Now().Unix())
	container := map[string]any{"type": "message", "message_ts": p.MessageTS, "channel_id": p.Channel, "is_ephemeral": p.Ephemeral}
	if p.ThreadTS != "" {
		container["thread_ts"] = p.ThreadTS
	}
	payload := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": p.User.ID, "username": p.User.Name, "name": p.User.Name, "team_id": TeamID},
		"api_app_id": AppID, "token": "verification-token-unused",
		"container":    container,
		"trigger_id":   "trig-" + id,
		"team":         map[string]any{"id": TeamID, "domain": "fake"},
		"channel":      map[string]any{"id": p.Channel, "name": "study"},
		"message":      map[string]any{"type": "message", "ts": p.MessageTS, "thread_ts": p.ThreadTS, "bot_id": BotID, "blocks": p.Blocks},
		"response_url": u,
		"actions": []any{map[string]any{
			"action_id": btn.ActionID, "block_id": btn.BlockID, "value": btn.Value, "type": "button", "action_ts": now,
			"text": map[string]any{"type": "plain_text", "text": btn.Text, "emoji": true},
		}},
	}
	return payload, id, nil
}

// PressButton delivers a button press over Socket Mode; it returns the envelope id and
// the response_url id.
func (s *Server) PressButton(p Press) (envelopeID, responseID string, err error) {
	payload, rid, err := s.BlockActionsPayload(p)
	if err != nil {
		return "", "", err
	}
	env, err := s.Send("interactive", payload, 0)
	return env, rid, err
}

// Reply is a member's message in a channel, possibly in a thread.
type Reply struct {
	EventID  string // stable across Slack's retries of the same event
	Channel  string
	User     string
	Text     string
	ThreadTS string
	SubType  string
	BotID    string
}

// EventPayload builds the events_api callback for a message and the ts it gives it.
func (s *Server) EventPayload(r Reply) (map[string]any, string) {
	s.mu.Lock()
	ts := s.nextTS()
	s.mu.Unlock()
	ev := map[string]any{"type": "message", "channel": r.Channel, "user": r.User, "text": r.Text,
		"ts": ts, "event_ts": ts, "channel_type": "channel"}
	if r.ThreadTS != "" {
		ev["thread_ts"] = r.ThreadTS
	}
	if r.SubType != "" {
		ev["subtype"] = r.SubType
	}
	if r.BotID != "" {
		ev["bot_id"] = r.BotID
	}
	return map[string]any{
		"token": "verification-token-unused", "team_id": TeamID, "api_app_id": AppID,
		"event": ev, "type": "event_callback", "event_id": r.EventID, "event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{"team_id": TeamID, "user_id": BotUserID, "is_bot": true}},
	}, ts
}

// MessageEvent delivers a message event over Socket Mode (retry > 0 marks a redelivery);
// it returns the envelope id and the message ts.
func (s *Server) MessageEvent(r Reply, retry int) (envelopeID, ts string, err error) {
	p, ts := s.EventPayload(r)
	env, err := s.Send("events_api", p, retry)
	return env, ts, err
}
