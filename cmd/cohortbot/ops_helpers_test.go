package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cohortbot/internal/clocktest"
	"cohortbot/internal/config"
	"cohortbot/internal/logtest"
	"cohortbot/internal/pgtest"
	"cohortbot/internal/study"
)

// These helpers start the real `run` wiring (dispatch, config, store, scheduler, HTTP
// listener) in the test process with fake platforms in place of Discord and Slack.

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain()) // a `cohortbot run` launched by a crash test
	}
	pgtest.Main(m)
}

// eventually polls cond every 20ms until it holds or timeout passes (network readiness,
// deliveries in another goroutine; never a schedule).
func eventually(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fakeChat records what every fake platform posted.
type fakeChat struct {
	mu    sync.Mutex
	posts []study.Outgoing
}

func (c *fakeChat) record(out study.Outgoing) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posts = append(c.posts, out)
	return len(c.posts)
}

func (c *fakeChat) all() []study.Outgoing {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]study.Outgoing(nil), c.posts...)
}

// fakePlatform is a platform named "fake": its poster records into a fakeChat, it can be
// made to block a delivery or to report that it is not connected, and it gives the test
// the running app to send commands through.
type fakePlatform struct {
	chat *fakeChat
	// entered receives each delivery as it starts (when not nil, without blocking).
	entered chan study.Outgoing
	// release, when not nil, holds every delivery until it is closed.
	release chan struct{}

	mu      sync.Mutex
	a       *app
	notUp   error
	started bool
	closed  bool
}

const fakeName = "fake"

func (f *fakePlatform) build(a *app) (platform, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.a = a
	return f, nil
}

func (f *fakePlatform) running() *app {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.a
}

func (f *fakePlatform) Name() string         { return fakeName }
func (f *fakePlatform) Poster() study.Poster { return f }
func (f *fakePlatform) Reconnects() uint64   { return 3 }

func (f *fakePlatform) Start(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = true
	return nil
}

func (f *fakePlatform) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakePlatform) Ready() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.notUp
}

func (f *fakePlatform) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

func (f *fakePlatform) setNotUp(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notUp = err
}

func (f *fakePlatform) Post(ctx context.Context, out study.Outgoing, record study.Recorder) (study.MessageRef, error) {
	if f.entered != nil {
		select {
		case f.entered <- out:
		default:
		}
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return study.MessageRef{}, ctx.Err()
		}
	}
	n := f.chat.record(out)
	ref := study.MessageRef{MessageID: fmt.Sprintf("m%d", n), ThreadID: fmt.Sprintf("t%d", n)}
	if err := record(ctx, study.Delivered{Parts: len(out.Messages), MessageID: ref.MessageID, ThreadID: ref.ThreadID}); err != nil {
		return study.MessageRef{}, err
	}
	return ref, nil
}

// bot is one running `cohortbot run`.
type bot struct {
	addr   string // the HTTP listener, as logged
	log    *logtest.Buffer
	cancel context.CancelFunc // the first SIGTERM
	done   chan error

	stopOnce sync.Once
	err      error
}

// startBot runs `cohortbot run` with env (COHORTBOT_HTTP_ADDR defaults to 127.0.0.1:0)
// and the given fake platforms, and waits for its HTTP listener. It is stopped when t ends.
func startBot(t *testing.T, env map[string]string, platforms ...*fakePlatform) *bot {
	t.Helper()
	b := launchBot(t, env, platforms...)
	b.waitListening(t)
	return b
}

// launchBot starts `cohortbot run` without waiting for it.
func launchBot(t *testing.T, env map[string]string, platforms ...*fakePlatform) *bot {
	t.Helper()
	return launch(t, env, nil, platforms...)
}

// launch is launchBot with the platforms' reconnect waits on sleep (nil: real timers).
func launch(t *testing.T, env map[string]string, sleep func(context.Context, time.Duration) error, platforms ...*fakePlatform) *bot {
	t.Helper()
	full := map[string]string{"COHORTBOT_HTTP_ADDR": "127.0.0.1:0", "COHORTBOT_LOG_LEVEL": "debug"}
	for k, v := range env {
		full[k] = v
	}
	b := &bot{log: &logtest.Buffer{}, done: make(chan error, 1)}
	var builders []platformBuilder
	for _, p := range platforms {
		builders = append(builders, p.build)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go func() {
		b.done <- dispatch(ctx, []string{"run"}, stdio{in: strings.NewReader(""), out: b.log, err: b.log},
			environ{get: func(k string) string { return full[k] }, now: testNow, platforms: builders, sleep: sleep})
	}()
	t.Cleanup(func() {
		b.stop(t)
		if t.Failed() {
			t.Logf("the bot's last log lines:\n%s", lastLines(b.log.String(), 200))
		}
	})
	return b
}

// lastLines is the last n lines of s: enough of a bot's debug log to see what it was doing
// when a test failed, without the whole run.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// stop ends run (the first SIGTERM) once and returns its error; tests that expect a clean
// exit check it in a cleanup of their own, which runs before launchBot's.
func (b *bot) stop(t *testing.T) error {
	b.stopOnce.Do(func() {
		b.cancel()
		select {
		case b.err = <-b.done:
		case <-time.After(30 * time.Second):
			t.Error("run did not stop within 30s of its context ending")
		}
	})
	return b.err
}

// failIfEnded fails the test at once if run has already returned.
func (b *bot) failIfEnded(t *testing.T) {
	t.Helper()
	select {
	case err := <-b.done:
		b.done <- err // for stop
		t.Fatalf("run ended early: %v\n%s", err, b.log)
	default:
	}
}

// waitListening waits for the bot's "http listening" log line and keeps its address.
func (b *bot) waitListening(t *testing.T) {
	t.Helper()
	eventually(t, "the HTTP listener", 20*time.Second, func() bool {
		b.failIfEnded(t)
		if l := b.log.Lines("http listening"); len(l) > 0 {
			b.addr, _ = l[0]["addr"].(string)
		}
		return b.addr != ""
	})
}

// wait returns run's error once it has stopped.
func (b *bot) wait(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-b.done:
		b.done <- err // for the cleanup
		return err
	case <-time.After(within):
		t.Fatalf("run did not stop within %s\n%s", within, b.log)
		return nil
	}
}

