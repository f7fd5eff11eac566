package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"cohortbot/internal/clocktest"
	"cohortbot/internal/middleware"
	"cohortbot/internal/study"
)

var errBlip = errors.New("conn closed")

// flaky fails with errBlip for the first n attempts, then answers; it records each
// attempt's request instant.
type flaky struct {
	n    int
	err  error
	ats  []time.Time
	keys []string
}

func (f *flaky) Handle(_ context.Context, req study.Request) (study.Reply, error) {
	f.ats = append(f.ats, req.At)
	f.keys = append(f.keys, req.Key)
	if len(f.ats) <= f.n {
		return study.Reply{}, f.err
	}
	return study.Reply{Messages: []study.Message{{Sections: []study.Section{{Text: "ok"}}}}}, nil
}

func TestRetry(t *testing.T) {
	t.Parallel()
	start := time.Date(2027, 3, 10, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		failures  int
		err       error
		wantCode  string        // "" success
		wantTries int           // attempts made
		wantSlept time.Duration // backoff waited in all
	}{
		{"a blip is ridden out", 2, errBlip, "", 3, 150 * time.Millisecond},
		{"a restart of a few seconds is ridden out", 7, errBlip, "", 8, 50*time.Millisecond + 100*time.Millisecond + 200*time.Millisecond + 400*time.Millisecond + 800*time.Millisecond + 2*time.Second},
		{"a long outage ends in try again", 1000, errBlip, study.EUNAVAILABLE, 14, 9550 * time.Millisecond},
		{"bad input is not retried", 1000, study.Errorf(study.EINVALID, "no"), study.EINVALID, 1, 0},
		{"a bug is not retried", 1000, errors.New("boom"), study.EINTERNAL, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := clocktest.New(start)
			var slept time.Duration
			retried := 0
			h := &flaky{n: tc.failures, err: tc.err}
			mw := middleware.Retry(middleware.RetryPolicy{
				Transient: func(err error) bool { return errors.Is(err, errBlip) },
				Now:       clk.Now,
				Sleep:     func(_ context.Context, d time.Duration) error { slept += d; clk.Add(d); return nil },
				Retried:   func(string) { retried++ },
			}, slog.New(slog.DiscardHandler))
			reply, err := mw(h).Handle(context.Background(), study.Request{Command: "done"})
			if got := study.ErrorCode(err); got != tc.wantCode {
				t.Fatalf("code %q, want %q (err %v)", got, tc.wantCode, err)
			}
			if err == nil && reply.Messages[0].Sections[0].Text != "ok" {
				t.Errorf("reply %+v", reply)
			}
			if len(h.ats) != tc.wantTries || retried != tc.wantTries-1 {
				t.Errorf("%d attempts, %d retries heard; want %d attempts", len(h.ats), retried, tc.wantTries)
			}
			if slept != tc.wantSlept {
				t.Errorf("slept %s, want %s", slept, tc.wantSlept)
			}
			for i, at := range h.ats {
				if !at.Equal(start) || h.keys[i] == "" || h.keys[i] != h.keys[0] {
					t.Errorf("attempt %d at %s with key %q: every attempt keeps the request's first instant %s and its key %q", i+1, at, h.keys[i], start, h.keys[0])
				}
			}
			if tc.wantCode == study.EUNAVAILABLE {
				msg := study.ErrorMessage(err)
				if strings.Contains(msg, "\n") || !strings.Contains(msg, "try again in a minute") || strings.Contains(msg, "wrong") {
					t.Errorf("member reads %q: want one line saying to try again in a minute", msg)
				}
			}
		})
	}
}

// A request that already carries its instant keeps it.
func TestRetryKeepsAGivenInstant(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 3, 10, 8, 59, 59, 0, time.UTC)
	h := &flaky{n: 1, err: errBlip}
	mw := middleware.Retry(middleware.RetryPolicy{
		Transient: func(err error) bool { return errors.Is(err, errBlip) },
		Now:       clocktest.New(at.Add(time.Minute)).Now,
		Sleep:     func(context.Context, time.Duration) error { return nil },
	}, slog.New(slog.DiscardHandler))
	if _, err := mw(h).Handle(context.Background(), study.Request{Command: "done", At: at}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(h.ats) != fmt.Sprint([]time.Time{at, at}) {
		t.Errorf("attempts at %v, want both at %s", h.ats, at)
	}
}
