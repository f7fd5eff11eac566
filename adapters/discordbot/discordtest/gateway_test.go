package discordtest_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"cohortbot/adapters/discordbot/discordtest"
)

type frame struct {
	Op int             `json:"op"`
	T  string          `json:"t"`
	S  int64           `json:"s"`
	D  json.RawMessage `json:"d"`
}

func gatewayURL(t *testing.T, s *discordtest.Server) string {
	t.Helper()
	a := call(t, s, "GET", "/gateway", nil)
	u, _ := a.Body["url"].(string)
	if a.Status != 200 || u == "" {
		t.Fatalf("GET /gateway: %d %v", a.Status, a.Body)
	}
	return u + "?v=10&encoding=json"
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func read(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f frame
	if err := c.ReadJSON(&f); err != nil {
		t.Fatalf("read: %v", err)
	}
	return f
}

// readUntil reads frames until a dispatch of event t arrives.
func readUntil(t *testing.T, c *websocket.Conn, event string) frame {
	t.Helper()
	for {
		if f := read(t, c); f.Op == 0 && f.T == event {
			return f
		}
	}
}

func TestGatewayDownDropsAndRefusesUntilBack(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	url := gatewayURL(t, s)

	c := dial(t, url)
	if f := read(t, c); f.Op != 10 {
		t.Fatalf("first frame %+v, want HELLO", f)
	}
	c.WriteJSON(map[string]any{"op": 2, "d": map[string]any{"token": "Bot " + s.Token, "intents": 513}})
	var ready struct {
		SessionID string `json:"session_id"`
	}
	json.Unmarshal(readUntil(t, c, "READY").D, &ready)
	seq := readUntil(t, c, "GUILD_CREATE").S
	// A second connection that never identified is dropped too.
	idle := dial(t, url)
	read(t, idle) // HELLO

	s.SetGatewayDown(true)
	for _, conn := range []*websocket.Conn{c, idle} {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
			t.Errorf("read after the gateway went down: %v, want 1006 (abnormal closure)", err)
		}
	}
	if s.Connected() {
		t.Error("Connected while the gateway is down")
	}
	s.Dispatch("TYPING_START", map[string]any{"channel_id": discordtest.ChannelID})
	for i := range 2 {
		_, resp, err := websocket.DefaultDialer.Dial(url, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("dial %d while down: %v %v, want 503", i, err, resp)
		}
	}
	if n := s.GatewayRefusals(); n != 2 {
		t.Errorf("GatewayRefusals %d, want 2", n)
	}
	if a := call(t, s, "GET", "/users/@me", nil); a.Status != 200 {
		t.Errorf("REST while the gateway is down: %d", a.Status)
	}

	// Back up: the session resumes and gets what was dispatched meanwhile.
	s.SetGatewayDown(false)
	c = dial(t, url)
	read(t, c) // HELLO
	c.WriteJSON(map[string]any{"op": 6, "d": map[string]any{"token": "Bot " + s.Token, "session_id": ready.SessionID, "seq": seq}})
	if f := read(t, c); f.T != "TYPING_START" {
		t.Errorf("first frame after RESUME %+v, want the missed TYPING_START", f)
	}
	if f := read(t, c); f.T != "RESUMED" {
		t.Errorf("then %+v, want RESUMED", f)
	}
	if s.Resumes() != 1 || !s.Connected() {
		t.Errorf("resumes %d, connected %v", s.Resumes(), s.Connected())
	}
}

// discordgo, cut off, tries again at once (refused), then a second later, and resumes.
func TestDiscordgoResumesAfterAnOutage(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	dg, err := discordgo.New("Bot " + s.Token)
	if err != nil {
		t.Fatal(err)
	}
	dg.Client = fakeClient(t, s)
	dg.LogLevel = -1 // its reconnect errors are expected here
	dg.Identify.Intents = discordgo.IntentsGuilds
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dg.Close() })
	discordtest.WaitFor(t, "discordgo to connect", 5*time.Second, s.Connected)

	s.SetGatewayDown(true)
	discordtest.WaitFor(t, "a refused reconnect", 5*time.Second, func() bool { return s.GatewayRefusals() >= 1 })
	s.SetGatewayDown(false)
	discordtest.WaitFor(t, "a RESUME", 5*time.Second, func() bool { return s.Resumes() == 1 && s.Connected() })
	if n := len(s.Identifies()); n != 1 {
		t.Errorf("%d IDENTIFYs: discordgo should resume, not identify again", n)
	}
}
