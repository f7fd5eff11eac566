package schedule

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cohortbot/internal/study"
)

// render builds the messages of a claimed post. A non-empty skip says why there is
// nothing to send (a reminder nobody needs).
func (s *Scheduler) render(ctx context.Context, p study.Post) (out study.Outgoing, skip string, err error) {
	c, err := s.out.Cohort(ctx, p.CohortID)
	if err != nil {
		return out, "", err
	}
	v, err := s.svc.View(c)
	if err != nil {
		return out, "", err
	}
	out = study.Outgoing{Channel: p.Channel, Nonce: p.Nonce, Kind: p.Kind}
	t := v.Track
	switch p.Kind {
	case study.KindDay:
		out.Messages = append([]study.Message{study.CardMessage(t, p.Day)}, study.CardThreadMessages(t, p.Day)...)
	case study.KindPhaseStart, study.KindPhaseEnd:
		n, err := strconv.Atoi(p.Period)
		if err != nil || n < 1 || n > len(t.Phases) {
			return out, "", fmt.Errorf("post %d: bad phase %q", p.ID, p.Period)
		}
		if p.Kind == study.KindPhaseStart {
			out.Messages = []study.Message{study.PhaseIntroMessage(t, n)}
		} else {
			out.Messages = []study.Message{study.PhaseOutcomeMessage(t, n)}
		}
	case study.KindFinish:
		final, err := s.svc.Standings(ctx, v)
		if err != nil {
			return out, "", err
		}
		out.Messages = []study.Message{study.FinishMessage(v, final)}
	case study.KindLeaderboard:
		m, err := s.board(ctx, v, p)
		if err != nil {
			return out, "", err
		}
		out.Messages = []study.Message{m}
	case study.KindRecap:
		m, err := s.recap(ctx, v)
		if err != nil {
			return out, "", err
		}
		out.Messages = []study.Message{m}
	case study.KindReminder:
		return s.reminder(ctx, v, p, out)
	default:
		return out, "", fmt.Errorf("post %d: unknown kind %q", p.ID, p.Kind)
	}
	return out, "", nil
}

// board renders a leaderboard with movement since the cohort's previous sent board.
func (s *Scheduler) board(ctx context.Context, v study.CohortView, p study.Post) (study.Message, error) {
	now, err := s.svc.Standings(ctx, v)
	if err != nil {
		return study.Message{}, err
	}
	var prev []study.Standing
	boards, err := s.out.Posts(ctx, v.ID, study.KindLeaderboard, 20)
	if err != nil {
		return study.Message{}, err
	}
	for _, b := range boards {
		if b.Status == study.PostSent && b.ChannelID == p.ChannelID && b.ID != p.ID {
			if prev, err = s.svc.StandingsAt(ctx, v, b.SentAt); err != nil {
				return study.Message{}, err
			}
			if prev == nil {
				prev = []study.Standing{}
			}
			break
		}
	}
	return study.LeaderboardMessage(v, now, prev, study.LeaderboardTop, ""), nil
}

// recap gathers the last seven local days ending today.
func (s *Scheduler) recap(ctx context.Context, v study.CohortView) (study.Message, error) {
	cal := v.Calendar
	today := cal.Today(s.now())
	members, err := s.out.Members(ctx, v.ID)
	if err != nil {
		return study.Message{}, err
	}
	all, err := s.out.CheckIns(ctx, v.ID)
	if err != nil {
		return study.Message{}, err
	}
	done := map[int]map[int64]bool{}
	for _, c := range all {
		if done[c.Day] == nil {
			done[c.Day] = map[int64]bool{}
		}
		done[c.Day][c.MemberID] = true
	}
	r := study.RecapData{Members: len(members)}
	var weekDays []int
	for d := today.AddDays(-6); !d.After(today); d = d.AddDays(1) {
		if !cal.IsStudyDate(d) {
			continue
		}
		n := cal.CurrentDay(d)
		if n < 1 || (len(weekDays) > 0 && weekDays[len(weekDays)-1] == n) {
			continue
		}
		c, _, _ := v.Track.Card(n)
		weekDays = append(weekDays, n)
		r.Days = append(r.Days, study.DayTally{Day: n, Date: d, Topic: c.Topic, Done: len(done[n])})
	}
	if len(weekDays) > 0 {
		for _, m := range members {
			every := true
			for _, n := range weekDays {
				every = every && done[n][m.ID]
			}
			if every {
				r.EveryDay = append(r.EveryDay, m.User.Name)
			}
		}
	}
	standings, err := s.svc.Standings(ctx, v)
	if err != nil {
		return study.Message{}, err
	}
	for _, st := range standings {
		if st.Streak > 0 && len(r.StreakLead) < 3 {
			r.StreakLead = append(r.StreakLead, st)
		}
	}
	cur := cal.CurrentDay(today)
	for d := today.AddDays(1); d.Sub(today) <= 7; d = d.AddDays(1) {
		if !cal.IsStudyDate(d) {
			continue
		}
		n := cal.CurrentDay(d)
		if n <= cur || n > v.Track.Len() {
			continue
		}
		c, p, _ := v.Track.Card(n)
		if label := fmt.Sprintf("Phase %d: %s", p.Number, p.Title); !strings.HasSuffix(r.NextPhase, label) {
			r.NextPhase = strings.TrimPrefix(r.NextPhase+" → "+label, " → ")
		}
		r.NextTopics = append(r.NextTopics, fmt.Sprintf("Day %d — %s", n, c.Topic))
		cur = n
	}
	r.Finished = cal.At(today).State == study.Finished || (cur >= v.Track.Len() && len(r.NextTopics) == 0)
	r.EndDate, r.EndKnown = cal.EndDate()
	return study.RecapMessage(v, r), nil
}

