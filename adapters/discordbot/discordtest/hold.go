package discordtest

import "sync"

// hold keeps the requests on a route unanswered until it is released.
type hold struct {
	waiting  chan Request
	released chan struct{}
	once     sync.Once
}

func newHold() *hold {
	return &hold{waiting: make(chan Request, 64), released: make(chan struct{})}
}

func (h *hold) release() { h.once.Do(func() { close(h.released) }) }

// wait tells the test about req and blocks until the hold is released.
func (h *hold) wait(req Request) {
	select {
	case h.waiting <- req:
	case <-h.released:
	}
	<-h.released
}

// Hold holds the requests on route ("POST /channels/{channel}/messages"): each one is
// recorded at once (in Requests with Status 0), sent on waiting, and answered only after
// release is called, as a slow Discord would. release may be called more than once; Close
// calls it too. Holding a route that is held already starts a new hold: requests arriving
// from then on wait for the new release.
func (s *Server) Hold(route string) (waiting <-chan Request, release func()) {
	h := newHold()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holds[route] = h
	s.allHolds = append(s.allHolds, h)
	return h.waiting, func() {
		h.release()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.holds[route] == h {
			delete(s.holds, route)
		}
	}
}
