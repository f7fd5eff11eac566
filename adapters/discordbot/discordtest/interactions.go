package discordtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Permission bits members can carry.
const (
	PermAdministrator int64 = 1 << 3
	PermManageGuild   int64 = 1 << 5
)

// IntentMessageContent is the privileged intent that would reveal message content.
const IntentMessageContent = 1 << 15

// InteractionDeadline is how long Discord waits for the first response to an interaction.
const InteractionDeadline = 3 * time.Second

// Member is someone acting in the fake guild.
type Member struct {
	ID          string
	Name        string
	Permissions int64
	Roles       []string
	Bot         bool
}

func (m Member) json() map[string]any {
	return map[string]any{
		"user":        User{ID: m.ID, Username: strings.ToLower(m.Name), GlobalName: m.Name, Bot: m.Bot},
		"roles":       append([]string{}, m.Roles...),
		"permissions": itoa(m.Permissions),
		"joined_at":   "2025-01-01T00:00:00.000000+00:00",
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Option is a command option as a member fills it in.
type Option struct {
	Name    string
	Type    int
	Value   any
	Options []Option
	Focused bool
}

// Option types.
const (
	OptSubcommand = 1
	OptString     = 3
	OptInteger    = 4
	OptRole       = 8
)

// Str is a string option.
func Str(name, v string) Option { return Option{Name: name, Type: OptString, Value: v} }

// Int is an integer option.
func Int(name string, v int) Option { return Option{Name: name, Type: OptInteger, Value: v} }

// Role is a role option (the role's id).
func Role(name, id string) Option { return Option{Name: name, Type: OptRole, Value: id} }

// Sub is a subcommand with its options.
func Sub(name string, opts ...Option) Option {
	return Option{Name: name, Type: OptSubcommand, Options: opts}
}

// Focused marks the option being typed (autocomplete).
func Focused(o Option) Option { o.Focused = true; return o }

func optionsJSON(opts []Option) []map[string]any {
	out := []map[string]any{}
	for _, o := range opts {
		m := map[string]any{"name": o.Name, "type": o.Type}
		if o.Type == OptSubcommand {
			m["options"] = optionsJSON(o.Options)
		} else {
			m["value"] = o.Value
		}
		if o.Focused {
			m["focused"] = true
		}
		out = append(out, m)
	}
	return out
}

// Interaction is one interaction the fake dispatched and what the bot answered.
type Interaction struct {
	ID, Token string
	Type      int
	User      string    // who made it
	Created   time.Time // when Discord made it (its id's time)
	Sent      time.Time // when it was dispatched to the bot
	Callbacks []Callback
	Edits     []Message
	Followups []Message
	Deleted   bool
}

// Callback is an interaction response the bot sent.
type Callback struct {
	Type int
	Data json.RawMessage
	At   time.Time
}

// Choice is an autocomplete choice.
type Choice struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Reply is what the member who triggered an interaction sees.
type Reply struct {
	// Type is the first callback's type: 4 a message, 5 deferred, 8 autocomplete choices.
	Type      int
	Deferred  bool
	Ephemeral bool
	// Messages are the visible messages: the response (or the edited deferred one), then
	// follow-ups.
	Messages []Message
	Choices  []Choice
	// Latency is the time from dispatch to the first callback; Age is from creation.
	Latency time.Duration
	Age     time.Duration
}

// Text joins the text of every visible message.
func (r Reply) Text() string {
	var parts []string
	for _, m := range r.Messages {
		parts = append(parts, m.Text())
	}
	return strings.Join(parts, "\n")
}

// SetLag makes interactions arrive d after Discord created them (a lagging gateway):
// their ids are dated d earlier and the 3-second deadline runs from then.
func (s *Server) SetLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = d
}

func (s *Server) newInteraction(typ int, channelID string, m Member, data map[string]any, message *Message) *Interaction {
	s.mu.Lock()
	created := time.Now().Add(-s.lag)
	ix := &Interaction{ID: s.idAt(created), Token: "aW50ZXJhY3Rpb24" + s.id() + "tokenXYZ", Type: typ, User: m.ID, Created: created}
	ch := s.channels[channelID]
	s.interactions[ix.ID] = ix
	s.mu.Unlock()
	payload := map[string]any{
		"id": ix.ID, "application_id": AppID, "type": typ, "token": ix.Token, "version": 1,
		"guild_id": GuildID, "channel_id": channelID, "member": m.json(), "data": data,
		"app_permissions": "309237730368", "locale": "en-US", "guild_locale": "en-US",
		"context": 0,
	}
	if ch != nil {
		c := map[string]any{"id": ch.ID, "type": ch.Type, "guild_id": ch.GuildID, "name": ch.Name}
		if ch.ParentID != "" {
			c["parent_id"] = ch.ParentID
		}
		payload["channel"] = c
	}
	if message != nil {
		payload["message"] = message
	}
	s.mu.Lock()
	ix.Sent = time.Now()
	s.mu.Unlock()
	s.Dispatch("INTERACTION_CREATE", payload)
	return ix
}

// Command dispatches a slash command by m in channelID and returns the interaction id.
func (s *Server) Command(channelID string, m Member, name string, opts ...Option) string {
	data := map[string]any{"id": s.lockedID(), "name": name, "type": 1, "options": optionsJSON(opts), "guild_id": GuildID}
	return s.newInteraction(2, channelID, m, data, nil).ID
}

// Autocomplete dispatches an autocomplete request (one option must be Focused).
func (s *Server) Autocomplete(channelID string, m Member, name string, opts ...Option) string {
	data := map[string]any{"id": s.lockedID(), "name": name, "type": 1, "options": optionsJSON(opts), "guild_id": GuildID}
	return s.newInteraction(4, channelID, m, data, nil).ID
}

// Press dispatches a button press on a message.
func (s *Server) Press(m Member, msg Message, customID string) string {
	data := map[string]any{"custom_id": customID, "component_type": 2}
	return s.newInteraction(3, msg.ChannelID, m, data, &msg).ID
}

func (s *Server) lockedID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id()
}

