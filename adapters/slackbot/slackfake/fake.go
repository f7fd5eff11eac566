// Package slackfake is a fake Slack on 127.0.0.1 for tests: the Web API methods cohortbot
// calls (auth.test, chat.postMessage, chat.postEphemeral, reactions.add, users.info,
// apps.connections.open), response_url endpoints, and a Socket Mode websocket that says
// hello, delivers envelopes (slash_commands, interactive, events_api), collects acks,
// pings, and can ask the client to disconnect. It speaks the wire protocol, so the real
// slack-go client and socketmode client run against it unchanged.
package slackfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Identities the fake workspace uses.
const (
	TeamID    = "T0FAKE"
	BotUserID = "U0BOT"
	BotID     = "B0BOT"
	AppID     = "A0FAKE"
)

// User is a workspace member as users.info returns it.
type User struct {
	ID       string
	Name     string // handle
	RealName string
	IsAdmin  bool
	IsOwner  bool
	IsBot    bool
}

// Message is a chat.postMessage call that succeeded.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Blocks   []map[string]any
	At       time.Time
}

// Ephemeral is a chat.postEphemeral call that succeeded.
type Ephemeral struct {
	Channel  string
	User     string
	ThreadTS string
	Text     string
	Blocks   []map[string]any
}

// Response is a message posted to a response_url.
type Response struct {
	ID              string // the response_url's id
	ResponseType    string
	ReplaceOriginal bool
	Text            string
	Blocks          []map[string]any
}

// Reaction is a reactions.add call that succeeded.
type Reaction struct {
	Channel, TS, Name string
}

// Fault makes Count calls of a method fail, after letting After calls through: Status 429
// with RetryAfter seconds (0 omits the header), or another HTTP status such as 503.
type Fault struct {
	Status     int
	RetryAfter int
	Count      int
	After      int
}

// Server is the fake Slack.
type Server struct {
	BotToken string
	AppToken string

	srv      *httptest.Server
	upgrader websocket.Upgrader

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every recorded change
	seq        int64
	messages   []Message
	ephemerals []Ephemeral
	responses  []Response
	reactions  []Reaction
	users      map[string]User
	chanErr    map[string]string
	faults     map[string][]Fault
	calls      map[string][]time.Time
	acks       map[string]json.RawMessage
	conns      int
	cur        *wsConn
	pingEvery  time.Duration
	noPings    bool
	envelopes  int
	responseN  int
}

type wsConn struct {
	mu   sync.Mutex // gorilla/websocket allows one writer at a time
	conn *websocket.Conn
	done chan struct{}
}

func (c *wsConn) writeJSON(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.conn.WriteJSON(v)
}

// New starts a fake Slack on 127.0.0.1, closed when t ends. It pings Socket Mode clients
// every 200 ms.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		BotToken:  "xoxb-fake-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		AppToken:  "xapp-fake-" + strconv.FormatInt(time.Now().UnixNano()+1, 36),
		changed:   make(chan struct{}),
		seq:       time.Now().Unix() * 1_000_000,
		users:     map[string]User{},
		chanErr:   map[string]string{},
		faults:    map[string][]Fault{},
		calls:     map[string][]time.Time{},
		acks:      map[string]json.RawMessage{},
		pingEvery: 200 * time.Millisecond,
	}
	// slack-go dials with the Origin Slack's servers expect.
	s.upgrader.CheckOrigin = func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", s.api)
	mux.HandleFunc("POST /response/{id}", s.response)
	mux.HandleFunc("GET /ws", s.ws)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and drops websocket connections.
func (s *Server) Close() {
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	if cur != nil {
		cur.conn.Close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// APIURL is the Web API base to give slack.OptionAPIURL (SLACK_API_URL).
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// AddUser adds a workspace member for users.info.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// SetAdmin changes a member's admin flag.
func (s *Server) SetAdmin(id string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	u.IsAdmin = admin
	s.users[id] = u
}

// FailChannel makes every post to channel fail with a Slack error code such as
// channel_not_found, not_in_channel or is_archived.
func (s *Server) FailChannel(channel, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chanErr[channel] = code
}

// AddFault queues a failure for a Web API method ("chat.postMessage").
func (s *Server) AddFault(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], f)
}

// Calls returns when each call of a method arrived (failed ones included).
func (s *Server) Calls(method string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.calls[method]...)
}

// Messages returns the messages posted to channel ("" for all), oldest first.
func (s *Server) Messages(channel string) []Message {
	return matching(s, func() []Message { return s.messages }, func(m Message) bool { return channel == "" || m.Channel == channel })
}

// Ephemerals returns the ephemeral messages shown to user ("" for all).
func (s *Server) Ephemerals(user string) []Ephemeral {
	return matching(s, func() []Ephemeral { return s.ephemerals }, func(e Ephemeral) bool { return user == "" || e.User == user })
}

