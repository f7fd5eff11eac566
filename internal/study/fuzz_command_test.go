package study_test

// Fuzz targets of the core's request path: whole commands as members type them, button ids
// and thread replies, and organizers' cron schedules, each handled by the real core over a
// real SQLite store in a known state (internal/fuzztest).

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cohortbot/internal/fuzztest"
	"cohortbot/internal/schedule"
	"cohortbot/internal/study"
)

// fuzzWorld is the console's side of the fuzz baseline. User ids look like Slack's so
// that organizer lists accept them.
func fuzzWorld(tb testing.TB) *fuzztest.World {
	ch := func(id string) study.ChannelRef {
		return study.ChannelRef{Platform: "console", Workspace: "w", Channel: id}
	}
	u := func(id, name string) study.UserRef {
		return study.UserRef{Platform: "console", Workspace: "w", ID: id, Name: name}
	}
	return fuzztest.New(tb, fuzztest.Config{
		Channel: ch("room"), Soon: ch("later"), Free: ch("empty"),
		Admin: u("UADA", "Ada"), Organizer: u("UOLGA", "Olga"), Member: u("UBOB", "Bob"),
	})
}

// commandSeeds are the README's commands and their near misses.
var commandSeeds = []string{
	"/today", "/done", "/done 12 read it twice", "/done day:4 note:hi", "/done 3", "/done 0", "/done -1", "/done 99999999999999999999",
	"/done note:\"tricky bit: closures\"", "/progress", "/leaderboard", "/help", "/me", "/me tz:Asia/Tokyo", "/me remind:20:00",
	"/me remind:off", "/me tz:Mars/Olympus", "/away until:2027-01-20", "/away off", "/away until:2026-01-01", "/away until:2027-12-31",
	`/cohort setup start:2027-01-12 time:09:00 tz:Europe/Berlin cadence:weekdays name:"Winter crew"`,
	"/cohort setup start:2027-02-30 time:09:00 tz:UTC", "/cohort setup start:2027-01-12 time:25:00 tz:UTC",
	"/cohort setup start:2027-01-12 time:09:00 tz:UTC name:\"two\nlines\"", "/cohort status", "/cohort pause",
	"/cohort pause from:2027-01-20 until:2027-01-22", "/cohort pause from:2027-01-22 until:2027-01-20", "/cohort resume",
	"/cohort skip date:2027-01-21", "/cohort skip date:2027-01-01", "/cohort skip 2027-01-21", "/cohort set time:10:00",
	"/cohort set tz:America/New_York", "/cohort set cadence:daily", `/cohort set name:"New name"`, "/cohort set start:2027-01-05",
	`/cohort set leaderboard:"0 17 * * FRI"`, `/cohort set recap:"0 18 * * SUN"`, "/cohort set leaderboard:off",
	`/cohort set leaderboard:"* * * * *"`, "/cohort set organizers:<@UBOB>,<@UCAROL>", "/cohort set organizers:off",
	"/cohort set organizers:@ana", "/cohort set organizer-role:<@&123456789012345678>", "/cohort set reminder:20:00",
	"/cohort set reminder:off", "/cohort set grace:4h", "/cohort set grace:13h", "/cohort set freezes:off", "/cohort set freezes:4",
	"/cohort set strat:2027-01-05", "/cohort set",
	"/cohort post today", "/cohort post kind:leaderboard", "/cohort post recap", "/cohort post nothing", "/cohort preview day:3",
	"/cohort preview 94", "/cohort link code:ABCDEFGH", "/cohort link", "/cohort", "/cohort help", "/cohort frobnicate",
	"/frobnicate", "", "/", "/done \"unclosed", "/DONE", "/Cohort STATUS",
}

// Request sources the fuzzer picks.
const (
	viaCommand = iota
	viaButton
	viaReply
	viaSources
)

