package study

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Service) set(ctx context.Context, cl *call) (Reply, error) {
	a, req, v := cl.args, cl.req, cl.cohort
	if who, ok := a.Named[settingOrganizers]; ok {
		if len(a.Named) > 1 {
			return Reply{}, Errorf(EINVALID, "set organizers on their own, as mentions: /cohort set organizers:@ana,@ben (or organizers:off)")
		}
		text, err := s.setOrganizers(ctx, req, who, a.Positional)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Messages: []Message{{Sections: []Section{{Text: text, Mentions: true}}}}}, nil
	}
	if len(a.Positional) > 0 {
		k, _, _ := strings.Cut(a.Positional[0], ":")
		return Reply{}, Errorf(EINVALID, "unknown setting %q: use %s", k, strings.Join(cl.cmd.optionNames(), ", "))
	}
	if len(a.Named) == 0 {
		return Reply{}, Errorf(EINVALID, "nothing to set: /cohort set %s", cl.cmd.usage())
	}
	// Every setting is read and checked before anything is saved: a refusal changes nothing.
	role, roleSet := a.Named[settingOrganizerRole]
	if roleSet {
		var err error
		if role, err = organizerRole(req, strings.TrimSpace(role)); err != nil {
			return Reply{}, err
		}
		delete(a.Named, settingOrganizerRole)
	}
	saveRole := func() ([]Message, error) {
		if !roleSet {
			return nil, nil
		}
		text, err := s.saveOrganizerRole(ctx, req, role)
		if err != nil {
			return nil, err
		}
		return []Message{{Sections: []Section{{Text: text, Mentions: true}}}}, nil
	}
	if roleSet && len(a.Named) == 0 {
		msgs, err := saveRole()
		if err != nil {
			return Reply{}, err
		}
		return Reply{Messages: msgs}, nil
	}
	next := *v.Cohort
	var changed []string
	var err error
	if t := a.Get("time"); t != "" {
		if next.PostAt, err = ParseTimeOfDay(t); err != nil {
			return Reply{}, err
		}
		changed = append(changed, "time "+next.PostAt.String())
	}
	if z := a.Get("tz"); z != "" {
		loc, err := LoadZone(z)
		if err != nil {
			return Reply{}, err
		}
		next.TZ = loc.String()
		changed = append(changed, "time zone "+next.TZ)
	}
	if c := a.Get("cadence"); c != "" {
		if next.Cadence, err = ParseCadence(c); err != nil {
			return Reply{}, err
		}
		changed = append(changed, "cadence "+string(next.Cadence))
	}
	if _, ok := a.Named["name"]; ok {
		if err := checkName(a.Named["name"]); err != nil {
			return Reply{}, err
		}
		next.Name = strings.TrimSpace(a.Named["name"])
		changed = append(changed, "name “"+next.Name+"”")
	}
	if st := a.Get("start"); st != "" {
		if next.Start, err = ParseDate(st); err != nil {
			return Reply{}, err
		}
		if err := checkStart(next.Start, v.Calendar.Today(s.now())); err != nil {
			return Reply{}, err
		}
		changed = append(changed, "start "+next.Start.String())
	}
	for _, k := range []string{"leaderboard", "recap"} {
		spec, ok := a.Named[k]
		if !ok {
			continue
		}
		spec = strings.TrimSpace(spec)
		if strings.EqualFold(spec, "off") {
			spec = ""
		} else if spec == "" {
			return Reply{}, Errorf(EINVALID, "%s needs a schedule like \"0 17 * * FRI\", or off", k)
		} else if err := s.checkCron(spec); err != nil {
			return Reply{}, err
		}
		if k == "leaderboard" {
			next.LeaderboardCron = spec
		} else {
			next.RecapCron = spec
		}
		changed = append(changed, k+" "+orOff(spec))
	}
	if r, ok := a.Named["reminder"]; ok {
		r = strings.TrimSpace(r)
		if strings.EqualFold(r, "off") {
			next.Reminder = nil
		} else {
			t, err := ParseTimeOfDay(r)
			if err != nil {
				return Reply{}, err
			}
			next.Reminder = &t
		}
		changed = append(changed, "reminder "+orOff(reminderText(next.Reminder)))
	}
	if g, ok := a.Named["grace"]; ok {
		if next.Grace, err = ParseGrace(g); err != nil {
			return Reply{}, err
		}
		changed = append(changed, "grace "+formatDuration(next.Grace))
	}
	if f, ok := a.Named["freezes"]; ok {
		switch f = strings.ToLower(strings.TrimSpace(f)); f {
		case "off", "0":
			next.MaxFreezes = 0
		case "1", "2", "3":
			next.MaxFreezes = int(f[0] - '0')
		default:
			return Reply{}, Errorf(EINVALID, "freezes must be off, 1, 2 or 3, not %q", f)
		}
		changed = append(changed, "streak freezes "+orOff(map[int]string{0: "", 1: "1", 2: "2", 3: "3"}[next.MaxFreezes]))
	}
	nv, err := s.save(ctx, v, next)
	if err != nil {
		return Reply{}, err
	}
	msgs, err := saveRole()
	if err != nil {
		return Reply{}, err
	}
	end, _ := nv.Calendar.EndDate()
	msgs = append(msgs, Message{Sections: []Section{{Text: fmt.Sprintf("⚙️ “%s”: %s. Projected end: %s.", nv.Name, strings.Join(changed, ", "), end.Human())}}})
	return Reply{Messages: msgs}, nil
}

