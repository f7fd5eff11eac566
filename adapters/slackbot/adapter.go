// Package slackbot is cohortbot on Slack (github.com/slack-go/slack): slash commands, Block
// Kit cards with a thread per day, ✅ Done and Show answers buttons, and check-ins from
// thread replies.
//
// It connects in Socket Mode when it has an app-level token (xapp-…), and otherwise serves
// the Events API, slash commands and interactivity over HTTP (Handler), verifying every
// request with the signing secret. Either way each request is acknowledged first and
// answered afterwards, through the request's response_url or chat.postEphemeral.
//
// The adapter translates: it tells the core who is a workspace admin or owner
// (users.info, cached for a minute) and passes commands, button presses and thread
// replies on; the core decides everything else.
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
	"github.com/slack-go/slack/socketmode"

	"cohortbot/internal/middleware"
	"cohortbot/internal/reconnect"
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

	// Core answers every command, button press and thread reply.
	Core study.Handler
	Log  *slog.Logger

	// PostInterval and PostBurst pace messages to one channel: PostBurst at once, then
	// one per PostInterval (Slack allows about one a second, with short bursts). Defaults
	// 1 s and 2.
	PostInterval time.Duration
	PostBurst    int
	// MaxPostWait is the longest a scheduled post waits for its channel's pace; a longer
	// wait hands it back to the scheduler (DeliveryError.Paced). Default 2 s.
	MaxPostWait time.Duration
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
	// Reconnect is the backoff between Socket Mode connection attempts (default: 1 s
	// doubling to 15 s, jittered). slack-go's own grows to 5 minutes.
	Reconnect reconnect.Policy
}

// Adapter is the Slack connection.
type Adapter struct {
	cfg    Config
	api    *slack.Client
	sm     *socketmode.Client
	core   study.Handler
	log    *slog.Logger
	poster *poster
	limits *limits
	users  *userCache
	seen   *seenCache
	work   *middleware.Work // requests being handled

	ctx    context.Context // the connection: ends with Start's context or at Close
	cancel context.CancelFunc

	// Set by Start before started is; read only once started (an atomic's store and load
	// order them).
	botUserID, botID, teamID string

	started    atomic.Bool
	connected  atomic.Bool
	sessions   atomic.Uint64 // Socket Mode connections made
	reconnects atomic.Uint64

	// stopRun ends the current Socket Mode run when a connection attempt fails, so that
	// the next attempt waits on our backoff rather than slack-go's.
	runMu   sync.Mutex
	stopRun context.CancelFunc
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
	if cfg.Core == nil {
		problems = append(problems, "the core is required")
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
	if cfg.PostBurst <= 0 {
		cfg.PostBurst = 2
	}
	if cfg.MaxPostWait <= 0 {
		cfg.MaxPostWait = 2 * time.Second
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
	a := &Adapter{cfg: cfg, core: cfg.Core, log: cfg.Log, seen: newSeenCache(10000), work: middleware.NewWork(cfg.Log),
		limits: newLimits(cfg.PostInterval, cfg.PostBurst)}
	// Every Web API call goes through the method limits.
	client := *cfg.HTTPClient
	next := client.Transport
	if next == nil {
		// Answers to a burst of commands go out in parallel (response_url and the Web
		// API): keep their connections, where the default keeps two per host and dials —
		// a TLS handshake each — for the rest.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 128
		next = t
	}
	client.Transport = &pacedTransport{limits: a.limits, next: next}
	cfg.HTTPClient = &client
	a.cfg.HTTPClient = &client
	a.ctx, a.cancel = context.WithCancel(context.Background())
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
// connected. The adapter works until ctx ends or Close is called. Until Start has
// returned, Handler answers 503.
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
	go a.events(connected)
	go a.runSocket(failed)
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

// Close disconnects, lets the requests in flight finish (for up to 10 s) and returns.
func (a *Adapter) Close() error {
	a.cancel()
	a.work.Close(10 * time.Second)
	return nil
}

// goHandle handles a request in the background (it was acknowledged already).
func (a *Adapter) goHandle(what string, f func(ctx context.Context)) {
	a.work.Go("slack "+what, a.cfg.HandlerTimeout, f)
}

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

// libLogger sends slack-go's own log lines to slog at debug level.
type libLogger struct{ log *slog.Logger }

func (l libLogger) Output(_ int, s string) error {
	l.log.Debug("slack-go", "msg", strings.TrimSpace(s))
	return nil
}
