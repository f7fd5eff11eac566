package slackfake

import (
	"context"
	"net/url"
	"sync"
	"time"
)

// Call is a Web API call as the fake received it.
type Call struct {
	Method string     // "chat.postMessage"
	Args   url.Values // its form arguments, the token left out
	At     time.Time
}

// hold keeps the calls of a method unanswered until it is released.
type hold struct {
	waiting  chan Call
	released chan struct{}
	once     sync.Once
}

func (h *hold) release() { h.once.Do(func() { close(h.released) }) }

// wait tells the test about c and blocks until the hold is released, or until the
// caller goes away (ctx ends: its connection closed); it reports whether the call is to
// be answered.
func (h *hold) wait(ctx context.Context, c Call) bool {
	select {
	case h.waiting <- c:
	case <-h.released:
	case <-ctx.Done():
		return false
	}
	select {
	case <-h.released:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

// Hold holds the calls of a Web API method ("chat.postMessage"): each one is recorded at
// once (in Calls), sent on waiting, and answered only after release is called, as a slow
// Slack would. release may be called more than once; Close calls it too. Holding a method
// that is held already starts a new hold: calls arriving from then on wait for the new
// release. A held call whose caller goes away before the release (its process was
// killed) is dropped unanswered and never takes effect, as if it had not reached Slack:
// Dropped counts them.
func (s *Server) Hold(method string) (waiting <-chan Call, release func()) {
	return s.holdIn(s.holds, method)
}

// HoldAnswers holds the answers of a Web API method: each call takes effect at once (a
// chat.postMessage posts its message), is sent on waiting, and its answer goes out only
// after release, as when Slack did the work and the answer is slow or lost. A caller
// that goes away meanwhile (its process was killed) never learns what the call did.
func (s *Server) HoldAnswers(method string) (waiting <-chan Call, release func()) {
	return s.holdIn(s.answerHolds, method)
}

// holdIn starts a hold of method in holds (s.holds or s.answerHolds).
func (s *Server) holdIn(holds map[string]*hold, method string) (waiting <-chan Call, release func()) {
	h := &hold{waiting: make(chan Call, 64), released: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	holds[method] = h
	s.allHolds = append(s.allHolds, h)
	return h.waiting, func() {
		h.release()
		s.mu.Lock()
		defer s.mu.Unlock()
		if holds[method] == h {
			delete(holds, method)
		}
	}
}
