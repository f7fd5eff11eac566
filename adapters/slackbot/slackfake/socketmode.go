package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

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

func (s *Server) ws(w http.ResponseWriter, r *http.Request) {
	if s.socketRefused() {
		http.Error(w, "socket mode is unavailable", http.StatusServiceUnavailable)
		return
	}
	// The client sees the connection open (101) before it is recorded here: Send and
	// Disconnect wait for an upgrade under way.
	s.mu.Lock()
	s.upgrading++
	s.mu.Unlock()
	upgraded := func() {
		s.upgrading--
		s.notify()
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.mu.Lock()
		upgraded()
		s.mu.Unlock()
		return
	}
	c := &wsConn{conn: conn, done: make(chan struct{})}
	s.mu.Lock()
	if s.socketDown { // it went down during the upgrade
		upgraded()
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.wsConns[c] = true
	s.conns++
	n := s.conns
	s.mu.Unlock()
	// Slack says hello first; envelopes come after.
	_ = c.writeJSON(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": AppID},
		"debug_info":      map[string]any{"host": fmt.Sprintf("fake-%d", n), "approximate_connection_time": 18060}})
	s.mu.Lock()
	if !s.socketDown { // not dropped meanwhile
		s.cur = c
	}
	upgraded()
	s.mu.Unlock()
	go s.pinger(c)
	defer func() {
		close(c.done)
		conn.Close()
		s.mu.Lock()
		delete(s.wsConns, c)
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
	c := s.current()
	if c == nil {
		return errors.New("slackfake: no socket mode connection")
	}
	return c.writeJSON(map[string]any{"type": "disconnect", "reason": "refresh_requested", "debug_info": map[string]any{"host": "fake"}})
}

// Send delivers an envelope of type typ ("slash_commands", "interactive", "events_api")
// over the current connection and returns its envelope id.
func (s *Server) Send(typ string, payload any, retryAttempt int) (string, error) {
	c := s.current()
	s.mu.Lock()
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

// SetSocketDown takes Socket Mode down (true) or brings it back (false). While it is
// down, open Socket Mode connections are dropped without a close frame, and
// apps.connections.open and the websocket answer HTTP 503; the rest of the Web API keeps
// working.
func (s *Server) SetSocketDown(down bool) {
	s.mu.Lock()
	s.socketDown = down
	var conns []*wsConn
	if down {
		conns = s.dropSocketsLocked()
	}
	s.notify()
	s.mu.Unlock()
	for _, c := range conns {
		c.conn.Close()
	}
}

// SocketRefusals counts the apps.connections.open calls and websocket connections
// refused while Socket Mode was down.
func (s *Server) SocketRefusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// socketRefused reports whether Socket Mode is down, counting the refusal if so.
func (s *Server) socketRefused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.socketDown {
		s.refused++
		s.notify()
	}
	return s.socketDown
}

// dropSocketsLocked forgets the current connection and returns every open one for the
// caller to close once s.mu is released; call with s.mu held.
func (s *Server) dropSocketsLocked() []*wsConn {
	var conns []*wsConn
	for c := range s.wsConns {
		conns = append(conns, c)
	}
	if s.cur != nil && !s.wsConns[s.cur] {
		conns = append(conns, s.cur)
	}
	s.cur = nil
	return conns
}

// current is the open connection, or nil. A client knows its connection is open as soon
// as the upgrade is answered, a moment before the handler records it, so an upgrade under
// way is waited for.
func (s *Server) current() *wsConn {
	var c *wsConn
	s.WaitFor(5*time.Second, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		c = s.cur
		return c != nil || s.upgrading == 0
	})
	return c
}
