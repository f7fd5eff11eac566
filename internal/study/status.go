package study

import (
	"context"
	"fmt"
	"strings"
)

// status is /cohort status: where the cohort stands, what comes next, and what went wrong
// with its deliveries.
func (s *Service) status(ctx context.Context, cl *call) (Reply, error) {
	v := cl.cohort
	now := s.now()
	cal := v.Calendar
	today := cal.Today(now)
	pos := cal.At(today)
	_, members, err := s.store.Rank(ctx, v.ID, Progress{})
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
	if day, at, ok := v.NextPost(now); ok {
		lines = append(lines, fmt.Sprintf("Next post: Day %d at %s (%s UTC)", day, at.In(cal.Loc).Format("Mon 2 Jan 2006 15:04 MST"), at.UTC().Format("2006-01-02 15:04")))
	} else if pos.State != Finished {
		lines = append(lines, "Next post: none scheduled (paused until /cohort resume)")
	}
	if end, ok := cal.EndDate(); ok {
		lines = append(lines, "Projected end: "+end.Human())
	} else {
		lines = append(lines, "Projected end: unknown while paused open-ended")
	}
	lines = append(lines, fmt.Sprintf("Members: %d", members))
	freezes := fmt.Sprintf("up to %d per member, one per %d days on time in a row", v.MaxFreezes, FreezeEvery)
	if v.MaxFreezes == 0 {
		freezes = "off"
	}
	lines = append(lines, fmt.Sprintf("Check-ins: on time until the next card + %s grace · streak freezes: %s", formatDuration(v.Grace), freezes))
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
	for _, c := range []struct{ label, spec string }{{"Leaderboard", v.LeaderboardCron}, {"Recap", v.RecapCron}} {
		if c.spec == "" {
			lines = append(lines, c.label+": off")
			continue
		}
		if sched, err := s.cron.Parse(c.spec); err == nil {
			next := sched.Next(now.In(cal.Loc))
			lines = append(lines, fmt.Sprintf("%s: %q, next %s", c.label, c.spec, next.Format("Mon 2 Jan 15:04 MST")))
		}
	}
	if v.Reminder != nil {
		lines = append(lines, "Reminder: daily at "+v.Reminder.String())
	}
	failed, err := s.store.Failures(ctx, v.ID, 5)
	if err != nil {
		return Reply{}, fmt.Errorf("status: cohort %d: %w", v.ID, err)
	}
	if len(failed) == 0 {
		lines = append(lines, "Deliveries: no failures")
	} else {
		lines = append(lines, "Deliveries with problems:")
		for _, p := range failed {
			lines = append(lines, fmt.Sprintf("  ⚠️ %s to %s %s: %s (%s)", describeSlot(p.Kind, p.Period), p.Channel.Platform, p.Channel.Channel, p.LastError, p.Status))
		}
	}
	return Reply{Ephemeral: true, Messages: []Message{{Title: "📋 " + v.Name, Sections: []Section{{Text: strings.Join(lines, "\n")}}}}}, nil
}

func describeSlot(kind PostKind, period string) string {
	switch kind {
	case KindDay:
		return "Day " + period
	case KindPhaseStart:
		return "Phase " + period + " intro"
	case KindPhaseEnd:
		return "Phase " + period + " self-check"
	}
	return fmt.Sprintf("%s %s", kind, period)
}
