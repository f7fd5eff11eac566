package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cohortbot/internal/logtest"
	"cohortbot/internal/opshttp"
	"cohortbot/internal/pgtest"
	"cohortbot/internal/store"
	"cohortbot/internal/study"
)

// TestRunProbesAndMetrics starts the real run wiring on PostgreSQL behind a proxy: the
// probes answer, /readyz follows the database and the platform, and the metrics move when
// a post goes out and when a member checks in.
func TestRunProbesAndMetrics(t *testing.T) {
	t.Parallel()
	const password = "Pg-Passw0rd-never-logged"
	dbURL, proxy := proxiedDatabase(t, password)
	env := map[string]string{"DATABASE_URL": dbURL}
	seedCohorts(t, env, 1, false)
	fake := &fakePlatform{chat: &fakeChat{}}
	b := startBot(t, env, fake)

	if code, body := b.get(t, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	ready := func() (int, opshttp.Report) {
		code, body := b.get(t, "/readyz")
		var rep opshttp.Report
		if err := json.Unmarshal([]byte(body), &rep); err != nil {
			t.Fatalf("/readyz body %q: %v", body, err)
		}
		return code, rep
	}
	eventually(t, "/readyz 200", 10*time.Second, func() bool { code, _ := ready(); return code == 200 })
	if _, rep := ready(); rep.Checks["database"] != "ok" || rep.Checks["migrations"] != "ok" || rep.Checks[fakeName] != "ok" {
		t.Errorf("ready checks: %+v", rep)
	}

	// Today's card was due at start: it is posted, and the metrics say so.
	sent := `cohortbot_posts_sent_total{kind="day",platform="fake"}`
	eventually(t, "the day's card to be posted", 10*time.Second, func() bool { return b.metric(t, sent) == 1 })
	_, body := b.get(t, "/metrics")
	for _, series := range []string{
		`cohortbot_posts_sent_total{kind="day",platform="fake"} 1`,
		`cohortbot_posts_failed_total{kind="day",permanent="false",platform="fake"} 0`,
		`cohortbot_delivery_lag_seconds_count{kind="day",platform="fake"} 1`,
		`cohortbot_checkins_total{platform="fake",source="command"} 0`,
		`cohortbot_platform_rate_limited_total{platform="fake"} 0`,
		`cohortbot_platform_reconnects_total{platform="fake"} 3`,
		`cohortbot_outbox_depth 0`,
		`cohortbot_build_info{version="dev"} 1`,
	} {
		if !strings.Contains(body, series+"\n") {
			t.Errorf("/metrics lacks %s", series)
		}
	}

	if n := metricValue(body, "cohortbot_scheduler_tick_duration_seconds_count"); n < 1 {
		t.Errorf("scheduler ticks: %v", n)
	}

	// A command moves the command latency and check-in series, and its log line carries a
	// request id, the platform and the command.
	ctx := context.Background()
	alice := study.UserRef{Platform: fakeName, Workspace: "w1", ID: "alice", Name: "Alice"}
	if _, err := fake.running().handler.Handle(ctx, study.Request{Channel: fakeChannel(0), User: alice, Command: "done"}); err != nil {
		t.Fatalf("/done: %v", err)
	}
	if _, err := fake.running().handler.Handle(ctx, study.Request{Channel: fakeChannel(0), User: alice, Command: "done", Text: "0"}); study.ErrorCode(err) != study.EINVALID {
		t.Fatalf("/done 0: %v", err)
	}
	_, body = b.get(t, "/metrics")
	for _, series := range []string{
		`cohortbot_command_duration_seconds_count{command="done",outcome="ok",platform="fake"} 1`,
		`cohortbot_command_duration_seconds_count{command="done",outcome="refused",platform="fake"} 1`,
		`cohortbot_checkins_total{platform="fake",source="command"} 1`,
	} {
		if !strings.Contains(body, series+"\n") {
			t.Errorf("after /done, /metrics lacks %s", series)
		}
	}
	handled := b.log.Lines("command handled")
	if len(handled) != 1 || len(fmt.Sprint(handled[0]["request"])) != 16 || handled[0]["platform"] != fakeName || handled[0]["command"] != "done" {
		t.Errorf("command log lines: %v", handled)
	}

	// The database goes away: not ready, naming it; alive all the same. A command fails
	// with a reply that hides the details. Then it comes back.
	proxy.setDown(true)
	eventually(t, "/readyz 503 with the database down", 10*time.Second, func() bool {
		code, rep := ready()
		return code == 503 && rep.Checks["database"] == "unreachable" && strings.Contains(strings.Join(rep.Failing, ","), "database")
	})
	if code, _ := b.get(t, "/healthz"); code != 200 {
		t.Errorf("/healthz with the database down: %d", code)
	}
	_, err := fake.running().handler.Handle(ctx, study.Request{Channel: fakeChannel(0), User: alice, Command: "progress"})
	if err == nil || strings.Contains(study.ErrorMessage(err), password) || strings.Contains(study.ErrorMessage(err), "127.0.0.1") {
		t.Errorf("command with the database down: %v → %q", err, study.ErrorMessage(err))
	}
	proxy.setDown(false)
	eventually(t, "/readyz 200 after the database is back", 10*time.Second, func() bool { code, _ := ready(); return code == 200 })

	// A platform that reports itself disconnected makes the process not ready.
	fake.setNotUp(errors.New("gateway closed"))
	if code, rep := ready(); code != 503 || rep.Checks[fakeName] != "not connected" {
		t.Errorf("platform down: %d %+v", code, rep)
	}
	fake.setNotUp(nil)

	b.cancel()
	if err := b.wait(t, 30*time.Second); err != nil {
		t.Errorf("run: %v", err)
	}
	if strings.Contains(b.log.String(), password) {
		t.Errorf("the database password is in the log")
	}
	if len(b.log.Lines("not ready")) == 0 || len(b.log.Lines("ready again")) == 0 {
		t.Errorf("readiness changes were not logged")
	}
}

// TestSIGTERMFinishesInFlightDelivery: the first signal (run's context ending) during a
// delivery turns readiness to 503 and waits for the delivery, which is recorded as sent;
// then run returns.
func TestSIGTERMFinishesInFlightDelivery(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": pgtest.URL(t)}
	ids := seedCohorts(t, env, 1, false)
	fake := &fakePlatform{chat: &fakeChat{}, entered: make(chan study.Outgoing, 1), release: make(chan struct{})}
	b := startBot(t, env, fake)
	var first study.Outgoing
	select {
	case first = <-fake.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery started")
	}
	b.cancel() // SIGTERM
	eventually(t, "readiness to turn 503 while draining", 10*time.Second, func() bool {
		code, body := b.get(t, "/readyz")
		return code == 503 && strings.Contains(body, "shutting down")
	})
	select {
	case err := <-b.done:
		t.Fatalf("run returned during a delivery: %v", err)
	default:
	}
	close(fake.release)
	if err := b.wait(t, 30*time.Second); err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(b.log.Lines("scheduler stopped; in-flight deliveries finished")) != 1 || len(b.log.Lines("stopped")) != 1 {
		t.Errorf("shutdown log:\n%s", b.log)
	}
	posts := storedPosts(t, env["DATABASE_URL"], ids[0])
	found := false
	for _, p := range posts {
		if p.Nonce == first.Nonce {
			found = true
			if p.Status != study.PostSent || p.Done.MessageID == "" {
				t.Errorf("the in-flight post was not recorded: %+v", p)
			}
		}
	}
	if !found || len(fake.chat.all()) == 0 {
		t.Errorf("in-flight post %s not found among %d posts", first.Nonce, len(posts))
	}
	if !fake.isClosed() {
		t.Error("the platform was not closed")
	}
}

// TestShutdownIsBounded: a delivery that never ends does not hold the process past
// COHORTBOT_SHUTDOWN_TIMEOUT.
func TestShutdownIsBounded(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": pgtest.URL(t), "COHORTBOT_SHUTDOWN_TIMEOUT": "300ms"}
	seedCohorts(t, env, 1, false)
	fake := &fakePlatform{chat: &fakeChat{}, entered: make(chan study.Outgoing, 1), release: make(chan struct{})}
	t.Cleanup(func() { close(fake.release) })
	b := startBot(t, env, fake)
	select {
	case <-fake.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery started")
	}
	start := time.Now()
	b.cancel()
	if err := b.wait(t, 10*time.Second); err != nil {
		t.Fatalf("run: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %s with a 300ms timeout", took)
	}
	if len(b.log.Lines("shutdown timeout: deliveries still in flight; their leases expire and they are retried by another process or the next start")) != 1 {
		t.Errorf("no timeout warning:\n%s", b.log)
	}
}

// TestSignals: the first SIGTERM cancels the run's context, the second exits at once.
func TestSignals(t *testing.T) {
	exited := make(chan int, 1)
	ctx, stop := signalContext(context.Background(), func(code int) { exited <- code })
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not end the context")
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case code := <-exited:
		if code != 130 {
			t.Errorf("exit code %d after SIGINT, want 130", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second signal did not exit")
	}
}

// TestTwoProcessesPostOnce: two `run` processes on one PostgreSQL deliver every
// scheduled post of several cohorts exactly once between them.
func TestTwoProcessesPostOnce(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": pgtest.URL(t)}
	const cohorts = 8
	ids := seedCohorts(t, env, cohorts, false)
	chat := &fakeChat{}
	// Started together: both migrate at once too (an advisory lock serializes them).
	bots := []*bot{launchBot(t, env, &fakePlatform{chat: chat}), launchBot(t, env, &fakePlatform{chat: chat})}
	for i, b := range bots {
		b.waitListening(t)
		eventually(t, fmt.Sprintf("process %d's first tick", i), 20*time.Second, func() bool {
			return b.metric(t, "cohortbot_scheduler_tick_duration_seconds_count") >= 1
		})
	}
	eventually(t, "the outbox to drain", 20*time.Second, func() bool { return bots[0].metric(t, "cohortbot_outbox_depth") == 0 })
	seen := map[string]int{}
	days := 0
	for _, out := range chat.all() {
		seen[out.Channel.Channel+"|"+string(out.Kind)+"|"+out.Nonce]++
		if out.Kind == study.KindDay {
			days++
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s posted %d times", k, n)
		}
	}
	if days != cohorts {
		t.Errorf("%d day cards for %d cohorts", days, cohorts)
	}
	total := 0.0
	for _, b := range bots {
		total += b.metric(t, `cohortbot_posts_sent_total{kind="day",platform="fake"}`)
	}
	if total != cohorts {
		t.Errorf("the processes' metrics count %v day posts, want %d", total, cohorts)
	}
	for _, id := range ids {
		for _, p := range storedPosts(t, env["DATABASE_URL"], id) {
			if p.Status != study.PostSent || p.Attempts != 1 {
				t.Errorf("cohort %d post %s/%s: %s after %d attempts", id, p.Kind, p.Period, p.Status, p.Attempts)
			}
		}
	}
}

// TestSQLiteRunsOneProcess: a second run on the same SQLite file is refused, clearly.
func TestSQLiteRunsOneProcess(t *testing.T) {
	t.Parallel()
	env := map[string]string{"COHORTBOT_DATA_DIR": t.TempDir()}
	startBot(t, env, &fakePlatform{chat: &fakeChat{}})
	_, err := mustRun(t, env, "", "cohort", "list")
	if err == nil || !strings.Contains(err.Error(), "in use by another cohortbot process (pid") || !strings.Contains(err.Error(), "SQLite mode runs one process only") {
		t.Errorf("second process: %v", err)
	}
}

// TestSecretsNeverLeak: misconfigurations and failures print neither tokens, nor the
// signing secret, nor the database password, in the log or in the error.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const (
		discordToken = "MTAwMDAwMDAwMDAwMDAwMDAw.GhIjKl.discord-secret-token-value"
		botToken     = "xoxb-1111-2222-slack-secret-bot-token"
		appToken     = "xapp-1-A111-slack-secret-app-token"
		signing      = "slack-signing-secret-0123456789abcdef"
		dbPassword   = "db-Secret-Passw0rd"
	)
	secrets := []string{discordToken, botToken, appToken, signing, dbPassword}
	// A platform API that rejects the token and echoes it back, as careless servers do.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		echo := r.Header.Get("Authorization") + " " + r.Form.Encode()
		if strings.Contains(r.URL.Path, "auth.test") {
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "invalid_auth " + echo})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"message": "401: Unauthorized " + echo, "code": 0})
	}))
	t.Cleanup(evil.Close)
	closed := closedPort(t)

	cases := map[string]map[string]string{
		"database unreachable": {"DATABASE_URL": fmt.Sprintf("postgres://bot:%s@%s/bot?sslmode=disable", dbPassword, closed),
			"DISCORD_TOKEN": discordToken, "DISCORD_API_URL": evil.URL},
		"discord rejects the token": {"COHORTBOT_DATA_DIR": "", "DISCORD_TOKEN": discordToken, "DISCORD_API_URL": evil.URL},
		"slack rejects the token": {"COHORTBOT_DATA_DIR": "", "SLACK_BOT_TOKEN": botToken, "SLACK_SIGNING_SECRET": signing,
			"SLACK_API_URL": evil.URL + "/api/"},
		"slack socket mode rejects the token": {"COHORTBOT_DATA_DIR": "", "SLACK_BOT_TOKEN": botToken, "SLACK_APP_TOKEN": appToken,
			"SLACK_API_URL": evil.URL + "/api/"},
		"malformed secrets": {"DISCORD_TOKEN": discordToken + " x", "SLACK_BOT_TOKEN": "xoxp" + botToken, "SLACK_APP_TOKEN": "bad" + appToken,
			"SLACK_SIGNING_SECRET": signing + " \t x", "DATABASE_URL": "mysql://root:" + dbPassword + "@db/x"},
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env["COHORTBOT_HTTP_ADDR"] = "127.0.0.1:0"
			env["COHORTBOT_LOG_LEVEL"] = "debug"
			if _, ok := env["COHORTBOT_DATA_DIR"]; ok {
				env["COHORTBOT_DATA_DIR"] = t.TempDir()
			}
			for _, args := range [][]string{{"run"}, {"run", "--check-config"}} {
				log := &logtest.Buffer{}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := dispatch(ctx, args, stdio{in: strings.NewReader(""), out: log, err: log}, testEnv(env))
				cancel()
				if args[len(args)-1] == "run" && err == nil {
					t.Errorf("%v succeeded", args)
				}
				text := log.String()
				if err != nil {
					text += "\n" + err.Error()
				}
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("%v shows a secret (%.12s…):\n%s", args, s, text)
					}
				}
			}
		})
	}
}

