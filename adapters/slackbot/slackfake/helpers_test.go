package slackfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"cohortbot/adapters/slackbot/slackfake"
)

// answer is a Web API answer from the fake.
type answer struct {
	Status int
	Header http.Header
	Body   map[string]any
}

func (a answer) ok() bool { return a.Status == 200 && a.Body["ok"] == true }

// call calls a Web API method with the bot token (the app token for
// apps.connections.open) and decodes the answer.
func call(t *testing.T, s *slackfake.Server, method string, args url.Values) answer {
	t.Helper()
	a, err := try(s, method, args)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// try is call for goroutines other than the test's.
func try(s *slackfake.Server, method string, args url.Values) (answer, error) {
	req, err := http.NewRequest("POST", s.APIURL()+method, strings.NewReader(args.Encode()))
	if err != nil {
		return answer{}, err
	}
	token := s.BotToken
	if method == "apps.connections.open" {
		token = s.AppToken
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	a := answer{Status: resp.StatusCode, Header: resp.Header}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return a, err
	}
	if json.Unmarshal(raw, &a.Body) != nil && resp.StatusCode == 200 {
		return a, fmt.Errorf("%s: %q is not JSON", method, raw)
	}
	return a, nil
}

func postMessage(t *testing.T, s *slackfake.Server, channel, text, threadTS string) answer {
	t.Helper()
	args := url.Values{"channel": {channel}, "text": {text}}
	if threadTS != "" {
		args.Set("thread_ts", threadTS)
	}
	return call(t, s, "chat.postMessage", args)
}

// wantRateLimited checks a 429 as Slack sends it, with Retry-After between min and max
// seconds.
func wantRateLimited(t *testing.T, what string, a answer, min, max int) {
	t.Helper()
	var secs int
	fmt.Sscan(a.Header.Get("Retry-After"), &secs)
	if a.Status != 429 || secs < min || secs > max || a.Body["ok"] != false || a.Body["error"] != "ratelimited" {
		t.Errorf("%s: %d Retry-After %q %v, want 429 after %d-%d s with ratelimited", what, a.Status, a.Header.Get("Retry-After"), a.Body, min, max)
	}
}

func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s within 5s", what)
	}
	panic("unreachable")
}