// Responses returns what was posted to the response_url with id ("" for all).
func (s *Server) Responses(id string) []Response {
	return matching(s, func() []Response { return s.responses }, func(r Response) bool { return id == "" || r.ID == id })
}

// matching copies the recorded items that keep accepts; items is read under the
// server's lock, since handlers append to it concurrently.
func matching[T any](s *Server, items func() []T, keep func(T) bool) []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	for _, it := range items() {
		if keep(it) {
			out = append(out, it)
		}
	}
	return out
}

// Reactions returns the reactions added.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reaction(nil), s.reactions...)
}

// NewResponseURL makes a response_url on the fake and returns it with its id.
func (s *Server) NewResponseURL() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responseN++
	id := fmt.Sprintf("r%d", s.responseN)
	return s.srv.URL + "/response/" + id, id
}

// WaitFor polls cond until it holds or timeout passes; it wakes on every recorded change.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		select {
		case <-ch:
		case <-time.After(min(left, 50*time.Millisecond)):
		}
	}
}

// notify wakes WaitFor; call with s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", s.seq/1_000_000, s.seq%1_000_000)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func slackErr(w http.ResponseWriter, code string) {
	writeJSON(w, map[string]any{"ok": false, "error": code})
}

func bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

func parseBlocks(raw string) ([]map[string]any, error) {
	if raw == "" {
		return nil, nil
	}
	var b []map[string]any
	err := json.Unmarshal([]byte(raw), &b)
	return b, err
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	if err := r.ParseForm(); err != nil {
		slackErr(w, "invalid_form_data")
		return
	}
	s.mu.Lock()
	s.calls[method] = append(s.calls[method], time.Now())
	var fault *Fault
	if q := s.faults[method]; len(q) > 0 {
		if q[0].After > 0 {
			q[0].After--
		} else {
			f := q[0]
			fault = &f
			if q[0].Count--; q[0].Count <= 0 {
				s.faults[method] = q[1:]
			}
		}
	}
	s.notify()
	s.mu.Unlock()
	if fault != nil {
		if fault.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(fault.RetryAfter))
		}
		w.WriteHeader(fault.Status)
		fmt.Fprintln(w, "<html>fault</html>")
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		token = bearer(r)
	}
	if method == "apps.connections.open" {
		if bearer(r) != s.AppToken {
			slackErr(w, "invalid_auth")
			return
		}
		u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws"
		writeJSON(w, map[string]any{"ok": true, "url": u})
		return
	}
	if token == "" {
		slackErr(w, "not_authed")
		return
	}
	if token != s.BotToken {
		slackErr(w, "invalid_auth")
		return
	}
	f := r.PostForm
	switch method {
	case "auth.test":
		writeJSON(w, map[string]any{"ok": true, "url": "https://fake.slack.test/", "team": "Fake", "user": "cohortbot",
			"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID})
	case "chat.postMessage":
		s.postMessage(w, f)
	case "chat.postEphemeral":
		s.postEphemeral(w, f)
	case "reactions.add":
		s.mu.Lock()
		defer s.mu.Unlock()
		rc := Reaction{Channel: f.Get("channel"), TS: f.Get("timestamp"), Name: f.Get("name")}
		for _, x := range s.reactions {
			if x == rc {
				slackErr(w, "already_reacted")
				return
			}
		}
		s.reactions = append(s.reactions, rc)
		s.notify()
		writeJSON(w, map[string]any{"ok": true})
	case "users.info":
		s.mu.Lock()
		u, ok := s.users[f.Get("user")]
		s.mu.Unlock()
		if !ok {
			slackErr(w, "user_not_found")
			return
		}
		writeJSON(w, map[string]any{"ok": true, "user": map[string]any{
			"id": u.ID, "team_id": TeamID, "name": u.Name, "real_name": u.RealName,
			"is_admin": u.IsAdmin, "is_owner": u.IsOwner, "is_bot": u.IsBot,
			"profile": map[string]any{"real_name": u.RealName, "display_name": u.Name},
		}})
	default:
		slackErr(w, "unknown_method")
	}
}

func (s *Server) checkChannel(w http.ResponseWriter, ch string) bool {
	if ch == "" {
		slackErr(w, "channel_not_found")
		return false
	}
	if code := s.chanErr[ch]; code != "" {
		slackErr(w, code)
		return false
	}
	return true
}

func checkBlocks(w http.ResponseWriter, text string, blocks []map[string]any) bool {
	if len(blocks) > 50 {
		slackErr(w, "invalid_blocks")
		return false
	}
	if text == "" && len(blocks) == 0 {
		slackErr(w, "no_text")
		return false
	}
	for _, b := range blocks {
		if !validBlock(b) {
			slackErr(w, "invalid_blocks")
			return false
		}
	}
	return true
}

// validBlock checks the limits Slack enforces on the block types cohortbot sends.
func validBlock(b map[string]any) bool {
	text := func(v any) (string, string) {
		m, _ := v.(map[string]any)
		t, _ := m["text"].(string)
		ty, _ := m["type"].(string)
		return ty, t
	}
	switch b["type"] {
	case "header":
		ty, t := text(b["text"])
		return ty == "plain_text" && t != "" && len([]rune(t)) <= 150
	case "section":
		_, t := text(b["text"])
		return t != "" && len([]rune(t)) <= 3000
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 10 {
			return false
		}
		for _, e := range els {
			if _, t := text(e); t == "" || len([]rune(t)) > 3000 {
				return false
			}
		}
		return true
	case "divider":
		return true
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 25 {
			return false
		}
		seen := map[string]bool{}
		for _, e := range els {
			m, _ := e.(map[string]any)
			id, _ := m["action_id"].(string)
			val, _ := m["value"].(string)
			_, label := text(m["text"])
			if m["type"] != "button" || id == "" || seen[id] || len(id) > 255 || len(val) > 2000 || label == "" || len([]rune(label)) > 75 {
				return false
			}
			seen[id] = true
		}
		return true
	}
	return false
}

func (s *Server) postMessage(w http.ResponseWriter, f url.Values) {
	blocks, err := parseBlocks(f.Get("blocks"))
	if err != nil {
		slackErr(w, "invalid_blocks_format")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := f.Get("channel")
	if !s.checkChannel(w, ch) || !checkBlocks(w, f.Get("text"), blocks) {
		return
	}
	thread := f.Get("thread_ts")
	if thread != "" {
		found := false
		for _, m := range s.messages {
			found = found || (m.Channel == ch && m.TS == thread)
		}
		if !found {
			slackErr(w, "thread_not_found")
			return
		}
	}
	m := Message{Channel: ch, TS: s.nextTS(), ThreadTS: thread, Text: f.Get("text"), Blocks: blocks, At: time.Now()}
	s.messages = append(s.messages, m)
	s.notify()
	writeJSON(w, map[string]any{"ok": true, "channel": ch, "ts": m.TS, "message": map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "bot_id": BotID}})
}

func (s *Server) postEphemeral(w http.ResponseWriter, f url.Values) {
	blocks, err := parseBlocks(f.Get("blocks"))
	if err != nil {
		slackErr(w, "invalid_blocks_format")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := f.Get("channel")
	if !s.checkChannel(w, ch) || !checkBlocks(w, f.Get("text"), blocks) {
		return
	}
	if f.Get("user") == "" {
		slackErr(w, "user_not_found")
		return
	}
	e := Ephemeral{Channel: ch, User: f.Get("user"), ThreadTS: f.Get("thread_ts"), Text: f.Get("text"), Blocks: blocks}
	s.ephemerals = append(s.ephemerals, e)
	s.notify()
	writeJSON(w, map[string]any{"ok": true, "message_ts": s.nextTS()})
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text            string           `json:"text"`
		ResponseType    string           `json:"response_type"`
		ReplaceOriginal bool             `json:"replace_original"`
		Blocks          []map[string]any `json:"blocks"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	if len(body.Blocks) > 50 {
		slackErr(w, "invalid_blocks")
		return
	}
	for _, b := range body.Blocks {
		if !validBlock(b) {
			slackErr(w, "invalid_blocks")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	n := 0
	for _, x := range s.responses {
		if x.ID == id {
			n++
		}
	}
	if n >= 5 { // Slack accepts five messages per response_url
		slackErr(w, "used_url")
		return
	}
	s.responses = append(s.responses, Response{ID: id, ResponseType: body.ResponseType, ReplaceOriginal: body.ReplaceOriginal, Text: body.Text, Blocks: body.Blocks})
	s.notify()
	writeJSON(w, map[string]any{"ok": true})
}

// ---- Socket Mode ----

func (s *Server) ws(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{conn: conn, done: make(chan struct{})}
	s.mu.Lock()
	s.conns++
	n := s.conns
	s.cur = c
	s.notify()
	s.mu.Unlock()
	_ = c.writeJSON(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": AppID},
		"debug_info":      map[string]any{"host": fmt.Sprintf("fake-%d", n), "approximate_connection_time": 18060}})
	go s.pinger(c)
	defer func() {
		close(c.done)
		conn.Close()
		s.mu.Lock()
		if s.cur == c {
			s.cur = nil
		}
		s.notify()
		s.mu.Unlock()
	}()
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := conn.ReadJSON(&ack); err != nil {
			return
		}
		s.mu.Lock()
		if len(ack.Payload) == 0 {
			ack.Payload = json.RawMessage("null")
		}
		s.acks[ack.EnvelopeID] = ack.Payload
		s.notify()
		s.mu.Unlock()
	}
}

func (s *Server) pinger(c *wsConn) {
	for {
		s.mu.Lock()
		every, off := s.pingEvery, s.noPings
		s.mu.Unlock()
		select {
		case <-c.done:
			return
		case <-time.After(every):
		}
		if off {
			continue
		}
		c.mu.Lock()
		err := c.conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// StopPings stops pinging Socket Mode clients (a connection that went quiet).
func (s *Server) StopPings() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noPings = true
}

// ResumePings starts pinging again.
func (s *Server) ResumePings() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noPings = false
}

// Connections counts Socket Mode websocket connections accepted so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// WaitConnections waits until at least n websocket connections were accepted and one is
// open.
func (s *Server) WaitConnections(n int, timeout time.Duration) error {
	if !s.WaitFor(timeout, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.conns >= n && s.cur != nil
	}) {
		return fmt.Errorf("slackfake: %d socket mode connection(s) after %s, want %d", s.Connections(), timeout, n)
	}
	return nil
}

// Disconnect sends the current connection a disconnect envelope, as Slack does before it
// rotates a connection.
func (s *Server) Disconnect() error {
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	if c == nil {
		return errors.New("slackfake: no socket mode connection")
	}
	return c.writeJSON(map[string]any{"type": "disconnect", "reason": "refresh_requested", "debug_info": map[string]any{"host": "fake"}})
}

// Send delivers an envelope of type typ ("slash_commands", "interactive", "events_api")
// over the current connection and returns its envelope id.
func (s *Server) Send(typ string, payload any, retryAttempt int) (string, error) {
	s.mu.Lock()
	c := s.cur
	s.envelopes++
	id := fmt.Sprintf("env-%d", s.envelopes)
	s.mu.Unlock()
	if c == nil {
		return "", errors.New("slackfake: no socket mode connection")
	}
	env := map[string]any{"envelope_id": id, "type": typ, "payload": payload,
		"accepts_response_payload": typ != "events_api", "retry_attempt": retryAttempt}
	if retryAttempt > 0 {
		env["retry_reason"] = "timeout"
	}
	return id, c.writeJSON(env)
}

// Ack returns the acknowledgement of an envelope and whether it has arrived.
func (s *Server) Ack(envelopeID string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.acks[envelopeID]
	return a, ok
}

// WaitAck waits for an envelope's acknowledgement.
func (s *Server) WaitAck(envelopeID string, timeout time.Duration) error {
	if !s.WaitFor(timeout, func() bool { _, ok := s.Ack(envelopeID); return ok }) {
		return fmt.Errorf("slackfake: envelope %s not acknowledged within %s", envelopeID, timeout)
	}
	return nil
}

// ---- payloads Slack sends ----

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

// Button is a button found in a message's blocks.
type Button struct {
	BlockID, ActionID, Value, Text string
}

// Buttons lists the buttons in blocks.
func Buttons(blocks []map[string]any) []Button {
	var out []Button
	for _, b := range blocks {
		if b["type"] != "actions" {
			continue
		}
		bid, _ := b["block_id"].(string)
		els, _ := b["elements"].([]any)
		for _, e := range els {
			m, _ := e.(map[string]any)
			if m["type"] != "button" {
				continue
			}
			btn := Button{BlockID: bid}
			btn.ActionID, _ = m["action_id"].(string)
			btn.Value, _ = m["value"].(string)
			if t, ok := m["text"].(map[string]any); ok {
				btn.Text, _ = t["text"].(string)
			}
			out = append(out, btn)
		}
	}
	return out
}

// Texts returns every text in blocks (header, section, context), in order.
func Texts(blocks []map[string]any) []string {
	var out []string
	get := func(v any) {
		if m, ok := v.(map[string]any); ok {
			if t, ok := m["text"].(string); ok {
				out = append(out, t)
			}
		}
	}
	for _, b := range blocks {
		get(b["text"])
		if els, ok := b["elements"].([]any); ok && b["type"] == "context" {
			for _, e := range els {
				get(e)
			}
		}
	}
	return out
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

// Sign computes Slack's v0 request signature for HTTP mode.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest builds a request Slack would send to the bot's HTTP endpoint.
func SignedRequest(endpoint, secret string, ts time.Time, contentType string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, ts.Unix(), body))
	return req, nil
}

// Form encodes a payload map as Slack's form bodies do.
func Form(m map[string]string) []byte {
	v := url.Values{}
	for k, x := range m {
		v.Set(k, x)
	}
	return []byte(v.Encode())
}

// PayloadForm wraps a JSON payload in the payload= form field (interactivity over HTTP).
func PayloadForm(payload any) ([]byte, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return []byte(url.Values{"payload": {string(b)}}.Encode()), nil
}
