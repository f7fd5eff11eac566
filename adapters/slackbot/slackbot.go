// Package slackbot is cohortbot on Slack (github.com/slack-go/slack): slash commands, Block
// Kit cards with a thread per day, ✅ Done and Show answers buttons, and check-ins from
// thread replies.
//
// It connects in Socket Mode when it has an app-level token (xapp-…), and otherwise serves
// the Events API, slash commands and interactivity over HTTP (Handler), verifying every
// request with the signing secret. Either way each request is acknowledged first and
// answered afterwards, through the request's response_url or chat.postEphemeral.
//
// Organizers are workspace admins and owners (users.info, cached for a minute) and the
// members listed with /cohort set organizers:@a,@b, kept as the channel setting
// "organizers" (comma-separated user ids).
package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"cohortbot/internal/study"
)

// Platform is the ChannelRef.Platform of Slack channels.
const Platform = "slack"

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// Config wires the adapter.
type Config struct {
	BotToken      string // xoxb-…
	AppToken      string // xapp-…: Socket Mode; empty: HTTP mode
	SigningSecret string // HTTP mode
	APIURL        string // default DefaultAPIURL

	Service *study.Service
	Store   study.Store
	Log     *slog.Logger
	// Core answers commands and check-ins; default Service. (cmd/cohortbot may pass a
	// wrapper that adds request ids and a log line per command.)
	Core Core

	// PostInterval spaces messages to one channel (Slack allows about one a second).
	// Default 1 s.
	PostInterval time.Duration
	// PingInterval: Socket Mode reconnects when Slack has not pinged for this long.
	// Default 30 s.
	PingInterval time.Duration
	// UserTTL is how long users.info answers (names, admin flags) are cached. Default 1 min.
	UserTTL time.Duration
	// ConnectTimeout bounds Start. Default 30 s.
	ConnectTimeout time.Duration
	// HandlerTimeout bounds the work done for one request. Default 60 s.
	HandlerTimeout time.Duration
	// Now is the clock for request signatures. Default time.Now.
	Now func() time.Time
	// HTTPClient calls the Web API. Default: a client with a 20 s timeout.
	HTTPClient *http.Client
}

// Core is what the adapter asks of the core for commands and check-ins.
type Core interface {
	Handle(ctx context.Context, req study.Request) (study.Reply, error)
	CheckIn(ctx context.Context, req study.CheckInRequest) (study.Reply, error)
}

// Adapter is the Slack connection.
type Adapter struct {
	cfg    Config
	api    *slack.Client
	sm     *socketmode.Client
	svc    *study.Service
	core   Core
	store  study.Store
	log    *slog.Logger
	poster *poster
	users  *userCache
	seen   *seenCache
	roots  *rootCache

	ctx    context.Context // the connection: ends with Start's context or at Close
	cancel context.CancelFunc
	// work is the context of requests being handled: Close lets them finish (boundedly)
	// before it ends, so a shutdown does not cut a check-in off half-way.
	work     context.Context
	stopWork context.CancelFunc
	mu       sync.Mutex
	closed   bool
	wg       sync.WaitGroup

	botUserID, botID, teamID string

	started    atomic.Bool
	connected  atomic.Bool
	reconnects atomic.Uint64

	// testHook, when set, runs before each command is handled (tests make it panic).
	testHook func(command string)
}

