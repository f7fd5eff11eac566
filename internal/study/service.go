package study

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNote is the longest note a check-in may carry.
const MaxNote = 500

// Request is a command from any platform, already stripped of platform details.
type Request struct {
	Channel ChannelRef
	// Thread is set when the command was typed inside a thread of Channel: /done there
	// checks in for the thread's day.
	Thread string
	User   UserRef
	// Organizer is decided by the adapter (platform permissions or an allow-list); the core
	// only trusts it.
	Organizer bool
	Command   string // today, done, progress, leaderboard, help, cohort
	Sub       string // the /cohort subcommand
	Text      string // argument text as typed (Slack, console)
	Options   map[string]string
}

// Reply is the core's answer. Ephemeral replies are shown only to the member who asked.
type Reply struct {
	Messages  []Message
	Ephemeral bool
}

func textReply(ephemeral bool, format string, args ...any) Reply {
	return Reply{Ephemeral: ephemeral, Messages: []Message{{Sections: []Section{{Text: fmt.Sprintf(format, args...)}}}}}
}

// Service answers commands and records check-ins.
type Service struct {
	store        Store
	tracks       map[string]*Track
	defaultTrack string
	now          func() time.Time

	// CheckCron validates a leaderboard/recap schedule (the scheduler's parser); nil
	// accepts any non-empty text.
	CheckCron func(spec string) error
	// Publisher posts /cohort post requests; nil refuses them.
	Publisher Publisher

	// Observer, when set, hears about commands and check-ins (metrics).
	Observer Observer

	// StatusExtras, when set, adds lines to /cohort status (the scheduler's next posts and
	// failed deliveries) without the core depending on the scheduler.
	StatusExtras func(ctx context.Context, v CohortView) ([]string, error)
}

// NewService wires the core. The first track is the default for new cohorts.
func NewService(store Store, now func() time.Time, tracks ...*Track) *Service {
	s := &Service{store: store, tracks: map[string]*Track{}, now: now}
	for i, t := range tracks {
		if i == 0 {
			s.defaultTrack = t.ID
		}
		s.tracks[t.ID] = t
	}
	return s
}

// Now is the service's clock, shared with the scheduler and the adapters.
func (s *Service) Now() time.Time { return s.now() }

// Track returns a loaded track by id.
func (s *Service) Track(id string) (*Track, bool) {
	t, ok := s.tracks[id]
	return t, ok
}

// CohortView is a cohort with its track and calendar resolved.
type CohortView struct {
	*Cohort
	Track    *Track
	Calendar Calendar
}

