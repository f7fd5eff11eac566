package discordtest

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// gwSession is a gateway session: what RESUME continues.
type gwSession struct {
	id  string
	seq int64
	log []frame // dispatches, for replay on RESUME
}

type frame struct {
	seq  int64
	data []byte
}

type gwConn struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	session *gwSession
}

func (c *gwConn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.writeRaw(b)
}

func (c *gwConn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

type payload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

// Identify is what a client sent in IDENTIFY.
type Identify struct {
	Token   string  `json:"token"`
	Intents int64   `json:"intents"`
	Shard   *[2]int `json:"shard"`
}

// SetHeartbeatInterval changes the interval announced in HELLO to new connections.
func (s *Server) SetHeartbeatInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heartbeat = d
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	down := s.gwDown
	if down {
		s.gwRefused++
	}
	s.mu.Unlock()
	if down {
		http.Error(w, "gateway unavailable", http.StatusServiceUnavailable)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws}
	s.mu.Lock()
	if s.gwDown { // it went down during the upgrade
		s.mu.Unlock()
		ws.Close()
		return
	}
	s.gwConns[c] = true
	s.mu.Unlock()
	defer func() {
		ws.Close()
		s.mu.Lock()
		delete(s.gwConns, c)
		if s.conn == c {
			s.conn = nil
		}
		s.mu.Unlock()
	}()
	s.mu.Lock()
	hb := s.heartbeat
	s.mu.Unlock()
	if c.write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": hb.Milliseconds()}}) != nil {
		return
	}
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var first payload
	if err := ws.ReadJSON(&first); err != nil {
		return
	}
	ws.SetReadDeadline(time.Time{})
	switch first.Op {
	case 2:
		if !s.identify(c, first.D) {
			return
		}
	case 6:
		s.resume(c, first.D)
	default:
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4003, "Not authenticated."), time.Now().Add(time.Second))
		return
	}
	for {
		var p payload
		if err := ws.ReadJSON(&p); err != nil {
			return
		}
		switch p.Op {
		case 1:
			s.mu.Lock()
			s.heartbeats++
			s.mu.Unlock()
			c.write(map[string]any{"op": 11})
		case 2:
			s.identify(c, p.D)
		}
	}
}

func (s *Server) identify(c *gwConn, d json.RawMessage) bool {
	var id Identify
	json.Unmarshal(d, &id)
	if id.Token != "Bot "+s.Token {
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."), time.Now().Add(time.Second))
		return false
	}
	if id.Shard != nil && (id.Shard[0] < 0 || id.Shard[0] >= id.Shard[1]) {
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4010, "Invalid shard."), time.Now().Add(time.Second))
		return false
	}
	s.mu.Lock()
	id.Token = "[redacted]"
	s.identifies = append(s.identifies, id)
	sess := &gwSession{id: "session-" + s.id()}
	s.sessions[sess.id] = sess
	s.session = sess
	c.session = sess
	old := s.conn
	s.conn = c
	s.mu.Unlock()
	if old != nil && old != c {
		old.ws.Close()
	}
	ws := "ws" + s.URL[len("http"):] + "/gateway-ws/"
	s.Dispatch("READY", map[string]any{
		"v": 10, "session_id": sess.id, "resume_gateway_url": ws,
		"user":        botUser(),
		"application": map[string]any{"id": AppID, "flags": 0},
		"guilds":      []map[string]any{{"id": GuildID, "unavailable": true}},
		"shard":       id.Shard,
	})
	s.mu.Lock()
	var chans []Channel
	for _, ch := range s.channels {
		if ch.Type == 0 && !ch.Deleted {
			chans = append(chans, *ch)
		}
	}
	s.mu.Unlock()
	s.Dispatch("GUILD_CREATE", map[string]any{"id": GuildID, "name": "Study Guild", "channels": chans, "threads": []any{}, "roles": []any{}, "members": []any{}, "unavailable": false})
	return true
}

func (s *Server) resume(c *gwConn, d json.RawMessage) {
	var r struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	json.Unmarshal(d, &r)
	s.mu.Lock()
	sess := s.sessions[r.SessionID]
	if r.Token != "Bot "+s.Token || sess == nil {
		s.mu.Unlock()
		c.write(map[string]any{"op": 9, "d": false})
		return
	}
	s.resumes++
	old := s.conn
	s.conn = c
	c.session = sess
	s.session = sess
	var replay [][]byte
	for _, f := range sess.log {
		if f.seq > r.Seq {
			replay = append(replay, f.data)
		}
	}
	// Hold the lock while replaying so that new dispatches queue behind the replay.
	for _, b := range replay {
		c.writeRaw(b)
	}
	sess.seq++
	seq := sess.seq
	b, _ := json.Marshal(map[string]any{"op": 0, "t": "RESUMED", "s": seq, "d": map[string]any{}})
	sess.log = append(sess.log, frame{seq: seq, data: b})
	c.writeRaw(b)
	s.mu.Unlock()
	if old != nil && old != c {
		old.ws.Close()
	}
}

// Dispatch sends an event (op 0) on the current session; a disconnected client gets it
// when it resumes.
func (s *Server) Dispatch(event string, data any) {
	d, _ := json.Marshal(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.session
	if sess == nil {
		return
	}
	sess.seq++
	seq := sess.seq
	b, _ := json.Marshal(payload{Op: 0, T: event, S: &seq, D: d})
	sess.log = append(sess.log, frame{seq: seq, data: b})
	if s.conn != nil && s.conn.session == sess {
		s.conn.writeRaw(b)
	}
}

// Reconnect sends RECONNECT (op 7): the client should close and RESUME.
func (s *Server) Reconnect() {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		c.write(map[string]any{"op": 7, "d": nil})
	}
}

// Connected reports whether a client has an identified, live gateway connection.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// Identifies returns the IDENTIFY payloads received (tokens redacted).
func (s *Server) Identifies() []Identify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Identify(nil), s.identifies...)
}

// Resumes counts successful RESUMEs.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}

// Heartbeats counts heartbeats received (each was ACKed).
func (s *Server) Heartbeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heartbeats
}

// SetGatewayDown takes the gateway down (true) or brings it back (false). While it is
// down, every open gateway connection is dropped without a close frame (the client sees
// 1006, an abnormal closure) and new websocket connections are refused with HTTP 503;
// REST keeps working. Dispatches made meanwhile wait in the session for a RESUME.
func (s *Server) SetGatewayDown(down bool) {
	s.mu.Lock()
	s.gwDown = down
	var conns []*gwConn
	if down {
		conns = s.dropGatewayLocked()
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.ws.Close()
	}
}

// GatewayRefusals counts the websocket connections refused while the gateway was down.
func (s *Server) GatewayRefusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gwRefused
}

// dropGatewayLocked forgets the current connection and returns every open one for the
// caller to close once s.mu is released; call with s.mu held.
func (s *Server) dropGatewayLocked() []*gwConn {
	var conns []*gwConn
	for c := range s.gwConns {
		conns = append(conns, c)
	}
	if s.conn != nil && !s.gwConns[s.conn] {
		conns = append(conns, s.conn)
	}
	s.conn = nil
	return conns
}
