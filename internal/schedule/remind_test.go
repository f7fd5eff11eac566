package schedule_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"cohortbot/internal/schedule"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

// Personal reminders (README, "Study days and streaks"): /me remind:HH:MM sends at most one
// direct message a day at that time in the member's zone, only on a study day not yet
// checked in, never while away and never after the course ends, with a Stop reminders
// button. These tests run simulated days through the scheduler and read what the fake
// platform delivered.

var (
	tokyo = mustZone("Asia/Tokyo")
	york  = mustZone("America/New_York")
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// wall is "2027-01-04 20:00" on the clocks of loc.
func wall(t testing.TB, s string, loc *time.Location) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// date is "2027-01-04".
func date(t testing.TB, s string) study.Date {
	t.Helper()
	d, err := study.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// dm is a personal reminder a member received: who, when (simulated time), for which day.
type dm struct {
	to     string
	at     time.Time
	day    int
	member int64 // the outbox row's member
	out    study.Outgoing
}

// dms lists the direct messages the platform delivered, in order, each with its outbox
// row's send time and day.
func (e *env) dms() []dm {
	e.t.Helper()
	rows := map[string]study.Post{}
	for _, p := range e.posts(study.KindNudge) {
		rows[p.Nonce] = p
	}
	var out []dm
	for _, m := range e.plat.sent() {
		if m.out.To == (study.UserRef{}) {
			if m.out.Kind == study.KindNudge {
				e.t.Errorf("a personal reminder went to the channel: %+v", m.out)
			}
			continue
		}
		p, ok := rows[m.out.Nonce]
		if !ok || m.out.Kind != study.KindNudge {
			e.t.Fatalf("a direct message without its nudge row: %s %+v", m.out.Kind, m.out)
		}
		out = append(out, dm{to: m.out.To.ID, at: p.SentAt, day: p.Day, member: p.MemberID, out: m.out})
	}
	return out
}

// member is user's row in the cohort of room.
func (e *env) member(user string) *study.Member {
	e.t.Helper()
	ctx := context.Background()
	c, err := e.store.CohortByChannel(ctx, room)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := e.store.MemberByUser(ctx, c.ID, study.UserRef{Platform: "fake", Workspace: "w", ID: user})
	if err != nil {
		e.t.Fatalf("member %s: %v", user, err)
	}
	return m
}

// press is user pressing the button with action id under a direct message.
func (e *env) press(user, action string) (string, error) {
	r, err := e.svc.Handle(context.Background(), study.Request{Source: study.SourceButton, Action: action,
		Channel: study.ChannelRef{Platform: "fake", Workspace: "w", Channel: "dm-" + user},
		User:    study.UserRef{Platform: "fake", Workspace: "w", ID: user, Name: user}})
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(study.PlainText(m))
	}
	return b.String(), err
}

// want is an expected reminder: the member's wall time and the study day it is about.
type want struct {
	local string // "2027-01-04 20:00" in the member's zone
	day   int
}

// checkDMs compares the reminders user received with want, in order: each at its local
// time, about its day, with the Stop reminders button for that member.
func checkDMs(t *testing.T, e *env, user string, loc *time.Location, wants []want) {
	t.Helper()
	m := e.member(user)
	var got []dm
	for _, d := range e.dms() {
		if d.to == user {
			got = append(got, d)
		}
	}
	for i := 0; i < len(got) || i < len(wants); i++ {
		switch {
		case i >= len(got):
			t.Errorf("%s: reminder %d missing: want %s (day %d)", user, i+1, wants[i].local, wants[i].day)
			continue
		case i >= len(wants):
			t.Errorf("%s: unexpected reminder %d at %s (day %d)", user, i+1, got[i].at.In(loc).Format("2006-01-02 15:04 MST"), got[i].day)
			continue
		}
		g, w := got[i], wants[i]
		if at := wall(t, w.local, loc); !g.at.Equal(at) || g.day != w.day {
			t.Errorf("%s: reminder %d at %s (day %d), want %s (day %d)", user, i+1, g.at.In(loc).Format("2006-01-02 15:04 MST"), g.day, w.local, w.day)
		}
		if g.member != m.ID || g.out.To.Platform != "fake" || g.out.To.Workspace != "w" {
			t.Errorf("%s: reminder %d addressed to member %d %+v, want member %d", user, i+1, g.member, g.out.To, m.ID)
		}
		if len(g.out.Messages) != 1 || !strings.Contains(study.PlainText(g.out.Messages[0]), "Day "+strconv.Itoa(g.day)+" —") {
			t.Errorf("%s: reminder %d does not name day %d: %+v", user, i+1, g.day, g.out.Messages)
			continue
		}
		stop := "remind-off:" + strconv.FormatInt(m.ID, 10)
		if acts := g.out.Messages[0].Actions; len(acts) != 1 || acts[0].ID != stop || !strings.Contains(acts[0].Label, "Stop reminders") {
			t.Errorf("%s: reminder %d buttons %+v, want one Stop reminders (%s)", user, i+1, acts, stop)
		}
	}
	// At most one for each card. (One a day on the member's clock is the wants' exact
	// instants: loc is the zone at the end, which a cohort moving east has not always had.)
	perDay := map[int]int{}
	for _, d := range got {
		if perDay[d.day]++; perDay[d.day] > 1 {
			t.Errorf("%s: two reminders about day %d", user, d.day)
		}
	}
}

// TestPersonalReminderAtTheMembersTime: Bob in Tokyo asks for 20:00 in a UTC cohort that
// posts at 09:00 UTC (18:00 in Tokyo). For a week he gets one direct message per study day
// at 20:00 Tokyo (11:00 UTC), except on the day he checked in before then; Carol, who never
// asked, gets none.
func TestPersonalReminderAtTheMembersTime(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-01-03T12:00:00Z"))
		e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		e.mustDo("bob", false, "/me tz:Asia/Tokyo")
		if out := e.mustDo("bob", false, "/me remind:20:00"); !strings.Contains(out, "reminder at 20:00 your time") {
			t.Errorf("/me remind:20:00: %s", out)
		}
		if out := e.mustDo("bob", false, "/me"); !strings.Contains(out, "Reminder: 20:00 your time") || !strings.Contains(out, "Asia/Tokyo") {
			t.Errorf("/me:\n%s", out)
		}
		e.runUntil(wall(t, "2027-01-04 10:00", time.UTC))
		e.mustDo("carol", false, "/done") // a member, without reminders
		// Wednesday: Bob checks in at 19:30 Tokyo, before his reminder.
		e.runUntil(wall(t, "2027-01-06 19:30", tokyo))
		e.mustDo("bob", false, "/done")
		e.runUntil(wall(t, "2027-01-11 00:00", time.UTC))

		checkDMs(t, e, "bob", tokyo, []want{
			{"2027-01-04 20:00", 1}, {"2027-01-05 20:00", 2},
			// 6 January: checked in at 19:30
			{"2027-01-07 20:00", 4}, {"2027-01-08 20:00", 5}, {"2027-01-09 20:00", 6}, {"2027-01-10 20:00", 7},
		})
		for _, m := range e.dms() {
			if m.to != "bob" {
				t.Errorf("a reminder reached %s, who never asked for one", m.to)
			}
		}
		if n := e.plat.kinds()[study.KindDay]; n != 7 {
			t.Errorf("%d cards, want 7", n)
		}
	})
}

