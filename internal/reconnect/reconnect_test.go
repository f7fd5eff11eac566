package reconnect_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"cohortbot/internal/reconnect"
)

func TestDelayDoublesToTheCapWithJitter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.999999, time.Second - time.Microsecond},
		{2, 0, time.Second},
		{3, 0.5, 3 * time.Second},
		{4, 0, 4 * time.Second},
		{5, 0, 7500 * time.Millisecond}, // 16 s capped to 15 s
		{50, 0, 7500 * time.Millisecond},
		{1000, 0.999999, 15 * time.Second},
	}
	for _, tc := range tests {
		p := reconnect.Policy{Jitter: func() float64 { return tc.jitter }}
		got := p.Delay(tc.n)
		if got.Round(time.Millisecond) != tc.want.Round(time.Millisecond) {
			t.Errorf("Delay(%d) with jitter %v = %s, want %s", tc.n, tc.jitter, got, tc.want)
		}
	}
}

// A 5-minute outage: once the platform is back, the next attempt comes within the cap.
func TestUntilReconnectsSoonAfterALongOutage(t *testing.T) {
	t.Parallel()
	for _, outage := range []time.Duration{70 * time.Second, 5 * time.Minute, 3 * time.Hour} {
		var now time.Duration // simulated time since the connection dropped
		p := reconnect.Policy{Sleep: func(_ context.Context, d time.Duration) error { now += d; return nil }}
		attempts := 0
		err := p.Until(context.Background(), func() error {
			attempts++
			if now < outage {
				return errors.New("503")
			}
			return nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if silence := now - outage; silence > reconnect.DefaultMax {
			t.Errorf("outage of %s: connected %s after the platform came back, want ≤ %s", outage, silence, reconnect.DefaultMax)
		}
		if attempts > int(outage/(reconnect.DefaultMax/2))+10 {
			t.Errorf("outage of %s: %d attempts, more than the backoff allows", outage, attempts)
		}
	}
}

func TestUntilStopsWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	p := reconnect.Policy{Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }}
	if err := p.Until(ctx, func() error { return errors.New("down") }, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Until after cancel: %v", err)
	}
}
