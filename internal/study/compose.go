package study

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Compose builds the messages of a claimed outbox post. A non-empty skip says why there
// is nothing to send (a reminder nobody needs). The scheduler sends what it gets, and
// composes nothing itself.
func (s *Service) Compose(ctx context.Context, p Post) (out Outgoing, skip string, err error) {
	c, err := s.store.Cohort(ctx, p.CohortID)
	if err != nil {
		return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
	}
	v, err := s.View(c)
	if err != nil {
		return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
	}
	out = Outgoing{Channel: p.Channel, Kind: p.Kind, Nonce: p.Nonce, Done: p.Done}
	if p.Kind == KindPhaseStart {
		// Planned before intros moved into the first day's card, which carries it now.
		return out, NoteIntroInCard, nil
	}
	t := v.Track
	switch p.Kind {
	case KindDay:
		if p.Day < 1 || p.Day > t.Len() {
			return out, "", fmt.Errorf("post %d: day %d is not in the track", p.ID, p.Day)
		}
		out.Messages = DayPost(t, p.Day)
		return out, "", nil
	case KindPhaseStart, KindPhaseEnd:
		n, err := strconv.Atoi(p.Period)
		if err != nil || n < 1 || n > len(t.Phases) {
			return out, "", fmt.Errorf("post %d: bad phase %q", p.ID, p.Period)
		}
		if p.Kind == KindPhaseStart {
			out.Messages = []Message{PhaseIntroMessage(t, n)}
		} else {
			out.Messages = []Message{PhaseOutcomeMessage(t, n)}
		}
		return out, "", nil
	case KindNudge:
		return s.composeNudge(ctx, v, p, out)
	case KindFinish, KindLeaderboard, KindRecap, KindReminder:
	default:
		return out, "", fmt.Errorf("post %d: unknown kind %q", p.ID, p.Kind)
	}
	now := s.now()
	switch p.Kind {
	case KindFinish:
		top, err := s.store.Top(ctx, v.ID, LeaderboardTop)
		if err != nil {
			return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
		}
		out.Messages = []Message{FinishMessage(v, standings(top))}
	case KindLeaderboard:
		m, err := s.boardMessage(ctx, v, p.Period)
		if err != nil {
			return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
		}
		out.Messages = []Message{m}
	case KindRecap:
		data, err := s.recapData(ctx, v)
		if err != nil {
			return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
		}
		out.Messages = []Message{RecapMessage(v, data)}
	case KindReminder:
		names, total, err := s.store.Laggards(ctx, v.ID, p.Day, now, reminderNames)
		if err != nil {
			return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
		}
		if total == 0 {
			return out, "nobody to remind", nil
		}
		thread, err := s.store.ThreadOfDay(ctx, p.ChannelID, p.Day)
		if err != nil {
			return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
		}
		out.Thread = thread
		card, _, _ := t.Card(p.Day)
		out.Messages = []Message{ReminderMessage(p.Day, card.Topic, names, total-len(names))}
	}
	return out, "", nil
}

// reminderNames is how many members a channel reminder names; the rest are counted.
const reminderNames = 30

// boardMessage is the posted leaderboard of period: the top, with each member's movement
// since the previous board. The first board of a period keeps every member's rank for the
// next one (and a second channel of the same cohort, posting the same period, finds it
// kept).
func (s *Service) boardMessage(ctx context.Context, v CohortView, period string) (Message, error) {
	c, err := s.store.Cohort(ctx, v.ID)
	if err != nil {
		return Message{}, err
	}
	previous := c.PrevBoardPeriod
	if c.BoardPeriod != period {
		if err := s.store.SnapshotBoard(ctx, v.ID, period); err != nil {
			return Message{}, err
		}
		previous = c.BoardPeriod
	}
	top, err := s.store.Top(ctx, v.ID, LeaderboardTop)
	if err != nil {
		return Message{}, err
	}
	var prev []Standing
	if previous != "" {
		prev = []Standing{}
		for _, m := range top {
			if m.PrevBoardRank > 0 {
				prev = append(prev, Standing{MemberID: m.ID, Rank: m.PrevBoardRank})
			}
		}
	}
	return LeaderboardMessage(v, standings(top), prev, LeaderboardTop, ""), nil
}

