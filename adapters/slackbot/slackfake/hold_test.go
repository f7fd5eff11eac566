package slackfake_test

import (
	"context"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"cohortbot/adapters/slackbot/slackfake"
)

type posted struct {
	ts  string
	err error
}

func TestHoldKeepsCallsUntilReleased(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	api := slack.New(s.BotToken, slack.OptionAPIURL(s.APIURL()))
	_, root, err := api.PostMessage("C1", slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}

	waiting, release := s.Hold("chat.postMessage")
	done := make(chan posted, 1)
	go func() {
		_, ts, err := api.PostMessage("C1", slack.MsgOptionText("part 1", false), slack.MsgOptionTS(root))
		done <- posted{ts, err}
	}()
	c := receive(t, "held call", waiting)
	if c.Method != "chat.postMessage" || c.Args.Get("channel") != "C1" || c.Args.Get("thread_ts") != root || c.Args.Get("text") != "part 1" || c.Args.Has("token") {
		t.Errorf("held call %+v", c)
	}
	if n := len(s.Calls("chat.postMessage")); n != 2 {
		t.Errorf("%d calls recorded, want 2 (the held one included)", n)
	}
	select {
	case p := <-done:
		t.Fatalf("answered while held: %+v", p)
	default:
	}
	// While the thread message is held, a member replies in the thread and the bot reacts.
	if err := api.AddReaction("white_check_mark", slack.ItemRef{Channel: "C1", Timestamp: root}); err != nil {
		t.Errorf("another method while chat.postMessage is held: %v", err)
	}
	if n := len(s.Messages("C1")); n != 1 {
		t.Errorf("%d messages while held, want the card only", n)
	}

	release()
	p := receive(t, "answer after the release", done)
	if p.err != nil || p.ts == "" {
		t.Fatalf("after the release: %+v", p)
	}
	if msgs := s.Messages("C1"); len(msgs) != 2 || msgs[1].ThreadTS != root {
		t.Errorf("messages %+v", msgs)
	}
	release() // idempotent
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("part 2", false), slack.MsgOptionTS(root)); err != nil {
		t.Errorf("after the release: %v", err)
	}
	select {
	case c := <-waiting:
		t.Errorf("a call after the release was held: %+v", c)
	default:
	}
}

func TestCloseReleasesHeldCalls(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	waiting, _ := s.Hold("auth.test")
	done := make(chan error, 1)
	go func() { _, err := try(s, "auth.test", nil); done <- err }()
	receive(t, "held call", waiting)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	receive(t, "Close to return", closed)
	receive(t, "the held call to end", done) // answered or cut off, but not left hanging
}

// TestHeldCallOfAVanishedCallerIsDropped: a held call whose caller goes away (its
// connection closes, as when its process is killed) is dropped, not posted on release.
func TestHeldCallOfAVanishedCallerIsDropped(t *testing.T) {
	t.Parallel()
	s := slackfake.New(t)
	api := slack.New(s.BotToken, slack.OptionAPIURL(s.APIURL()))
	waiting, release := s.Hold("chat.postMessage")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("card", false))
		done <- err
	}()
	receive(t, "held call", waiting)
	cancel()
	if err := receive(t, "the caller giving up", done); err == nil {
		t.Fatal("the call succeeded")
	}
	if !s.WaitFor(5*time.Second, func() bool { return s.Dropped() == 1 }) {
		t.Fatalf("dropped %d", s.Dropped())
	}
	release()
	if n := len(s.Messages("C1")); n != 0 {
		t.Errorf("%d messages posted by a call whose caller went away", n)
	}
}