// View resolves a stored cohort's track and calendar.
func (s *Service) View(c *Cohort) (CohortView, error) {
	t, ok := s.tracks[c.Track]
	if !ok {
		return CohortView{}, fmt.Errorf("cohort %d: track %q is not loaded", c.ID, c.Track)
	}
	loc, err := LoadZone(c.TZ)
	if err != nil {
		return CohortView{}, fmt.Errorf("cohort %d: %w", c.ID, err)
	}
	return CohortView{Cohort: c, Track: t, Calendar: Calendar{
		Start: c.Start, Loc: loc, PostAt: c.PostAt, Cadence: c.Cadence,
		Pauses: c.Pauses, Skips: c.Skips, Length: t.Len(),
	}}, nil
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

// Handle answers one command.
func (s *Service) Handle(ctx context.Context, req Request) (reply Reply, err error) {
	if s.Observer != nil {
		start := time.Now() // wall time, not the injected clock: this measures latency
		defer func() {
			name := req.Command
			if name == "cohort" && req.Sub != "" {
				name += " " + req.Sub
			}
			s.Observer.CommandDone(req.Channel.Platform, name, time.Since(start), err)
		}()
	}
	return s.handle(ctx, req)
}

func (s *Service) handle(ctx context.Context, req Request) (Reply, error) {
	switch req.Command {
	case "today":
		return s.today(ctx, req)
	case "done":
		return s.done(ctx, req)
	case "progress":
		return s.progress(ctx, req)
	case "leaderboard":
		return s.leaderboard(ctx, req)
	case "help", "":
		return s.help(req), nil
	case "cohort":
		return s.cohort(ctx, req)
	}
	return Reply{}, Errorf(EINVALID, "unknown command /%s: try /help", req.Command)
}

// args merges typed options over parsed text.
func args(req Request, strict bool, keys ...string) (Args, error) {
	var a Args
	var err error
	if strict {
		a, err = ParseOptions(req.Text, keys...)
	} else {
		a, err = ParseArgs(req.Text, keys...)
	}
	if err != nil {
		return a, err
	}
	for k, v := range req.Options {
		a.Named[k] = v
	}
	return a, nil
}

func (s *Service) today(ctx context.Context, req Request) (Reply, error) {
	v, err := s.cohortFor(ctx, req.Channel)
	if err != nil {
		return Reply{}, err
	}
	cal := v.Calendar
	today := cal.Today(s.now())
	pos := cal.At(today)
	switch pos.State {
	case Upcoming:
		first, _, _ := v.Track.Card(1)
		if pos.Next.IsZero() {
			return textReply(true, "“%s” is paused before its first day; an organizer resumes it with /cohort resume.", v.Name), nil
		}
		return textReply(true, "“%s” starts in %s, on %s: Day 1 — %s.", v.Name, plural(pos.Until, "day"), pos.Next.Human(), first.Topic), nil
	case Finished:
		end, _ := cal.EndDate()
		return textReply(true, "“%s” finished all %d days on %s. 🎉 See /progress for your record.", v.Name, v.Track.Len(), end.Human()), nil
	case Resting:
		cur, _, _ := v.Track.Card(pos.Day)
		next := "the cohort is paused until an organizer resumes it"
		if !pos.Next.IsZero() {
			nc, _, _ := v.Track.Card(pos.Day + 1)
			next = fmt.Sprintf("Day %d — %s comes on %s", pos.Day+1, nc.Topic, pos.Next.Human())
		}
		return textReply(true, "No new card today (%s). You are on Day %d — %s; %s. Catch up with /done DAY.", pos.Why, pos.Day, cur.Topic, next), nil
	}
	msgs := append([]Message{CardMessage(v.Track, pos.Day)}, CardThreadMessages(v.Track, pos.Day)...)
	return Reply{Ephemeral: true, Messages: msgs}, nil
}

// CheckInRequest is a check-in from a command, a button or a thread reply.
type CheckInRequest struct {
	Channel ChannelRef
	User    UserRef
	Day     int    // 0: the current day, or the day of Thread
	Thread  string // a reply in this thread checks in for the thread's day
	Source  Source
	Note    string
}

func (s *Service) done(ctx context.Context, req Request) (Reply, error) {
	a, err := args(req, false, "day", "note")
	if err != nil {
		return Reply{}, err
	}
	ci := CheckInRequest{Channel: req.Channel, Thread: req.Thread, User: req.User, Source: SourceCommand, Note: a.Get("note")}
	dayText := a.Get("day")
	rest := a.Positional
	if dayText == "" && len(rest) > 0 {
		if _, err := strconv.Atoi(rest[0]); err == nil || strings.TrimLeft(rest[0], "-+0123456789") == "" {
			dayText, rest = rest[0], rest[1:]
		}
	}
	if ci.Note == "" {
		ci.Note = strings.Join(rest, " ")
	}
	if dayText != "" {
		n, err := strconv.Atoi(dayText)
		if err != nil {
			return Reply{}, Errorf(EINVALID, "day must be a whole number, not %q", dayText)
		}
		if n == 0 {
			return Reply{}, Errorf(EINVALID, "day 0 does not exist: days start at 1")
		}
		ci.Day = n
	}
	return s.CheckIn(ctx, ci)
}

// CheckIn records a check-in and answers with the member's progress.
func (s *Service) CheckIn(ctx context.Context, req CheckInRequest) (Reply, error) {
	if n := utf8.RuneCountInString(req.Note); n > MaxNote {
		return Reply{}, Errorf(EINVALID, "the note is %d characters; keep it under %d", n, MaxNote)
	}
	v, err := s.cohortFor(ctx, req.Channel)
	if err != nil {
		return Reply{}, err
	}
	if req.Day == 0 && req.Thread != "" {
		day, err := s.store.DayOfThread(ctx, req.Channel, req.Thread)
		if ErrorCode(err) == ENOTFOUND && req.Source == SourceCommand {
			day = 0 // /done in some other thread: today, as in the channel
		} else if ErrorCode(err) == ENOTFOUND {
			return Reply{}, Errorf(ENOTFOUND, "this thread is not a day's thread")
		} else if err != nil {
			return Reply{}, fmt.Errorf("check in: thread %s: %w", req.Thread, err)
		}
		req.Day = day
	}
	now := s.now()
	cur := v.Calendar.CurrentDay(v.Calendar.Today(now))
	length := v.Track.Len()
	day := req.Day
	switch {
	case day == 0 && cur == 0:
		return Reply{}, Errorf(EINVALID, "“%s” has not started yet: there is nothing to check in", v.Name)
	case day == 0:
		day = cur
	case day < 1 || day > length:
		return Reply{}, Errorf(EINVALID, "day must be between 1 and %d, not %d", length, day)
	case day > cur:
		return Reply{}, Errorf(EINVALID, "Day %d has not been posted yet: today is day %d", day, cur)
	}
	m, err := s.store.EnsureMember(ctx, v.ID, req.User, now)
	if err != nil {
		return Reply{}, fmt.Errorf("check in: cohort %d: %w", v.ID, err)
	}
	c := &CheckIn{CohortID: v.ID, MemberID: m.ID, Day: day, Source: req.Source, Note: req.Note, At: now, OnTime: day == cur}
	if err := s.store.AddCheckIn(ctx, c); ErrorCode(err) == ECONFLICT {
		return Reply{}, Errorf(ECONFLICT, "You already checked in for day %d.", day)
	} else if err != nil {
		return Reply{}, fmt.Errorf("check in: cohort %d member %d day %d: %w", v.ID, m.ID, day, err)
	}
	if s.Observer != nil {
		s.Observer.CheckedIn(req.Channel.Platform, req.Source)
	}
	all, err := s.store.CheckIns(ctx, v.ID)
	if err != nil {
		return Reply{}, fmt.Errorf("check in: load check-ins: cohort %d: %w", v.ID, err)
	}
	p := ComputeProgress(memberCheckIns(all, m.ID), cur)
	card, _, _ := v.Track.Card(day)
	late := ""
	if !c.OnTime {
		late = " (late: it counts for completion, not for the streak)"
	}
	return textReply(true, "✅ Day %d — %s checked in%s. Completed %d/%d · streak %s (best %d).",
		day, card.Topic, late, p.Completed, length, plural(p.Streak, "day"), p.Best), nil
}

func memberCheckIns(all []CheckIn, memberID int64) []CheckIn {
	var out []CheckIn
	for _, c := range all {
		if c.MemberID == memberID {
			out = append(out, c)
		}
	}
	return out
}

// Standings computes the cohort's leaderboard now.
func (s *Service) Standings(ctx context.Context, v CohortView) ([]Standing, error) {
	return s.StandingsAt(ctx, v, s.now())
}

// StandingsAt computes the leaderboard as it stood at an instant, from the check-ins made
// by then: a board's movement is measured against the previous board without storing it.
func (s *Service) StandingsAt(ctx context.Context, v CohortView, at time.Time) ([]Standing, error) {
	members, all, err := s.roster(ctx, v)
	if err != nil {
		return nil, err
	}
	return standingsAt(v, members, all, at), nil
}

// roster loads a cohort's members and all their check-ins.
func (s *Service) roster(ctx context.Context, v CohortView) ([]Member, []CheckIn, error) {
	members, err := s.store.Members(ctx, v.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("members of cohort %d: %w", v.ID, err)
	}
	all, err := s.store.CheckIns(ctx, v.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("check-ins of cohort %d: %w", v.ID, err)
	}
	return members, all, nil
}

func standingsAt(v CohortView, members []Member, all []CheckIn, at time.Time) []Standing {
	byMember := map[int64][]CheckIn{}
	for _, c := range all {
		if !c.At.After(at) {
			byMember[c.MemberID] = append(byMember[c.MemberID], c)
		}
	}
	cur := v.Calendar.CurrentDay(v.Calendar.Today(at))
	out := make([]Standing, 0, len(members))
	for _, m := range members {
		if m.JoinedAt.After(at) {
			continue
		}
		p := ComputeProgress(byMember[m.ID], cur)
		out = append(out, Standing{MemberID: m.ID, UserID: m.User.ID, Name: m.User.Name, Completed: p.Completed, Streak: p.Streak, Best: p.Best, ReachedAt: p.ReachedAt})
	}
	RankStandings(out)
	return out
}

func (s *Service) progress(ctx context.Context, req Request) (Reply, error) {
	v, err := s.cohortFor(ctx, req.Channel)
	if err != nil {
		return Reply{}, err
	}
	members, all, err := s.roster(ctx, v)
	if err != nil {
		return Reply{}, fmt.Errorf("progress: %w", err)
	}
	now := s.now()
	cur := v.Calendar.CurrentDay(v.Calendar.Today(now))
	standings := standingsAt(v, members, all, now)
	var mine *Standing
	for i := range standings {
		if standings[i].UserID == req.User.ID {
			mine = &standings[i]
		}
	}
	if mine == nil {
		return textReply(true, "You have no check-ins in “%s” yet. Today is day %d of %d: /done checks you in.", v.Name, cur, v.Track.Len()), nil
	}
	p := ComputeProgress(memberCheckIns(all, mine.MemberID), cur)
	var missing []string
	for d := 1; d <= cur; d++ {
		if !p.Done[d] {
			missing = append(missing, strconv.Itoa(d))
		}
	}
	text := fmt.Sprintf("*%s* in “%s”: completed %d of %d days (today is day %d) · streak %s (best %d) · rank %d of %d.",
		req.User.Name, v.Name, p.Completed, v.Track.Len(), cur, plural(p.Streak, "day"), p.Best, mine.Rank, len(standings))
	if len(missing) > 0 {
		shown := missing
		if len(shown) > 10 {
			shown = append(shown[:10:10], "…")
		}
		text += fmt.Sprintf("\nNot done yet: days %s — catch up with /done DAY.", strings.Join(shown, ", "))
	}
	return textReply(true, "%s", text), nil
}

// LeaderboardTop is how many members a leaderboard lists.
const LeaderboardTop = 10

func (s *Service) leaderboard(ctx context.Context, req Request) (Reply, error) {
	v, err := s.cohortFor(ctx, req.Channel)
	if err != nil {
		return Reply{}, err
	}
	standings, err := s.Standings(ctx, v)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Ephemeral: true, Messages: []Message{LeaderboardMessage(v, standings, nil, LeaderboardTop, req.User.ID)}}, nil
}

