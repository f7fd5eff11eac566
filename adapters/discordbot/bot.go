// Package discordbot runs cohortbot on Discord with discordgo: slash commands and their
// autocomplete, the daily card as embeds with a ✅ Done button and a thread, check-ins
// from the button and from replies in a day's thread, and scheduled posts (the
// study.Poster of the "discord" platform).
//
// Channels are study.ChannelRef{Platform: "discord", Workspace: guild id, Channel:
// channel id}; a thread stands for its parent channel. Members are the guild's users; the
// adapter tells the core who has Manage Server or Administrator (Request.Admin) and their
// roles, and the core decides who organizes.
//
// The bot asks only for the Guilds and Guild Messages intents: thread replies are seen
// as MESSAGE_CREATE events without their text (message content is privileged), which is
// enough to check the author in.
package discordbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"cohortbot/internal/middleware"
	"cohortbot/internal/reconnect"
	"cohortbot/internal/study"
)

// Platform is the ChannelRef.Platform of Discord channels.
const Platform = "discord"

// Defaults of Config's tuning fields.
const (
	DefaultDeferAfter    = 2 * time.Second
	DefaultMaxInlineWait = 5 * time.Second
)

// Intents are the gateway intents the bot needs: guilds (channels, threads, roles) and
// guild messages (replies in day threads). No privileged intent.
const Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages

// Config wires a Bot.
type Config struct {
	// Token is the bot token, without the "Bot " prefix. It is never logged.
	Token string
	// GuildID registers the commands on this guild only (instant); "" registers them
	// globally.
	GuildID string
	// APIURL is the REST base URL; "" or https://discord.com is Discord itself.
	APIURL     string
	ShardID    int
	ShardCount int

	// Core answers every command, button and thread reply.
	Core study.Handler
	Log  *slog.Logger

	// DeferAfter is how long an interaction waits for the core before it is deferred,
	// counted from the interaction's creation (its id), so gateway lag counts too.
	DeferAfter time.Duration
	// GlobalRate and GlobalBurst pace requests under Discord's global limit (default 47 a
	// second with a burst of 3: never 50 in one second). Interaction answers are exempt,
	// as Discord exempts them; per-route limits come from Discord's headers.
	GlobalRate  float64
	GlobalBurst int
	// MaxInlineWait: a 429 asking to wait at most this long is waited out in place;
	// longer waits are returned. Scheduled posts never wait for a 429 in place: the
	// scheduler retries them after Retry-After (DeliveryError.RetryAfter).
	MaxInlineWait time.Duration
	// MaxPostWait is the longest a scheduled post waits for its own channel's bucket;
	// a longer wait hands it back to the scheduler (DeliveryError.Paced), so that a
	// channel waiting on its limit holds no delivery worker. Default 1 s.
	MaxPostWait time.Duration
	// Retries of idempotent requests after 5xx or network errors, with backoff starting
	// at RetryBackoff.
	Retries      int
	RetryBackoff time.Duration
	// Reconnect is the backoff after the gateway drops (default: 1 s doubling to 15 s,
	// jittered). discordgo's own doubles to 10 minutes: after a long outage the bot
	// would stay silent for minutes once Discord was back.
	Reconnect reconnect.Policy
}

// LogValue keeps the token out of logs if a Config is ever logged.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("guild", c.GuildID), slog.String("api", c.APIURL),
		slog.Int("shard", c.ShardID), slog.Int("shards", c.ShardCount), slog.String("token", "[redacted]"))
}

// Bot is the Discord connection: it implements cohortbot's platform (Name, Poster, Start,
// Close) and study.Poster.
type Bot struct {
	cfg    Config
	log    *slog.Logger
	s      *discordgo.Session
	http   *http.Client // REST, through the transport (DISCORD_API_URL)
	limits *limits
	core   study.Handler
	work   *middleware.Work // in-flight event handlers
	// workers run the core for interactions (see answerSoon).
	workers *middleware.Workers

	zones *zoneList

	mu    sync.Mutex
	appID string
	botID string

	chans *channelCache
	dms   *dmCache // user id → direct-message channel id

	// connected follows the gateway (READY/RESUMED up, DISCONNECT down) for /readyz;
	// reconnects counts sessions after the first, for the reconnect metric.
	connected  atomic.Bool
	sessions   atomic.Uint64
	reconnects atomic.Uint64

	// life ends at Close: the reconnect loop stops then; reconnecting makes it one.
	life         context.Context
	end          context.CancelFunc
	reconnecting atomic.Bool
}

// Ready reports whether the gateway connection is up (the /readyz check).
func (b *Bot) Ready() error {
	if !b.connected.Load() {
		return errors.New("discord gateway not connected")
	}
	return nil
}

