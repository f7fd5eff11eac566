package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// NonceWindow is how long an enforced nonce deduplicates message creation, unless
// SetNonceWindow says otherwise. Discord documents only "the past few minutes".
const NonceWindow = 5 * time.Minute

// SetNonceWindow changes how long an enforced nonce deduplicates message creation: a
// short window stands for a Discord that has forgotten a nonce by the time a resend
// comes.
func (s *Server) SetNonceWindow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonceWindow = d
}

// Reaction is a reaction the bot added.
type Reaction struct {
	ChannelID, MessageID, Emoji string
}

type nonceEntry struct {
	msg *Message
	at  time.Time
}

// Reactions returns the reactions the bot added.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reaction(nil), s.reactions...)
}

// messageBody is what clients send to create or edit a message.
type messageBody struct {
	Content         *string         `json:"content"`
	Embeds          []Embed         `json:"embeds"`
	Components      []Row           `json:"components"`
	Nonce           json.RawMessage `json:"nonce"`
	EnforceNonce    bool            `json:"enforce_nonce"`
	Flags           int             `json:"flags"`
	AllowedMentions json.RawMessage `json:"allowed_mentions"`
}

func (b messageBody) content() string {
	if b.Content == nil {
		return ""
	}
	return *b.Content
}

// validateMessage applies Discord's message limits.
func validateMessage(b messageBody, needContent bool) string {
	if n := utf8.RuneCountInString(b.content()); n > 2000 {
		return fmt.Sprintf("content: must be 2000 or fewer in length (%d)", n)
	}
	if needContent && b.content() == "" && len(b.Embeds) == 0 && len(b.Components) == 0 {
		return "Cannot send an empty message"
	}
	if len(b.Embeds) > 10 {
		return fmt.Sprintf("embeds: must be 10 or fewer in length (%d)", len(b.Embeds))
	}
	total := 0
	for i, e := range b.Embeds {
		check := func(field, v string, max int) string {
			n := utf8.RuneCountInString(v)
			total += n
			if n > max {
				return fmt.Sprintf("embeds.%d.%s: must be %d or fewer in length (%d)", i, field, max, n)
			}
			return ""
		}
		if p := check("title", e.Title, 256); p != "" {
			return p
		}
		if p := check("description", e.Description, 4096); p != "" {
			return p
		}
		if e.Author != nil {
			if p := check("author.name", e.Author.Name, 256); p != "" {
				return p
			}
		}
		if e.Footer != nil {
			if p := check("footer.text", e.Footer.Text, 2048); p != "" {
				return p
			}
		}
		if len(e.Fields) > 25 {
			return fmt.Sprintf("embeds.%d.fields: must be 25 or fewer", i)
		}
		for j, f := range e.Fields {
			if f.Name == "" || f.Value == "" {
				return fmt.Sprintf("embeds.%d.fields.%d: name and value are required", i, j)
			}
			if p := check(fmt.Sprintf("fields.%d.name", j), f.Name, 256); p != "" {
				return p
			}
			if p := check(fmt.Sprintf("fields.%d.value", j), f.Value, 1024); p != "" {
				return p
			}
		}
		if e.Title == "" && e.Description == "" && len(e.Fields) == 0 && e.Author == nil {
			return fmt.Sprintf("embeds.%d: empty embed", i)
		}
	}
	if total > 6000 {
		return fmt.Sprintf("embeds: embed size exceeds maximum size of 6000 (%d)", total)
	}
	if len(b.Components) > 5 {
		return "components: must be 5 or fewer in length"
	}
	for _, r := range b.Components {
		if r.Type != 1 || len(r.Components) == 0 || len(r.Components) > 5 {
			return "components: action rows hold 1-5 components"
		}
		for _, c := range r.Components {
			if c.Type == 2 && (len(c.CustomID) == 0 || len(c.CustomID) > 100) {
				return "components: a button needs a custom_id of 1-100 characters"
			}
			if utf8.RuneCountInString(c.Label) > 80 {
				return "components: button label longer than 80"
			}
		}
	}
	return ""
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request, body []byte) (int, any) {
	var b messageBody
	if err := json.Unmarshal(body, &b); err != nil {
		return 400, apiError{Code: 50109, Message: "The request body contains invalid JSON."}
	}
	if p := validateMessage(b, true); p != "" {
		return 400, apiError{Code: 50035, Message: "Invalid Form Body: " + p}
	}
	nonce := ""
	if len(b.Nonce) > 0 {
		if err := json.Unmarshal(b.Nonce, &nonce); err != nil {
			nonce = string(b.Nonce) // an integer nonce
		}
		if len(nonce) > 25 {
			return 400, apiError{Code: 50035, Message: "Invalid Form Body: nonce: must be 25 or fewer in length"}
		}
	}
	cid := r.PathValue("channel")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	key := cid + "|" + nonce
	if b.EnforceNonce && nonce != "" {
		if e, ok := s.nonces[key]; ok && now.Sub(e.at) < s.nonceWindow {
			return 200, *e.msg
		}
	}
	m := &Message{ID: s.id(), ChannelID: cid, Author: botUser(), Content: b.content(), Embeds: b.Embeds,
		Components: b.Components, Nonce: nonce, EnforceNonce: b.EnforceNonce, Flags: b.Flags, Time: now}
	s.messages = append(s.messages, m)
	s.byID[m.ID] = m
	if b.EnforceNonce && nonce != "" {
		s.nonces[key] = nonceEntry{msg: m, at: now}
	}
	return 200, *m
}

