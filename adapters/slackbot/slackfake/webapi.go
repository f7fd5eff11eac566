package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Fault makes Count calls of a method fail, after letting After calls through: Status 429
// with RetryAfter seconds (0 omits the header), or another HTTP status such as 503.
type Fault struct {
	Status     int
	RetryAfter int
	Count      int
	After      int
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

// Dropped counts held calls whose caller went away before they were released (see
// Hold): they took no effect.
func (s *Server) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Calls returns when each call of a method arrived (failed ones included).
func (s *Server) Calls(method string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.calls[method]...)
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

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	if err := r.ParseForm(); err != nil {
		slackErr(w, "invalid_form_data")
		return
	}
	s.mu.Lock()
	at := time.Now()
	s.calls[method] = append(s.calls[method], at)
	held := s.holds[method]
	s.notify()
	s.mu.Unlock()
	if held != nil {
		args := url.Values{}
		for k, v := range r.PostForm {
			if k != "token" {
				args[k] = append([]string(nil), v...)
			}
		}
		if !held.wait(r.Context(), Call{Method: method, Args: args, At: at}) {
			s.mu.Lock()
			s.dropped++
			s.notify()
			s.mu.Unlock()
			return
		}
	}
	s.mu.Lock()
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
		if s.socketRefused() {
			http.Error(w, "socket mode is unavailable", http.StatusServiceUnavailable)
			return
		}
		if bearer(r) != s.AppToken {
			slackErr(w, "invalid_auth")
			return
		}
		if !s.limit(w, method, "") {
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
	if !s.limit(w, method, f.Get("channel")) {
		return
	}
	s.mu.Lock()
	ah := s.answerHolds[method]
	s.mu.Unlock()
	if ah != nil {
		// Slack takes the call; only its answer is held.
		rec := httptest.NewRecorder()
		s.handle(rec, method, f)
		args := url.Values{}
		for k, v := range f {
			if k != "token" {
				args[k] = append([]string(nil), v...)
			}
		}
		if !ah.wait(r.Context(), Call{Method: method, Args: args, At: at}) {
			return // the caller went away; what the call did stays done
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	s.handle(w, method, f)
}

// handle answers a Web API call that passed the checks.
func (s *Server) handle(w http.ResponseWriter, method string, f url.Values) {
	switch method {
	case "auth.test":
		writeJSON(w, map[string]any{"ok": true, "url": "https://fake.slack.test/", "team": "Fake", "user": "cohortbot",
			"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID})
	case "chat.postMessage":
		s.postMessage(w, f)
	case "chat.postEphemeral":
		s.postEphemeral(w, f)
	case "conversations.history":
		s.history(w, f)
	case "conversations.replies":
		s.replies(w, f)
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

// isUserID reports whether a channel argument is a user id (U…, W…).
func isUserID(ch string) bool { return len(ch) > 1 && (ch[0] == 'U' || ch[0] == 'W') }

// dmChannel is the id of the app's direct-message channel with a user.
func dmChannel(user string) string { return "D" + user[1:] }

// DMChannel is the channel the app's direct messages to user land in: read them with
// Messages(DMChannel(user)).
func (s *Server) DMChannel(user string) string { return dmChannel(user) }

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

func (s *Server) postMessage(w http.ResponseWriter, f url.Values) {
	blocks, err := parseBlocks(f.Get("blocks"))
	if err != nil {
		slackErr(w, "invalid_blocks_format")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := f.Get("channel")
	if isUserID(ch) {
		// A user id as the channel: the app's direct messages with them (Messages tab).
		ch = dmChannel(ch)
	}
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
	var md *Metadata
	if raw := f.Get("metadata"); raw != "" {
		md = &Metadata{}
		if err := json.Unmarshal([]byte(raw), md); err != nil || md.EventType == "" {
			slackErr(w, "invalid_metadata_format")
			return
		}
	}
	m := Message{Channel: ch, TS: s.nextTS(), ThreadTS: thread, Text: f.Get("text"), Blocks: blocks, Metadata: md, At: time.Now()}
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

// historyMessage is a message as conversations.history and conversations.replies return
// it: the bot's own, with its metadata only when include_all_metadata is set.
func historyMessage(m Message, replies int, withMetadata bool) map[string]any {
	out := map[string]any{"type": "message", "user": BotUserID, "bot_id": BotID, "text": m.Text, "ts": m.TS, "blocks": m.Blocks}
	switch {
	case m.ThreadTS != "":
		out["thread_ts"] = m.ThreadTS
	case replies > 0:
		out["thread_ts"], out["reply_count"] = m.TS, replies
	}
	if withMetadata && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

// page answers one page of msgs (limit: 1-999, default 100; cursor: where the previous
// page ended), with has_more and response_metadata.next_cursor as Slack does.
func page(w http.ResponseWriter, f url.Values, msgs []map[string]any) {
	limit := 100
	if v := f.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			slackErr(w, "invalid_limit")
			return
		}
		limit = min(n, 999)
	}
	from := 0
	if c := f.Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "next:"))
		if err != nil || n < 0 || n > len(msgs) {
			slackErr(w, "invalid_cursor")
			return
		}
		from = n
	}
	to := min(from+limit, len(msgs))
	next := ""
	if to < len(msgs) {
		next = "next:" + strconv.Itoa(to)
	}
	writeJSON(w, map[string]any{"ok": true, "messages": msgs[from:to], "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}})
}

// metadataAsked reads include_all_metadata (true, 1).
func metadataAsked(f url.Values) bool {
	v := f.Get("include_all_metadata")
	return v == "1" || v == "true"
}

// history is conversations.history: a channel's top-level messages, newest first.
func (s *Server) history(w http.ResponseWriter, f url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := f.Get("channel")
	if !s.checkChannel(w, ch) {
		return
	}
	replies := map[string]int{}
	for _, m := range s.messages {
		if m.Channel == ch && m.ThreadTS != "" {
			replies[m.ThreadTS]++
		}
	}
	var msgs []map[string]any
	for i := len(s.messages) - 1; i >= 0; i-- {
		if m := s.messages[i]; m.Channel == ch && m.ThreadTS == "" {
			msgs = append(msgs, historyMessage(m, replies[m.TS], metadataAsked(f)))
		}
	}
	page(w, f, msgs)
}

// replies is conversations.replies: a thread's parent, then its replies oldest first.
func (s *Server) replies(w http.ResponseWriter, f url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ts := f.Get("channel"), f.Get("ts")
	if !s.checkChannel(w, ch) {
		return
	}
	var parent *Message
	var thread []Message
	for i, m := range s.messages {
		switch {
		case m.Channel != ch:
		case m.TS == ts && m.ThreadTS == "":
			parent = &s.messages[i]
		case m.ThreadTS == ts:
			thread = append(thread, m)
		}
	}
	if parent == nil {
		slackErr(w, "thread_not_found")
		return
	}
	msgs := []map[string]any{historyMessage(*parent, len(thread), metadataAsked(f))}
	for _, m := range thread {
		msgs = append(msgs, historyMessage(m, 0, metadataAsked(f)))
	}
	page(w, f, msgs)
}