// Reconnects counts gateway resumes and re-identifies since start.
func (b *Bot) Reconnects() uint64 { return b.reconnects.Load() }

// New checks cfg and prepares the session; Start connects.
func New(cfg Config) (*Bot, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("discord: no bot token")
	}
	if cfg.Core == nil {
		return nil, errors.New("discord: Core is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ShardCount < 1 {
		cfg.ShardCount = 1
	}
	if cfg.ShardID < 0 || cfg.ShardID >= cfg.ShardCount {
		return nil, fmt.Errorf("discord: shard %d is outside 0..%d", cfg.ShardID, cfg.ShardCount-1)
	}
	if cfg.DeferAfter <= 0 {
		cfg.DeferAfter = DefaultDeferAfter
	}
	if cfg.MaxInlineWait <= 0 {
		cfg.MaxInlineWait = DefaultMaxInlineWait
	}
	if cfg.MaxPostWait <= 0 {
		cfg.MaxPostWait = time.Second
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 2
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 250 * time.Millisecond
	}
	tr, err := newTransport(cfg.APIURL)
	if err != nil {
		return nil, err
	}
	s, err := discordgo.New("Bot " + cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	// discordgo's own REST calls (the gateway URL) and ours share the transport.
	s.Client = &http.Client{Timeout: 20 * time.Second, Transport: tr}
	s.Dialer = &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 15 * time.Second}
	s.Identify.Intents = Intents
	s.ShardID, s.ShardCount = cfg.ShardID, cfg.ShardCount
	s.LogLevel = discordgo.LogError // never LogDebug: it prints the IDENTIFY payload
	s.MaxRestRetries = 1
	s.ShouldReconnectOnError = false // keepUp reconnects, with our backoff
	// The state cache keeps channels and threads (to find a thread's parent); nothing
	// else is needed.
	s.StateEnabled = true
	s.State.TrackEmojis, s.State.TrackMembers, s.State.TrackRoles = false, false, false
	s.State.TrackVoice, s.State.TrackPresences, s.State.TrackThreadMembers = false, false, false
	s.State.TrackChannels, s.State.TrackThreads = true, true

	b := &Bot{cfg: cfg, log: cfg.Log.With("platform", Platform), s: s, core: cfg.Core,
		http: s.Client, limits: newLimits(cfg.GlobalRate, cfg.GlobalBurst),
		zones: loadZones(), chans: newChannelCache(10000), dms: &dmCache{m: map[string]string{}}}
	b.life, b.end = context.WithCancel(context.Background())
	b.work = middleware.NewWork(b.log)
	b.workers = middleware.NewWorkers(interactionWorkers, b.log)
	s.AddHandler(b.onEvent)
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Ready) {
		b.connected.Store(true)
		if b.sessions.Add(1) > 1 {
			b.reconnects.Add(1)
		}
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
		b.connected.Store(true)
		b.reconnects.Add(1)
		b.log.Info("discord gateway resumed")
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		b.connected.Store(false)
		if b.life.Err() != nil {
			return // closing
		}
		b.log.Info("discord gateway disconnected")
		b.keepUp()
	})
	return b, nil
}

// Name is the platform's name in ChannelRefs.
func (b *Bot) Name() string { return Platform }

// Poster returns the bot: it posts scheduled messages.
func (b *Bot) Poster() study.Poster { return b }

// Start connects to the gateway, learns the application id and registers the commands.
// Handlers keep running until Close.
func (b *Bot) Start(ctx context.Context) error {
	if err := b.s.Open(); err != nil {
		return fmt.Errorf("discord: connect to the gateway: %w", redactErr(err, b.cfg.Token))
	}
	b.s.State.RLock()
	appID, botID := "", ""
	if r := b.s.State.Ready; r.Application != nil {
		appID = r.Application.ID
	}
	if b.s.State.User != nil {
		botID = b.s.State.User.ID
	}
	b.s.State.RUnlock()
	b.mu.Lock()
	b.appID, b.botID = appID, botID
	b.mu.Unlock()
	if appID == "" {
		b.s.Close()
		return errors.New("discord: READY carried no application id")
	}
	b.log.Info("discord gateway connected", "application", appID, "shard", b.cfg.ShardID, "shards", b.cfg.ShardCount)
	// Commands are registered by shard 0 only: one bulk overwrite per deployment.
	if b.cfg.ShardID == 0 {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := b.RegisterCommands(rctx); err != nil {
			b.s.Close()
			return err
		}
	}
	return nil
}

// Close stops taking events, lets in-flight handlers finish (briefly) and disconnects.
func (b *Bot) Close() error {
	b.end()
	b.work.Close(10 * time.Second)
	b.workers.Stop()
	return b.s.Close()
}