// TestPersonalReminderRecheckedBeforeSending: the reminder is planned at 20:00 and its
// first send fails; before the retry Bob checks in, goes away or presses Stop reminders
// (on an earlier reminder), and the retry sends nothing.
func TestPersonalReminderRecheckedBeforeSending(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		act  func(e *env)
		skip string // the outbox row's reason
	}{
		{"checked in", func(e *env) { e.mustDo("bob", false, "/done") }, "checked in already"},
		{"went away", func(e *env) { e.mustDo("bob", false, "/away until:2027-01-05") }, "away"},
		{"pressed Stop reminders", func(e *env) {
			if _, err := e.press("bob", "remind-off:"+strconv.FormatInt(e.member("bob").ID, 10)); err != nil {
				e.t.Fatal(err)
			}
		}, "reminders turned off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
				e := newEnv(t, d, at(t, "2027-01-03T12:00:00Z"))
				e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
				e.mustDo("bob", false, "/me remind:20:00")
				e.plat.fail = func(out study.Outgoing) error {
					if out.Kind == study.KindNudge {
						return &study.DeliveryError{Reason: "HTTP 502 Bad Gateway"}
					}
					return nil
				}
				e.runUntil(wall(t, "2027-01-04 20:00", time.UTC))
				ps := e.posts(study.KindNudge)
				if len(ps) != 1 || ps[0].Status != study.PostPending {
					t.Fatalf("after a failed send: %+v", ps)
				}
				e.plat.mu.Lock()
				e.plat.fail = nil
				e.plat.mu.Unlock()
				tc.act(e)
				e.runUntil(wall(t, "2027-01-04 21:00", time.UTC))
				if got := e.dms(); len(got) != 0 {
					t.Errorf("reminded anyway: %+v", got)
				}
				if ps := e.posts(study.KindNudge); len(ps) != 1 || ps[0].Status != study.PostSkipped || ps[0].LastError != tc.skip {
					t.Errorf("nudge row: %+v, want skipped: %s", ps, tc.skip)
				}
			})
		})
	}
}

