package slackfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

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