// recapData gathers the last seven local days ending today.
func (s *Service) recapData(ctx context.Context, v CohortView) (RecapData, error) {
	cal := v.Calendar
	now := s.now()
	today := cal.Today(now)
	_, members, err := s.store.Rank(ctx, v.ID, Progress{})
	if err != nil {
		return RecapData{}, err
	}
	data := RecapData{Members: members}
	var weekDays []int
	var dates []Date
	for d := today.AddDays(-6); !d.After(today); d = d.AddDays(1) {
		if !cal.IsStudyDate(d) {
			continue
		}
		n := cal.CurrentDay(d)
		if n < 1 || n > v.DayAt(now) || (len(weekDays) > 0 && weekDays[len(weekDays)-1] == n) {
			continue
		}
		weekDays, dates = append(weekDays, n), append(dates, d)
	}
	tallies, err := s.store.DayTallies(ctx, v.ID, weekDays)
	if err != nil {
		return RecapData{}, err
	}
	for i, n := range weekDays {
		c, _, _ := v.Track.Card(n)
		data.Days = append(data.Days, DayTally{Day: n, Date: dates[i], Topic: c.Topic, Done: tallies[n]})
	}
	if len(weekDays) > 0 {
		if data.EveryDay, data.EveryDayTotal, err = s.store.EveryDay(ctx, v.ID, weekDays, reminderNames); err != nil {
			return RecapData{}, err
		}
	}
	leaders, err := s.store.StreakLeaders(ctx, v.ID, 3)
	if err != nil {
		return RecapData{}, err
	}
	for _, m := range leaders {
		data.StreakLead = append(data.StreakLead, standingOf(m))
	}
	cur := v.DayAt(now)
	for d := today.AddDays(1); d.Sub(today) <= 7; d = d.AddDays(1) {
		if !cal.IsStudyDate(d) {
			continue
		}
		n := cal.CurrentDay(d)
		if n <= cur || n > v.Track.Len() {
			continue
		}
		c, p, _ := v.Track.Card(n)
		if label := fmt.Sprintf("Phase %d: %s", p.Number, p.Title); !strings.HasSuffix(data.NextPhase, label) {
			data.NextPhase = strings.TrimPrefix(data.NextPhase+" → "+label, " → ")
		}
		data.NextTopics = append(data.NextTopics, fmt.Sprintf("Day %d — %s", n, c.Topic))
		cur = n
	}
	data.Finished = cal.At(today).State == Finished || (cur >= v.Track.Len() && len(data.NextTopics) == 0)
	data.EndDate, data.EndKnown = cal.EndDate()
	return data, nil
}

// composeNudge is a member's personal reminder, unless they checked in, went away or
// turned reminders off since it was planned.
func (s *Service) composeNudge(ctx context.Context, v CohortView, p Post, out Outgoing) (Outgoing, string, error) {
	m, err := s.store.Member(ctx, p.MemberID)
	if err != nil {
		return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
	}
	now := s.now()
	switch {
	case m.RemindAt == nil:
		return out, "reminders turned off", nil
	case m.Progress.Done(p.Day):
		return out, "checked in already", nil
	case m.Away.At(now):
		return out, "away", nil
	}
	card, _, _ := v.Track.Card(p.Day)
	until := "until the next card"
	if end, ok := v.WindowEnd(p.Day); ok {
		until = "until " + s.clockFor(v, m).when(end, now)
	}
	out.To = m.User
	out.Messages = []Message{{
		Sections: []Section{{Text: fmt.Sprintf("⏰ Day %d — %s in “%s” is open %s: /done there, or reply in the day's thread, to keep your streak.", p.Day, card.Topic, v.Name, until)}},
		Actions:  []Action{StopRemindersAction(m.ID)},
	}}
	return out, "", nil
}
