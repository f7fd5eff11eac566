package study

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"unicode/utf8"
)

const maxName = 80

func (s *Service) setup(ctx context.Context, cl *call) (Reply, error) {
	a, req := cl.args, cl.req
	if len(a.Positional) > 0 {
		return Reply{}, Errorf(EINVALID, "unexpected %q: write options as key:value, like start:2026-03-02", a.Positional[0])
	}
	for _, k := range []string{"start", "time", "tz"} {
		if a.Get(k) == "" {
			return Reply{}, Errorf(EINVALID, "%s is missing: /cohort setup start:YYYY-MM-DD time:HH:MM tz:Area/City", k)
		}
	}
	c := &Cohort{Name: a.Get("name"), Track: s.defaultTrack, Cadence: Daily, CreatedAt: s.now(),
		LeaderboardCron: DefaultLeaderboardCron, RecapCron: DefaultRecapCron, LinkCode: newLinkCode(),
		Grace: DefaultGrace, MaxFreezes: DefaultMaxFreezes}
	var err error
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
	if err := checkStart(c.Start, DateOf(s.now(), loc)); err != nil {
		return Reply{}, err
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
	s.changed()
	v, err := s.View(c)
	if err != nil {
		return Reply{}, err
	}
	end, _ := v.Calendar.EndDate()
	return textReply(false, "📚 “%s” is set up: %d days of %s from %s, posted at %s %s (%s). Projected end: %s. Members: /today, /done, /progress, /leaderboard.",
		c.Name, v.Track.Len(), v.Track.Title, c.Start.Human(), c.PostAt, c.TZ, c.Cadence, end.Human()), nil
}

// maxReach is how far from today, in days, an organizer's dates may be: a start, the ends
// of a pause.
const maxReach = 366

// checkStart refuses a start more than a year from today.
func checkStart(start, today Date) error {
	if today.Sub(start) > maxReach || start.Sub(today) > maxReach {
		return Errorf(EINVALID, "start %s is more than a year from today (%s)", start, today)
	}
	return nil
}

func checkName(n string) error {
	if strings.TrimSpace(n) == "" {
		return Errorf(EINVALID, "the name is empty")
	}
	// The name is quoted in replies and refusals, which are one line each.
	if strings.ContainsFunc(n, breaksLine) {
		return Errorf(EINVALID, "the name must be one line of text, without line breaks or tabs")
	}
	if l := utf8.RuneCountInString(n); l > maxName {
		return Errorf(EINVALID, "the name is %d characters; keep it under %d", l, maxName)
	}
	return nil
}

// newLinkCode is a short random code an organizer copies to another channel.
func newLinkCode() string {
	b := make([]byte, 5)
	rand.Read(b)
	return strings.ToUpper(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// link binds the channel it is typed in to the cohort whose status showed the code: one
// curriculum, one leaderboard, cards posted to both channels.
func (s *Service) link(ctx context.Context, cl *call) (Reply, error) {
	a, req := cl.args, cl.req
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
	s.changed()
	return textReply(false, "🔗 This channel now follows “%s”: same days, same leaderboard; cards are posted here too.", c.Name), nil
}
