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
package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Fixed ids of the fake's world.
const (
	AppID     = "1100000000000000001"
	BotUserID = "1100000000000000002"
	GuildID   = "1100000000000000003"
	ChannelID = "1100000000000000004" // #study, the default text channel
)

// InteractionDeadline is how long Discord waits for the first response to an interaction.
const InteractionDeadline = 3 * time.Second

// NonceWindow is how long an enforced nonce deduplicates message creation.
const NonceWindow = 5 * time.Minute

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
	interactions map[string]*Interaction
	commands     map[string]json.RawMessage // "global" or a guild id → last bulk overwrite
	commandPuts  int
	reactions    []Reaction
	requests     []Request
	faults       map[string][]*Fault

	// gateway
	sessions   map[string]*gwSession
	session    *gwSession
	conn       *gwConn
	identifies []Identify
	resumes    int
	heartbeats int
}

// Channel is a text channel or a thread.
type Channel struct {
	ID       string `json:"id"`
	GuildID  string `json:"guild_id"`
	Type     int    `json:"type"` // 0 text, 11 public thread
	Name     string `json:"name"`
	ParentID string `json:"parent_id,omitempty"`
	// AutoArchive is the thread's auto_archive_duration in minutes.
	AutoArchive int `json:"-"`
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

// Reaction is a reaction the bot added.
type Reaction struct {
	ChannelID, MessageID, Emoji string
}

// Request is one REST request the fake received.
type Request struct {
	Method string
	Route  string // the route pattern, e.g. "POST /channels/{channel}/messages"
	Path   string
	Body   []byte
	Auth   string // the Authorization header
	At     time.Time
	Status int
}

// Fault is an error the fake answers instead of handling a request.
type Fault struct {
	Status  int
	Code    int
	Message string
	// RetryAfter is sent with 429s as the Retry-After header and retry_after field.
	RetryAfter time.Duration
	Global     bool
	// Delay holds the answer back (a slow Discord).
	Delay time.Duration
}

// Identify is what a client sent in IDENTIFY.
type Identify struct {
	Token   string  `json:"token"`
	Intents int64   `json:"intents"`
	Shard   *[2]int `json:"shard"`
}

type nonceEntry struct {
	msg *Message
	at  time.Time
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
		interactions: map[string]*Interaction{},
		commands:     map[string]json.RawMessage{},
		faults:       map[string][]*Fault{},
		sessions:     map[string]*gwSession{},
	}
	s.channels[ChannelID] = &Channel{ID: ChannelID, GuildID: GuildID, Type: 0, Name: "study"}
	s.srv = httptest.NewServer(s.routes())
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and drops gateway connections.
func (s *Server) Close() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.ws.Close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// SetHeartbeatInterval changes the interval announced in HELLO to new connections.
func (s *Server) SetHeartbeatInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heartbeat = d
}

// DiscordEpoch is the start of Discord's snowflake clock (2015-01-01, in ms).
const DiscordEpoch = 1420070400000

// id makes a snowflake dated now: ids carry their creation time, as Discord's do.
func (s *Server) id() string { return s.idAt(time.Now()) }

func (s *Server) idAt(t time.Time) string {
	s.nextID++
	return strconv.FormatInt((t.UnixMilli()-DiscordEpoch)<<22|s.nextID&0x3FFFFF, 10)
}

// SetLag makes interactions arrive d after Discord created them (a lagging gateway):
// their ids are dated d earlier and the 3-second deadline runs from then.
func (s *Server) SetLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = d
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

// Fail makes the next times requests on route (e.g. "POST /channels/{channel}/messages")
// answer f instead.
func (s *Server) Fail(route string, f Fault, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		ff := f
		s.faults[route] = append(s.faults[route], &ff)
	}
}

// Requests returns the REST requests received on route ("" for all), in order.
func (s *Server) Requests(route string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if route == "" || r.Route == route {
			out = append(out, r)
		}
	}
	return out
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

