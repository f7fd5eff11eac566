package study_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"cohortbot/internal/clocktest"
	"cohortbot/internal/pgtest"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// miniTrack is a 10-day track in two phases, enough to exercise the commands.
func miniTrack() *study.Track {
	t := &study.Track{ID: "mini", Title: "Mini"}
	n := 0
	for p := 1; p <= 2; p++ {
		ph := study.Phase{Number: p, Title: fmt.Sprintf("PHASE %d", p), Subtitle: "(test)", Outcome: "I did it."}
		for d := 1; d <= 5; d++ {
			n++
			ph.Days = append(ph.Days, study.Card{Phase: p, Day: d, Number: n, Topic: fmt.Sprintf("Topic %d", n), Slug: fmt.Sprintf("t%d", n)})
		}
		t.Phases = append(t.Phases, ph)
	}
	return t
}

type env struct {
	svc   *study.Service
	store *store.Store
	clock *clocktest.Clock
}

var (
	room      = study.ChannelRef{Platform: "console", Workspace: "w", Channel: "room"}
	otherRoom = study.ChannelRef{Platform: "console", Workspace: "w", Channel: "elsewhere"}
	ada       = study.UserRef{Platform: "console", Workspace: "w", ID: "ada", Name: "Ada"}
	bob       = study.UserRef{Platform: "console", Workspace: "w", ID: "bob", Name: "Bob"}
)

func newEnv(t *testing.T, d store.Dialect, now string) *env {
	t.Helper()
	clk := clocktest.New(utc(t, now))
	st := storetest.MustOpen(t, d, clk.Now)
	return &env{svc: studytest.MustService(t, st, clk.Now, miniTrack()), store: st, clock: clk}
}

func (e *env) do(t *testing.T, user study.UserRef, organizer bool, line string) (study.Reply, error) {
	t.Helper()
	e.upkeep(t)
	cmd, sub, rest := study.SplitCommandLine(line)
	return e.svc.Handle(context.Background(), study.Request{Channel: room, User: user, Admin: organizer, Command: cmd, Sub: sub, Text: rest})
}

func (e *env) mustDo(t *testing.T, user study.UserRef, organizer bool, line string) string {
	t.Helper()
	r, err := e.do(t, user, organizer, line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(study.PlainText(m))
	}
	return b.String()
}

// snapshot is everything the store holds, to prove that refused input changed nothing.
func (e *env) snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	cohorts, err := e.store.Cohorts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range cohorts {
		members, _ := e.store.Members(ctx, c.ID)
		cis, _ := e.store.CheckIns(ctx, c.ID)
		fmt.Fprintf(&b, "%+v\n%+v\n%+v\n", c, members, cis)
	}
	return b.String()
}

