package study

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const maxName = 80

func (s *Service) cohort(ctx context.Context, req Request) (Reply, error) {
	sub := req.Sub
	known := map[string]bool{"setup": true, "status": true, "pause": true, "resume": true, "skip": true, "set": true, "preview": true, "post": true, "link": true}
	if sub == "" || sub == "help" {
		return s.help(Request{Organizer: true}), nil
	}
	if !known[sub] {
		return Reply{}, Errorf(EINVALID, "unknown /cohort command %q: use setup, status, pause, resume, skip, set, preview, post or link", sub)
	}
	if !req.Organizer {
		return Reply{}, Errorf(EFORBIDDEN, "Only organizers can use /cohort %s.", sub)
	}
	switch sub {
	case "setup":
		return s.setup(ctx, req)
	case "link":
		return s.link(ctx, req)
	}
	v, err := s.cohortFor(ctx, req.Channel)
	if err != nil {
		return Reply{}, err
	}
	switch sub {
	case "status":
		return s.status(ctx, v)
	case "pause":
		return s.pause(ctx, req, v)
	case "resume":
		return s.resume(ctx, v)
	case "skip":
		return s.skip(ctx, req, v)
	case "set":
		return s.set(ctx, req, v)
	case "post":
		return s.postNow(ctx, req, v)
	default: // preview
		return s.preview(req, v)
	}
}

func (s *Service) setup(ctx context.Context, req Request) (Reply, error) {
	a, err := args(req, true, "start", "time", "tz", "cadence", "name", "track")
	if err != nil {
		return Reply{}, err
	}
	if len(a.Positional) > 0 {
		return Reply{}, Errorf(EINVALID, "unexpected %q: write options as key:value, like start:2026-03-02", a.Positional[0])
	}
	for _, k := range []string{"start", "time", "tz"} {
		if a.Get(k) == "" {
			return Reply{}, Errorf(EINVALID, "%s is missing: /cohort setup start:YYYY-MM-DD time:HH:MM tz:Area/City", k)
		}
	}
	c := &Cohort{Name: a.Get("name"), Track: s.defaultTrack, Cadence: Daily, CreatedAt: s.now(),
		LeaderboardCron: DefaultLeaderboardCron, RecapCron: DefaultRecapCron, LinkCode: newLinkCode()}
	if c.Start, err = ParseDate(a.Get("start")); err != nil {
		return Reply{}, err
	}
	if c.PostAt, err = ParseTimeOfDay(a.Get("time")); err != nil {
		return Reply{}, err
	}
	loc, err := LoadZone(a.Get("tz"))
	if err != nil {
		return Reply{}, err
	}
	c.TZ = loc.String()
	if v := a.Get("cadence"); v != "" {
		if c.Cadence, err = ParseCadence(v); err != nil {
			return Reply{}, err
		}
	}
	if t := a.Get("track"); t != "" {
		if _, ok := s.tracks[t]; !ok {
			return Reply{}, Errorf(EINVALID, "unknown track %q", t)
		}
		c.Track = t
	}
	if c.Name == "" {
		c.Name = s.tracks[c.Track].Title + " cohort"
	}
	if err := checkName(c.Name); err != nil {
		return Reply{}, err
	}
	if today := DateOf(s.now(), loc); today.Sub(c.Start) > 366 || c.Start.Sub(today) > 366 {
		return Reply{}, Errorf(EINVALID, "start %s is more than a year from today (%s)", c.Start, today)
	}
	if existing, err := s.store.CohortByChannel(ctx, req.Channel); err == nil {
		return Reply{}, Errorf(ECONFLICT, "This channel already runs “%s”; change it with /cohort set.", existing.Name)
	} else if ErrorCode(err) != ENOTFOUND {
		return Reply{}, fmt.Errorf("setup: %w", err)
	}
	if err := s.store.CreateCohort(ctx, c, req.Channel); ErrorCode(err) == ECONFLICT {
		return Reply{}, Errorf(ECONFLICT, "This channel already has a cohort; change it with /cohort set.")
	} else if err != nil {
		return Reply{}, fmt.Errorf("setup: %w", err)
	}
	v, err := s.View(c)
	if err != nil {
		return Reply{}, err
	}
	end, _ := v.Calendar.EndDate()
	return textReply(false, "📚 “%s” is set up: %d days of %s from %s, posted at %s %s (%s). Projected end: %s. Members: /today, /done, /progress, /leaderboard.",
		c.Name, v.Track.Len(), v.Track.Title, c.Start.Human(), c.PostAt, c.TZ, c.Cadence, end.Human()), nil
}