func (b *bot) get(t *testing.T, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+b.addr+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metric returns the value of one series (name with its labels, as exposed) on /metrics.
func (b *bot) metric(t *testing.T, series string) float64 {
	t.Helper()
	_, body := b.get(t, "/metrics")
	return metricValue(body, series)
}

func metricValue(body, series string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// tcpProxy forwards 127.0.0.1 connections to a PostgreSQL server and can be taken down
// (every connection cut, new ones refused) and brought back: a database outage without
// touching the shared test cluster.
type tcpProxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// setDown takes the database away (true) or brings it back (false).
func (p *tcpProxy) setDown(down bool) {
	p.down.Store(down)
	if down {
		p.cut()
	}
}

// proxiedDatabase returns a fresh test database's URL through a new proxy, with a
// password in it (the test cluster trusts local connections and ignores it) so that tests
// can look for it in logs.
func proxiedDatabase(t *testing.T, password string) (dbURL string, proxy *tcpProxy) {
	t.Helper()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy = newTCPProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String(), proxy
}

// testEpoch is the instant every test of the real wiring starts at: Wednesday 10 March
// 2027, 10:00 UTC. Their clocks run on from there at real speed (clocktest.Running), so
// what they expect never depends on the hour or the date the suite runs at.
var testEpoch = time.Date(2027, 3, 10, 10, 0, 0, 0, time.UTC)

// testToday is testEpoch's date: a cohort set up to start then with a post time after
// 10:00 has its first card still to come; one before 10:00 has it due at once.
const testToday = "2027-03-10"

// testNow is the test binary's clock: testEpoch when the binary starts, then real time
// passing. One clock for every command a test runs, so that a command run after another
// (a restart, `cohort export` after a check-in) also runs later.
var testNow = clocktest.Running(testEpoch)

// testEnv is the environment of a command run by a test: vars as its variables, and
// testNow.
func testEnv(vars map[string]string) environ {
	return environ{get: func(k string) string { return vars[k] }, now: testNow}
}

// fakeChannel is the ChannelRef of fake channel n.
func fakeChannel(n int) study.ChannelRef {
	return study.ChannelRef{Platform: fakeName, Workspace: "w1", Channel: fmt.Sprintf("c%d", n)}
}

// seedCohorts sets up a cohort in each of n fake channels, with today's card already
// due, through the core service (as an organizer's /cohort setup would), and checks bob
// in to the first one when checkIn is set. It returns the cohort ids.
func seedCohorts(t *testing.T, env map[string]string, n int, checkIn bool) []int64 {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler), testNow, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tz, today := "UTC", testToday
	var ids []int64
	for i := range n {
		ch := fakeChannel(i)
		_, err := a.svc.Handle(ctx, study.Request{Channel: ch, Admin: true, Command: "cohort", Sub: "setup",
			User: study.UserRef{Platform: fakeName, Workspace: "w1", ID: "olga", Name: "Olga"},
			Text: fmt.Sprintf("start:%s time:00:30 tz:%s cadence:daily name:\"Crew %d\"", today, tz, i)})
		if err != nil {
			t.Fatalf("setup cohort %d: %v", i, err)
		}
		c, err := a.store.CohortByChannel(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if checkIn {
		for _, u := range []study.UserRef{{Platform: fakeName, Workspace: "w1", ID: "bob", Name: "=Bob"}, {Platform: fakeName, Workspace: "w1", ID: "eve", Name: "Eve"}} {
			if _, err := a.svc.Handle(ctx, study.Request{Channel: fakeChannel(0), User: u, Command: "done", Text: "read the docs"}); err != nil {
				t.Fatalf("check in %s: %v", u.Name, err)
			}
		}
	}
	return ids
}