// New checks the configuration and builds the clients; Start connects.
func New(cfg Config) (*Adapter, error) {
	var problems []string
	if !strings.HasPrefix(cfg.BotToken, "xoxb-") {
		problems = append(problems, "the Slack bot token must start with xoxb-")
	}
	if cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-") {
		problems = append(problems, "the Slack app-level token must start with xapp-")
	}
	if cfg.AppToken == "" && cfg.SigningSecret == "" {
		problems = append(problems, "HTTP mode (no app-level token) needs the signing secret")
	}
	if cfg.Service == nil || cfg.Store == nil {
		problems = append(problems, "the service and the store are required")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("slack: %s", strings.Join(problems, "; "))
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PostInterval == 0 {
		cfg.PostInterval = time.Second
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 30 * time.Second
	}
	if cfg.UserTTL <= 0 {
		cfg.UserTTL = time.Minute
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	if cfg.HandlerTimeout <= 0 {
		cfg.HandlerTimeout = 60 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	if cfg.Core == nil {
		cfg.Core = cfg.Service
	}
	a := &Adapter{cfg: cfg, svc: cfg.Service, core: cfg.Core, store: cfg.Store, log: cfg.Log, seen: newSeenCache(10000), roots: newRootCache()}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.work, a.stopWork = context.WithCancel(context.Background())
	libLog := libLogger{a.log}
	opts := []slack.Option{slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(cfg.HTTPClient), slack.OptionLog(libLog)}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	a.api = slack.New(cfg.BotToken, opts...)
	if cfg.AppToken != "" {
		a.sm = socketmode.New(a.api, socketmode.OptionLog(libLog), socketmode.OptionPingInterval(cfg.PingInterval))
	}
	a.users = newUserCache(a.api, cfg.UserTTL)
	a.poster = newPoster(a)
	return a, nil
}

// Name implements the platform: "slack".
func (a *Adapter) Name() string { return Platform }

// Poster delivers scheduled posts to Slack channels.
func (a *Adapter) Poster() study.Poster { return a.poster }

// SocketMode reports whether the adapter connects in Socket Mode (else it serves HTTP).
func (a *Adapter) SocketMode() bool { return a.sm != nil }

// Start checks the bot token (auth.test) and, in Socket Mode, connects; it returns once
// connected. The adapter works until ctx ends or Close is called.
func (a *Adapter) Start(ctx context.Context) error {
	context.AfterFunc(ctx, a.cancel)
	actx, cancel := context.WithTimeout(a.ctx, a.cfg.ConnectTimeout)
	defer cancel()
	who, err := a.api.AuthTestContext(actx)
	if err != nil {
		a.cancel()
		return fmt.Errorf("slack auth.test with SLACK_BOT_TOKEN: %w", describe(err))
	}
	a.botUserID, a.botID, a.teamID = who.UserID, who.BotID, who.TeamID
	a.log.Info("slack bot authenticated", "team", who.TeamID, "bot_user", who.UserID, "socket_mode", a.SocketMode())
	if a.sm == nil {
		a.started.Store(true)
		return nil
	}
	connected := make(chan struct{})
	failed := make(chan error, 1)
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		a.events(connected)
	}()
	go func() {
		defer a.wg.Done()
		a.runSocket(failed)
	}()
	select {
	case <-connected:
		a.started.Store(true)
		return nil
	case err := <-failed:
		a.cancel()
		return fmt.Errorf("slack socket mode with SLACK_APP_TOKEN: %w", describe(err))
	case <-actx.Done():
		a.cancel()
		return fmt.Errorf("slack socket mode: not connected within %s", a.cfg.ConnectTimeout)
	}
}

// Ready reports whether the adapter can take requests: started and, in Socket Mode,
// connected (the readiness probe).
func (a *Adapter) Ready() error {
	switch {
	case !a.started.Load():
		return errors.New("not started")
	case a.sm != nil && !a.connected.Load():
		return errors.New("socket mode reconnecting")
	}
	return nil
}

// Reconnects counts Socket Mode connections after the first.
func (a *Adapter) Reconnects() uint64 { return a.reconnects.Load() }

// describe makes a Slack auth error say what to fix.
func describe(err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired":
			return fmt.Errorf("Slack rejected the token (%s)", se.Err)
		}
	}
	if s := err.Error(); s == "invalid_auth" || s == "not_authed" || s == "account_inactive" || s == "token_revoked" {
		return fmt.Errorf("Slack rejected the token (%s)", s)
	}
	return err
}

// runSocket keeps the Socket Mode connection up. slack-go reconnects by itself on
// disconnect envelopes and lost pings; it returns only when a connection cannot be opened
// at all, and then this loop tries again with a growing wait.
func (a *Adapter) runSocket(failed chan<- error) {
	wait := time.Second
	for first := true; ; first = false {
		err := a.sm.RunContext(a.ctx)
		if a.ctx.Err() != nil {
			return
		}
		if first {
			select {
			case failed <- err:
			default:
			}
		}
		a.log.Error("slack socket mode stopped; reconnecting", "err", describe(err), "in", wait)
		select {
		case <-a.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Minute)
	}
}

