package slackfake_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"cohortbot/adapters/slackbot/slackfake"
)

// open calls apps.connections.open and dials the URL it gives, as slack-go does.
func open(t *testing.T, s *slackfake.Server) *websocket.Conn {
	t.Helper()
	a := call(t, s, "apps.connections.open", nil)
	u, _ := a.Body["url"].(string)
	if !a.ok() || u == "" {
		t.Fatalf("apps.connections.open: %d %v", a.Status, a.Body)
	}
	c, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hello struct{ Type string }
	if err := c.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		t.Fatalf("first message %+v %v, want hello", hello, err)
	}
	return c
}

func TestSocketDownDropsAndRefusesUntilBack(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	c := open(t, s)
	wsURL := "ws" + s.URL()[len("http"):] + "/ws"

	s.SetSocketDown(true)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
				t.Errorf("read after Socket Mode went down: %v, want 1006 (abnormal closure)", err)
			}
			break
		}
	}
	if _, err := s.Send("events_api", map[string]any{}, 0); err == nil {
		t.Error("Send while Socket Mode is down succeeded")
	}
	if a := call(t, s, "apps.connections.open", nil); a.Status != http.StatusServiceUnavailable {
		t.Errorf("apps.connections.open while down: %d %v, want 503", a.Status, a.Body)
	}
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {"https://api.slack.com"}}); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial while down: %v %v, want 503", err, resp)
	}
	if n := s.SocketRefusals(); n != 2 {
		t.Errorf("SocketRefusals %d, want 2", n)
	}
	if a := call(t, s, "auth.test", nil); !a.ok() {
		t.Errorf("the Web API while Socket Mode is down: %d %v", a.Status, a.Body)
	}

	s.SetSocketDown(false)
	open(t, s)
	if err := s.WaitConnections(2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// slack-go's socketmode client, cut off, is refused, backs off and reconnects.
func TestSocketModeClientReconnectsAfterAnOutage(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	api := slack.New(s.BotToken, slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(s.AppToken))
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- client.RunContext(ctx) }()
	go func() {
		for {
			select {
			case <-client.Events:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		receive(t, "the client to stop", ran)
	})
	if err := s.WaitConnections(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	s.SetSocketDown(true)
	if !s.WaitFor(5*time.Second, func() bool { return s.SocketRefusals() >= 1 }) {
		t.Fatal("the client did not try to reconnect while Socket Mode was down")
	}
	s.SetSocketDown(false)
	if err := s.WaitConnections(2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}
