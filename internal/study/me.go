package study

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxAway is how far ahead a member may say they are away.
const MaxAway = 21

// me is /me: a member's own settings — time zone and personal reminder — shown, or
// changed with tz: and remind:.
func (s *Service) me(ctx context.Context, cl *call) (Reply, error) {
	a, v := cl.args, cl.cohort
	if len(a.Positional) > 0 {
		return Reply{}, Errorf(EINVALID, "unexpected %q: /me tz:Area/City or /me remind:HH:MM|off", a.Positional[0])
	}
	now := s.now()
	var changes []string
	// Check everything before the member is added or anything is saved.
	var loc *time.Location
	if z := a.Get("tz"); z != "" {
		var err error
		if loc, err = LoadZone(z); err != nil {
			return Reply{}, err
		}
	}
	remind, remindSet := a.Named["remind"]
	var at *TimeOfDay
	if remindSet {
		r := strings.TrimSpace(remind)
		if !strings.EqualFold(r, "off") {
			t, err := ParseTimeOfDay(r)
			if err != nil {
				return Reply{}, err
			}
			at = &t
		}
	}
	m, err := s.store.EnsureMember(ctx, v.ID, cl.req.User, now)
	if err != nil {
		return Reply{}, fmt.Errorf("me: %w", err)
	}
	if loc == nil && !remindSet {
		return s.meShow(v, m, now), nil
	}
	if loc != nil {
		m.TZ = loc.String()
		changes = append(changes, fmt.Sprintf("your time zone is %s: cards come at %s your time", m.TZ, s.postTimeFor(v, m, now)))
	}
	if remindSet {
		m.RemindAt = at
		if at == nil {
			changes = append(changes, "no personal reminders")
		} else {
			changes = append(changes, fmt.Sprintf("a reminder at %s your time on days you have not checked in yet (/me remind:off stops it)", at))
		}
	}
	m.NextRemind = s.nextReminder(v, *m, now)
	if err := s.store.SaveMemberSettings(ctx, m); err != nil {
		return Reply{}, fmt.Errorf("me: %w", err)
	}
	s.changed()
	return textReply(true, "⚙️ In “%s”, %s.", v.Name, strings.Join(changes, "; ")), nil
}

func (s *Service) meShow(v CohortView, m *Member, now time.Time) Reply {
	zone := v.TZ + " (the cohort's) — set yours with /me tz:Area/City"
	if m.TZ != "" {
		zone = m.TZ
	}
	lines := []string{
		fmt.Sprintf("*%s* in “%s”", m.User.Name, v.Name),
		fmt.Sprintf("Time zone: %s · cards come at %s your time", zone, s.postTimeFor(v, m, now)),
	}
	if m.RemindAt != nil {
		lines = append(lines, fmt.Sprintf("Reminder: %s your time, on days you have not checked in yet — /me remind:off", m.RemindAt))
	} else {
		lines = append(lines, "Reminder: off — /me remind:20:00 sends you one on days you have not checked in yet")
	}
	if m.Away.Until.After(now) {
		lines = append(lines, fmt.Sprintf("Away: through %s — /away off", m.Away.LastDay.Human()))
	} else {
		lines = append(lines, fmt.Sprintf("Away: no — /away until:YYYY-MM-DD (up to %d days) keeps your streak while you are gone", MaxAway))
	}
	return textReply(true, "%s", strings.Join(lines, "\n"))
}

// postTimeFor is the cohort's post time on the member's clock, at the next card.
func (s *Service) postTimeFor(v CohortView, m *Member, now time.Time) string {
	at := LocalInstant(v.Calendar.Today(now), v.PostAt, v.Calendar.Loc)
	if _, next, ok := v.NextPost(now); ok {
		at = next
	}
	return at.In(s.clockFor(v, m).loc).Format("15:04")
}

// away is /away until:YYYY-MM-DD (through that date, in the member's zone) and /away off.
func (s *Service) away(ctx context.Context, cl *call) (Reply, error) {
	a, v := cl.args, cl.cohort
	text := a.Get("until")
	if text == "" && len(a.Positional) == 1 {
		text = a.Positional[0]
	}
	if text == "" {
		return Reply{}, Errorf(EINVALID, "until is missing: /away until:YYYY-MM-DD, or /away off when you are back")
	}
	now := s.now()
	if strings.EqualFold(text, "off") {
		m, err := s.member(ctx, v, cl.req.User)
		if err != nil {
			return Reply{}, err
		}
		if m == nil || !m.Away.Until.After(now) {
			return Reply{}, Errorf(EINVALID, "You are not away in “%s”.", v.Name)
		}
		m.Away.Until, m.Away.LastDay = now, s.clockFor(v, m).date(now)
		if err := s.store.SaveMemberSettings(ctx, m); err != nil {
			return Reply{}, fmt.Errorf("away: %w", err)
		}
		return textReply(true, "👋 Welcome back to “%s”: study days count for your streak again.", v.Name), nil
	}
	last, err := ParseDate(text)
	if err != nil {
		return Reply{}, err
	}
	m, err := s.member(ctx, v, cl.req.User)
	if err != nil {
		return Reply{}, err
	}
	clock := s.clockFor(v, m)
	today := clock.date(now)
	switch {
	case last.Before(today):
		return Reply{}, Errorf(EINVALID, "until %s is in the past (today is %s)", last, today)
	case last.Sub(today) > MaxAway:
		return Reply{}, Errorf(EINVALID, "until %s is more than %d days ahead: at most until %s", last, MaxAway, today.AddDays(MaxAway))
	}
	if m == nil {
		if m, err = s.store.EnsureMember(ctx, v.ID, cl.req.User, now); err != nil {
			return Reply{}, fmt.Errorf("away: %w", err)
		}
	}
	from := now
	if m.Away.Until.After(now) {
		from = m.Away.From // still away: the new date moves the end
	}
	m.Away = Away{From: from, Until: LocalInstant(last.AddDays(1), TimeOfDay{}, clock.loc), LastDay: last}
	if err := s.store.SaveMemberSettings(ctx, m); err != nil {
		return Reply{}, fmt.Errorf("away: %w", err)
	}
	return textReply(true, "🏝 Away through %s: study days until then neither break nor extend your streak, and no reminders reach you. /away off when you are back.", last.Human()), nil
}