// listMessages is GET /channels/{channel}/messages: the channel's (or thread's) messages,
// newest first, at most limit (1-100, default 50), before or after a message id when
// asked. Like Discord, it does not return nonces: a nonce comes back only in the answer
// to the create and in the gateway's MESSAGE_CREATE, and is lost when a message is
// fetched again.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, _ []byte) (int, any) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 400, apiError{Code: 50035, Message: "Invalid Form Body: limit: int value should be between 1 and 100"}
		}
		limit = n
	}
	bound := func(k string) (int64, bool, string) {
		v := q.Get(k)
		if v == "" {
			return 0, false, ""
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false, "Invalid Form Body: " + k + ": Value \"" + v + "\" is not snowflake."
		}
		return n, true, ""
	}
	before, hasBefore, p1 := bound("before")
	after, hasAfter, p2 := bound("after")
	if p := p1 + p2; p != "" {
		return 400, apiError{Code: 50035, Message: p}
	}
	cid := r.PathValue("channel")
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Message{}
	for i := len(s.messages) - 1; i >= 0 && len(out) < limit; i-- {
		m := s.messages[i]
		if m.ChannelID != cid {
			continue
		}
		id, _ := strconv.ParseInt(m.ID, 10, 64)
		if (hasBefore && id >= before) || (hasAfter && id <= after) {
			continue
		}
		c := *m
		c.Nonce = ""
		out = append(out, c)
	}
	return 200, out
}

func (s *Server) startThread(w http.ResponseWriter, r *http.Request, body []byte) (int, any) {
	var b struct {
		Name        string `json:"name"`
		AutoArchive int    `json:"auto_archive_duration"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return 400, apiError{Code: 50109, Message: "The request body contains invalid JSON."}
	}
	if n := utf8.RuneCountInString(b.Name); n < 1 || n > 100 {
		return 400, apiError{Code: 50035, Message: "Invalid Form Body: name: must be between 1 and 100 in length"}
	}
	switch b.AutoArchive {
	case 0, 60, 1440, 4320, 10080:
	default:
		return 400, apiError{Code: 50035, Message: "Invalid Form Body: auto_archive_duration"}
	}
	cid, mid := r.PathValue("channel"), r.PathValue("message")
	s.mu.Lock()
	m := s.byID[mid]
	if m == nil || m.ChannelID != cid {
		s.mu.Unlock()
		return 404, apiError{Code: 10008, Message: "Unknown Message"}
	}
	if _, exists := s.channels[mid]; exists {
		s.mu.Unlock()
		return 400, apiError{Code: 160004, Message: "A thread has already been created for this message"}
	}
	// Discord gives a thread started from a message the message's id.
	th := &Channel{ID: mid, GuildID: GuildID, Type: 11, Name: b.Name, ParentID: cid, AutoArchive: b.AutoArchive}
	s.channels[mid] = th
	s.mu.Unlock()
	s.Dispatch("THREAD_CREATE", map[string]any{"id": th.ID, "guild_id": th.GuildID, "type": 11, "name": th.Name, "parent_id": cid, "newly_created": true})
	return 201, *th
}

func (s *Server) addReaction(w http.ResponseWriter, r *http.Request, _ []byte) (int, any) {
	if r.PathValue("user") != "@me" {
		return 400, apiError{Code: 50035, Message: "Invalid Form Body"}
	}
	cid, mid := r.PathValue("channel"), r.PathValue("message")
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byID[mid]
	if m == nil || m.ChannelID != cid {
		return 404, apiError{Code: 10008, Message: "Unknown Message"}
	}
	emoji := r.PathValue("emoji")
	for _, x := range s.reactions {
		if x.MessageID == mid && x.Emoji == emoji {
			return http.StatusNoContent, nil
		}
	}
	s.reactions = append(s.reactions, Reaction{ChannelID: cid, MessageID: mid, Emoji: emoji})
	return http.StatusNoContent, nil
}
