package study

import (
	"context"
	"fmt"
	"strings"
)

// postNow is /cohort post: today's card, the leaderboard or the recap, at once. The post
// takes the key of the period it stands for, so the scheduled post of that period does
// not repeat it.
func (s *Service) postNow(ctx context.Context, cl *call) (Reply, error) {
	a, v := cl.args, cl.cohort
	kind := a.Get("kind")
	if kind == "" && len(a.Positional) == 1 {
		kind = a.Positional[0]
	}
	kinds := map[string]PostKind{"today": KindDay, "leaderboard": KindLeaderboard, "recap": KindRecap}
	k, ok := kinds[strings.ToLower(kind)]
	if !ok {
		return Reply{}, Errorf(EINVALID, "post what? /cohort post today|leaderboard|recap")
	}
	chans, err := s.store.Channels(ctx, v.ID)
	if err != nil {
		return Reply{}, fmt.Errorf("post now: cohort %d: %w", v.ID, err)
	}
	now := s.now()
	cal := v.Calendar
	var slots []slot
	switch k {
	case KindDay:
		pos := cal.At(cal.Today(now))
		if pos.State != Studying {
			return Reply{}, Errorf(EINVALID, "there is no card today (today is not a study day)")
		}
		slots = daySlots(v, pos.Day, now)
		if at, ok := cal.PostInstant(pos.Day); ok && now.Before(at) && v.EarlyDay != pos.Day {
			// Out before its time: the day starts now, so members can check in at once.
			next := *v.Cohort
			next.EarlyDay, next.EarlyAt = pos.Day, now
			if _, err := s.save(ctx, v, next); err != nil {
				return Reply{}, err
			}
		}
	default:
		spec := v.LeaderboardCron
		if k == KindRecap {
			spec = v.RecapCron
		}
		period := "manual-" + cronPeriod(now, cal.Loc)
		if spec != "" {
			// Stand in for the next scheduled one if it falls later today.
			if sched, err := s.cron.Parse(spec); err == nil {
				if next := sched.Next(now.In(cal.Loc)); DateOf(next, cal.Loc) == cal.Today(now) {
					period = cronPeriod(next, cal.Loc)
				}
			}
		}
		slots = append(slots, slot{kind: k, period: period, day: v.DayAt(now), due: now})
	}
	var posts []NewPost
	for _, sl := range slots {
		for _, ch := range chans {
			posts = append(posts, NewPost{CohortID: v.ID, ChannelID: ch.ID, Kind: sl.kind, Period: sl.period, Day: sl.day,
				DueAt: sl.due, ExpiresAt: endOfLocalDay(now, cal.Loc)})
		}
	}
	n, err := s.store.InsertPosts(ctx, posts)
	if err != nil {
		return Reply{}, fmt.Errorf("post now: cohort %d: %w", v.ID, err)
	}
	if n == 0 {
		return Reply{}, Errorf(ECONFLICT, "that was already posted for this period")
	}
	s.changed()
	what := map[PostKind]string{KindDay: "today's card", KindLeaderboard: "the leaderboard", KindRecap: "the recap"}[k]
	return textReply(true, "📣 Posting %s now (it counts as this period's post).", what), nil
}