func reminderText(t *TimeOfDay) string {
	if t == nil {
		return ""
	}
	return t.String()
}

func orOff(s string) string {
	if s == "" {
		return "off"
	}
	return s
}

// save stores a changed cohort after checking that the change moves no day that members
// have already been given: a posted day keeps its date, so check-ins keep their meaning.
func (s *Service) save(ctx context.Context, before CohortView, after Cohort) (CohortView, error) {
	nv, err := s.View(&after)
	if err != nil {
		return CohortView{}, err
	}
	posted := postedDays(before.Calendar, s.now())
	for n := 1; n <= posted; n++ {
		was, _ := before.Calendar.DateOfDay(n)
		will, ok := nv.Calendar.DateOfDay(n)
		if !ok || was != will {
			return CohortView{}, Errorf(EINVALID, "that change would move day %d, already posted on %s; pause or skip future days instead", n, was)
		}
	}
	if err := s.store.UpdateCohort(ctx, &after); err != nil {
		return CohortView{}, fmt.Errorf("save cohort %d: %w", after.ID, err)
	}
	s.changed()
	return nv, nil
}

// postedDays is how many days' cards are due by now.
func postedDays(cal Calendar, now time.Time) int {
	if day, _, ok := cal.NextPost(now.Add(time.Nanosecond)); ok {
		return day - 1
	}
	return cal.CurrentDay(cal.Today(now))
}

func (s *Service) pause(ctx context.Context, cl *call) (Reply, error) {
	a, v := cl.args, cl.cohort
	today := v.Calendar.Today(s.now())
	r := DateRange{From: today}
	var err error
	if f := a.Get("from"); f != "" {
		if r.From, err = ParseDate(f); err != nil {
			return Reply{}, err
		}
	}
	if u := a.Get("until"); u != "" {
		if r.Until, err = ParseDate(u); err != nil {
			return Reply{}, err
		}
	}
	if r.From.Before(today) {
		return Reply{}, Errorf(EINVALID, "from %s is in the past (today is %s): past days keep their numbers", r.From, today)
	}
	if !r.Until.IsZero() && r.Until.Before(r.From) {
		return Reply{}, Errorf(EINVALID, "until %s is before from %s", r.Until, r.From)
	}
	// A pause is planned within the coming year; a longer one is open-ended, ended with
	// /cohort resume.
	for _, d := range []Date{r.From, r.Until} {
		if d.Sub(today) > maxReach {
			return Reply{}, Errorf(EINVALID, "%s is more than a year ahead: pause within the coming year, or without until and /cohort resume later", d)
		}
	}
	for _, p := range v.Pauses {
		if p.Until.IsZero() {
			return Reply{}, Errorf(ECONFLICT, "already paused from %s until resumed; /cohort resume first", p.From)
		}
	}
	next := *v.Cohort
	next.Pauses = append(append([]DateRange(nil), v.Pauses...), r)
	nv, err := s.save(ctx, v, next)
	if err != nil {
		return Reply{}, err
	}
	if r.Until.IsZero() {
		return textReply(false, "⏸ “%s” is paused from %s until /cohort resume. No cards, and streaks are kept.", v.Name, r.From.Human()), nil
	}
	end, _ := nv.Calendar.EndDate()
	return textReply(false, "⏸ “%s” is paused %s. Streaks are kept; the projected end moves to %s.", v.Name, r, end.Human()), nil
}

