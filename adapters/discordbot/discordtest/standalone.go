package discordtest

import (
	"fmt"
	"testing"
	"time"
)

// standalone satisfies New's testing.TB for a fake run outside a test (a load command):
// cleanups run at Close.
type standalone struct {
	testing.TB
	cleanups []func()
}

func (s *standalone) Helper()             {}
func (s *standalone) Cleanup(f func())    { s.cleanups = append(s.cleanups, f) }
func (s *standalone) Logf(string, ...any) {}

// Start runs a fake Discord outside a test, for load runs; stop it with Close.
func Start() *Server { return New(&standalone{}) }

// Ack is one answered interaction: when Discord made it, when the first answer came, and
// what the member finally read.
type Ack struct {
	User              string
	Created, Answered time.Time
	Type              int // the first callback's type: 4 an answer, 5 deferred
	Text              string
}

// TakeAcks returns the interactions answered so far and forgets them, with every request
// recorded so far: a long load run keeps the fake's memory flat.
func (s *Server) TakeAcks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ack
	for id, ix := range s.interactions {
		if len(ix.Callbacks) == 0 {
			continue
		}
		r, done := replyOf(*ix)
		if !done {
			continue // deferred, the edit still to come
		}
		out = append(out, Ack{User: ix.User, Created: ix.Created, Answered: ix.Callbacks[0].At, Type: ix.Callbacks[0].Type, Text: r.Text()})
		delete(s.interactions, id)
	}
	s.requests = nil
	return out
}

// Pending counts the interactions not answered yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ix := range s.interactions {
		if len(ix.Callbacks) == 0 {
			n++
		}
	}
	return n
}

// Await waits up to within for the interaction's answer, outside a test.
func (s *Server) Await(id string, within time.Duration) (Reply, error) {
	for end := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		if r, done := s.Answer(id); done {
			return r, nil
		}
		if time.Now().After(end) {
			return Reply{}, fmt.Errorf("no answer to interaction %s within %s", id, within)
		}
	}
}