func checkName(n string) error {
	if strings.TrimSpace(n) == "" {
		return Errorf(EINVALID, "the name is empty")
	}
	if l := utf8.RuneCountInString(n); l > maxName {
		return Errorf(EINVALID, "the name is %d characters; keep it under %d", l, maxName)
	}
	return nil
}

// Status is what /cohort status shows; the scheduler adds delivery facts through
// StatusExtras so the core does not depend on it.
func (s *Service) status(ctx context.Context, v CohortView) (Reply, error) {
	now := s.now()
	cal := v.Calendar
	today := cal.Today(now)
	pos := cal.At(today)
	members, err := s.store.Members(ctx, v.ID)
	if err != nil {
		return Reply{}, fmt.Errorf("status: cohort %d: %w", v.ID, err)
	}
	lines := []string{
		fmt.Sprintf("Track: %s · starts %s · %s %s · %s", v.Track.Title, v.Start, v.PostAt, v.TZ, v.Cadence),
	}
	switch pos.State {
	case Upcoming:
		lines = append(lines, fmt.Sprintf("Today (%s): starts in %s", today, plural(pos.Until, "day")))
	case Studying, Resting:
		c, p, _ := v.Track.Card(pos.Day)
		state := ""
		if pos.State == Resting {
			state = " (no card today: " + pos.Why + ")"
		}
		lines = append(lines, fmt.Sprintf("Today (%s): Day %d/%d — Phase %d: %s · %s%s", today, pos.Day, v.Track.Len(), p.Number, p.Title, c.Topic, state))
	case Finished:
		lines = append(lines, fmt.Sprintf("Today (%s): finished", today))
	}
	if day, at, ok := cal.NextPost(now); ok {
		lines = append(lines, fmt.Sprintf("Next post: Day %d at %s (%s UTC)", day, at.In(cal.Loc).Format("Mon 2 Jan 2006 15:04 MST"), at.UTC().Format("2006-01-02 15:04")))
	} else if pos.State != Finished {
		lines = append(lines, "Next post: none scheduled (paused until /cohort resume)")
	}
	if end, ok := cal.EndDate(); ok {
		lines = append(lines, "Projected end: "+end.Human())
	} else {
		lines = append(lines, "Projected end: unknown while paused open-ended")
	}
	lines = append(lines, fmt.Sprintf("Members: %d", len(members)))
	if v.LinkCode != "" {
		lines = append(lines, "Post to another channel too (Discord or Slack): run /cohort link code:"+v.LinkCode+" there")
	}
	if len(v.Pauses) > 0 {
		var ps []string
		for _, p := range v.Pauses {
			ps = append(ps, p.String())
		}
		lines = append(lines, "Pauses: "+strings.Join(ps, ", "))
	}
	if len(v.Skips) > 0 {
		var ss []string
		for _, d := range v.Skips {
			ss = append(ss, d.String())
		}
		lines = append(lines, "Skipped: "+strings.Join(ss, ", "))
	}
	if s.StatusExtras != nil {
		extra, err := s.StatusExtras(ctx, v)
		if err != nil {
			return Reply{}, fmt.Errorf("status: cohort %d: %w", v.ID, err)
		}
		lines = append(lines, extra...)
	}
	return Reply{Ephemeral: true, Messages: []Message{{Title: "📋 " + v.Name, Sections: []Section{{Text: strings.Join(lines, "\n")}}}}}, nil
}

