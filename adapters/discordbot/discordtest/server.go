// Package discordtest is a fake Discord for tests: an HTTP server on 127.0.0.1 that
// speaks the REST routes cohortbot uses (API v9, which discordgo v0.29 speaks, and v10) and a websocket gateway (HELLO,
// IDENTIFY, READY, heartbeat/ACK, dispatch, RECONNECT, RESUME), so that the real
// discordgo client can be driven end to end. Point a bot at it with
// DISCORD_API_URL=Server.URL; the gateway URL comes from GET /api/v9/gateway as usual.
//
// It behaves like Discord where cohortbot depends on the behaviour: bot-token auth,
// message and embed limits (400 50035), nonces with enforce_nonce (a repeat returns the
// original message), thread ids equal to their starter message's id (160004 on a second
// thread), the 3-second interaction deadline (10062), 429s with Retry-After, and
// Unknown Channel / Missing Access errors. Faults are injected per route.
//
// Tests can also hold a route's requests unanswered (Hold), turn on Discord's rate limits
// with their headers and 429s (SetLimits), and take the gateway down (SetGatewayDown).
package discordtest

import (
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Fixed ids of the fake's world.
const (
	AppID     = "1100000000000000001"
	BotUserID = "1100000000000000002"
	GuildID   = "1100000000000000003"
	ChannelID = "1100000000000000004" // #study, the default text channel
)

// Server is a fake Discord. Create it with New; its fields are read-only after that.
type Server struct {
	// URL is the base URL to give the bot as DISCORD_API_URL ("http://127.0.0.1:PORT").
	URL string
	// Token is the bot token the fake accepts (without the "Bot " prefix).
	Token string

	srv      *httptest.Server
	upgrader websocket.Upgrader

	mu sync.Mutex
	// HeartbeatInterval is sent in HELLO; set it with SetHeartbeatInterval.
	heartbeat time.Duration
	nextID    int64
	lag       time.Duration // gateway lag of interactions

	channels     map[string]*Channel
	messages     []*Message
	byID         map[string]*Message
	nonces       map[string]nonceEntry
	nonceWindow  time.Duration
	interactions map[string]*Interaction
	commands     map[string]json.RawMessage // "global" or a guild id → last bulk overwrite
	commandPuts  int
	reactions    []Reaction
	requests     []Request
	faults       map[string][]*Fault
	holds        map[string]*hold // route → its current hold
	allHolds     []*hold          // every hold made, for Close to release

	// rate limits
	limits      *limiter             // nil: off
	throttled   map[string]time.Time // channel id → end of its shared limit
	rateLimited int

	// gateway
	sessions   map[string]*gwSession
	session    *gwSession
	conn       *gwConn
	gwConns    map[*gwConn]bool // every open gateway connection
	gwDown     bool
	gwRefused  int
	identifies []Identify
	resumes    int
	heartbeats int
}

// Channel is a text channel, a thread or a direct-message channel.
type Channel struct {
	ID       string `json:"id"`
	GuildID  string `json:"guild_id"`
	Type     int    `json:"type"` // 0 text, 11 public thread
	Name     string `json:"name"`
	ParentID string `json:"parent_id,omitempty"`
	// AutoArchive is the thread's auto_archive_duration in minutes.
	AutoArchive int `json:"-"`
	// Recipient is the user of a direct-message channel (Type 1).
	Recipient string `json:"-"`
	// Deleted channels answer 404 Unknown Channel; NoAccess ones 403 Missing Access.
	Deleted  bool `json:"-"`
	NoAccess bool `json:"-"`
}

// Message is a message as created through the API or by a member.
type Message struct {
	ID           string    `json:"id"`
	ChannelID    string    `json:"channel_id"`
	Author       User      `json:"author"`
	Content      string    `json:"content"`
	Embeds       []Embed   `json:"embeds"`
	Components   []Row     `json:"components"`
	Nonce        string    `json:"nonce,omitempty"`
	EnforceNonce bool      `json:"-"`
	Flags        int       `json:"flags,omitempty"`
	Time         time.Time `json:"-"`
}

// User is a Discord user.
type User struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name,omitempty"`
	Bot        bool   `json:"bot,omitempty"`
}

// Embed is a message embed (the fields cohortbot uses).
type Embed struct {
	Title       string       `json:"title,omitempty"`
	Description string       `json:"description,omitempty"`
	Color       int          `json:"color,omitempty"`
	Author      *EmbedText   `json:"author,omitempty"`
	Footer      *EmbedText   `json:"footer,omitempty"`
	Fields      []EmbedField `json:"fields,omitempty"`
}

// EmbedText is an embed's author or footer.
type EmbedText struct {
	Name string `json:"name,omitempty"`
	Text string `json:"text,omitempty"`
}