// Reactions returns the reactions the bot added.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reaction(nil), s.reactions...)
}

// Commands returns the last bulk-overwritten commands of scope ("global" or a guild id)
// and how many overwrites there were in all.
func (s *Server) Commands(scope string) (json.RawMessage, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[scope], s.commandPuts
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

// ---- REST ----

type handler func(w http.ResponseWriter, r *http.Request, body []byte) (status int, resp any)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(route string, auth bool, h handler) {
		method, path, _ := strings.Cut(route, " ")
		mux.HandleFunc(method+" /api/{version}"+path, func(w http.ResponseWriter, r *http.Request) {
			if v := r.PathValue("version"); v != "v9" && v != "v10" {
				writeJSON(w, 404, apiError{Code: 0, Message: "404: Not Found"})
				return
			}
			s.serve(w, r, route, auth, h)
		})
	}
	handle("GET /gateway", false, s.gateway)
	handle("GET /gateway/bot", true, s.gateway)
	handle("GET /users/@me", true, func(http.ResponseWriter, *http.Request, []byte) (int, any) {
		return 200, botUser()
	})
	handle("PUT /applications/{app}/commands", true, s.putCommands)
	handle("PUT /applications/{app}/guilds/{guild}/commands", true, s.putCommands)
	handle("GET /channels/{channel}", true, s.getChannel)
	handle("POST /channels/{channel}/messages", true, s.createMessage)
	handle("POST /channels/{channel}/messages/{message}/threads", true, s.startThread)
	handle("PUT /channels/{channel}/messages/{message}/reactions/{emoji}/{user}", true, s.addReaction)
	handle("POST /interactions/{interaction}/{token}/callback", false, s.interactionCallback)
	handle("PATCH /webhooks/{app}/{token}/messages/{message}", false, s.editOriginal)
	handle("DELETE /webhooks/{app}/{token}/messages/{message}", false, s.deleteOriginal)
	handle("POST /webhooks/{app}/{token}", false, s.followup)
	mux.HandleFunc("GET /gateway-ws/{$}", s.serveGateway)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.record(Request{Method: r.Method, Route: "unknown", Path: r.URL.Path, At: time.Now(), Status: 404})
		writeJSON(w, 404, apiError{Code: 0, Message: "404: Not Found"})
	})
	return mux
}

type apiError struct {
	Code       int     `json:"code"`
	Message    string  `json:"message"`
	RetryAfter float64 `json:"retry_after,omitempty"`
	Global     *bool   `json:"global,omitempty"`
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, route string, auth bool, h handler) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Method: r.Method, Route: route, Path: r.URL.EscapedPath(), Body: body, Auth: r.Header.Get("Authorization"), At: time.Now()}
	status, resp := s.answer(w, r, route, auth, body, h)
	req.Status = status
	s.record(req)
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, resp)
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, route string, auth bool, body []byte, h handler) (int, any) {
	if auth && r.Header.Get("Authorization") != "Bot "+s.Token {
		return 401, apiError{Code: 0, Message: "401: Unauthorized"}
	}
	s.mu.Lock()
	var f *Fault
	if q := s.faults[route]; len(q) > 0 {
		f, s.faults[route] = q[0], q[1:]
	}
	s.mu.Unlock()
	if f != nil {
		time.Sleep(f.Delay)
		if f.Status != 0 {
			return faultAnswer(w, *f)
		}
	}
	if id := r.PathValue("channel"); id != "" {
		s.mu.Lock()
		c := s.channels[id]
		s.mu.Unlock()
		switch {
		case c == nil || c.Deleted:
			return 404, apiError{Code: 10003, Message: "Unknown Channel"}
		case c.NoAccess:
			return 403, apiError{Code: 50001, Message: "Missing Access"}
		}
	}
	return h(w, r, body)
}

