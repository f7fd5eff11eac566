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
	case KindFinish, KindLeaderboard, KindRecap, KindReminder:
	default:
		return out, "", fmt.Errorf("post %d: unknown kind %q", p.ID, p.Kind)
	}
	r, err := s.roster(ctx, v)
	if err != nil {
		return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
	}
	now := s.now()
	switch p.Kind {
	case KindFinish:
		out.Messages = []Message{FinishMessage(v, r.StandingsAt(now))}
	case KindLeaderboard:
		// Movement is measured against this channel's previous board.
		var prev []Standing
		at, ok, err := s.store.PreviousSent(ctx, p.ChannelID, KindLeaderboard, p.ID)
		if err != nil {
			return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
		}
		if ok {
			prev = r.StandingsAt(at)
			if prev == nil {
				prev = []Standing{}
			}
		}
		out.Messages = []Message{LeaderboardMessage(v, r.StandingsAt(now), prev, LeaderboardTop, "")}
	case KindRecap:
		out.Messages = []Message{RecapMessage(v, s.recapData(v, r))}
	case KindReminder:
		names := r.laggards(p.Day)
		if len(names) == 0 {
			return out, "nobody to remind", nil
		}
		thread, err := s.store.ThreadOfDay(ctx, p.ChannelID, p.Day)
		if err != nil {
			return out, "", fmt.Errorf("compose post %d: %w", p.ID, err)
		}
		out.Thread = thread
		card, _, _ := t.Card(p.Day)
		out.Messages = []Message{ReminderMessage(p.Day, card.Topic, names)}
	}
	return out, "", nil
}

// laggards are the members a reminder names: those who have checked in before, but not
// for day n.
func (r *Roster) laggards(n int) []string {
	var names []string
	for _, m := range r.Members {
		if r.active(m.ID) && !r.did(m.ID, n) {
			names = append(names, m.User.Name)
		}
	}
	return names
}

// recapData gathers the last seven local days ending today.
func (s *Service) recapData(v CohortView, r *Roster) RecapData {
	cal := v.Calendar
	now := s.now()
	today := cal.Today(now)
	data := RecapData{Members: len(r.Members)}
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
		data.Days = append(data.Days, DayTally{Day: n, Date: d, Topic: c.Topic, Done: len(r.byDay[n])})
	}
	if len(weekDays) > 0 {
		for _, m := range r.Members {
			every := true
			for _, n := range weekDays {
				every = every && r.did(m.ID, n)
			}
			if every {
				data.EveryDay = append(data.EveryDay, m.User.Name)
			}
		}
	}
	for _, st := range r.StandingsAt(now) {
		if st.Streak > 0 && len(data.StreakLead) < 3 {
			data.StreakLead = append(data.StreakLead, st)
		}
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
	return data
}