func standingLine(st Standing) string {
	medal := map[int]string{1: "🥇", 2: "🥈", 3: "🥉"}[st.Rank]
	if medal == "" {
		medal = fmt.Sprintf("%d.", st.Rank)
	}
	return fmt.Sprintf("%s %s — %s done · 🔥 %s", medal, st.Name, plural(st.Completed, "day"), plural(st.Streak, "day"))
}

func (s *Service) help(req Request) Reply {
	text := `*Members*
/today — today's card
/done [day] [note] — check in for today, or catch up a past day (/done 12 read the docs)
/progress — your days, streak and rank
/leaderboard — the top 10 and your place
Reply in the day's thread or press ✅ Done on the card to check in too.`
	if req.Organizer {
		text += `

*Organizers*
/cohort setup start:YYYY-MM-DD time:HH:MM tz:Area/City [cadence:daily|weekdays] [name:"…"]
/cohort status — next post, projected end, members
/cohort pause [from:YYYY-MM-DD] [until:YYYY-MM-DD] · /cohort resume
/cohort skip date:YYYY-MM-DD
/cohort set time:HH:MM | tz:Area/City | cadence:daily|weekdays | name:"…" | start:YYYY-MM-DD
/cohort set leaderboard:"0 17 * * FRI"|off | recap:"0 18 * * SUN"|off | reminder:20:00|off
/cohort preview day:N
/cohort post today|leaderboard|recap
/cohort link code:XXXXXXXX — follow this cohort from another channel (code from /cohort status)`
	}
	return textReply(true, "%s", text)
}

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// sortDates keeps skips in calendar order for display and storage.
func sortDates(d []Date) {
	sort.Slice(d, func(i, j int) bool { return d[i].Before(d[j]) })
}