func TestCommandFlow(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, "2027-01-04T10:00:00Z") // a Monday
		out := e.mustDo(t, ada, true, `/cohort setup start:2027-01-04 time:09:00 tz:Europe/Berlin cadence:weekdays name:"Winter crew"`)
		if !strings.Contains(out, "“Winter crew” is set up") || !strings.Contains(out, "Projected end: Fri 15 Jan 2027") {
			t.Errorf("setup reply: %s", out)
		}
		if out := e.mustDo(t, ada, false, "/today"); !strings.Contains(out, "Day 1/10") || !strings.Contains(out, "Topic 1") {
			t.Errorf("/today: %s", out)
		}
		if out := e.mustDo(t, ada, false, "/done"); !strings.Contains(out, "Day 1 — Topic 1 checked in") {
			t.Errorf("/done: %s", out)
		}
		// Three days later Ada catches up day 2 late and does day 4 on time; Bob does 4.
		e.clock.Set(utc(t, "2027-01-07T12:00:00Z"))
		if out := e.mustDo(t, ada, false, "/done 2 read it twice"); !strings.Contains(out, "(late: it counts for completion, not for the streak)") {
			t.Errorf("late /done: %s", out)
		}
		e.mustDo(t, ada, false, "/done")
		e.mustDo(t, bob, false, "/done day:4 note:hi")
		out = e.mustDo(t, ada, false, "/progress")
		if !strings.Contains(out, "completed 3 of 10 days (today is day 4) · streak 1 day (best 1) · rank 1 of 2") || !strings.Contains(out, "Not done yet: days 3") {
			t.Errorf("/progress: %s", out)
		}
		out = e.mustDo(t, bob, false, "/leaderboard")
		if !strings.Contains(out, "🥇 Ada — 3 days done · 🔥 1 day") || !strings.Contains(out, "🥈 Bob — 1 day done · 🔥 1 day") {
			t.Errorf("/leaderboard: %s", out)
		}
		// Saturday: no card, the reply says why and what comes next.
		e.clock.Set(utc(t, "2027-01-09T12:00:00Z"))
		if out := e.mustDo(t, ada, false, "/today"); !strings.Contains(out, "No new card today (weekend)") || !strings.Contains(out, "Day 6 — Topic 6 comes on Mon 11 Jan 2027") {
			t.Errorf("/today on Saturday: %s", out)
		}
		// Pausing next week moves the projected end.
		out = e.mustDo(t, ada, true, "/cohort pause from:2027-01-11 until:2027-01-12")
		if !strings.Contains(out, "projected end moves to Tue 19 Jan 2027") {
			t.Errorf("pause: %s", out)
		}
		out = e.mustDo(t, ada, true, "/cohort status")
		for _, want := range []string{"Day 5/10", "Next post: Day 6 at Wed 13 Jan 2027 09:00 CET (2027-01-13 08:00 UTC)", "Projected end: Tue 19 Jan 2027", "Members: 2", "Pauses: 2027-01-11 to 2027-01-12"} {
			if !strings.Contains(out, want) {
				t.Errorf("status lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestButtonAndReplyCheckInsAreOnePerDay(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, "2027-01-04T10:00:00Z")
		e.mustDo(t, ada, true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		ctx := context.Background()
		press := study.Request{Channel: room, User: ada, Source: study.SourceButton, Action: study.DoneAction(1).ID}
		for i := range 2 {
			_, err := e.svc.Handle(ctx, press)
			if (i == 0) != (err == nil) {
				t.Errorf("press %d: err %v", i, err)
			}
			if i > 0 && study.ErrorMessage(err) != "You already checked in for day 1." {
				t.Errorf("repeat: %q", study.ErrorMessage(err))
			}
		}
		// A reply after the press: acknowledged with ✅ (the member is checked in), no
		// second check-in.
		r, err := e.svc.Handle(ctx, study.Request{Channel: room, User: ada, Source: study.SourceReply, Text: "again"})
		if err != nil || r.React != study.CheckMark || len(r.Messages) != 0 {
			t.Errorf("reply after the press: %+v, %v", r, err)
		}
		c, _ := e.store.CohortByChannel(ctx, room)
		if cis, _ := e.store.CheckIns(ctx, c.ID); len(cis) != 1 || cis[0].Source != study.SourceButton {
			t.Errorf("check-ins: %+v", cis)
		}
	})
}

// TestBadInputChangesNothing gives every refused input its exact message and proves the
// store is unchanged afterwards.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", study.MaxNote+1)
	tests := []struct {
		line      string
		organizer bool
		channel   study.ChannelRef
		code      string
		want      string
	}{
		{"/frobnicate", false, room, study.EINVALID, "unknown command /frobnicate: try /help"},
		{"/cohort setup start:2027-1-4 time:09:00 tz:UTC", true, otherRoom, study.EINVALID, `"2027-1-4" is not a date: use YYYY-MM-DD, like 2026-03-02`},
		{"/cohort setup start:2027-02-30 time:09:00 tz:UTC", true, otherRoom, study.EINVALID, "2027-02-30 is not a day on the calendar"},
		{"/cohort setup start:2027-01-04 time:09:00 tz:Mars/Olympus", true, otherRoom, study.EINVALID, `unknown time zone "Mars/Olympus": use an IANA name like Europe/Berlin or America/New_York`},
		{"/cohort setup start:2027-01-04 time:25:00 tz:UTC", true, otherRoom, study.EINVALID, "25:00 is not a time of day: hours run 00–23 and minutes 00–59"},
		{"/cohort setup start:2027-01-04 time:09:00", true, otherRoom, study.EINVALID, "tz is missing: /cohort setup start:YYYY-MM-DD time:HH:MM tz:Area/City"},
		{"/cohort setup strat:2027-01-04 time:09:00 tz:UTC", true, otherRoom, study.EINVALID, `unknown option "strat": this command takes start, time, tz, cadence, name, track`},
		{"/cohort setup start:2027-01-04 time:09:00 tz:UTC cadence:monthly", true, otherRoom, study.EINVALID, `unknown cadence "monthly": use daily or weekdays`},
		{"/cohort setup start:2027-01-04 time:09:00 tz:UTC", false, otherRoom, study.EFORBIDDEN, "Only organizers can use /cohort setup."},
		{"/cohort setup start:2027-01-04 time:09:00 tz:UTC", true, room, study.ECONFLICT, "This channel already runs “Mini cohort”; change it with /cohort set."},
		{"/cohort pause", false, room, study.EFORBIDDEN, "Only organizers can use /cohort pause."},
		{"/cohort set time:24:00", true, room, study.EINVALID, "24:00 is not a time of day: hours run 00–23 and minutes 00–59"},
		{"/cohort set colour:blue", true, room, study.EINVALID, `unknown option "colour": this command takes time, tz, cadence, name, start, leaderboard, recap, reminder, grace, freezes, organizers, organizer-role`},
		{"/cohort set start:2027-01-05", true, room, study.EINVALID, "that change would move day 1, already posted on 2027-01-04; pause or skip future days instead"},
		{"/cohort pause from:2027-01-01", true, room, study.EINVALID, "from 2027-01-01 is in the past (today is 2027-01-06): past days keep their numbers"},
		{"/cohort pause from:2027-01-10 until:2027-01-08", true, room, study.EINVALID, "until 2027-01-08 is before from 2027-01-10"},
		{"/cohort resume", true, room, study.EINVALID, "“Mini cohort” is not paused today"},
		{"/cohort skip date:2027-01-09", true, room, study.ECONFLICT, "2027-01-09 is already not a study day (weekend)"},
		{"/cohort skip date:2027-01-05", true, room, study.EINVALID, "2027-01-05 is in the past (today is 2027-01-06)"},
		{"/cohort preview day:11", true, room, study.EINVALID, "day must be between 1 and 10, not 11"},
		{"/cohort explode", true, room, study.EINVALID, `unknown /cohort command "explode": use setup, status, pause, resume, skip, set, preview, post or link`},
		{"/done 4", false, room, study.EINVALID, "Day 4 has not been posted yet: today is day 3"},
		{"/done 0", false, room, study.EINVALID, "day 0 does not exist: days start at 1"},
		{"/done 11", false, room, study.EINVALID, "day must be between 1 and 10, not 11"},
		{"/done day:x", false, room, study.EINVALID, `day must be a whole number, not "x"`},
		{"/done 1 " + long, false, room, study.EINVALID, "the note is 501 characters; keep it under 500"},
		{"/done", false, otherRoom, study.ENOTFOUND, "This channel has no cohort yet: an organizer starts one with /cohort setup start:YYYY-MM-DD time:HH:MM tz:Area/City"},
		{"/today", false, otherRoom, study.ENOTFOUND, "This channel has no cohort yet: an organizer starts one with /cohort setup start:YYYY-MM-DD time:HH:MM tz:Area/City"},
		{"/done 2", false, room, study.ECONFLICT, "You already checked in for day 2."},
		{"/today day:3", false, room, study.EINVALID, `unknown option "day": this command takes no options`},
		{"/fro\nb", false, room, study.EINVALID, `unknown command /fro\nb: try /help`},
		{"/cohort setup start:2027-01-04 time:09:00 tz:UTC name:\"two\nlines\"", true, otherRoom, study.EINVALID, "the name must be one line of text, without line breaks or tabs"},
		{"/cohort link code:\"AB\nCD\"", true, otherRoom, study.ENOTFOUND, `no cohort has link code AB\nCD: copy it from /cohort status`},
		{"/cohort pause from:2027-01-10 until:9999-12-31", true, room, study.EINVALID, "9999-12-31 is more than a year ahead: pause within the coming year, or without until and /cohort resume later"},
	}
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, "2027-01-04T10:00:00Z")
		e.mustDo(t, ada, true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC cadence:weekdays")
		e.clock.Set(utc(t, "2027-01-06T10:00:00Z")) // Wednesday, day 3
		e.mustDo(t, ada, false, "/done 2")
		for _, tc := range tests {
			before := e.snapshot(t)
			cmd, sub, rest := study.SplitCommandLine(tc.line)
			_, err := e.svc.Handle(context.Background(), study.Request{Channel: tc.channel, User: ada, Admin: tc.organizer, Command: cmd, Sub: sub, Text: rest})
			msg := study.ErrorMessage(err)
			if study.ErrorCode(err) != tc.code || msg != tc.want {
				t.Errorf("%.60s\n got  %s: %q\n want %s: %q", tc.line, study.ErrorCode(err), msg, tc.code, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("%s: the error is more than one line", tc.line)
			}
			if after := e.snapshot(t); after != before {
				t.Errorf("%.60s changed the store:\nbefore %s\nafter  %s", tc.line, before, after)
			}
		}
	})
}