// TestPersonalReminderNotWhileAway: Bob (Tokyo) goes away through two days; no reminder
// reaches him on them, and they resume after.
func TestPersonalReminderNotWhileAway(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-01-03T12:00:00Z"))
		e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		e.mustDo("bob", false, "/me tz:Asia/Tokyo remind:20:00")
		e.runUntil(wall(t, "2027-01-04 22:00", tokyo))
		e.mustDo("bob", false, "/away until:2027-01-06") // through 6 January, Tokyo time
		e.runUntil(wall(t, "2027-01-09 00:00", tokyo))
		checkDMs(t, e, "bob", tokyo, []want{
			{"2027-01-04 20:00", 1},
			// 5 and 6 January: away
			{"2027-01-07 20:00", 4}, {"2027-01-08 20:00", 5},
		})
	})
}

// TestPersonalReminderOnlyOnStudyDays: a weekdays cohort with a two-day pause: no
// reminder on a weekend or a paused day.
func TestPersonalReminderOnlyOnStudyDays(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-01-03T12:00:00Z"))
		e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC cadence:weekdays")
		e.mustDo("org", true, "/cohort pause from:2027-01-12 until:2027-01-13")
		e.mustDo("bob", false, "/me remind:20:00") // the cohort's zone
		e.runUntil(wall(t, "2027-01-09 10:00", time.UTC))
		// Dan asks on Saturday, with Friday's day still open to him: his first reminder
		// comes on Monday.
		e.mustDo("dan", false, "/me remind:20:00")
		e.runUntil(wall(t, "2027-01-16 00:00", time.UTC))
		checkDMs(t, e, "dan", time.UTC, []want{{"2027-01-11 20:00", 6}, {"2027-01-14 20:00", 7}, {"2027-01-15 20:00", 8}})
		checkDMs(t, e, "bob", time.UTC, []want{
			{"2027-01-04 20:00", 1}, {"2027-01-05 20:00", 2}, {"2027-01-06 20:00", 3}, {"2027-01-07 20:00", 4}, {"2027-01-08 20:00", 5},
			// Sat 9, Sun 10: no cards
			{"2027-01-11 20:00", 6},
			// Tue 12, Wed 13: paused
			{"2027-01-14 20:00", 7}, {"2027-01-15 20:00", 8},
		})
	})
}