func (s *Service) pause(ctx context.Context, req Request, v CohortView) (Reply, error) {
	a, err := args(req, true, "from", "until")
	if err != nil {
		return Reply{}, err
	}
	today := v.Calendar.Today(s.now())
	r := DateRange{From: today}
	if f := a.Get("from"); f != "" {
		if r.From, err = ParseDate(f); err != nil {
			return Reply{}, err
		}
	}
	if u := a.Get("until"); u != "" {
		if r.Until, err = ParseDate(u); err != nil {
			return Reply{}, err
		}
	}
	if r.From.Before(today) {
		return Reply{}, Errorf(EINVALID, "from %s is in the past (today is %s): past days keep their numbers", r.From, today)
	}
	if !r.Until.IsZero() && r.Until.Before(r.From) {
		return Reply{}, Errorf(EINVALID, "until %s is before from %s", r.Until, r.From)
	}
	for _, p := range v.Pauses {
		if p.Until.IsZero() {
			return Reply{}, Errorf(ECONFLICT, "already paused from %s until resumed; /cohort resume first", p.From)
		}
	}
	next := *v.Cohort
	next.Pauses = append(append([]DateRange(nil), v.Pauses...), r)
	nv, err := s.save(ctx, v, next)
	if err != nil {
		return Reply{}, err
	}
	if r.Until.IsZero() {
		return textReply(false, "⏸ “%s” is paused from %s until /cohort resume. No cards, and streaks are kept.", v.Name, r.From.Human()), nil
	}
	end, _ := nv.Calendar.EndDate()
	return textReply(false, "⏸ “%s” is paused %s. Streaks are kept; the projected end moves to %s.", v.Name, r, end.Human()), nil
}

func (s *Service) resume(ctx context.Context, v CohortView) (Reply, error) {
	today := v.Calendar.Today(s.now())
	next := *v.Cohort
	next.Pauses = nil
	resumed := false
	for _, p := range v.Pauses {
		if p.Until.IsZero() || p.Contains(today) {
			resumed = true
			if p.From.Before(today) {
				next.Pauses = append(next.Pauses, DateRange{From: p.From, Until: today.AddDays(-1)})
			}
			continue
		}
		next.Pauses = append(next.Pauses, p)
	}
	if !resumed {
		return Reply{}, Errorf(EINVALID, "“%s” is not paused today", v.Name)
	}
	nv, err := s.save(ctx, v, next)
	if err != nil {
		return Reply{}, err
	}
	end, _ := nv.Calendar.EndDate()
	return textReply(false, "▶️ “%s” is back on. Projected end: %s.", v.Name, end.Human()), nil
}

func (s *Service) skip(ctx context.Context, req Request, v CohortView) (Reply, error) {
	a, err := args(req, true, "date")
	if err != nil {
		return Reply{}, err
	}
	text := a.Get("date")
	if text == "" && len(a.Positional) == 1 {
		text = a.Positional[0]
	}
	if text == "" {
		return Reply{}, Errorf(EINVALID, "date is missing: /cohort skip date:YYYY-MM-DD")
	}
	d, err := ParseDate(text)
	if err != nil {
		return Reply{}, err
	}
	today := v.Calendar.Today(s.now())
	if d.Before(today) {
		return Reply{}, Errorf(EINVALID, "%s is in the past (today is %s)", d, today)
	}
	if why := v.Calendar.RestReason(d); why != "" {
		return Reply{}, Errorf(ECONFLICT, "%s is already not a study day (%s)", d, why)
	}
	if end, ok := v.Calendar.EndDate(); ok && d.After(end) {
		return Reply{}, Errorf(EINVALID, "%s is after the course ends (%s)", d, end)
	}
	next := *v.Cohort
	next.Skips = append(append([]Date(nil), v.Skips...), d)
	sortDates(next.Skips)
	nv, err := s.save(ctx, v, next)
	if err != nil {
		return Reply{}, err
	}
	end, _ := nv.Calendar.EndDate()
	return textReply(false, "⏭ %s is skipped: no card that day. Projected end: %s.", d.Human(), end.Human()), nil
}