// FuzzCommand feeds whole requests to the core: a command line (SplitCommandLine, as the
// console and Slack split it, then each command's own parse), a button id or a thread
// reply's text; from an admin, an organizer, a member or a stranger; in the running
// cohort's channel (or one of its day threads), an upcoming cohort's or an empty one.
//
// Nothing panics; a refusal is one specific line and changes nothing in the store; an
// answer says something, its metrics label is one of the table's, and the cohorts it
// leaves can still be read and planned.
func FuzzCommand(f *testing.F) {
	w := fuzzWorld(f)
	for _, name := range study.CommandNames() {
		if !slices.ContainsFunc(commandSeeds, func(s string) bool { return strings.HasPrefix(s+" ", "/"+name+" ") }) {
			f.Fatalf("no seed runs /%s: add one to commandSeeds", name)
		}
	}
	for i, s := range commandSeeds {
		f.Add(s, uint8(i%4), uint8(0), uint8(viaCommand), uint8(0))
	}
	for _, s := range []string{"/cohort status", "/done", "/cohort setup start:2027-02-01 time:07:00 tz:UTC", "/cohort set time:08:00"} {
		for where := range 3 {
			f.Add(s, uint8(0), uint8(where), uint8(viaCommand), uint8(0))
		}
	}
	f.Add("/cohort link code:"+w.LinkCode, uint8(0), uint8(2), uint8(viaCommand), uint8(0))
	f.Add("/done", uint8(2), uint8(0), uint8(viaCommand), uint8(3))
	for _, a := range []string{"done:7", "done:6", "done:3", "done:8", "done:0", "done:07", "done:1:x", "reveal:7:q", "reveal:3:predict",
		"answers:5", "answers:5:2", "reveal:99:q", "remind-off:1", "remind-off:2", w.StopReminders, "", "done", ":", "done:-1"} {
		for who := range 4 {
			f.Add(a, uint8(who), uint8(0), uint8(viaButton), uint8(0))
		}
	}
	for thread := range fuzztest.Day + 2 {
		f.Add("did it, hard one", uint8(2), uint8(0), uint8(viaReply), uint8(thread))
	}
	users := []study.UserRef{w.Config().Admin, w.Config().Organizer, w.Config().Member,
		{Platform: "console", Workspace: "w", ID: "UNEW", Name: "Newcomer"}}
	channels := []study.ChannelRef{w.Config().Channel, w.Config().Soon, w.Config().Free}
	labels := append(study.CommandNames(), "other")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, input string, who, where, source, thread uint8) {
		defer fuzztest.SkipKnownPanics(t)
		u := users[int(who)%len(users)]
		req := study.Request{Channel: channels[int(where)%len(channels)], User: u, Admin: u == w.Config().Admin}
		if n := int(thread) % (fuzztest.Day + 2); n > 0 {
			req.Thread = w.Threads[n] // n == Day+1: a thread that is not a day's
			if req.Thread == "" {
				req.Thread = "1799999999.000001"
			}
		}
		switch source % viaSources {
		case viaCommand:
			req.Command, req.Sub, req.Text = study.SplitCommandLine(input)
		case viaButton:
			req.Source, req.Action = study.SourceButton, input
		case viaReply:
			req.Source, req.Text = study.SourceReply, input
		}
		what := fmt.Sprintf("%s %q by %s in %s", req.Source, input, u.ID, req.Channel.Channel)
		if l := study.CommandName(req); !slices.Contains(labels, l) {
			t.Errorf("%s: metrics label %q is not one of the table's", what, l)
		}
		reply, err := w.Service().Handle(ctx, req)
		if err != nil {
			fuzztest.CheckRefusal(t, what, err)
		} else {
			fuzztest.CheckAnswer(t, what, reply)
			w.CheckCohorts(t, what)
		}
		w.Settle(t, err)
	})
}

// FuzzCronSchedule feeds leaderboard and recap schedules to the cron parser the core is
// wired with (schedule.Cron) and to /cohort set, as a typed option so that the text
// arrives exactly. Parsing never panics; an accepted schedule parses, never fires twice
// within an hour (over 400 firings from Monday 4 January 2027, in UTC as the core looks
// and in the cohort's zone) and can be planned; "off" turns it off; anything else
// is refused in one line and changes nothing.
func FuzzCronSchedule(f *testing.F) {
	w := fuzzWorld(f)
	for _, s := range []string{"0 17 * * FRI", "0 18 * * SUN", "off", "OFF", "", " ", "* * * * *", "*/30 * * * *", "0 * * * *",
		"0,30 9 * * MON", "0 9 1 1 *", "0 17 30 2 *", "@weekly", "@daily", "@hourly", "@every 1h", "@every 30m", "@every 1s",
		"@every -1h", "@every 2562047h", "@yearly", "@reboot", "CRON_TZ=Asia/Tokyo 0 9 * * *", "TZ=Europe/Berlin 0 17 * * FRI",
		"0 17 * * FRI,SAT", "59 23 31 12 *", "0 0 29 2 *", "0 17 ? * FRI", "0 17 L * *", "60 17 * * *", "0 24 * * *",
		"0 17 * * 7", "0 17 * 13 *", "5-4 * * * *", "0 0/1 * * *", "0 17 * * FRI extra"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	ctx := context.Background()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, spec string, recap bool) {
		defer fuzztest.SkipKnownPanics(t)
		schedule.Cron.Parse(spec) // never panics, whatever the text
		// The core trims what it is given and keeps that: the trimmed text is what must parse.
		sched, perr := schedule.Cron.Parse(strings.TrimSpace(spec))
		if perr == nil {
			sched.Next(time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC))
		}
		key := "leaderboard"
		if recap {
			key = "recap"
		}
		c := w.Config()
		req := study.Request{Channel: c.Channel, User: c.Admin, Admin: true, Command: "cohort", Sub: "set", Options: map[string]string{key: spec}}
		what := fmt.Sprintf("/cohort set %s:%q", key, spec)
		reply, err := w.Service().Handle(ctx, req)
		if err != nil {
			fuzztest.CheckRefusal(t, what, err)
			w.Settle(t, err)
			return
		}
		fuzztest.CheckAnswer(t, what, reply)
		trimmed := strings.TrimSpace(spec)
		if !strings.EqualFold(trimmed, "off") {
			if perr != nil {
				t.Fatalf("%s was accepted, but the parser refuses it: %v", what, perr)
			}
			for _, from := range []time.Time{time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 4, 0, 0, 0, 0, loc)} {
				prev := sched.Next(from)
				for i := 0; i < 400 && !prev.IsZero(); i++ {
					next := sched.Next(prev)
					if next.IsZero() {
						break
					}
					if next.Sub(prev) < time.Hour {
						t.Fatalf("%s was accepted, but it fires at %v and again at %v", what, prev, next)
					}
					prev = next
				}
			}
		}
		co, err := w.Store().CohortByChannel(ctx, c.Channel)
		if err != nil {
			t.Fatal(err)
		}
		got := co.LeaderboardCron
		if recap {
			got = co.RecapCron
		}
		if want := trimmed; strings.EqualFold(want, "off") && got != "" || !strings.EqualFold(want, "off") && got != want {
			t.Errorf("%s stored %q", what, got)
		}
		w.CheckCohorts(t, what)
		w.Settle(t, nil)
	})
}
