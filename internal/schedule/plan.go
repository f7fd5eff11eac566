package schedule

import (
	"fmt"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"

	"cohortbot/internal/study"
)

// cronParser reads the standard five-field syntax plus descriptors (@weekly).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// CheckCron validates a leaderboard or recap schedule: it must parse and must not fire
// more often than hourly (a channel is not a log).
func CheckCron(spec string) error {
	sched, err := cronParser.Parse(spec)
	if err != nil {
		return study.Errorf(study.EINVALID, "%q is not a schedule: use cron syntax like \"0 17 * * FRI\" (minute hour day month weekday)", spec)
	}
	// Two weeks of firings show any gap shorter than an hour.
	t := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	prev := sched.Next(t)
	for i := 0; i < 400 && !prev.IsZero(); i++ {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		if next.Sub(prev) < time.Hour {
			return study.Errorf(study.EINVALID, "%q posts more often than hourly; pick a schedule at most once an hour", spec)
		}
		prev = next
	}
	return nil
}

// slot is one post a cohort owes at an instant.
type slot struct {
	kind   string
	period string
	day    int
	due    time.Time
}

// plan decides a due cohort's posts in (from, now] and when it is next due.
func (s *Scheduler) plan(dc study.DueCohort, now time.Time) (study.Plan, error) {
	v, err := s.svc.View(&dc.Cohort)
	if err != nil {
		return study.Plan{}, err
	}
	cal := v.Calendar
	// The day's own posts are keyed by day or date, so after a settings change it is safe
	// to look again from the start of the local day: a card already posted keeps its row,
	// and a card whose new time has just passed still goes out today.
	dailyFrom := dc.ScheduledThrough
	startOfToday := study.LocalInstant(cal.Today(now), study.TimeOfDay{}, cal.Loc).Add(-time.Nanosecond)
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
	for _, c := range []struct{ kind, spec string }{{study.KindLeaderboard, v.LeaderboardCron}, {study.KindRecap, v.RecapCron}} {
		got, err := cronSlots(v, c.kind, c.spec, cronFrom, now)
		if err != nil {
			s.log.Warn("bad schedule", "cohort", v.ID, "kind", c.kind, "err", err)
			continue
		}
		slots = append(slots, got...)
	}

	p := study.Plan{NextDue: s.nextDue(v, now)}
	today := cal.Today(now)
	for _, sl := range slots {
		status, reason := study.PostPending, ""
		if study.DateOf(sl.due, cal.Loc) != today {
			// Missed while the bot was down, and that local day is over: not sent late.
			status, reason = study.PostSkipped, "missed: the bot was not running on that day"
			s.log.Warn("post skipped", "cohort", v.ID, "kind", sl.kind, "period", sl.period, "due", sl.due)
		}
		for _, ch := range dc.Channels {
			p.Posts = append(p.Posts, study.NewPost{
				CohortID: v.ID, ChannelID: ch.ID, Kind: sl.kind, Period: sl.period, Day: sl.day,
				Status: status, LastError: reason, DueAt: sl.due, ExpiresAt: endOfLocalDay(sl.due, cal.Loc),
			})
		}
	}
	return p, nil
}

func endOfLocalDay(t time.Time, loc *time.Location) time.Time {
	return study.LocalInstant(study.DateOf(t, loc).AddDays(1), study.TimeOfDay{}, loc)
}

// dailySlots are the cards (with phase intros, outcome self-checks and the completion post)
// whose post instant falls in (from, to].
func dailySlots(v study.CohortView, from, to time.Time) []slot {
	var out []slot
	t := from.Add(time.Nanosecond)
	for {
		day, at, ok := v.Calendar.NextPost(t)
		if !ok || at.After(to) {
			return out
		}
		c, p, _ := v.Track.Card(day)
		if c.Day == 1 {
			out = append(out, slot{kind: study.KindPhaseStart, period: strconv.Itoa(p.Number), day: day, due: at})
		}
		out = append(out, slot{kind: study.KindDay, period: strconv.Itoa(day), day: day, due: at})
		if c.Day == len(p.Days) {
			out = append(out, slot{kind: study.KindPhaseEnd, period: strconv.Itoa(p.Number), day: day, due: at})
		}
		if day == v.Track.Len() {
			out = append(out, slot{kind: study.KindFinish, period: "1", day: day, due: at})
		}
		t = at.Add(time.Nanosecond)
	}
}

// reminderSlots are the daily reminders in (from, to]: one per study date, at its time.
func reminderSlots(v study.CohortView, from, to time.Time) []slot {
	if v.ReminderAt == "" {
		return nil
	}
	at, err := study.ParseTimeOfDay(v.ReminderAt)
	if err != nil {
		return nil
	}
	cal := v.Calendar
	var out []slot
	for d := study.DateOf(from, cal.Loc); !d.After(study.DateOf(to, cal.Loc)); d = d.AddDays(1) {
		due := study.LocalInstant(d, at, cal.Loc)
		if !due.After(from) || due.After(to) || !cal.IsStudyDate(d) {
			continue
		}
		if day := cal.CurrentDay(d); day >= 1 {
			out = append(out, slot{kind: study.KindReminder, period: d.String(), day: day, due: due})
		}
	}
	return out
}

// cronSlots are the firings of spec (in the cohort's zone) in (from, to], while the cohort
// is running: from its first day until a week after its last.
func cronSlots(v study.CohortView, kind, spec string, from, to time.Time) ([]slot, error) {
	if spec == "" {
		return nil, nil
	}
	sched, err := cronParser.Parse(spec)
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
		d := study.DateOf(t, cal.Loc)
		if d.Before(first) {
			continue
		}
		if end, ok := cal.EndDate(); ok && d.After(end.AddDays(6)) {
			break
		}
		out = append(out, slot{kind: kind, period: t.In(cal.Loc).Format("2006-01-02T15:04"), day: cal.CurrentDay(d), due: t})
	}
	return out, nil
}

// nextDue is the earliest instant after now at which the cohort owes anything.
func (s *Scheduler) nextDue(v study.CohortView, now time.Time) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if _, at, ok := v.Calendar.NextPost(now.Add(time.Nanosecond)); ok {
		consider(at)
	}
	if v.ReminderAt != "" {
		if at, err := study.ParseTimeOfDay(v.ReminderAt); err == nil {
			for d := v.Calendar.Today(now); d.Sub(v.Calendar.Today(now)) < 14; d = d.AddDays(1) {
				if v.Calendar.IsStudyDate(d) {
					if due := study.LocalInstant(d, at, v.Calendar.Loc); due.After(now) {
						consider(due)
						break
					}
				}
			}
		}
	}
	for _, spec := range []string{v.LeaderboardCron, v.RecapCron} {
		if spec == "" {
			continue
		}
		if sched, err := cronParser.Parse(spec); err == nil {
			consider(sched.Next(now.In(v.Calendar.Loc)))
		}
	}
	// An open-ended pause has no next post; look again daily so a resume is noticed even
	// if it came through a path that did not reset the schedule.
	if next.IsZero() && v.Calendar.At(v.Calendar.Today(now)).State != study.Finished {
		next = now.Add(24 * time.Hour)
	}
	return next
}

func describeSlot(kind, period string) string {
	switch kind {
	case study.KindDay:
		return "Day " + period
	case study.KindPhaseStart:
		return "Phase " + period + " intro"
	case study.KindPhaseEnd:
		return "Phase " + period + " self-check"
	}
	return fmt.Sprintf("%s %s", kind, period)
}