// reminder names members who have checked in before but not for the post's day, in the
// day's thread.
func (s *Scheduler) reminder(ctx context.Context, v study.CohortView, p study.Post, out study.Outgoing) (study.Outgoing, string, error) {
	members, err := s.out.Members(ctx, v.ID)
	if err != nil {
		return out, "", err
	}
	all, err := s.out.CheckIns(ctx, v.ID)
	if err != nil {
		return out, "", err
	}
	active := map[int64]bool{}
	doneToday := map[int64]bool{}
	for _, c := range all {
		active[c.MemberID] = true
		if c.Day == p.Day {
			doneToday[c.MemberID] = true
		}
	}
	var names []string
	for _, m := range members {
		if active[m.ID] && !doneToday[m.ID] {
			names = append(names, m.User.Name)
		}
	}
	if len(names) == 0 {
		return out, "nobody to remind", nil
	}
	cards, err := s.out.Posts(ctx, v.ID, study.KindDay, 50)
	if err != nil {
		return out, "", err
	}
	for _, c := range cards {
		if c.ChannelID == p.ChannelID && c.Day == p.Day && c.ThreadID != "" {
			out.Thread = c.ThreadID
		}
	}
	card, _, _ := v.Track.Card(p.Day)
	out.Messages = []study.Message{study.ReminderMessage(p.Day, card.Topic, names)}
	return out, "", nil
}

// PublishNow posts a cohort's card, leaderboard or recap at once. The row takes the key of
// the period it stands for, so the scheduled post of that period does not repeat it.
func (s *Scheduler) PublishNow(ctx context.Context, cohortID int64, kind string) (string, error) {
	c, err := s.out.Cohort(ctx, cohortID)
	if err != nil {
		return "", err
	}
	v, err := s.svc.View(c)
	if err != nil {
		return "", err
	}
	chans, err := s.out.Channels(ctx, cohortID)
	if err != nil {
		return "", err
	}
	now := s.now()
	cal := v.Calendar
	var slots []slot
	switch kind {
	case study.KindDay:
		pos := cal.At(cal.Today(now))
		if pos.State != study.Studying {
			return "", study.Errorf(study.EINVALID, "there is no card today (today is not a study day)")
		}
		at, _ := cal.PostInstant(pos.Day)
		for _, sl := range dailySlots(v, at.Add(-time.Nanosecond), at) {
			sl.due = now
			slots = append(slots, sl)
		}
	case study.KindLeaderboard, study.KindRecap:
		spec := v.LeaderboardCron
		if kind == study.KindRecap {
			spec = v.RecapCron
		}
		period := "manual-" + now.In(cal.Loc).Format("2006-01-02T15:04")
		if spec != "" {
			// Stand in for the next scheduled one if it falls later today.
			if sched, err := cronParser.Parse(spec); err == nil {
				if next := sched.Next(now.In(cal.Loc)); study.DateOf(next, cal.Loc) == cal.Today(now) {
					period = next.In(cal.Loc).Format("2006-01-02T15:04")
				}
			}
		}
		slots = append(slots, slot{kind: kind, period: period, day: cal.CurrentDay(cal.Today(now)), due: now})
	default:
		return "", study.Errorf(study.EINVALID, "cannot post %q now", kind)
	}
	var posts []study.NewPost
	for _, sl := range slots {
		for _, ch := range chans {
			posts = append(posts, study.NewPost{CohortID: cohortID, ChannelID: ch.ID, Kind: sl.kind, Period: sl.period, Day: sl.day, DueAt: sl.due, ExpiresAt: endOfLocalDay(now, cal.Loc)})
		}
	}
	n, err := s.out.InsertPosts(ctx, posts)
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", study.Errorf(study.ECONFLICT, "that was already posted for this period")
	}
	s.Kick()
	what := map[string]string{study.KindDay: "today's card", study.KindLeaderboard: "the leaderboard", study.KindRecap: "the recap"}[kind]
	return fmt.Sprintf("📣 Posting %s now (it counts as this period's post).", what), nil
}

// StatusLines adds the schedule and delivery health to /cohort status.
func (s *Scheduler) StatusLines(ctx context.Context, v study.CohortView) ([]string, error) {
	var lines []string
	now := s.now()
	for _, c := range []struct{ label, spec string }{{"Leaderboard", v.LeaderboardCron}, {"Recap", v.RecapCron}} {
		if c.spec == "" {
			lines = append(lines, c.label+": off")
			continue
		}
		if sched, err := cronParser.Parse(c.spec); err == nil {
			next := sched.Next(now.In(v.Calendar.Loc))
			lines = append(lines, fmt.Sprintf("%s: %q, next %s", c.label, c.spec, next.Format("Mon 2 Jan 15:04 MST")))
		}
	}
	if v.ReminderAt != "" {
		lines = append(lines, "Reminder: daily at "+v.ReminderAt)
	}
	posts, err := s.out.Posts(ctx, v.ID, "", 200)
	if err != nil {
		return nil, err
	}
	var failed []string
	for _, p := range posts {
		if p.Status == study.PostFailed || (p.Status == study.PostPending && p.LastError != "") {
			failed = append(failed, fmt.Sprintf("%s to %s %s: %s (%s)", describeSlot(p.Kind, p.Period), p.Channel.Platform, p.Channel.Channel, p.LastError, p.Status))
		}
	}
	if len(failed) == 0 {
		lines = append(lines, "Deliveries: no failures")
	} else {
		if len(failed) > 5 {
			failed = failed[:5]
		}
		lines = append(lines, "Deliveries with problems:")
		for _, f := range failed {
			lines = append(lines, "  ⚠️ "+f)
		}
	}
	return lines, nil
}