func TestArgsFromTextAndOptionsAgree(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, "2027-01-04T10:00:00Z")
	typed := study.Request{Channel: room, User: ada, Admin: true, Command: "cohort", Sub: "setup",
		Options: map[string]string{"start": "2027-01-04", "time": "09:00", "tz": "UTC", "name": "Typed crew"}}
	r1, err := e.svc.Handle(context.Background(), typed)
	if err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, store.SQLite, "2027-01-04T10:00:00Z")
	r2, err := e2.do(t, ada, true, `/cohort setup start=2027-01-04 time=09:00 tz=UTC name=“Typed crew”`)
	if err != nil {
		t.Fatal(err)
	}
	if study.PlainText(r1.Messages[0]) != study.PlainText(r2.Messages[0]) {
		t.Errorf("typed options and text differ:\n%s\n%s", study.PlainText(r1.Messages[0]), study.PlainText(r2.Messages[0]))
	}
}

// upkeep runs the core's timed work at the clock's now, as the scheduler does whenever it
// wakes: study days whose windows ended are closed before the next command.
func (e *env) upkeep(t *testing.T) {
	t.Helper()
	if _, err := e.svc.Upkeep(context.Background(), e.clock.Now()); err != nil {
		t.Fatalf("upkeep: %v", err)
	}
}
