package discordtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request is one REST request the fake received.
type Request struct {
	Method string
	Route  string // the route pattern, e.g. "POST /channels/{channel}/messages"
	Path   string
	Body   []byte
	Auth   string    // the Authorization header
	At     time.Time // when it arrived
	Status int       // 0 while it is held
	// Answered is when the answer went out.
	Answered time.Time
}

// Fault is an error the fake answers instead of handling a request.
type Fault struct {
	Status  int
	Code    int
	Message string
	// RetryAfter is sent with 429s as the Retry-After header and retry_after field.
	RetryAfter time.Duration
	Global     bool
	// Delay holds the answer back (a slow Discord).
	Delay time.Duration
}

// Fail makes the next times requests on route (e.g. "POST /channels/{channel}/messages")
// answer f instead.
func (s *Server) Fail(route string, f Fault, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		ff := f
		s.faults[route] = append(s.faults[route], &ff)
	}
}

// Requests returns the REST requests received on route ("" for all), in order.
func (s *Server) Requests(route string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if route == "" || r.Route == route {
			out = append(out, r)
		}
	}
	return out
}

type handler func(w http.ResponseWriter, r *http.Request, body []byte) (status int, resp any)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(route string, auth bool, h handler) {
		method, path, _ := strings.Cut(route, " ")
		mux.HandleFunc(method+" /api/{version}"+path, func(w http.ResponseWriter, r *http.Request) {
			if v := r.PathValue("version"); v != "v9" && v != "v10" {
				writeJSON(w, 404, apiError{Code: 0, Message: "404: Not Found"})
				return
			}
			s.serve(w, r, route, auth, h)
		})
	}
	handle("GET /gateway", false, s.gateway)
	handle("GET /gateway/bot", true, s.gateway)
	handle("GET /users/@me", true, func(http.ResponseWriter, *http.Request, []byte) (int, any) {
		return 200, botUser()
	})
	handle("PUT /applications/{app}/commands", true, s.putCommands)
	handle("PUT /applications/{app}/guilds/{guild}/commands", true, s.putCommands)
	handle("GET /channels/{channel}", true, s.getChannel)
	handle("POST /channels/{channel}/messages", true, s.createMessage)
	handle("GET /channels/{channel}/messages", true, s.listMessages)
	handle("POST /users/@me/channels", true, s.openDM)
	handle("POST /channels/{channel}/messages/{message}/threads", true, s.startThread)
	handle("PUT /channels/{channel}/messages/{message}/reactions/{emoji}/{user}", true, s.addReaction)
	handle("POST /interactions/{interaction}/{token}/callback", false, s.interactionCallback)
	handle("PATCH /webhooks/{app}/{token}/messages/{message}", false, s.editOriginal)
	handle("DELETE /webhooks/{app}/{token}/messages/{message}", false, s.deleteOriginal)
	handle("POST /webhooks/{app}/{token}", false, s.followup)
	mux.HandleFunc("GET /gateway-ws/{$}", s.serveGateway)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		s.record(Request{Method: r.Method, Route: "unknown", Path: r.URL.Path, At: now, Status: 404, Answered: now})
		writeJSON(w, 404, apiError{Code: 0, Message: "404: Not Found"})
	})
	return mux
}

type apiError struct {
	Code       int     `json:"code"`
	Message    string  `json:"message"`
	RetryAfter float64 `json:"retry_after,omitempty"`
	Global     *bool   `json:"global,omitempty"`
}

// record appends r to the requests and returns its index.
func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	return len(s.requests) - 1
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, route string, auth bool, h handler) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Method: r.Method, Route: route, Path: r.URL.EscapedPath(), Body: body, Auth: r.Header.Get("Authorization"), At: time.Now()}
	s.mu.Lock()
	held := s.holds[route]
	s.mu.Unlock()
	if held != nil {
		// A held request is in Requests from its arrival and gets its status when answered.
		i := s.record(req)
		held.wait(req)
		status, resp := s.answer(w, r, route, auth, body, h)
		s.mu.Lock()
		s.requests[i].Status, s.requests[i].Answered = status, time.Now()
		s.mu.Unlock()
		s.reply(w, status, resp)
		return
	}
	status, resp := s.answer(w, r, route, auth, body, h)
	req.Status, req.Answered = status, time.Now()
	s.record(req)
	s.reply(w, status, resp)
}

func (s *Server) reply(w http.ResponseWriter, status int, resp any) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, resp)
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, route string, auth bool, body []byte, h handler) (int, any) {
	if auth && r.Header.Get("Authorization") != "Bot "+s.Token {
		return 401, apiError{Code: 0, Message: "401: Unauthorized"}
	}
	s.mu.Lock()
	var f *Fault
	if q := s.faults[route]; len(q) > 0 {
		f, s.faults[route] = q[0], q[1:]
	}
	s.mu.Unlock()
	if f != nil {
		time.Sleep(f.Delay)
		if f.Status != 0 {
			return faultAnswer(w, *f)
		}
	}
	if status, resp, over := s.limit(w, r, route); over {
		return status, resp
	}
	if id := r.PathValue("channel"); id != "" {
		s.mu.Lock()
		c := s.channels[id]
		s.mu.Unlock()
		switch {
		case c == nil || c.Deleted:
			return 404, apiError{Code: 10003, Message: "Unknown Channel"}
		case c.NoAccess:
			return 403, apiError{Code: 50001, Message: "Missing Access"}
		}
	}
	return h(w, r, body)
}

func faultAnswer(w http.ResponseWriter, f Fault) (int, any) {
	e := apiError{Code: f.Code, Message: f.Message}
	if f.Status == 429 {
		secs := f.RetryAfter.Seconds()
		e.RetryAfter = secs
		e.Global = &f.Global
		if e.Message == "" {
			e.Message = "You are being rate limited."
		}
		w.Header().Set("Retry-After", strconv.FormatFloat(secs, 'f', 3, 64))
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
		w.Header().Set("X-RateLimit-Bucket", "fake-bucket")
		if f.Global {
			w.Header().Set("X-RateLimit-Global", "true")
			w.Header().Set("X-RateLimit-Scope", "global")
		} else {
			w.Header().Set("X-RateLimit-Scope", "user")
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(f.Status)
	}
	return f.Status, e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func botUser() User {
	return User{ID: BotUserID, Username: "cohortbot", Bot: true}
}

func (s *Server) gateway(w http.ResponseWriter, r *http.Request, _ []byte) (int, any) {
	ws := "ws" + strings.TrimPrefix(s.URL, "http") + "/gateway-ws/"
	return 200, map[string]any{"url": ws, "shards": 1, "session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, _ []byte) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return 200, *s.channels[r.PathValue("channel")]
}
