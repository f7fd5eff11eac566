package discordtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"cohortbot/adapters/discordbot/discordtest"
)

const messagesRoute = "POST /channels/{channel}/messages"

// answer is a REST answer from the fake.
type answer struct {
	Status int
	Header http.Header
	Body   map[string]any
}

// call makes a REST request to the fake as the bot would (with its token) and decodes
// the answer.
func call(t *testing.T, s *discordtest.Server, method, path string, body any) answer {
	t.Helper()
	a, err := try(s, method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// try is call for goroutines other than the test's.
func try(s *discordtest.Server, method, path string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/api/v10"+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bot "+s.Token)
	req.Header.Set("Content-Type", "application/json")
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
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.Body); err != nil {
			return a, fmt.Errorf("%s %s: %d %q is not a JSON object", method, path, resp.StatusCode, raw)
		}
	}
	return a, nil
}

func post(t *testing.T, s *discordtest.Server, channelID, content string) answer {
	t.Helper()
	return call(t, s, "POST", "/channels/"+channelID+"/messages", map[string]any{"content": content})
}

// toFake sends what discordgo addresses to https://discord.com to the fake instead,
// without touching discordgo's package-level endpoints.
type toFake struct{ base *url.URL }

func (f toFake) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = f.base.Scheme, f.base.Host, ""
	return http.DefaultTransport.RoundTrip(r)
}

func fakeClient(t *testing.T, s *discordtest.Server) *http.Client {
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: toFake{u}}
}