// Say posts a message by m in a channel or thread and dispatches MESSAGE_CREATE. Like
// Discord without the privileged message-content intent, the event carries no content.
func (s *Server) Say(channelID string, m Member, content string) string {
	s.mu.Lock()
	msg := &Message{ID: s.id(), ChannelID: channelID, Author: User{ID: m.ID, Username: strings.ToLower(m.Name), GlobalName: m.Name, Bot: m.Bot}, Content: content, Time: time.Now()}
	s.messages = append(s.messages, msg)
	s.byID[msg.ID] = msg
	visible := content
	if len(s.identifies) == 0 || s.identifies[len(s.identifies)-1].Intents&IntentMessageContent == 0 {
		visible = ""
	}
	s.mu.Unlock()
	ev := map[string]any{
		"id": msg.ID, "channel_id": channelID, "guild_id": GuildID, "author": msg.Author,
		"content": visible, "type": 0, "timestamp": msg.Time.Format(time.RFC3339Nano),
		"tts": false, "mention_everyone": false, "mentions": []any{}, "attachments": []any{}, "embeds": []any{},
	}
	if !m.Bot {
		mj := m.json()
		delete(mj, "user")
		ev["member"] = mj
	}
	s.Dispatch("MESSAGE_CREATE", ev)
	return msg.ID
}

// Interaction returns a snapshot of an interaction.
func (s *Server) Interaction(id string) Interaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.interactions[id]
	if ix == nil {
		return Interaction{}
	}
	c := *ix
	c.Callbacks = append([]Callback(nil), ix.Callbacks...)
	c.Edits = append([]Message(nil), ix.Edits...)
	c.Followups = append([]Message(nil), ix.Followups...)
	return c
}

// replyOf reads what the member sees; done is false while a deferred answer is pending.
func replyOf(ix Interaction) (r Reply, done bool) {
	if len(ix.Callbacks) == 0 {
		return r, false
	}
	cb := ix.Callbacks[0]
	r.Type = cb.Type
	r.Latency = cb.At.Sub(ix.Sent)
	r.Age = cb.At.Sub(ix.Created)
	var d struct {
		messageBody
		Choices []Choice `json:"choices"`
	}
	json.Unmarshal(cb.Data, &d)
	switch cb.Type {
	case 4:
		r.Ephemeral = d.Flags&64 != 0
		r.Messages = append(r.Messages, Message{Content: d.content(), Embeds: d.Embeds, Components: d.Components, Flags: d.Flags})
		done = true
	case 5:
		r.Deferred = true
		r.Ephemeral = d.Flags&64 != 0
		if len(ix.Edits) > 0 {
			r.Messages = append(r.Messages, ix.Edits[len(ix.Edits)-1])
			done = true
		}
		if ix.Deleted && len(ix.Followups) > 0 {
			done = true
		}
	case 8:
		r.Choices = d.Choices
		done = true
	default:
		done = true
	}
	if ix.Deleted {
		r.Messages = nil
	}
	r.Messages = append(r.Messages, ix.Followups...)
	return r, done
}

// Reply waits (up to 5 s) until the interaction has a visible answer, lets follow-ups
// settle, and returns what the member sees.
func (s *Server) Reply(t testing.TB, id string) Reply {
	t.Helper()
	var r Reply
	WaitFor(t, "the reply to interaction "+id, 5*time.Second, func() bool {
		var done bool
		r, done = replyOf(s.Interaction(id))
		return done
	})
	// Follow-ups come right after; wait until none has arrived for a moment.
	last := len(r.Messages)
	for quiet := 0; quiet < 3; {
		time.Sleep(50 * time.Millisecond)
		r, _ = replyOf(s.Interaction(id))
		if len(r.Messages) == last {
			quiet++
		} else {
			last, quiet = len(r.Messages), 0
		}
	}
	return r
}

