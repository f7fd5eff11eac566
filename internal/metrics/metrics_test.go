package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cohortbot/internal/schedule"
	"cohortbot/internal/study"
)

var _ schedule.Observer = (*Metrics)(nil)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestSeries(t *testing.T) {
	t.Parallel()
	m := New("v1.2.3", nil)
	m.Platform("discord")
	depth := int64(4)
	m.WatchOutbox(func(context.Context) (int64, error) { return depth, nil })
	m.WatchReconnects("discord", func() uint64 { return 2 })
	m.CommandDone("discord", "done", 30*time.Millisecond, nil)
	m.CommandDone("discord", "cohort setup", time.Millisecond, study.Errorf(study.EINVALID, "bad"))
	m.CommandDone("discord", "made-up", time.Millisecond, errors.New("boom"))
	m.CheckedIn("discord", study.SourceButton)
	m.TickDone(time.Millisecond, nil)
	m.TickDone(time.Millisecond, errors.New("db down"))
	m.PostSent("discord", study.KindDay, 90*time.Second)
	m.PostFailed("discord", study.KindRecap, true)
	m.RateLimited("discord")
	m.TakenOver("discord", study.KindDay)
	out := scrape(t, m)
	for _, want := range []string{
		`cohortbot_build_info{version="v1.2.3"} 1`,
		`cohortbot_posts_sent_total{kind="day",platform="discord"} 1`,
		`cohortbot_posts_sent_total{kind="leaderboard",platform="discord"} 0`,
		`cohortbot_posts_failed_total{kind="recap",permanent="true",platform="discord"} 1`,
		`cohortbot_delivery_lag_seconds_bucket{kind="day",platform="discord",le="120"} 1`,
		`cohortbot_checkins_total{platform="discord",source="button"} 1`,
		`cohortbot_checkins_total{platform="discord",source="reply"} 0`,
		`cohortbot_command_duration_seconds_count{command="done",outcome="ok",platform="discord"} 1`,
		`cohortbot_command_duration_seconds_count{command="cohort setup",outcome="refused",platform="discord"} 1`,
		`cohortbot_command_duration_seconds_count{command="other",outcome="error",platform="discord"} 1`,
		`cohortbot_platform_rate_limited_total{platform="discord"} 1`,
		`cohortbot_post_takeovers_total{kind="day",platform="discord"} 1`,
		`cohortbot_platform_reconnects_total{platform="discord"} 2`,
		`cohortbot_outbox_depth 4`,
		`cohortbot_scheduler_tick_duration_seconds_count 2`,
		`cohortbot_scheduler_tick_errors_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want+" ") {
			t.Errorf("lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}