func (s *Service) resume(ctx context.Context, cl *call) (Reply, error) {
	v := cl.cohort
	today := v.Calendar.Today(s.now())
	next := *v.Cohort
	next.Pauses = nil
	resumed := false
	for _, p := range v.Pauses {
		if p.Until.IsZero() || p.Contains(today) {
			resumed = true
			if p.From.Before(today) {
				next.Pauses = append(next.Pauses, DateRange{From: p.From, Until: today.AddDays(-1)})
			}
			continue
		}
		next.Pauses = append(next.Pauses, p)
	}
	if !resumed {
		return Reply{}, Errorf(EINVALID, "“%s” is not paused today", v.Name)
	}
	nv, err := s.save(ctx, v, next)
	if err != nil {
		return Reply{}, err
	}
	end, _ := nv.Calendar.EndDate()
	return textReply(false, "▶️ “%s” is back on. Projected end: %s.", v.Name, end.Human()), nil
}

func (s *Service) skip(ctx context.Context, cl *call) (Reply, error) {
	a, v := cl.args, cl.cohort
	text := a.Get("date")
	if text == "" && len(a.Positional) == 1 {
		text = a.Positional[0]
	}
	if text == "" {
		return Reply{}, Errorf(EINVALID, "date is missing: /cohort skip date:YYYY-MM-DD")
	}
	d, err := ParseDate(text)
	if err != nil {
		return Reply{}, err
	}
	today := v.Calendar.Today(s.now())
	if d.Before(today) {
		return Reply{}, Errorf(EINVALID, "%s is in the past (today is %s)", d, today)
	}
	if why := v.Calendar.RestReason(d); why != "" {
		return Reply{}, Errorf(ECONFLICT, "%s is already not a study day (%s)", d, why)
	}
	if end, ok := v.Calendar.EndDate(); ok && d.After(end) {
		return Reply{}, Errorf(EINVALID, "%s is after the course ends (%s)", d, end)
	}
	next := *v.Cohort
	next.Skips = append(append([]Date(nil), v.Skips...), d)
	sortDates(next.Skips)
	nv, err := s.save(ctx, v, next)
	if err != nil {
		return Reply{}, err
	}
	end, _ := nv.Calendar.EndDate()
	return textReply(false, "⏭ %s is skipped: no card that day. Projected end: %s.", d.Human(), end.Human()), nil
}

// sortDates keeps skips in calendar order for display and storage.
func sortDates(d []Date) {
	sort.Slice(d, func(i, j int) bool { return d[i].Before(d[j]) })
}

func (s *Service) preview(ctx context.Context, cl *call) (Reply, error) {
	a, v := cl.args, cl.cohort
	text := a.Get("day")
	if text == "" && len(a.Positional) == 1 {
		text = a.Positional[0]
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return Reply{}, Errorf(EINVALID, "day must be a whole number: /cohort preview day:N")
	}
	if n < 1 || n > v.Track.Len() {
		return Reply{}, Errorf(EINVALID, "day must be between 1 and %d, not %d", v.Track.Len(), n)
	}
	return Reply{Ephemeral: true, Messages: cardMessages(v.Track, n)}, nil
}

// ParseGrace reads a grace period: hours and minutes (2h, 90m, 1h30m, 0) within 0–12 h.
func ParseGrace(text string) (time.Duration, error) {
	text = strings.TrimSpace(strings.ToLower(text))
	d, err := time.ParseDuration(text)
	if text == "0" {
		d, err = 0, nil
	}
	if err != nil || strings.ContainsAny(text, "-+") {
		return 0, Errorf(EINVALID, "%q is not a grace period: use hours and minutes, like 2h or 90m", text)
	}
	if d > MaxGrace || d%time.Minute != 0 {
		return 0, Errorf(EINVALID, "grace must be whole minutes between 0h and 12h, not %s", text)
	}
	return d, nil
}

// formatDuration shows a grace period as set: "4h", "90m" as "1h30m".
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0h"
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%dh%02dm", d/time.Hour, (d%time.Hour)/time.Minute)
}
