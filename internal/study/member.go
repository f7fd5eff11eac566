package study

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

func (s *Service) today(ctx context.Context, c *call) (Reply, error) {
	v, err := s.cohortFor(ctx, c.req.Channel)
	if err != nil {
		return Reply{}, err
	}
	cal := v.Calendar
	pos := cal.At(cal.Today(s.now()))
	switch pos.State {
	case Upcoming:
		first, _, _ := v.Track.Card(1)
		if pos.Next.IsZero() {
			return textReply(true, "“%s” is paused before its first day; an organizer resumes it with /cohort resume.", v.Name), nil
		}
		return textReply(true, "“%s” starts in %s, on %s: Day 1 — %s.", v.Name, plural(pos.Until, "day"), pos.Next.Human(), first.Topic), nil
	case Finished:
		end, _ := cal.EndDate()
		return textReply(true, "“%s” finished all %d days on %s. 🎉 See /progress for your record.", v.Name, v.Track.Len(), end.Human()), nil
	case Resting:
		cur, _, _ := v.Track.Card(pos.Day)
		next := "the cohort is paused until an organizer resumes it"
		if !pos.Next.IsZero() {
			nc, _, _ := v.Track.Card(pos.Day + 1)
			next = fmt.Sprintf("Day %d — %s comes on %s", pos.Day+1, nc.Topic, pos.Next.Human())
		}
		return textReply(true, "No new card today (%s). You are on Day %d — %s; %s. Catch up with /done DAY.", pos.Why, pos.Day, cur.Topic, next), nil
	}
	return Reply{Ephemeral: true, Messages: cardMessages(v.Track, pos.Day)}, nil
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
	r, err := s.roster(ctx, v)
	if err != nil {
		return Reply{}, fmt.Errorf("progress: %w", err)
	}
	now := s.now()
	cur := v.DayAt(now)
	standings := r.StandingsAt(now)
	var mine *Standing
	for i := range standings {
		if standings[i].UserID == c.req.User.ID {
			mine = &standings[i]
		}
	}
	if mine == nil {
		return textReply(true, "You have no check-ins in “%s” yet. Today is day %d of %d: /done checks you in.", v.Name, cur, v.Track.Len()), nil
	}
	p := r.progressOf(mine.MemberID, cur)
	var missing []string
	for d := 1; d <= cur; d++ {
		if !p.Done[d] {
			missing = append(missing, strconv.Itoa(d))
		}
	}
	text := fmt.Sprintf("*%s* in “%s”: completed %d of %d days (today is day %d) · streak %s (best %d) · rank %d of %d.",
		c.req.User.Name, v.Name, p.Completed, v.Track.Len(), cur, plural(p.Streak, "day"), p.Best, mine.Rank, len(standings))
	if len(missing) > 0 {
		shown := missing
		if len(shown) > 10 {
			shown = append(shown[:10:10], "…")
		}
		text += fmt.Sprintf("\nNot done yet: days %s — catch up with /done DAY.", strings.Join(shown, ", "))
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
	standings, err := s.Standings(ctx, v)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Ephemeral: true, Messages: []Message{LeaderboardMessage(v, standings, nil, LeaderboardTop, c.req.User.ID)}}, nil
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
