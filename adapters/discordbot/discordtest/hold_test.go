package discordtest_test

import (
	"strings"
	"testing"
	"time"

	"cohortbot/adapters/discordbot/discordtest"
)

type result struct {
	a   answer
	err error
}

// postAsync posts a message from another goroutine; the answer comes on the channel.
func postAsync(s *discordtest.Server, channelID, content string) <-chan result {
	done := make(chan result, 1)
	go func() {
		a, err := try(s, "POST", "/channels/"+channelID+"/messages", map[string]any{"content": content})
		done <- result{a, err}
	}()
	return done
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

func TestHoldKeepsRequestsUntilReleased(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	waiting, release := s.Hold(messagesRoute)
	done := postAsync(s, discordtest.ChannelID, "held back")

	req := receive(t, "held request", waiting)
	if req.Route != messagesRoute || req.Status != 0 || !strings.Contains(string(req.Body), "held back") {
		t.Errorf("held request %+v", req)
	}
	if reqs := s.Requests(messagesRoute); len(reqs) != 1 || reqs[0].Status != 0 {
		t.Errorf("requests while held: %+v", reqs)
	}
	select {
	case r := <-done:
		t.Fatalf("answered while held: %+v", r)
	default:
	}
	if n := len(s.Messages(discordtest.ChannelID)); n != 0 {
		t.Errorf("%d messages created while held", n)
	}
	// Other routes are not held.
	if a := call(t, s, "GET", "/channels/"+discordtest.ChannelID, nil); a.Status != 200 {
		t.Errorf("another route: %d", a.Status)
	}

	release()
	r := receive(t, "answer after the release", done)
	if r.err != nil || r.a.Status != 200 || r.a.Body["content"] != "held back" {
		t.Fatalf("answer after the release: %+v", r)
	}
	reqs := s.Requests(messagesRoute)
	if len(reqs) != 1 || reqs[0].Status != 200 || reqs[0].Answered.Before(reqs[0].At) {
		t.Errorf("requests after the release: %+v", reqs)
	}
	release() // idempotent

	// The route is free again.
	if a := post(t, s, discordtest.ChannelID, "straight through"); a.Status != 200 {
		t.Errorf("after the release: %d", a.Status)
	}
	select {
	case r := <-waiting:
		t.Errorf("a request after the release was held: %+v", r)
	default:
	}
}

func TestHoldAgainHoldsAnew(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	first, releaseFirst := s.Hold(messagesRoute)
	a := postAsync(s, discordtest.ChannelID, "a")
	receive(t, "first held request", first)
	second, releaseSecond := s.Hold(messagesRoute)
	b := postAsync(s, discordtest.ChannelID, "b")
	receive(t, "second held request", second)

	releaseFirst()
	if r := receive(t, "answer to a", a); r.err != nil || r.a.Status != 200 {
		t.Fatalf("a: %+v", r)
	}
	select {
	case r := <-b:
		t.Fatalf("b answered before its hold was released: %+v", r)
	default:
	}
	releaseSecond()
	if r := receive(t, "answer to b", b); r.err != nil || r.a.Status != 200 {
		t.Fatalf("b: %+v", r)
	}
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	t.Parallel()
	s := discordtest.New(t)
	waiting, _ := s.Hold(messagesRoute)
	done := postAsync(s, discordtest.ChannelID, "held")
	receive(t, "held request", waiting)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	receive(t, "Close to return", closed)
	receive(t, "the held request to end", done) // answered or cut off, but not left hanging
}