// TestCheckConfigListsEveryProblem: --check-config reports all problems at once, and on a
// good environment a summary without secrets.
func TestCheckConfigListsEveryProblem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	both := filepath.Join(dir, "tok")
	os.WriteFile(both, []byte("from-file"), 0o600)
	_, err := mustRun(t, map[string]string{
		"DATABASE_URL":               "mysql://x",
		"COHORTBOT_LOG_LEVEL":        "chatty",
		"COHORTBOT_HTTP_ADDR":        "localhost",
		"COHORTBOT_SHUTDOWN_TIMEOUT": "-5s",
		"DISCORD_TOKEN":              "tok",
		"DISCORD_TOKEN_FILE":         both,
		"DISCORD_SHARD_COUNT":        "zero",
		"SLACK_BOT_TOKEN_FILE":       filepath.Join(dir, "missing"),
		"SLACK_APP_TOKEN":            "xapp-1",
	}, "", "run", "--check-config")
	msg := fmt.Sprint(err)
	for _, want := range []string{"DATABASE_URL must be a postgres:// URL", `COHORTBOT_LOG_LEVEL "chatty"`, `COHORTBOT_HTTP_ADDR "localhost"`,
		`COHORTBOT_SHUTDOWN_TIMEOUT "-5s"`, "DISCORD_TOKEN and DISCORD_TOKEN_FILE are both set", `DISCORD_SHARD_COUNT "zero"`,
		"SLACK_BOT_TOKEN_FILE: cannot read", "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not"} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems lack %q:\n%s", want, msg)
		}
	}

	out, err := mustRun(t, map[string]string{"DATABASE_URL": "postgres://bot:pw-pw-pw@db.internal:5432/bot", "DISCORD_TOKEN": "a.b.c-token"}, "", "run", "--check-config")
	if err != nil || !strings.Contains(out, "configuration ok") || !strings.Contains(out, "platforms: discord") ||
		!strings.Contains(out, "database: postgres at db.internal:5432/bot") || strings.Contains(out, "pw-pw-pw") || strings.Contains(out, "a.b.c-token") {
		t.Errorf("good config: %v\n%s", err, out)
	}
}