// StopRemindersAction is the button under a personal reminder that turns them off.
func StopRemindersAction(memberID int64) Action {
	return Action{ID: actionRemindOff + ":" + strconv.FormatInt(memberID, 10), Label: "🔕 Stop reminders"}
}

// remindOff is a press of Stop reminders, only by the member it was sent to.
func (s *Service) remindOff(ctx context.Context, req Request, memberID int64) (Reply, error) {
	m, err := s.store.Member(ctx, memberID)
	if ErrorCode(err) == ENOTFOUND {
		return Reply{}, Errorf(EINVALID, "This button is no longer in use.")
	} else if err != nil {
		return Reply{}, fmt.Errorf("stop reminders: %w", err)
	}
	if m.User.Platform != req.User.Platform || m.User.ID != req.User.ID {
		return Reply{}, Errorf(EFORBIDDEN, "Those reminders are someone else's.")
	}
	c, err := s.store.Cohort(ctx, m.CohortID)
	if err != nil {
		return Reply{}, fmt.Errorf("stop reminders: %w", err)
	}
	m.RemindAt, m.NextRemind = nil, time.Time{}
	if err := s.store.SaveMemberSettings(ctx, m); err != nil {
		return Reply{}, fmt.Errorf("stop reminders: %w", err)
	}
	return textReply(true, "🔕 No more reminders from “%s”. /me remind:20:00 there turns them back on.", c.Name), nil
}

// nextReminder is when m's personal reminder is next due after now (zero: off, or the
// course is over).
func (s *Service) nextReminder(v CohortView, m Member, now time.Time) time.Time {
	if m.RemindAt == nil {
		return time.Time{}
	}
	if end, ok := v.WindowEnd(v.Track.Len()); ok && !now.Before(end) && v.DayAt(now) == v.Track.Len() {
		return time.Time{}
	}
	loc := s.clockFor(v, &m).loc
	d := DateOf(now, loc)
	at := LocalInstant(d, *m.RemindAt, loc)
	if !at.After(now) {
		at = LocalInstant(d.AddDays(1), *m.RemindAt, loc)
	}
	return at
}

// staleReminder is how late a reminder may still go out (the bot was down at its time).
const staleReminder = time.Hour

// planReminder decides one member's due reminder: one direct message per card, at their
// time after the card is out, while the day is still open, if they have not checked in
// and are not away; and when the next is due.
func (s *Service) planReminder(r DueReminder, now time.Time) (*NewPost, time.Time) {
	m := r.Member
	v, err := s.View(&r.Cohort)
	if err != nil {
		s.log.Warn("reminder of a cohort that cannot be read", "member", m.ID, "err", err)
		return nil, time.Time{}
	}
	next := s.nextReminder(v, m, now)
	t := m.NextRemind
	if m.RemindAt == nil {
		return nil, next
	}
	// The instant was planned on the zone the member had then. A member without a zone
	// of their own follows the cohort's, which an organizer may have changed since: a due
	// instant that is no longer their time is only planned again, never sent.
	loc := s.clockFor(v, &m).loc
	if !t.Equal(LocalInstant(DateOf(t, loc), *m.RemindAt, loc)) {
		return nil, next
	}
	n := v.DayAt(t)
	if n < 1 || now.Sub(t) > staleReminder || r.Channel.ID == 0 {
		return nil, next
	}
	posted, ok := v.PostedAt(n)
	if !ok || !posted.After(t.Add(-24*time.Hour)) || !v.OnTime(n, now) || m.Progress.Done(n) || m.Away.At(now) {
		return nil, next
	}
	end, _ := v.WindowEnd(n)
	if end.IsZero() {
		end = now.Add(24 * time.Hour)
	}
	return &NewPost{CohortID: v.ID, ChannelID: r.Channel.ID, MemberID: m.ID, Kind: KindNudge,
		Period: fmt.Sprintf("m%d-d%d", m.ID, n), Day: n, DueAt: now, ExpiresAt: end}, next
}

// DueReminder is a member whose reminder is due, with their cohort and the cohort's
// channel on their platform (ID 0: none, so no reminder can go).
type DueReminder struct {
	Member  Member
	Cohort  Cohort
	Channel BoundChannel
}