// TestPersonalReminderStopsWhenTheCourseEnds: the last three study days each get their
// reminder; none comes after the last, and none is scheduled any more.
func TestPersonalReminderStopsWhenTheCourseEnds(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		start := date(t, "2027-01-04")
		last := start.AddDays(92) // day 93 of a daily cohort
		day := func(n int) string { return start.AddDays(n-1).String() + " 20:00" }
		e := newEnv(t, d, wall(t, last.AddDays(-2).String()+" 12:00", time.UTC)) // day 91
		e.mustDo("org", true, "/cohort setup start:"+start.String()+" time:09:00 tz:UTC")
		e.mustDo("bob", false, "/me remind:20:00")
		e.runUntil(wall(t, last.AddDays(1).String()+" 10:00", time.UTC))
		// Erin asks the morning after the last card, its day still open: no study day is
		// left to remind her of.
		e.mustDo("erin", false, "/me remind:20:00")
		e.runUntil(wall(t, last.AddDays(10).String()+" 00:00", time.UTC))
		checkDMs(t, e, "bob", time.UTC, []want{{day(91), 91}, {day(92), 92}, {day(93), 93}})
		checkDMs(t, e, "erin", time.UTC, nil)
		if next := e.member("bob").NextRemind; !next.IsZero() {
			t.Errorf("after the course: next reminder still due %s", next)
		}
		// Asking again after the end schedules nothing.
		e.mustDo("bob", false, "/me remind:21:00")
		if next := e.member("bob").NextRemind; !next.IsZero() {
			t.Errorf("/me remind after the course: next reminder due %s", next)
		}
		e.runUntil(wall(t, last.AddDays(12).String()+" 00:00", time.UTC))
		if n := len(e.dms()); n != 3 {
			t.Errorf("%d reminders, want 3", n)
		}
	})
}

// TestStopRemindersButton: Carol pressing Bob's button changes nothing and is told so in
// one line; Bob pressing it turns his reminders off.
func TestStopRemindersButton(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-01-03T12:00:00Z"))
		e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		e.mustDo("bob", false, "/me remind:20:00")
		e.mustDo("carol", false, "/me remind:20:00")
		e.runUntil(wall(t, "2027-01-04 21:00", time.UTC))
		var stop string
		for _, m := range e.dms() {
			if m.to == "bob" {
				stop = m.out.Messages[0].Actions[0].ID
			}
		}
		if stop != "remind-off:"+strconv.FormatInt(e.member("bob").ID, 10) {
			t.Fatalf("Bob's Stop reminders button: %q", stop)
		}

		out, err := e.press("carol", stop)
		if study.ErrorCode(err) != study.EFORBIDDEN || study.ErrorMessage(err) != "Those reminders are someone else's." || out != "" {
			t.Errorf("Carol pressing Bob's button: %q, %v", out, err)
		}
		if out := e.mustDo("bob", false, "/me"); !strings.Contains(out, "Reminder: 20:00 your time") {
			t.Errorf("Bob's /me after Carol's press:\n%s", out)
		}
		if out := e.mustDo("carol", false, "/me"); !strings.Contains(out, "Reminder: 20:00 your time") {
			t.Errorf("Carol's /me after her press:\n%s", out)
		}
		e.runUntil(wall(t, "2027-01-05 21:00", time.UTC))

		out, err = e.press("bob", stop)
		if err != nil || !strings.Contains(out, "No more reminders") {
			t.Errorf("Bob pressing Stop reminders: %q, %v", out, err)
		}
		if out := e.mustDo("bob", false, "/me"); !strings.Contains(out, "Reminder: off") {
			t.Errorf("Bob's /me after Stop reminders:\n%s", out)
		}
		if _, err := e.press("bob", "remind-off:999999"); study.ErrorMessage(err) != "This button is no longer in use." {
			t.Errorf("a button of no member: %v", err)
		}
		e.runUntil(wall(t, "2027-01-09 00:00", time.UTC))
		checkDMs(t, e, "bob", time.UTC, []want{{"2027-01-04 20:00", 1}, {"2027-01-05 20:00", 2}})
		checkDMs(t, e, "carol", time.UTC, []want{
			{"2027-01-04 20:00", 1}, {"2027-01-05 20:00", 2}, {"2027-01-06 20:00", 3}, {"2027-01-07 20:00", 4}, {"2027-01-08 20:00", 5},
		})
	})
}

