package study

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"
)

// Request is anything a member does on a platform, stripped of platform details: a
// command, a button press or a reply in a day's thread.
type Request struct {
	Channel ChannelRef
	// Thread is set when the request came from inside a thread of Channel: /done or a
	// reply there checks in for the thread's day.
	Thread string
	User   UserRef
	// Admin says the platform lets the user run the space (Discord Manage Server or
	// Administrator, a Slack workspace admin or owner, the console's user); Roles are
	// their platform roles. The core decides who is an organizer from these and the
	// channel's organizer settings.
	Admin bool
	Roles []string
	// Source is how the request came: a command (the zero value), a button or a reply.
	Source Source
	// Command and Sub name a command (Sub picks a /cohort subcommand); Text is its
	// argument text as typed (Slack, console), Options its typed options (Discord).
	Command string
	Sub     string
	Text    string
	Options map[string]string
	// Action is a pressed button's id.
	Action string
	// At is when the request was first taken (zero: now) and Key identifies it (the
	// Retry middleware sets both). A request retried after a transient fault keeps them:
	// a check-in that did commit before the fault is recognised as its own by Key, and is
	// timed when the member sent it.
	At  time.Time
	Key string
}

// Handler is the core as adapters see it: one request in, one reply out.
type Handler interface {
	Handle(ctx context.Context, req Request) (Reply, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req Request) (Reply, error)

func (f HandlerFunc) Handle(ctx context.Context, req Request) (Reply, error) { return f(ctx, req) }

// Config wires a Service; everything it needs is given here, at construction.
type Config struct {
	Store Store
	// Tracks are the curricula it can run; the first is the default for new cohorts.
	Tracks []*Track
	// Now is the clock of every date and instant the core computes.
	Now func() time.Time
	// Cron parses leaderboard and recap schedules (robfig/cron, in internal/schedule).
	Cron CronParser
	// Observer hears about check-ins (metrics); optional.
	Observer Observer
	Log      *slog.Logger
}

// Service answers requests, plans and composes posts. Build it with New; it has no
// settable fields.
type Service struct {
	store        Store
	tracks       map[string]*Track
	defaultTrack string
	now          func() time.Time
	cron         CronParser
	obs          Observer
	log          *slog.Logger
	commands     table
	changes      chan struct{}
}

// New checks cfg and builds the Service.
func New(cfg Config) (*Service, error) {
	var missing []string
	if cfg.Store == nil {
		missing = append(missing, "Store")
	}
	if len(cfg.Tracks) == 0 {
		missing = append(missing, "Tracks")
	}
	if cfg.Now == nil {
		missing = append(missing, "Now")
	}
	if cfg.Cron == nil {
		missing = append(missing, "Cron")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("study: config lacks %v", missing)
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: cfg.Store, tracks: map[string]*Track{}, defaultTrack: cfg.Tracks[0].ID, now: cfg.Now,
		cron: cfg.Cron, obs: cfg.Observer, log: cfg.Log, commands: commandTable, changes: make(chan struct{}, 1)}
	for _, t := range cfg.Tracks {
		s.tracks[t.ID] = t
	}
	return s, nil
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// Track returns a loaded track by id.
func (s *Service) Track(id string) (*Track, bool) {
	t, ok := s.tracks[id]
	return t, ok
}

// Changes signals when a command changed what is due (a post asked for now, a schedule
// changed): the scheduler wakes up instead of waiting for its next tick.
func (s *Service) Changes() <-chan struct{} { return s.changes }

func (s *Service) changed() {
	select {
	case s.changes <- struct{}{}:
	default:
	}
}

func (s *Service) cohortFor(ctx context.Context, ch ChannelRef) (CohortView, error) {
	c, err := s.store.CohortByChannel(ctx, ch)
	if ErrorCode(err) == ENOTFOUND {
		return CohortView{}, Errorf(ENOTFOUND, "This channel has no cohort yet: an organizer starts one with /cohort setup start:YYYY-MM-DD time:HH:MM tz:Area/City")
	}
	if err != nil {
		return CohortView{}, fmt.Errorf("find cohort for %s/%s: %w", ch.Platform, ch.Channel, err)
	}
	return s.View(c)
}

// Handle answers one request: a command, a button press or a thread reply.
func (s *Service) Handle(ctx context.Context, req Request) (Reply, error) {
	switch req.Source {
	case SourceButton:
		return s.press(ctx, req)
	case SourceReply:
		return s.threadReply(ctx, req)
	case "", SourceCommand:
		return s.command(ctx, req)
	}
	return Reply{}, fmt.Errorf("request from unknown source %q", req.Source)
}

// command dispatches through the table: organizer commands are refused to members, and
// arguments are parsed by the command's options before its handler runs.
func (s *Service) command(ctx context.Context, req Request) (Reply, error) {
	c, group := s.commands.lookup(req.Command, req.Sub)
	switch {
	case c == nil && group == nil && req.Command == "":
		c, _ = s.commands.lookup("help", "")
	case c == nil && group == nil:
		return Reply{}, Errorf(EINVALID, "unknown command /%s: try /help", req.Command)
	case c == nil && (req.Sub == "" || req.Sub == "help"):
		// "/cohort" or "/cohort help": the organizers' part of the help.
		return s.helpReply(true, req.Channel.Platform), nil
	case c == nil:
		return Reply{}, unknownSub(group, req.Sub)
	}
	if c.Organizer || (group != nil && group.Organizer) {
		ok, err := s.isOrganizer(ctx, req)
		if err != nil {
			return Reply{}, err
		}
		if !ok {
			return Reply{}, Errorf(EFORBIDDEN, "Only organizers can use /%s.", c.Path(groupName(group)))
		}
	}
	a, err := parseCommandArgs(req, c)
	if err != nil {
		return Reply{}, err
	}
	return c.run(s, ctx, &call{req: req, args: a, cmd: c})
}

func groupName(g *Command) string {
	if g == nil {
		return ""
	}
	return g.Name
}

// parseCommandArgs merges typed options over the parsed text. Commands that take free
// text (/done's note) keep unknown words; the others refuse an unknown key:value.
func parseCommandArgs(req Request, c *Command) (Args, error) {
	keys := c.optionNames()
	var a Args
	var err error
	if c.Free {
		a, err = ParseArgs(req.Text, keys...)
	} else {
		a, err = ParseOptions(req.Text, keys...)
	}
	if err != nil {
		return a, err
	}
	// Typed options (Discord) are the command's own; any other name is refused, as in text.
	for _, k := range slices.Sorted(maps.Keys(req.Options)) {
		if !slices.Contains(keys, k) {
			return a, unknownOption(k, keys)
		}
		a.Named[k] = req.Options[k]
	}
	return a, nil
}

// press handles a button: ✅ Done, or Show answers.
func (s *Service) press(ctx context.Context, req Request) (Reply, error) {
	kind, day, key, ok := parseAction(req.Action)
	if !ok {
		return Reply{}, Errorf(EINVALID, "This button is no longer in use.")
	}
	switch kind {
	case actionReveal:
		return s.reveal(ctx, req, day, key)
	case actionRemindOff:
		return s.remindOff(ctx, req, int64(day))
	}
	return s.CheckIn(ctx, CheckInRequest{Channel: req.Channel, User: req.User, Day: day, Source: SourceButton, At: req.At, Key: req.Key})
}

// threadReply checks in a member who replied in a day's thread. Replies elsewhere — a
// thread that is not a day's, a channel without a cohort — are not check-ins (ENOTFOUND),
// and adapters ignore them quietly.
func (s *Service) threadReply(ctx context.Context, req Request) (Reply, error) {
	return s.CheckIn(ctx, CheckInRequest{Channel: req.Channel, User: req.User, Thread: req.Thread, Source: SourceReply, Note: clipNote(req.Text), At: req.At, Key: req.Key})
}

// IsNotACheckIn reports whether a thread reply's error only means the reply was not a
// check-in (another thread, no cohort): adapters stay silent then.
func IsNotACheckIn(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == ENOTFOUND
}