func faultAnswer(w http.ResponseWriter, f Fault) (int, any) {
	e := apiError{Code: f.Code, Message: f.Message}
	if f.Status == 429 {
		secs := f.RetryAfter.Seconds()
		e.RetryAfter = secs
		e.Global = &f.Global
		if e.Message == "" {
			e.Message = "You are being rate limited."
		}
		w.Header().Set("Retry-After", strconv.FormatFloat(secs, 'f', 3, 64))
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
		w.Header().Set("X-RateLimit-Bucket", "fake-bucket")
		if f.Global {
			w.Header().Set("X-RateLimit-Global", "true")
			w.Header().Set("X-RateLimit-Scope", "global")
		} else {
			w.Header().Set("X-RateLimit-Scope", "user")
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(f.Status)
	}
	return f.Status, e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func botUser() User {
	return User{ID: BotUserID, Username: "cohortbot", Bot: true}
}

func (s *Server) gateway(w http.ResponseWriter, r *http.Request, _ []byte) (int, any) {
	ws := "ws" + strings.TrimPrefix(s.URL, "http") + "/gateway-ws/"
	return 200, map[string]any{"url": ws, "shards": 1, "session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}
}

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request, body []byte) (int, any) {
	if r.PathValue("app") != AppID {
		return 404, apiError{Code: 10002, Message: "Unknown Application"}
	}
	var cmds []map[string]any
	if err := json.Unmarshal(body, &cmds); err != nil {
		return 400, apiError{Code: 50109, Message: "The request body contains invalid JSON."}
	}
	if problem := validateCommands(cmds); problem != "" {
		return 400, apiError{Code: 50035, Message: "Invalid Form Body: " + problem}
	}
	scope := "global"
	if g := r.PathValue("guild"); g != "" {
		scope = g
	}
	s.mu.Lock()
	s.commands[scope] = json.RawMessage(body)
	s.commandPuts++
	for _, c := range cmds {
		c["id"] = s.id()
		c["application_id"] = AppID
		c["version"] = s.id()
	}
	s.mu.Unlock()
	return 200, cmds
}

// validateCommands checks the limits Discord enforces on command definitions.
func validateCommands(cmds []map[string]any) string {
	if len(cmds) > 100 {
		return "more than 100 commands"
	}
	seen := map[string]bool{}
	for _, c := range cmds {
		name, _ := c["name"].(string)
		if seen[name] {
			return "duplicate command " + name
		}
		seen[name] = true
		if p := validateOption(c, 0); p != "" {
			return p
		}
	}
	return ""
}

func validateOption(o map[string]any, depth int) string {
	name, _ := o["name"].(string)
	desc, _ := o["description"].(string)
	if name == "" || len(name) > 32 || strings.ToLower(name) != name || strings.ContainsAny(name, " :") {
		return fmt.Sprintf("bad name %q", name)
	}
	if n := utf8.RuneCountInString(desc); n < 1 || n > 100 {
		return fmt.Sprintf("%s: description must be 1-100 characters", name)
	}
	opts, _ := o["options"].([]any)
	if len(opts) > 25 {
		return name + ": more than 25 options"
	}
	if choices, _ := o["choices"].([]any); len(choices) > 25 {
		return name + ": more than 25 choices"
	}
	if ac, _ := o["autocomplete"].(bool); ac {
		if choices, _ := o["choices"].([]any); len(choices) > 0 {
			return name + ": autocomplete with choices"
		}
	}
	required := true
	for _, x := range opts {
		m, _ := x.(map[string]any)
		if depth > 2 {
			return name + ": nested too deep"
		}
		if r, _ := m["required"].(bool); r && !required {
			return name + ": required options must come first"
		} else if !r {
			required = false
		}
		if p := validateOption(m, depth+1); p != "" {
			return p
		}
	}
	return ""
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, _ []byte) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return 200, *s.channels[r.PathValue("channel")]
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
		if e, ok := s.nonces[key]; ok && now.Sub(e.at) < NonceWindow {
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