// keepUp reconnects after the gateway dropped (one loop at a time): discordgo resumes
// the session when Discord still has it, and identifies afresh otherwise.
func (b *Bot) keepUp() {
	if !b.reconnecting.CompareAndSwap(false, true) {
		return
	}
	defer b.reconnecting.Store(false)
	err := b.cfg.Reconnect.Until(b.life, func() error {
		err := b.s.Open()
		if errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			return nil
		}
		return err
	}, func(attempt int, err error, wait time.Duration) {
		b.log.Warn("discord gateway reconnect failed", "attempt", attempt, "next in", wait.Round(time.Millisecond), "err", redactErr(err, b.cfg.Token))
	})
	if err == nil {
		b.log.Info("discord gateway reconnected")
	}
}

// ids returns the application's and the bot user's ids (known after READY).
func (b *Bot) ids() (appID, botID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.appID, b.botID
}

// onEvent routes gateway dispatches. discordgo runs each in its own goroutine.
func (b *Bot) onEvent(_ *discordgo.Session, e *discordgo.Event) {
	switch ev := e.Struct.(type) {
	case *discordgo.InteractionCreate:
		if ev.Interaction != nil {
			b.onInteraction(ev.Interaction, e.RawData)
		}
	case *discordgo.MessageCreate:
		if ev.Message != nil {
			b.onMessage(ev.Message)
		}
	case *discordgo.ThreadCreate:
		if ev.Channel != nil {
			b.chans.put(ev.ID, channelInfo{thread: true, parent: ev.ParentID})
		}
	}
}

// redactErr removes the token from an error's text, in case a library echoed it.
func redactErr(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[redacted]"))
}

// channelInfo is what the bot needs to know about a channel: whether it is a thread, and
// its parent (the cohort's channel).
type channelInfo struct {
	thread bool
	parent string
}

// dmCache remembers users' direct-message channels, bounded.
type dmCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *dmCache) get(user string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.m[user]
	return id, ok
}

func (c *dmCache) put(user, channel string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 10000 {
		clear(c.m)
	}
	c.m[user] = channel
}

// channelCache remembers channelInfo by id, bounded.
type channelCache struct {
	mu  sync.Mutex
	max int
	m   map[string]channelInfo
}

func newChannelCache(max int) *channelCache {
	return &channelCache{max: max, m: map[string]channelInfo{}}
}

func (c *channelCache) get(id string) (channelInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.m[id]
	return i, ok
}

func (c *channelCache) put(id string, i channelInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[id] = i
}

// channel finds out whether id is a thread and its parent: cache, then the gateway's
// state, then GET /channels/{id}.
func (b *Bot) channel(ctx context.Context, id string) (channelInfo, error) {
	if i, ok := b.chans.get(id); ok {
		return i, nil
	}
	if c, err := b.s.State.Channel(id); err == nil {
		i := channelInfo{thread: c.IsThread(), parent: c.ParentID}
		b.chans.put(id, i)
		return i, nil
	}
	var c struct {
		Type     discordgo.ChannelType `json:"type"`
		ParentID string                `json:"parent_id"`
	}
	err := b.call(ctx, "GET /channels/{channel}", http.MethodGet, discordgo.EndpointChannel(id), nil, &c, callOpts{idempotent: true, major: id})
	var ae *APIError
	if errors.As(err, &ae) && (ae.Code == codeUnknownChannel || ae.Code == codeMissingAccess) {
		b.chans.put(id, channelInfo{})
		return channelInfo{}, nil
	}
	if err != nil {
		return channelInfo{}, err
	}
	i := channelInfo{thread: isThreadType(c.Type), parent: c.ParentID}
	b.chans.put(id, i)
	return i, nil
}

func isThreadType(t discordgo.ChannelType) bool {
	return t == discordgo.ChannelTypeGuildPublicThread || t == discordgo.ChannelTypeGuildPrivateThread || t == discordgo.ChannelTypeGuildNewsThread
}

// rawChannel is the partial channel Discord includes in interaction payloads (discordgo
// v0.29 does not decode it).
type rawChannel struct {
	Channel *struct {
		ID       string                `json:"id"`
		Type     discordgo.ChannelType `json:"type"`
		ParentID string                `json:"parent_id"`
	} `json:"channel"`
}

func parseRawChannel(raw json.RawMessage) (channelInfo, bool) {
	var rc rawChannel
	if json.Unmarshal(raw, &rc) != nil || rc.Channel == nil {
		return channelInfo{}, false
	}
	return channelInfo{thread: isThreadType(rc.Channel.Type), parent: rc.Channel.ParentID}, true
}