func (s *Server) interaction(r *http.Request) (*Interaction, int, any) {
	ix := s.interactions[r.PathValue("interaction")]
	if ix == nil || ix.Token != r.PathValue("token") {
		return nil, 404, apiError{Code: 10062, Message: "Unknown interaction"}
	}
	return ix, 0, nil
}

func (s *Server) interactionCallback(w http.ResponseWriter, r *http.Request, body []byte) (int, any) {
	var cb struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &cb); err != nil {
		return 400, apiError{Code: 50109, Message: "The request body contains invalid JSON."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, status, e := s.interaction(r)
	if ix == nil {
		return status, e
	}
	if time.Since(ix.Created) > InteractionDeadline {
		return 404, apiError{Code: 10062, Message: "Unknown interaction"}
	}
	if len(ix.Callbacks) > 0 {
		return 400, apiError{Code: 40060, Message: "Interaction has already been acknowledged."}
	}
	switch cb.Type {
	case 4, 7:
		var d messageBody
		json.Unmarshal(cb.Data, &d)
		if p := validateMessage(d, true); p != "" {
			return 400, apiError{Code: 50035, Message: "Invalid Form Body: " + p}
		}
	case 5, 6:
	case 8:
		var d struct {
			Choices []Choice `json:"choices"`
		}
		json.Unmarshal(cb.Data, &d)
		if len(d.Choices) > 25 {
			return 400, apiError{Code: 50035, Message: "Invalid Form Body: choices: must be 25 or fewer"}
		}
		for _, c := range d.Choices {
			if n := len([]rune(c.Name)); n < 1 || n > 100 {
				return 400, apiError{Code: 50035, Message: "Invalid Form Body: choice name must be 1-100"}
			}
		}
	default:
		return 400, apiError{Code: 50035, Message: "Invalid Form Body: type"}
	}
	ix.Callbacks = append(ix.Callbacks, Callback{Type: cb.Type, Data: cb.Data, At: time.Now()})
	return http.StatusNoContent, nil
}

func (s *Server) webhookInteraction(r *http.Request) (*Interaction, int, any) {
	if r.PathValue("app") != AppID {
		return nil, 404, apiError{Code: 10015, Message: "Unknown Webhook"}
	}
	for _, ix := range s.interactions {
		if ix.Token == r.PathValue("token") {
			if len(ix.Callbacks) == 0 {
				return nil, 404, apiError{Code: 10015, Message: "Unknown Webhook"}
			}
			if time.Since(ix.Created) > 15*time.Minute {
				return nil, 401, apiError{Code: 50027, Message: "Invalid Webhook Token"}
			}
			return ix, 0, nil
		}
	}
	return nil, 401, apiError{Code: 50027, Message: "Invalid Webhook Token"}
}

func (s *Server) editOriginal(w http.ResponseWriter, r *http.Request, body []byte) (int, any) {
	if r.PathValue("message") != "@original" {
		return 404, apiError{Code: 10008, Message: "Unknown Message"}
	}
	var b messageBody
	if err := json.Unmarshal(body, &b); err != nil {
		return 400, apiError{Code: 50109, Message: "The request body contains invalid JSON."}
	}
	if p := validateMessage(b, false); p != "" {
		return 400, apiError{Code: 50035, Message: "Invalid Form Body: " + p}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, status, e := s.webhookInteraction(r)
	if ix == nil {
		return status, e
	}
	m := Message{ID: ix.ID, Content: b.content(), Embeds: b.Embeds, Components: b.Components, Author: botUser(), Time: time.Now()}
	if len(ix.Callbacks) > 0 {
		var d messageBody
		json.Unmarshal(ix.Callbacks[0].Data, &d)
		m.Flags = d.Flags
	}
	ix.Edits = append(ix.Edits, m)
	return 200, m
}

func (s *Server) deleteOriginal(w http.ResponseWriter, r *http.Request, _ []byte) (int, any) {
	if r.PathValue("message") != "@original" {
		return 404, apiError{Code: 10008, Message: "Unknown Message"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, status, e := s.webhookInteraction(r)
	if ix == nil {
		return status, e
	}
	ix.Deleted = true
	return http.StatusNoContent, nil
}

func (s *Server) followup(w http.ResponseWriter, r *http.Request, body []byte) (int, any) {
	var b messageBody
	if err := json.Unmarshal(body, &b); err != nil {
		return 400, apiError{Code: 50109, Message: "The request body contains invalid JSON."}
	}
	if p := validateMessage(b, true); p != "" {
		return 400, apiError{Code: 50035, Message: "Invalid Form Body: " + p}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, status, e := s.webhookInteraction(r)
	if ix == nil {
		return status, e
	}
	m := Message{ID: s.id(), Content: b.content(), Embeds: b.Embeds, Components: b.Components, Flags: b.Flags, Author: botUser(), Time: time.Now()}
	ix.Followups = append(ix.Followups, m)
	return 200, m
}

// Answer is what the member sees of interaction id so far; done is false while no answer
// or only a deferral has come.
func (s *Server) Answer(id string) (r Reply, done bool) { return replyOf(s.Interaction(id)) }
