package study

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// member is the asker's record in v, nil when they never joined.
func (s *Service) member(ctx context.Context, v CohortView, u UserRef) (*Member, error) {
	m, err := s.store.MemberByUser(ctx, v.ID, u)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("member %s of cohort %d: %w", u.ID, v.ID, err)
	}
	return m, nil
}

func (s *Service) today(ctx context.Context, c *call) (Reply, error) {
	v, err := s.cohortFor(ctx, c.req.Channel)
	if err != nil {
		return Reply{}, err
	}
	m, err := s.member(ctx, v, c.req.User)
	if err != nil {
		return Reply{}, err
	}
	clock := s.clockFor(v, m)
	now := s.now()
	cal := v.Calendar
	cur := v.DayAt(now)
	nextDay, nextAt, hasNext := v.NextPost(now)
	if cur == 0 {
		first, _, _ := v.Track.Card(1)
		if !hasNext {
			return textReply(true, "“%s” is paused before its first day; an organizer resumes it with /cohort resume.", v.Name), nil
		}
		when := clock.when(nextAt, now)
		if days := clock.date(nextAt).Sub(clock.date(now)); days > 1 {
			when = fmt.Sprintf("in %s, %s", plural(days, "day"), when)
		}
		return textReply(true, "“%s” starts %s: Day 1 — %s.", v.Name, when, first.Topic), nil
	}
	if end, ok := v.WindowEnd(v.Track.Len()); cur == v.Track.Len() && ok && !now.Before(end) {
		last, _ := cal.EndDate()
		return textReply(true, "“%s” finished all %d days on %s. 🎉 See /progress for your record.", v.Name, v.Track.Len(), last.Human()), nil
	}
	if why := cal.RestReason(cal.Today(now)); why != "" {
		card, _, _ := v.Track.Card(cur)
		next := "the cohort is paused until an organizer resumes it"
		if hasNext {
			nc, _, _ := v.Track.Card(nextDay)
			next = fmt.Sprintf("Day %d — %s comes %s", nextDay, nc.Topic, clock.when(nextAt, now))
		}
		return textReply(true, "No new card today (%s). You are on Day %d — %s; %s. Catch up with /done DAY.", why, cur, card.Topic, next), nil
	}
	msgs := cardMessages(v.Track, cur)
	if hasNext && nextDay == cur+1 && clock.date(nextAt) == clock.date(now) {
		nc, _, _ := v.Track.Card(nextDay)
		msgs = append(msgs, Message{Sections: []Section{{Text: fmt.Sprintf("Next: Day %d — %s comes %s.", nextDay, nc.Topic, clock.when(nextAt, now))}}})
	}
	return Reply{Ephemeral: true, Messages: msgs}, nil
}

// cardMessages are a day's card and its thread, as /today and /cohort preview show them.
func cardMessages(t *Track, day int) []Message {
	return append([]Message{CardMessage(t, day)}, CardThreadMessages(t, day)...)
}

