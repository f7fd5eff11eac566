package discordtest

import (
	"encoding/json"
	"net/http"
	"time"
)

// Direct messages: POST /users/@me/channels opens the bot's DM channel with a user (the
// same channel every time, as on Discord), whose messages are created and recorded like
// any channel's (Messages, Requests). A button on a DM is pressed without a guild.

// DMChannel returns the DM channel the bot opened with a user, if any.
func (s *Server) DMChannel(userID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, c := range s.channels {
		if c.Type == 1 && c.Recipient == userID {
			return id, true
		}
	}
	return "", false
}

func (s *Server) openDM(w http.ResponseWriter, r *http.Request, body []byte) (int, any) {
	var b struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.RecipientID == "" {
		return 400, apiError{Code: 50035, Message: "Invalid Form Body: recipient_id"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.channels {
		if c.Type == 1 && c.Recipient == b.RecipientID {
			return 200, dmJSON(c)
		}
	}
	c := &Channel{ID: s.id(), Type: 1, Recipient: b.RecipientID}
	s.channels[c.ID] = c
	return 200, dmJSON(c)
}

func dmJSON(c *Channel) map[string]any {
	return map[string]any{"id": c.ID, "type": 1, "recipients": []User{{ID: c.Recipient, Username: "user" + c.Recipient}}}
}

// PressInDM dispatches a button press by m on a message in their DM with the bot: the
// interaction has no guild and carries the user, not a guild member.
func (s *Server) PressInDM(m Member, msg Message, customID string) string {
	s.mu.Lock()
	now := time.Now()
	ix := &Interaction{ID: s.idAt(now), Token: "aW50ZXJhY3Rpb24" + s.id() + "tokenXYZ", Type: 3, Created: now}
	s.interactions[ix.ID] = ix
	s.mu.Unlock()
	payload := map[string]any{
		"id": ix.ID, "application_id": AppID, "type": 3, "token": ix.Token, "version": 1,
		"channel_id": msg.ChannelID, "user": User{ID: m.ID, Username: m.Name, GlobalName: m.Name},
		"data": map[string]any{"custom_id": customID, "component_type": 2}, "message": msg,
		"channel": map[string]any{"id": msg.ChannelID, "type": 1}, "context": 1, "locale": "en-US",
	}
	s.mu.Lock()
	ix.Sent = time.Now()
	s.mu.Unlock()
	s.Dispatch("INTERACTION_CREATE", payload)
	return ix.ID
}