// EmbedField is one embed field.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// Row is an action row of components.
type Row struct {
	Type       int         `json:"type"`
	Components []Component `json:"components"`
}

// Component is a button (the only component cohortbot sends).
type Component struct {
	Type     int    `json:"type"`
	Style    int    `json:"style,omitempty"`
	Label    string `json:"label,omitempty"`
	CustomID string `json:"custom_id,omitempty"`
	Emoji    *struct {
		Name string `json:"name"`
	} `json:"emoji,omitempty"`
}

// Buttons lists the message's buttons in order.
func (m *Message) Buttons() []Component {
	var out []Component
	for _, r := range m.Components {
		out = append(out, r.Components...)
	}
	return out
}

// Text is everything a member reads in the message: content, embed titles, authors,
// descriptions, fields and footers.
func (m *Message) Text() string {
	return messageText(m.Content, m.Embeds)
}

func messageText(content string, embeds []Embed) string {
	var b strings.Builder
	b.WriteString(content)
	for _, e := range embeds {
		for _, s := range []string{authorName(e), e.Title, e.Description} {
			if s != "" {
				b.WriteString("\n" + s)
			}
		}
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Name + "\n" + f.Value)
		}
		if e.Footer != nil {
			b.WriteString("\n" + e.Footer.Text)
		}
	}
	return b.String()
}

func authorName(e Embed) string {
	if e.Author == nil {
		return ""
	}
	return e.Author.Name
}

// New starts a fake Discord on 127.0.0.1 with one guild and its #study channel; it stops
// when t ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		Token:        "fake-bot-token." + strconv.FormatInt(time.Now().UnixNano(), 36) + ".s3cr3t",
		heartbeat:    41250 * time.Millisecond,
		channels:     map[string]*Channel{},
		byID:         map[string]*Message{},
		nonces:       map[string]nonceEntry{},
		nonceWindow:  NonceWindow,
		interactions: map[string]*Interaction{},
		commands:     map[string]json.RawMessage{},
		faults:       map[string][]*Fault{},
		holds:        map[string]*hold{},
		throttled:    map[string]time.Time{},
		sessions:     map[string]*gwSession{},
		gwConns:      map[*gwConn]bool{},
	}
	s.channels[ChannelID] = &Channel{ID: ChannelID, GuildID: GuildID, Type: 0, Name: "study"}
	s.srv = httptest.NewServer(s.routes())
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server: it releases held requests and drops gateway connections.
func (s *Server) Close() {
	s.mu.Lock()
	holds := s.allHolds
	conns := s.dropGatewayLocked()
	s.mu.Unlock()
	for _, h := range holds {
		h.release()
	}
	for _, c := range conns {
		c.ws.Close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// DiscordEpoch is the start of Discord's snowflake clock (2015-01-01, in ms).
const DiscordEpoch = 1420070400000

// id makes a snowflake dated now: ids carry their creation time, as Discord's do.
func (s *Server) id() string { return s.idAt(time.Now()) }

func (s *Server) idAt(t time.Time) string {
	s.nextID++
	return strconv.FormatInt((t.UnixMilli()-DiscordEpoch)<<22|s.nextID&0x3FFFFF, 10)
}

// AddChannel adds a text channel to the guild and returns its id.
func (s *Server) AddChannel(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.id()
	s.channels[id] = &Channel{ID: id, GuildID: GuildID, Name: name}
	return id
}

// AddThread starts a public thread in parentID, as a member would (not on a bot message),
// dispatches THREAD_CREATE and returns its id.
func (s *Server) AddThread(parentID, name string) string {
	s.mu.Lock()
	id := s.id()
	s.channels[id] = &Channel{ID: id, GuildID: GuildID, Type: 11, Name: name, ParentID: parentID, AutoArchive: 1440}
	s.mu.Unlock()
	s.Dispatch("THREAD_CREATE", map[string]any{"id": id, "guild_id": GuildID, "type": 11, "name": name, "parent_id": parentID, "newly_created": true})
	return id
}

// DeleteChannel deletes a channel: its routes answer 404 Unknown Channel from now on.
func (s *Server) DeleteChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[id]; c != nil {
		c.Deleted = true
	}
}

// HideChannel takes the bot's View Channel away: 403 Missing Access.
func (s *Server) HideChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[id]; c != nil {
		c.NoAccess = true
	}
}

// Messages returns the messages in a channel or thread, oldest first.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.ChannelID == channelID {
			out = append(out, *m)
		}
	}
	return out
}

// Channel returns a channel or thread by id.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return *c, true
}

// Threads returns the threads started in a channel.
func (s *Server) Threads(parentID string) []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	for _, c := range s.channels {
		if c.ParentID == parentID {
			out = append(out, *c)
		}
	}
	return out
}

// WaitFor polls cond (under no lock) until it holds or the deadline passes.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
