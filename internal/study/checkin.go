package study

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNote is the longest note a check-in may carry.
const MaxNote = 500

// CheckInRequest is a check-in from a command, a button or a thread reply.
type CheckInRequest struct {
	Channel ChannelRef
	User    UserRef
	Day     int    // 0: the current day, or the day of Thread
	Thread  string // a reply in this thread checks in for the thread's day
	Source  Source
	Note    string
	At      time.Time // when the member checked in (zero: now); see Request.At
	Key     string    // the request's key; see Request.Key
}

// clipNote keeps a thread reply's text within a note's length: a long reply still counts.
func clipNote(text string) string {
	note := strings.TrimSpace(text)
	if utf8.RuneCountInString(note) > MaxNote {
		note = string([]rune(note)[:MaxNote-1]) + "…"
	}
	return note
}

func (s *Service) done(ctx context.Context, c *call) (Reply, error) {
	a, req := c.args, c.req
	ci := CheckInRequest{Channel: req.Channel, Thread: req.Thread, User: req.User, Source: SourceCommand, Note: a.Get("note"), At: req.At, Key: req.Key}
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

// CheckIn records a check-in and answers with the member's progress. A thread reply is
// answered with a ✅ on the reply instead, also when the member had already checked in.
func (s *Service) CheckIn(ctx context.Context, req CheckInRequest) (Reply, error) {
	r, err := s.checkIn(ctx, req)
	if req.Source == SourceReply {
		// ECONFLICT from a check-in can only mean the day is done already.
		if err == nil || ErrorCode(err) == ECONFLICT {
			return Reply{React: CheckMark}, nil
		}
	}
	return r, err
}

func (s *Service) checkIn(ctx context.Context, req CheckInRequest) (Reply, error) {
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
	now := req.At
	if now.IsZero() {
		now = s.now()
	}
	cur := v.DayAt(now)
	length := v.Track.Len()
	day := req.Day
	switch {
	case day == 0 && cur == 0:
		return Reply{}, s.notStarted(ctx, v, req.User, now)
	case day == 0:
		day = cur
	case day < 1 || day > length:
		return Reply{}, Errorf(EINVALID, "day must be between 1 and %d, not %d", length, day)
	case day > cur:
		if cur == 0 {
			return Reply{}, s.notStarted(ctx, v, req.User, now)
		}
		return Reply{}, Errorf(EINVALID, "Day %d has not been posted yet: today is day %d", day, cur)
	}
	onTime := v.OnTime(day, now)
	m, added, err := s.store.CheckIn(ctx, CheckInWrite{CohortID: v.ID, User: req.User, Day: day, Source: req.Source,
		Note: req.Note, At: now, OnTime: onTime, Length: length, Request: req.Key})
	if err != nil {
		return Reply{}, fmt.Errorf("check in: cohort %d day %d: %w", v.ID, day, err)
	}
	if !added {
		return Reply{}, Errorf(ECONFLICT, "You already checked in for day %d.", day)
	}
	s.obs.CheckedIn(req.Channel.Platform, req.Source)
	p := m.Progress
	card, _, _ := v.Track.Card(day)
	late := ""
	if !onTime {
		late = " (late: it counts for completion, not for the streak)"
	}
	text := fmt.Sprintf("✅ Day %d — %s checked in%s. Completed %d/%d · streak %s (best %d).",
		day, card.Topic, late, p.Completed, length, plural(p.Streak, "day"), p.Best)
	// The day before may still be open (its grace): say so while it counts.
	if prev := day - 1; prev >= 1 && day == cur && !p.Done(prev) && v.OnTime(prev, now) {
		end, _ := v.WindowEnd(prev)
		text += fmt.Sprintf("\nDay %d is still open until %s: /done %d counts it on time.", prev, s.clockFor(v, &m).format(end), prev)
	}
	return textReply(true, "%s", text), nil
}

// notStarted is the refusal of a check-in before day 1's card is out, saying when it
// comes on the member's clock.
func (s *Service) notStarted(ctx context.Context, v CohortView, u UserRef, now time.Time) error {
	if at, ok := v.PostedAt(1); ok && at.After(now) {
		m, _ := s.member(ctx, v, u) // only the zone: a failed read falls back to the cohort's
		return Errorf(EINVALID, "“%s” has not started yet: Day 1's card comes %s", v.Name, s.clockFor(v, m).when(at, now))
	}
	return Errorf(EINVALID, "“%s” has not started yet: there is nothing to check in", v.Name)
}