// TestPersonalReminderAcrossDST: Bob in New York keeps 20:00 on his clock across the
// spring-forward night (Sun 14 March 2027), in a cohort that posts at 09:00 UTC: the UTC
// instant moves from 01:00 to 00:00.
func TestPersonalReminderAcrossDST(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-03-07T12:00:00Z"))
		e.mustDo("org", true, "/cohort setup start:2027-03-08 time:09:00 tz:UTC")
		e.mustDo("bob", false, "/me tz:America/New_York remind:20:00")
		e.runUntil(wall(t, "2027-03-18 00:00", york))
		var wants []want
		for n := 1; n <= 10; n++ { // 8–17 March, New York dates
			wants = append(wants, want{date(t, "2027-03-08").AddDays(n-1).String() + " 20:00", n})
		}
		checkDMs(t, e, "bob", york, wants)
		got := e.dms()
		if len(got) == 10 && (got[5].at.UTC().Hour() != 1 || got[6].at.UTC().Hour() != 0) {
			t.Errorf("around DST: 13 March at %s, 14 March at %s (UTC)", got[5].at.UTC(), got[6].at.UTC())
		}
	})
}

// TestPersonalReminderFollowsTheCohortsZone: Bob has no zone of his own, so his 20:00 is
// the cohort's. When the organizer moves the cohort (at 10:00 UTC on day 2), his reminders
// come at 20:00 in the new zone, never at the old zone's 20:00 and never twice on one of
// his days.
func TestPersonalReminderFollowsTheCohortsZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		zone  string
		wants []want // on the new zone's clock
	}{
		// West: 20:00 in New York is after 20:00 UTC, and day 2's reminder comes then.
		{"America/New_York", []want{
			{"2027-01-04 15:00", 1}, // 20:00 UTC on 4 January
			{"2027-01-05 20:00", 2}, {"2027-01-06 20:00", 3}, {"2027-01-07 20:00", 4},
		}},
		// East: 20:00 in Kolkata (14:30 UTC) comes before the instant planned on UTC (20:00
		// UTC, 01:30 Kolkata time). The zone change brings his planned instant forward, so
		// day 2's reminder still comes at 20:00 Kolkata time, and nothing at 01:30.
		{"Asia/Kolkata", []want{
			{"2027-01-05 01:30", 1}, // 20:00 UTC on 4 January
			{"2027-01-05 20:00", 2}, {"2027-01-06 20:00", 3}, {"2027-01-07 20:00", 4},
		}},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			t.Parallel()
			storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
				loc := mustZone(tc.zone)
				e := newEnv(t, d, at(t, "2027-01-03T12:00:00Z"))
				e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
				e.mustDo("bob", false, "/me remind:20:00")
				e.runUntil(wall(t, "2027-01-05 10:00", time.UTC))
				e.mustDo("org", true, "/cohort set tz:"+tc.zone)
				e.runUntil(wall(t, "2027-01-08 00:00", loc))
				checkDMs(t, e, "bob", loc, tc.wants)
			})
		})
	}
}

// TestConsoleClockDeliversPersonalReminders: the console's /clock (Scheduler.Advance)
// stops at a member's reminder instant as Run would wake for it, so a simulated day shows
// the reminder at its time.
func TestConsoleClockDeliversPersonalReminders(t *testing.T) {
	t.Parallel()
	start := at(t, "2027-01-03T12:00:00Z")
	sim := schedule.NewSimClock(func() time.Time { return start }) // real time stands still
	st := storetest.MustOpen(t, store.SQLite, sim.Now)
	plat := newPlatform()
	svc := studytest.MustService(t, st, sim.Now, loadTrack(t))
	sched := studytest.MustScheduler(t, st, svc, study.Posters{"fake": plat}, sim.Now, nil)
	e := &env{t: t, store: st, svc: svc, sched: sched, plat: plat}
	e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
	e.mustDo("bob", false, "/me remind:20:00")
	if _, err := sched.Advance(context.Background(), sim, 3*24*time.Hour, false); err != nil {
		t.Fatal(err)
	}
	checkDMs(t, e, "bob", time.UTC, []want{{"2027-01-04 20:00", 1}, {"2027-01-05 20:00", 2}})
}