func (s *Service) set(ctx context.Context, req Request, v CohortView) (Reply, error) {
	a, err := args(req, true, "time", "tz", "cadence", "name", "start", "leaderboard", "recap", "reminder")
	if err != nil {
		return Reply{}, err
	}
	if len(a.Positional) > 0 {
		k, _, _ := strings.Cut(a.Positional[0], ":")
		return Reply{}, Errorf(EINVALID, "unknown setting %q: use time, tz, cadence, name, start, leaderboard, recap or reminder", k)
	}
	if len(a.Named) == 0 {
		return Reply{}, Errorf(EINVALID, "nothing to set: /cohort set time:HH:MM | tz:Area/City | cadence:daily|weekdays | name:\"…\" | start:YYYY-MM-DD | leaderboard:\"0 17 * * FRI\"|off | recap:\"…\"|off | reminder:HH:MM|off")
	}
	next := *v.Cohort
	var changed []string
	if t := a.Get("time"); t != "" {
		if next.PostAt, err = ParseTimeOfDay(t); err != nil {
			return Reply{}, err
		}
		changed = append(changed, "time "+next.PostAt.String())
	}
	if z := a.Get("tz"); z != "" {
		loc, err := LoadZone(z)
		if err != nil {
			return Reply{}, err
		}
		next.TZ = loc.String()
		changed = append(changed, "time zone "+next.TZ)
	}
	if c := a.Get("cadence"); c != "" {
		if next.Cadence, err = ParseCadence(c); err != nil {
			return Reply{}, err
		}
		changed = append(changed, "cadence "+string(next.Cadence))
	}
	if _, ok := a.Named["name"]; ok {
		if err := checkName(a.Named["name"]); err != nil {
			return Reply{}, err
		}
		next.Name = strings.TrimSpace(a.Named["name"])
		changed = append(changed, "name “"+next.Name+"”")
	}
	if st := a.Get("start"); st != "" {
		if next.Start, err = ParseDate(st); err != nil {
			return Reply{}, err
		}
		changed = append(changed, "start "+next.Start.String())
	}
	for _, k := range []string{"leaderboard", "recap"} {
		spec, ok := a.Named[k]
		if !ok {
			continue
		}
		spec = strings.TrimSpace(spec)
		if strings.EqualFold(spec, "off") {
			spec = ""
		} else if spec == "" {
			return Reply{}, Errorf(EINVALID, "%s needs a schedule like \"0 17 * * FRI\", or off", k)
		} else if s.CheckCron != nil {
			if err := s.CheckCron(spec); err != nil {
				return Reply{}, err
			}
		}
		if k == "leaderboard" {
			next.LeaderboardCron = spec
		} else {
			next.RecapCron = spec
		}
		changed = append(changed, k+" "+orOff(spec))
	}
	if r, ok := a.Named["reminder"]; ok {
		r = strings.TrimSpace(r)
		if strings.EqualFold(r, "off") {
			next.ReminderAt = ""
		} else {
			t, err := ParseTimeOfDay(r)
			if err != nil {
				return Reply{}, err
			}
			next.ReminderAt = t.String()
		}
		changed = append(changed, "reminder "+orOff(next.ReminderAt))
	}
	nv, err := s.save(ctx, v, next)
	if err != nil {
		return Reply{}, err
	}
	end, _ := nv.Calendar.EndDate()
	return textReply(false, "⚙️ “%s”: %s. Projected end: %s.", nv.Name, strings.Join(changed, ", "), end.Human()), nil
}

// save stores a changed cohort after checking that the change moves no day that members
// have already been given: a posted day keeps its date, so check-ins keep their meaning.
func (s *Service) save(ctx context.Context, before CohortView, after Cohort) (CohortView, error) {
	nv, err := s.View(&after)
	if err != nil {
		return CohortView{}, err
	}
	posted := postedDays(before.Calendar, s.now())
	for n := 1; n <= posted; n++ {
		was, _ := before.Calendar.DateOfDay(n)
		will, ok := nv.Calendar.DateOfDay(n)
		if !ok || was != will {
			return CohortView{}, Errorf(EINVALID, "that change would move day %d, already posted on %s; pause or skip future days instead", n, was)
		}
	}
	if err := s.store.UpdateCohort(ctx, &after); err != nil {
		return CohortView{}, fmt.Errorf("save cohort %d: %w", after.ID, err)
	}
	return nv, nil
}