func (s *Service) progress(ctx context.Context, c *call) (Reply, error) {
	v, err := s.cohortFor(ctx, c.req.Channel)
	if err != nil {
		return Reply{}, err
	}
	now := s.now()
	cur := v.DayAt(now)
	m, err := s.member(ctx, v, c.req.User)
	if err != nil {
		return Reply{}, err
	}
	if m == nil || m.Progress.Completed == 0 {
		return textReply(true, "You have no check-ins in “%s” yet. Today is day %d of %d: /done checks you in.", v.Name, cur, v.Track.Len()), nil
	}
	p := m.Progress
	rank, of, err := s.store.Rank(ctx, v.ID, p)
	if err != nil {
		return Reply{}, fmt.Errorf("progress: %w", err)
	}
	clock := s.clockFor(v, m)
	text := fmt.Sprintf("*%s* in “%s”: completed %d of %d days (today is day %d) · streak %s (best %d) · rank %d of %d.",
		c.req.User.Name, v.Name, p.Completed, v.Track.Len(), cur, plural(p.Streak, "day"), p.Best, rank, of)
	var missing []int
	for _, d := range p.Missing(cur) {
		// A day whose card came while the member was away is theirs to skip, closed or not.
		if at, ok := v.PostedAt(d); !ok || !m.Away.At(at) {
			missing = append(missing, d)
		}
	}
	if len(missing) > 0 {
		shown := make([]string, 0, 11)
		for i, d := range missing {
			if i == 10 {
				shown = append(shown, "…")
				break
			}
			shown = append(shown, strconv.Itoa(d))
		}
		text += fmt.Sprintf("\nNot done yet: days %s — catch up with /done DAY.", strings.Join(shown, ", "))
	}
	if v.MaxFreezes > 0 || len(p.FrozenDays) > 0 {
		text += fmt.Sprintf("\n🧊 Streak freezes: %d held of %d", p.Freezes, v.MaxFreezes)
		if len(p.FrozenDays) > 0 {
			days := make([]string, len(p.FrozenDays))
			for i, d := range p.FrozenDays {
				days[i] = strconv.Itoa(d)
			}
			text += fmt.Sprintf(" · covered %s %s", map[bool]string{true: "day", false: "days"}[len(days) == 1], strings.Join(days, ", "))
		}
		text += fmt.Sprintf(" (one more for every %d days on time in a row).", FreezeEvery)
	}
	if m.Away.Until.After(now) {
		text += fmt.Sprintf("\n🏝 Away through %s: those days neither break nor extend your streak.", m.Away.LastDay.Human())
	}
	if day, at, ok := v.NextPost(now); ok {
		text += fmt.Sprintf("\nNext card: Day %d, %s.", day, clock.when(at, now))
	}
	return textReply(true, "%s", text), nil
}

// LeaderboardTop is how many members a leaderboard lists.
const LeaderboardTop = 10

func (s *Service) leaderboard(ctx context.Context, c *call) (Reply, error) {
	v, err := s.cohortFor(ctx, c.req.Channel)
	if err != nil {
		return Reply{}, err
	}
	rows, err := s.board(ctx, v, c.req.User)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Ephemeral: true, Messages: []Message{LeaderboardMessage(v, rows, nil, LeaderboardTop, c.req.User.ID)}}, nil
}

// board is the cohort's top, ranked, and — when asker is given and ranks below it — the
// asker's row with their rank.
func (s *Service) board(ctx context.Context, v CohortView, asker UserRef) ([]Standing, error) {
	top, err := s.store.Top(ctx, v.ID, LeaderboardTop)
	if err != nil {
		return nil, fmt.Errorf("leaderboard of cohort %d: %w", v.ID, err)
	}
	rows := standings(top)
	if asker.ID == "" {
		return rows, nil
	}
	for _, r := range rows {
		if r.UserID == asker.ID {
			return rows, nil
		}
	}
	m, err := s.member(ctx, v, asker)
	if err != nil || m == nil || m.Progress.Completed == 0 {
		return rows, err
	}
	rank, _, err := s.store.Rank(ctx, v.ID, m.Progress)
	if err != nil {
		return nil, fmt.Errorf("leaderboard of cohort %d: %w", v.ID, err)
	}
	me := standingOf(*m)
	me.Rank = rank
	return append(rows, me), nil
}

// standings ranks members given in leaderboard order: competition ranks, members equal
// on completed days and streak sharing one.
func standings(ms []Member) []Standing {
	out := make([]Standing, 0, len(ms))
	for i, m := range ms {
		st := standingOf(m)
		if i > 0 && st.Completed == out[i-1].Completed && st.Streak == out[i-1].Streak {
			st.Rank = out[i-1].Rank
		} else {
			st.Rank = i + 1
		}
		out = append(out, st)
	}
	return out
}

func standingOf(m Member) Standing {
	return Standing{MemberID: m.ID, UserID: m.User.ID, Name: m.User.Name, Completed: m.Progress.Completed,
		Streak: m.Progress.Streak, Best: m.Progress.Best, ReachedAt: m.Progress.ReachedAt}
}

func standingLine(st Standing) string {
	medal := map[int]string{1: "🥇", 2: "🥈", 3: "🥉"}[st.Rank]
	if medal == "" {
		medal = fmt.Sprintf("%d.", st.Rank)
	}
	return fmt.Sprintf("%s %s — %s done · 🔥 %s", medal, st.Name, plural(st.Completed, "day"), plural(st.Streak, "day"))
}

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