// TestHealthcheckCommand is the Docker HEALTHCHECK: ok against a running bot, an error
// when nothing answers.
func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	b := startBot(t, map[string]string{"COHORTBOT_DATA_DIR": t.TempDir()}, &fakePlatform{chat: &fakeChat{}})
	out, err := mustRun(t, map[string]string{"COHORTBOT_HTTP_ADDR": b.addr}, "", "healthcheck")
	if err != nil || out != "ok\n" {
		t.Errorf("healthcheck: %v %q", err, out)
	}
	_, port, _ := net.SplitHostPort(b.addr)
	if _, err := mustRun(t, map[string]string{"COHORTBOT_HTTP_ADDR": ":" + port}, "", "healthcheck", "--path", "/readyz"); err != nil {
		t.Errorf("healthcheck of :port /readyz: %v", err)
	}
	if _, err := mustRun(t, map[string]string{"COHORTBOT_HTTP_ADDR": closedPort(t)}, "", "healthcheck"); err == nil {
		t.Error("healthcheck of a closed port succeeded")
	}
}

// TestConsoleServesHTTPOnlyWhenAsked: console mode keeps a newcomer's run free of
// listeners unless COHORTBOT_HTTP_ADDR is set.
func TestConsoleServesHTTPOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	var errOut logtest.Buffer
	env := map[string]string{"COHORTBOT_DATA_DIR": t.TempDir()}
	err := dispatch(context.Background(), nil, stdio{in: strings.NewReader("/help\n"), out: &errOut, err: &errOut}, testEnv(env))
	if err != nil || strings.Contains(errOut.String(), "http listening") {
		t.Errorf("console without COHORTBOT_HTTP_ADDR: %v\n%s", err, errOut.String())
	}
	env["COHORTBOT_HTTP_ADDR"] = "127.0.0.1:0"
	errOut = logtest.Buffer{}
	err = dispatch(context.Background(), nil, stdio{in: strings.NewReader("/help\n"), out: &errOut, err: &errOut}, testEnv(env))
	if err != nil || !strings.Contains(errOut.String(), "http listening") {
		t.Errorf("console with COHORTBOT_HTTP_ADDR: %v\n%s", err, errOut.String())
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func storedPosts(t *testing.T, dbURL string, cohortID int64) []study.Post {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	posts, err := st.Posts(context.Background(), cohortID, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return posts
}
