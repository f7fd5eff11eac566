package study

import (
	"strconv"
	"strings"
	"time"
)

// CronParser reads a leaderboard or recap schedule; internal/schedule implements it with
// robfig/cron's five-field syntax.
type CronParser interface {
	Parse(spec string) (CronSchedule, error)
}

// CronSchedule gives a schedule's next firing after an instant (zero: never).
type CronSchedule interface {
	Next(time.Time) time.Time
}

// checkCron validates a leaderboard or recap schedule: it must parse and must not fire
// more often than hourly (a channel is not a log).
func (s *Service) checkCron(spec string) error {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return Errorf(EINVALID, "%q names a time zone: schedules run in the cohort's (/cohort set tz:Area/City), so leave TZ= out", spec)
	}
	sched, err := s.cron.Parse(spec)
	if err != nil {
		return Errorf(EINVALID, "%q is not a schedule: use cron syntax like \"0 17 * * FRI\" (minute hour day month weekday)", spec)
	}
	// Two weeks of firings show any gap shorter than an hour.
	t := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	prev := sched.Next(t)
	if prev.IsZero() {
		// A date that never comes ("0 17 30 2 *"): the schedule would never post.
		return Errorf(EINVALID, "%q never comes round: pick days that exist, like \"0 17 * * FRI\"", spec)
	}
	for i := 0; i < 400 && !prev.IsZero(); i++ {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		if next.Sub(prev) < time.Hour {
			return Errorf(EINVALID, "%q posts more often than hourly; pick a schedule at most once an hour", spec)
		}
		prev = next
	}
	return nil
}

// slot is one post a cohort owes at an instant.
type slot struct {
	kind   PostKind
	period string
	day    int
	due    time.Time
}

// Plan decides a due cohort's posts up to now and when it is next due. Each post is keyed
// by (channel, kind, period), so planning the same slot twice — two processes, a restart
// — posts it once.
func (s *Service) Plan(dc DueCohort, now time.Time) (Plan, error) {
	v, err := s.View(&dc.Cohort)
	if err != nil {
		return Plan{}, err
	}
	cal := v.Calendar
	// The day's own posts are keyed by day or date, so after a settings change it is safe
	// to look again from the start of the local day: a card already posted keeps its row,
	// and a card whose new time has just passed still goes out today.
	dailyFrom := dc.ScheduledThrough
	startOfToday := LocalInstant(cal.Today(now), TimeOfDay{}, cal.Loc).Add(-time.Nanosecond)
	if dailyFrom.IsZero() || dc.Recompute || dailyFrom.After(now) {
		dailyFrom = startOfToday
	}
	// Periodic posts are keyed by their slot, so they never look back past the last plan.
	cronFrom := dc.ScheduledThrough
	if cronFrom.IsZero() || cronFrom.After(now) {
		cronFrom = now
	}

	var slots []slot
	slots = append(slots, dailySlots(v, dailyFrom, now)...)
	slots = append(slots, reminderSlots(v, dailyFrom, now)...)
	for _, c := range []struct {
		kind PostKind
		spec string
	}{{KindLeaderboard, v.LeaderboardCron}, {KindRecap, v.RecapCron}} {
		got, err := s.cronSlots(v, c.kind, c.spec, cronFrom, now)
		if err != nil {
			s.log.Warn("bad schedule", "cohort", v.ID, "kind", c.kind, "err", err)
			continue
		}
		slots = append(slots, got...)
	}

	p := Plan{NextDue: s.nextDue(v, now)}
	today := cal.Today(now)
	for _, sl := range slots {
		status, reason := PostPending, ""
		if DateOf(sl.due, cal.Loc) != today {
			// Missed while the bot was down, and that local day is over: not sent late.
			status, reason = PostSkipped, NoteMissedDown
			s.log.Warn("post skipped", "cohort", v.ID, "kind", sl.kind, "period", sl.period, "due", sl.due)
		}
		for _, ch := range dc.Channels {
			p.Posts = append(p.Posts, NewPost{
				CohortID: v.ID, ChannelID: ch.ID, Kind: sl.kind, Period: sl.period, Day: sl.day,
				Status: status, LastError: reason, DueAt: sl.due, ExpiresAt: endOfLocalDay(sl.due, cal.Loc),
			})
		}
	}
	return p, nil
}

