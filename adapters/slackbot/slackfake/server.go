// Package slackfake is a fake Slack on 127.0.0.1 for tests: the Web API methods cohortbot
// calls (auth.test, chat.postMessage, chat.postEphemeral, reactions.add, users.info,
// apps.connections.open), response_url endpoints, and a Socket Mode websocket that says
// hello, delivers envelopes (slash_commands, interactive, events_api), collects acks,
// pings, and can ask the client to disconnect. It speaks the wire protocol, so the real
// slack-go client and socketmode client run against it unchanged.
//
// Tests can also hold a method's calls unanswered (Hold), turn on Slack's rate limits
// (SetLimits), and take Socket Mode down (SetSocketDown).
package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	// Metadata is the message metadata it was posted with (nil: none).
	Metadata *Metadata
	At       time.Time
}

// Metadata is message metadata: an app's event type and payload.
type Metadata struct {
	EventType    string         `json:"event_type"`
	EventPayload map[string]any `json:"event_payload"`
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

// Server is the fake Slack.
type Server struct {
	BotToken string
	AppToken string

	srv      *httptest.Server
	upgrader websocket.Upgrader

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every recorded change
	seq         int64
	messages    []Message
	ephemerals  []Ephemeral
	responses   []Response
	reactions   []Reaction
	users       map[string]User
	chanErr     map[string]string
	faults      map[string][]Fault
	calls       map[string][]time.Time
	holds       map[string]*hold // method → its current hold
	answerHolds map[string]*hold // method → its current hold of answers (HoldAnswers)
	allHolds    []*hold          // every hold made, for Close to release
	limits      *limiter         // nil: off
	rateLimited int
	dropped     int
	acks        map[string]json.RawMessage
	conns       int
	cur         *wsConn
	wsConns     map[*wsConn]bool // every open Socket Mode connection
	socketDown  bool
	upgrading   int // websocket upgrades not yet recorded
	refused     int
	pingEvery   time.Duration
	noPings     bool
	envelopes   int
	responseN   int
}

// New starts a fake Slack on 127.0.0.1, closed when t ends. It pings Socket Mode clients
// every 200 ms.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		BotToken:    "xoxb-fake-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		AppToken:    "xapp-fake-" + strconv.FormatInt(time.Now().UnixNano()+1, 36),
		changed:     make(chan struct{}),
		seq:         time.Now().Unix() * 1_000_000,
		users:       map[string]User{},
		chanErr:     map[string]string{},
		faults:      map[string][]Fault{},
		calls:       map[string][]time.Time{},
		holds:       map[string]*hold{},
		answerHolds: map[string]*hold{},
		wsConns:     map[*wsConn]bool{},
		acks:        map[string]json.RawMessage{},
		pingEvery:   200 * time.Millisecond,
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

// Close stops the server: it releases held calls and drops websocket connections.
func (s *Server) Close() {
	s.mu.Lock()
	holds := s.allHolds
	conns := s.dropSocketsLocked()
	s.mu.Unlock()
	for _, h := range holds {
		h.release()
	}
	for _, c := range conns {
		c.conn.Close()
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

// Forget drops what the fake has recorded — messages, ephemerals, responses, reactions and
// call times — keeping its users and settings: long runs such as fuzzing look only at
// what each input caused, and must not grow the fake's memory with every input.
func (s *Server) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages, s.ephemerals, s.responses, s.reactions = nil, nil, nil, nil
	s.calls = map[string][]time.Time{}
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