// events reads the Socket Mode client's events: every envelope is acknowledged at once and
// handled in the background.
func (a *Adapter) events(connected chan struct{}) {
	var once sync.Once
	first := true
	for {
		var evt socketmode.Event
		select {
		case <-a.ctx.Done():
			return
		case evt = <-a.sm.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeConnecting:
			a.connected.Store(false)
			a.log.Debug("slack socket mode connecting")
		case socketmode.EventTypeConnected:
			a.connected.Store(true)
			if !first {
				a.reconnects.Add(1)
			}
			first = false
			a.log.Info("slack socket mode connected", "reconnects", a.reconnects.Load())
			once.Do(func() { close(connected) })
		case socketmode.EventTypeHello:
			a.log.Debug("slack socket mode hello")
		case socketmode.EventTypeConnectionError:
			if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
				a.log.Warn("slack socket mode connection failed", "err", describe(e.ErrorObj), "attempt", e.Attempt, "backoff", e.Backoff)
			}
		case socketmode.EventTypeInvalidAuth:
			a.log.Error("slack socket mode: Slack rejected SLACK_APP_TOKEN")
		case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
			a.log.Warn("slack socket mode problem", "type", string(evt.Type))
		case socketmode.EventTypeSlashCommand:
			cmd, ok := evt.Data.(slack.SlashCommand)
			a.ack(evt.Request)
			if ok {
				a.goHandle(func(ctx context.Context) { a.handleCommand(ctx, cmd) })
			}
		case socketmode.EventTypeInteractive:
			cb, ok := evt.Data.(slack.InteractionCallback)
			a.ack(evt.Request)
			if ok {
				a.goHandle(func(ctx context.Context) { a.handleInteraction(ctx, cb) })
			}
		case socketmode.EventTypeEventsAPI:
			ev, ok := evt.Data.(slackevents.EventsAPIEvent)
			a.ack(evt.Request)
			if ok {
				a.goHandle(func(ctx context.Context) { a.handleEvent(ctx, ev) })
			}
		}
	}
}

func (a *Adapter) ack(req *socketmode.Request) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	if err := a.sm.AckCtx(a.ctx, req.EnvelopeID, nil); err != nil {
		a.log.Warn("slack socket mode ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}

// goHandle runs f in the background under the adapter's context, with a time bound, and
// recovers a panic.
func (a *Adapter) goHandle(f func(ctx context.Context)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				a.log.Error("slack handler panicked", "panic", fmt.Sprint(r))
			}
		}()
		ctx, cancel := context.WithTimeout(a.work, a.cfg.HandlerTimeout)
		defer cancel()
		f(ctx)
	}()
}

// Close disconnects, lets the requests in flight finish (for up to 10 s) and returns.
func (a *Adapter) Close() error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.cancel()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.log.Warn("slack: requests still running at shutdown; cancelling them")
	}
	a.stopWork()
	return nil
}

// libLogger sends slack-go's own log lines to slog at debug level.
type libLogger struct{ log *slog.Logger }

func (l libLogger) Output(_ int, s string) error {
	l.log.Debug("slack-go", "msg", strings.TrimSpace(s))
	return nil
}

// seenCache remembers recent event ids: Slack redelivers an event it thinks was not
// received, and a retried thread reply must not count twice.
type seenCache struct {
	mu    sync.Mutex
	max   int
	order []string
	set   map[string]bool
}

func newSeenCache(n int) *seenCache { return &seenCache{max: n, set: map[string]bool{}} }

// add records id and reports whether it is new.
func (c *seenCache) add(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set[id] {
		return false
	}
	c.set[id] = true
	c.order = append(c.order, id)
	if len(c.order) > c.max {
		delete(c.set, c.order[0])
		c.order = c.order[1:]
	}
	return true
}

// userCache keeps users.info answers briefly.
type userCache struct {
	api *slack.Client
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]userInfo
}

type userInfo struct {
	name    string
	admin   bool
	isBot   bool
	fetched time.Time
}

func newUserCache(api *slack.Client, ttl time.Duration) *userCache {
	return &userCache{api: api, ttl: ttl, m: map[string]userInfo{}}
}

func (c *userCache) get(ctx context.Context, id string) (userInfo, error) {
	c.mu.Lock()
	u, ok := c.m[id]
	c.mu.Unlock()
	if ok && time.Since(u.fetched) < c.ttl {
		return u, nil
	}
	su, err := c.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return userInfo{}, fmt.Errorf("users.info %s: %w", id, err)
	}
	u = userInfo{admin: su.IsAdmin || su.IsOwner || su.IsPrimaryOwner, isBot: su.IsBot, fetched: time.Now()}
	for _, n := range []string{su.Profile.DisplayName, su.Profile.RealName, su.RealName, su.Name} {
		if strings.TrimSpace(n) != "" {
			u.name = strings.TrimSpace(n)
			break
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		for k, v := range c.m {
			if time.Since(v.fetched) >= c.ttl {
				delete(c.m, k)
			}
		}
	}
	c.m[id] = u
	return u, nil
}