func endOfLocalDay(t time.Time, loc *time.Location) time.Time {
	return LocalInstant(DateOf(t, loc).AddDays(1), TimeOfDay{}, loc)
}

// dailySlots are the cards (with phase intros, outcome self-checks and the completion post)
// whose post instant falls in (from, to].
func dailySlots(v CohortView, from, to time.Time) []slot {
	var out []slot
	t := from.Add(time.Nanosecond)
	for {
		day, at, ok := v.Calendar.NextPost(t)
		if !ok || at.After(to) {
			return out
		}
		out = append(out, daySlots(v, day, at)...)
		t = at.Add(time.Nanosecond)
	}
}

// daySlots are the posts of study day n at instant at: the card (which carries the phase
// intro on a phase's first day), the outcome self-check on a phase's last day, and the
// completion post after day n of n.
func daySlots(v CohortView, day int, at time.Time) []slot {
	c, p, _ := v.Track.Card(day)
	out := []slot{{kind: KindDay, period: strconv.Itoa(day), day: day, due: at}}
	if c.Day == len(p.Days) {
		out = append(out, slot{kind: KindPhaseEnd, period: strconv.Itoa(p.Number), day: day, due: at})
	}
	if day == v.Track.Len() {
		out = append(out, slot{kind: KindFinish, period: "1", day: day, due: at})
	}
	return out
}

// reminderSlots are the daily reminders in (from, to]: one per study date, at its time.
func reminderSlots(v CohortView, from, to time.Time) []slot {
	if v.Reminder == nil {
		return nil
	}
	cal := v.Calendar
	var out []slot
	for d := DateOf(from, cal.Loc); !d.After(DateOf(to, cal.Loc)); d = d.AddDays(1) {
		due := LocalInstant(d, *v.Reminder, cal.Loc)
		if !due.After(from) || due.After(to) || !cal.IsStudyDate(d) {
			continue
		}
		if day := cal.CurrentDay(d); day >= 1 {
			out = append(out, slot{kind: KindReminder, period: d.String(), day: day, due: due})
		}
	}
	return out
}

// cronSlots are the firings of spec (in the cohort's zone) in (from, to], while the cohort
// is running: from its first day until a week after its last.
func (s *Service) cronSlots(v CohortView, kind PostKind, spec string, from, to time.Time) ([]slot, error) {
	if spec == "" {
		return nil, nil
	}
	sched, err := s.cron.Parse(spec)
	if err != nil {
		return nil, err
	}
	cal := v.Calendar
	first, ok := cal.DateOfDay(1)
	if !ok {
		return nil, nil
	}
	var out []slot
	for t := sched.Next(from.In(cal.Loc)); !t.IsZero() && !t.After(to); t = sched.Next(t) {
		d := DateOf(t, cal.Loc)
		if d.Before(first) {
			continue
		}
		if end, ok := cal.EndDate(); ok && d.After(end.AddDays(6)) {
			break
		}
		out = append(out, slot{kind: kind, period: cronPeriod(t, cal.Loc), day: cal.CurrentDay(d), due: t})
	}
	return out, nil
}

// cronPeriod keys a periodic post by its local firing minute.
func cronPeriod(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02T15:04") }

// nextDue is the earliest instant after now at which the cohort owes anything.
func (s *Service) nextDue(v CohortView, now time.Time) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	cal := v.Calendar
	if _, at, ok := cal.NextPost(now.Add(time.Nanosecond)); ok {
		consider(at)
	}
	if v.Reminder != nil {
		for d := cal.Today(now); d.Sub(cal.Today(now)) < 14; d = d.AddDays(1) {
			if cal.IsStudyDate(d) {
				if due := LocalInstant(d, *v.Reminder, cal.Loc); due.After(now) {
					consider(due)
					break
				}
			}
		}
	}
	for _, spec := range []string{v.LeaderboardCron, v.RecapCron} {
		if spec == "" {
			continue
		}
		if sched, err := s.cron.Parse(spec); err == nil {
			consider(sched.Next(now.In(cal.Loc)))
		}
	}
	// An open-ended pause has no next post; look again daily so a resume is noticed even
	// if it came through a path that did not reset the schedule.
	if next.IsZero() && cal.At(cal.Today(now)).State != Finished {
		next = now.Add(24 * time.Hour)
	}
	return next
}