// postedDays is how many days' cards are due by now.
func postedDays(cal Calendar, now time.Time) int {
	if day, _, ok := cal.NextPost(now.Add(time.Nanosecond)); ok {
		return day - 1
	}
	return cal.CurrentDay(cal.Today(now))
}

func (s *Service) preview(req Request, v CohortView) (Reply, error) {
	a, err := args(req, true, "day")
	if err != nil {
		return Reply{}, err
	}
	text := a.Get("day")
	if text == "" && len(a.Positional) == 1 {
		text = a.Positional[0]
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return Reply{}, Errorf(EINVALID, "day must be a whole number: /cohort preview day:N")
	}
	if n < 1 || n > v.Track.Len() {
		return Reply{}, Errorf(EINVALID, "day must be between 1 and %d, not %d", v.Track.Len(), n)
	}
	msgs := []Message{CardMessage(v.Track, n)}
	msgs = append(msgs, CardThreadMessages(v.Track, n)...)
	return Reply{Ephemeral: true, Messages: msgs}, nil
}

func orOff(s string) string {
	if s == "" {
		return "off"
	}
	return s
}

func (s *Service) postNow(ctx context.Context, req Request, v CohortView) (Reply, error) {
	a, err := args(req, true, "kind")
	if err != nil {
		return Reply{}, err
	}
	kind := a.Get("kind")
	if kind == "" && len(a.Positional) == 1 {
		kind = a.Positional[0]
	}
	kinds := map[string]string{"today": KindDay, "leaderboard": KindLeaderboard, "recap": KindRecap}
	k, ok := kinds[strings.ToLower(kind)]
	if !ok {
		return Reply{}, Errorf(EINVALID, "post what? /cohort post today|leaderboard|recap")
	}
	if s.Publisher == nil {
		return Reply{}, Errorf(EINVALID, "posting is not available in this mode")
	}
	msg, err := s.Publisher.PublishNow(ctx, v.ID, k)
	if err != nil {
		return Reply{}, err
	}
	return textReply(true, "%s", msg), nil
}

// newLinkCode is a short random code an organizer copies to another channel.
func newLinkCode() string {
	b := make([]byte, 5)
	rand.Read(b)
	return strings.ToUpper(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// link binds the channel it is typed in to the cohort whose status showed the code: one
// curriculum, one leaderboard, cards posted to both channels.
func (s *Service) link(ctx context.Context, req Request) (Reply, error) {
	a, err := args(req, true, "code")
	if err != nil {
		return Reply{}, err
	}
	code := strings.ToUpper(a.Get("code"))
	if code == "" && len(a.Positional) == 1 {
		code = strings.ToUpper(a.Positional[0])
	}
	if code == "" {
		return Reply{}, Errorf(EINVALID, "code is missing: /cohort link code:XXXXXXXX (shown by /cohort status in the cohort's channel)")
	}
	if existing, err := s.store.CohortByChannel(ctx, req.Channel); err == nil {
		return Reply{}, Errorf(ECONFLICT, "This channel already runs “%s”.", existing.Name)
	} else if ErrorCode(err) != ENOTFOUND {
		return Reply{}, fmt.Errorf("link: %w", err)
	}
	c, err := s.store.CohortByLinkCode(ctx, code)
	if ErrorCode(err) == ENOTFOUND {
		return Reply{}, Errorf(ENOTFOUND, "no cohort has link code %s: copy it from /cohort status", code)
	} else if err != nil {
		return Reply{}, fmt.Errorf("link: %w", err)
	}
	if err := s.store.BindChannel(ctx, c.ID, req.Channel); ErrorCode(err) == ECONFLICT {
		return Reply{}, Errorf(ECONFLICT, "This channel already has a cohort.")
	} else if err != nil {
		return Reply{}, fmt.Errorf("link cohort %d: %w", c.ID, err)
	}
	return textReply(false, "🔗 This channel now follows “%s”: same days, same leaderboard; cards are posted here too.", c.Name), nil
}
