package study

import (
	"fmt"
	"strings"
)

// LeaderboardMessage renders the top n with streaks. With prev (the standings at the
// previous posted board; empty but non-nil for the first) it shows each member's movement;
// with an asker's user id it adds their own row when it falls below the top n.
func LeaderboardMessage(v CohortView, now, prev []Standing, n int, askerID string) Message {
	m := Message{Title: fmt.Sprintf("🏆 Leaderboard — %s", v.Name)}
	if len(now) == 0 {
		m.Sections = []Section{{Text: "No check-ins yet. Be the first: /done"}}
		return m
	}
	before := map[int64]int{}
	for _, s := range prev {
		before[s.MemberID] = s.Rank
	}
	var lines []string
	for i, st := range now {
		switch {
		case i < n:
			lines = append(lines, standingLine(st)+movement(st, before, prev != nil))
		case askerID != "" && st.UserID == askerID:
			lines = append(lines, "…", standingLine(st))
		}
	}
	m.Sections = []Section{{Text: strings.Join(lines, "\n")}}
	if askerID == "" {
		m.Sections = append(m.Sections, Section{Text: "Check your own place with /progress."})
	}
	return m
}

func movement(st Standing, before map[int64]int, show bool) string {
	if !show {
		return ""
	}
	switch r, ok := before[st.MemberID]; {
	case !ok:
		return " 🆕"
	case r > st.Rank:
		return fmt.Sprintf(" ▲%d", r-st.Rank)
	case r < st.Rank:
		return fmt.Sprintf(" ▼%d", st.Rank-r)
	}
	return " ="
}

// DayTally is one study day of a recap: its topic and how many members did it.
type DayTally struct {
	Day   int
	Date  Date
	Topic string
	Done  int
}

// RecapData is what a weekly recap reports.
type RecapData struct {
	Days     []DayTally
	Members  int
	EveryDay []string // members who did every day of the week (the first of them)
	// EveryDayTotal counts them all.
	EveryDayTotal int
	StreakLead    []Standing
	NextTopics    []string
	NextPhase     string
	EndDate       Date
	EndKnown      bool
	Finished      bool
}

// RecapMessage renders the weekly recap.
func RecapMessage(v CohortView, r RecapData) Message {
	m := Message{Title: fmt.Sprintf("🗓 Weekly recap — %s", v.Name)}
	if len(r.Days) == 0 {
		m.Sections = append(m.Sections, Section{Text: "No study days this week."})
	} else {
		var lines []string
		for _, d := range r.Days {
			lines = append(lines, fmt.Sprintf("Day %d — %s: %d/%d done", d.Day, d.Topic, d.Done, r.Members))
		}
		m.Sections = append(m.Sections, Section{Heading: "This week", Text: strings.Join(lines, "\n")})
	}
	if len(r.EveryDay) > 0 {
		text := strings.Join(r.EveryDay, ", ")
		if more := r.EveryDayTotal - len(r.EveryDay); more > 0 {
			text += fmt.Sprintf(" and %d more", more)
		}
		m.Sections = append(m.Sections, Section{Heading: "🌟 Every day this week", Text: text})
	}
	if len(r.StreakLead) > 0 {
		var lines []string
		for _, s := range r.StreakLead {
			lines = append(lines, fmt.Sprintf("🔥 %s — %s", s.Name, plural(s.Streak, "day")))
		}
		m.Sections = append(m.Sections, Section{Heading: "Streak leaders", Text: strings.Join(lines, "\n")})
	}
	switch {
	case r.Finished:
		m.Sections = append(m.Sections, Section{Text: "That was the last week of the course. 🎓"})
	case len(r.NextTopics) > 0:
		m.Sections = append(m.Sections, Section{Heading: "Next week — " + r.NextPhase, Text: bullets(r.NextTopics)})
	}
	if r.EndKnown {
		m.Sections = append(m.Sections, Section{Text: "Projected end: " + r.EndDate.Human()})
	}
	return m
}

// ReminderMessage nudges members who have checked in before but not today: names, and
// more that are counted.
func ReminderMessage(day int, topic string, names []string, more int) Message {
	who := strings.Join(names, ", ")
	if more > 0 {
		who += fmt.Sprintf(" and %d more", more)
	}
	return Message{Sections: []Section{{Text: fmt.Sprintf("⏰ Still time for Day %d — %s: %s. Reply here or /done to check in.", day, topic, who)}}}
}

// FinishMessage closes the course with the final standings.
func FinishMessage(v CohortView, final []Standing) Message {
	m := Message{Title: fmt.Sprintf("🎓 %s — course complete!", v.Name)}
	text := fmt.Sprintf("All %d days of %s are posted. Thank you for studying together.", v.Track.Len(), v.Track.Title)
	if v.Track.CoversIntro != "" && len(v.Track.Covers) > 0 {
		text += "\n" + v.Track.CoversIntro + " " + strings.Join(v.Track.Covers, " · ")
	}
	m.Sections = append(m.Sections, Section{Text: text})
	var lines []string
	for i, s := range final {
		if i >= LeaderboardTop {
			break
		}
		lines = append(lines, standingLine(s))
	}
	if len(lines) > 0 {
		m.Sections = append(m.Sections, Section{Heading: "Final standings", Text: strings.Join(lines, "\n")})
	}
	return m
}
