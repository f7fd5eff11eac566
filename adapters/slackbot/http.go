package slackbot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Paths of HTTP mode, relative to the bot's HTTP listener; the app manifest's request URLs
// end with them.
const (
	EventsPath        = "/slack/events"
	CommandsPath      = "/slack/commands"
	InteractivityPath = "/slack/interactivity"
)

const (
	maxBody       = 1 << 20
	maxClockSkew  = 5 * time.Minute
	sigHeader     = "X-Slack-Signature"
	sigTimeHeader = "X-Slack-Request-Timestamp"
)

// Handler serves HTTP mode: the Events API, slash commands and interactivity. Every
// request must carry a valid v0 signature made with the signing secret less than five
// minutes ago; anything else gets 401 and changes nothing. Requests are acknowledged at
// once and handled in the background.
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+EventsPath, a.verified(a.httpEvent))
	mux.HandleFunc("POST "+CommandsPath, a.verified(a.httpCommand))
	mux.HandleFunc("POST "+InteractivityPath, a.verified(a.httpInteraction))
	return mux
}

// verified reads the body, checks the signature and passes the raw body on. Until Start
// has returned it answers 503, so that no request is handled before the adapter knows who
// it is in the workspace (Slack retries).
func (a *Adapter) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.started.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := a.verify(r.Header, body); err != nil {
			a.log.Warn("slack request refused", "path", r.URL.Path, "why", err.Error(), "remote", r.RemoteAddr)
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		defer func() {
			if p := recover(); p != nil {
				a.log.Error("slack http handler panicked", "path", r.URL.Path, "panic", fmt.Sprint(p))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next(w, r, body)
	}
}

// verify checks Slack's v0 signature: HMAC-SHA256 of "v0:{timestamp}:{body}" with the
// signing secret, compared in constant time, with the timestamp within five minutes.
func (a *Adapter) verify(h http.Header, body []byte) error {
	tsText := h.Get(sigTimeHeader)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errors.New("missing or malformed timestamp")
	}
	if d := a.cfg.Now().Sub(time.Unix(ts, 0)); d > maxClockSkew || d < -maxClockSkew {
		return fmt.Errorf("timestamp is %s away from now", d.Round(time.Second))
	}
	got, ok := strings.CutPrefix(h.Get(sigHeader), "v0=")
	sig, err := hex.DecodeString(got)
	if !ok || err != nil || len(sig) != sha256.Size {
		return errors.New("missing or malformed signature")
	}
	mac := hmac.New(sha256.New, []byte(a.cfg.SigningSecret))
	mac.Write([]byte("v0:" + tsText + ":"))
	mac.Write(body)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return errors.New("signature does not match")
	}
	return nil
}

func (a *Adapter) httpCommand(w http.ResponseWriter, _ *http.Request, body []byte) {
	f, err := url.ParseQuery(string(body))
	if err != nil || f.Get("command") == "" {
		http.Error(w, "not a slash command", http.StatusBadRequest)
		return
	}
	cmd := slack.SlashCommand{
		TeamID: f.Get("team_id"), TeamDomain: f.Get("team_domain"), EnterpriseID: f.Get("enterprise_id"),
		ChannelID: f.Get("channel_id"), ChannelName: f.Get("channel_name"), UserID: f.Get("user_id"),
		UserName: f.Get("user_name"), Command: f.Get("command"), Text: f.Get("text"),
		ResponseURL: f.Get("response_url"), TriggerID: f.Get("trigger_id"), APIAppID: f.Get("api_app_id"),
	}
	a.goHandle("command", func(ctx context.Context) { a.handleCommand(ctx, cmd) })
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) httpInteraction(w http.ResponseWriter, _ *http.Request, body []byte) {
	f, err := url.ParseQuery(string(body))
	var cb slack.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(f.Get("payload")), &cb)
	}
	if err != nil {
		http.Error(w, "not an interaction payload", http.StatusBadRequest)
		return
	}
	a.goHandle("button", func(ctx context.Context) { a.handleInteraction(ctx, cb) })
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) httpEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// A signed event of a kind we do not parse: acknowledge it so Slack stops retrying.
		a.log.Debug("slack event not understood", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	if ev.Type == slackevents.URLVerification {
		uv, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok {
			http.Error(w, "bad url_verification", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": uv.Challenge})
		return
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		a.log.Debug("slack event redelivered", "retry", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	a.goHandle("event", func(ctx context.Context) { a.handleEvent(ctx, ev) })
	w.WriteHeader(http.StatusOK)
}
