package schedule_test

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cohortbot/internal/schedule"
	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
	"cohortbot/internal/studytest"
)

// TestWeekdayCohortRunsItsCourseAcrossDST runs a weekday cohort in New York from late
// February through the March DST change to its last day, and counts every post.
func TestWeekdayCohortRunsItsCourseAcrossDST(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-02-20T12:00:00Z"))
		e.mustDo("org", true, "/cohort setup start:2027-02-22 time:09:00 tz:America/New_York cadence:weekdays")
		ny, _ := time.LoadLocation("America/New_York")
		end := at(t, "2027-07-20T00:00:00Z")
		e.runUntil(end)

		ps := e.posts(study.KindDay)
		sort.Slice(ps, func(i, j int) bool { return ps[i].DueAt.Before(ps[j].DueAt) })
		for i, p := range ps {
			local := p.DueAt.In(ny)
			if p.Day != i+1 || local.Hour() != 9 || local.Minute() != 0 || local.Weekday() == time.Saturday || local.Weekday() == time.Sunday {
				t.Errorf("card %d: day %d due %s", i+1, p.Day, local)
			}
			if p.Status != study.PostSent {
				t.Errorf("day %d: %s %s", p.Day, p.Status, p.LastError)
			}
		}
		if len(ps) != 93 {
			t.Fatalf("%d daily cards, want 93", len(ps))
		}
		// DST began Sun 14 Mar 2027: the cards either side are both at 09:00 local, so the
		// UTC instant moves by an hour.
		if got := ps[14].DueAt.UTC().Hour() - ps[15].DueAt.UTC().Hour(); ps[15].DueAt.In(ny).Day() != 15 || got != 1 {
			t.Errorf("around DST: day 15 at %s, day 16 at %s", ps[14].DueAt.UTC(), ps[15].DueAt.UTC())
		}

		// Leaderboards every Friday 17:00 and recaps every Sunday 18:00, from day 1 until a
		// week after the last day.
		first := study.NewDate(2027, 2, 22)
		last := study.DateOf(ps[92].DueAt, ny)
		wantBoards, wantRecaps := 0, 0
		for dd := first; !dd.After(last.AddDays(6)); dd = dd.AddDays(1) {
			switch dd.Weekday() {
			case time.Friday:
				wantBoards++
			case time.Sunday:
				wantRecaps++
			}
		}
		got := e.plat.kinds()
		want := map[study.PostKind]int{study.KindDay: 93, study.KindPhaseStart: 0, study.KindPhaseEnd: 18, study.KindFinish: 1,
			study.KindLeaderboard: wantBoards, study.KindRecap: wantRecaps}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s posts sent: %d, want %d", k, got[k], n)
			}
			if rows := countStatus(e.posts(k), study.PostSent); rows != n {
				t.Errorf("%s rows sent: %d, want %d", k, rows, n)
			}
		}
		if e.plat.calls != len(e.plat.sent()) {
			t.Errorf("%d platform calls for %d messages: something was sent twice", e.plat.calls, len(e.plat.sent()))
		}
		// A phase's first card leads with its intro; its last card is followed by the
		// self-check.
		sent := e.plat.sent()
		if first := sent[0].out; first.Kind != study.KindDay || !strings.Contains(study.PlainText(first.Messages[0]), "Phase 1 of 18") {
			t.Errorf("first post: %s %q", first.Kind, first.Messages[0].Title)
		}
		for i, m := range sent {
			if m.out.Kind == study.KindPhaseEnd && (i == 0 || sent[i-1].out.Kind != study.KindDay) {
				t.Errorf("post %d, a self-check, does not follow its card", i)
			}
		}
	})
}

// TestDSTNeverSkipsOrDoubles posts at a wall time that a DST change skips (02:30 on
// spring-forward day) and one it repeats (fall back), in Berlin.
func TestDSTNeverSkipsOrDoubles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, at(t, "2027-03-20T00:00:00Z"))
	e.mustDo("org", true, "/cohort setup start:2027-03-26 time:02:30 tz:Europe/Berlin")
	e.runUntil(at(t, "2027-11-05T00:00:00Z"))
	berlin, _ := time.LoadLocation("Europe/Berlin")
	perDate := map[study.Date]int{}
	for _, p := range e.posts(study.KindDay) {
		perDate[study.DateOf(p.DueAt, berlin)]++
		if p.Status != study.PostSent {
			t.Errorf("day %d %s", p.Day, p.Status)
		}
	}
	for dd := study.NewDate(2027, 3, 26); dd.Before(study.NewDate(2027, 6, 27)); dd = dd.AddDays(1) {
		if perDate[dd] != 1 {
			t.Errorf("%s: %d cards", dd, perDate[dd])
		}
	}
	spring := e.posts(study.KindDay)
	for _, p := range spring {
		if p.Day == 3 && !p.DueAt.Equal(at(t, "2027-03-28T01:00:00Z")) { // 03:00 CEST, first instant after the gap
			t.Errorf("spring-forward card at %s", p.DueAt.UTC())
		}
	}
	// A daily cohort across the fall-back night: 02:30 happens twice on 31 Oct, one card.
	f := newEnv(t, store.SQLite, at(t, "2027-10-25T00:00:00Z"))
	f.mustDo("org", true, "/cohort setup start:2027-10-29 time:02:30 tz:Europe/Berlin")
	f.runUntil(at(t, "2027-11-03T00:00:00Z"))
	for _, p := range f.posts(study.KindDay) {
		if p.Day == 3 && !p.DueAt.Equal(at(t, "2027-10-31T00:30:00Z")) {
			t.Errorf("fall-back card at %s, want the first 02:30 (00:30Z)", p.DueAt.UTC())
		}
	}
	if n := len(f.posts(study.KindDay)); n != 5 || f.plat.kinds()[study.KindDay] != 5 {
		t.Errorf("29 Oct–2 Nov: %d cards, want 5", n)
	}
}

// TestRestartCatchesUpTheSameDayOnly stops the bot, starts a new process on the same
// database, and checks: a slot missed earlier today is sent once; one missed on an earlier
// local day is skipped and recorded, never sent late.
func TestRestartCatchesUpTheSameDayOnly(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		a := newEnv(t, d, at(t, "2027-01-03T12:00:00Z"))
		a.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		a.runUntil(at(t, "2027-01-10T08:00:00Z")) // days 1–6 sent; the bot stops before day 7

		// Down through 09:00; a new process starts at 11:00 the same day.
		b := process(t, a.store, a.clock, a.plat)
		a.clock.Set(at(t, "2027-01-10T11:00:00Z"))
		b.sched.RunOnce(context.Background())
		if got := b.plat.kinds()[study.KindDay]; got != 7 {
			t.Fatalf("after a same-day restart: %d cards, want 7", got)
		}
		// Down all of 11 January; back at 10:00 on the 12th.
		a.clock.Set(at(t, "2027-01-12T10:00:00Z"))
		c := process(t, a.store, a.clock, a.plat)
		c.sched.RunOnce(context.Background())
		var day8, day9 study.Post
		for _, p := range c.posts(study.KindDay) {
			switch p.Day {
			case 8:
				day8 = p
			case 9:
				day9 = p
			}
		}
		if day8.Status != study.PostSkipped || !strings.Contains(day8.LastError, "missed") {
			t.Errorf("day 8 (missed on its day): %s %q, want skipped", day8.Status, day8.LastError)
		}
		if day9.Status != study.PostSent {
			t.Errorf("day 9 (today): %s", day9.Status)
		}
		c.sched.RunOnce(context.Background())
		if calls, msgs := a.plat.calls, len(a.plat.sent()); calls != msgs || a.plat.kinds()[study.KindDay] != 8 {
			t.Errorf("platform calls %d, messages %d, cards %d: want 8 cards, one call each", calls, msgs, a.plat.kinds()[study.KindDay])
		}
	})
}

// TestManyProcessesPostOnce runs three scheduler processes (each with its own database
// connections) against one PostgreSQL at the same instant, a hundred times.
func TestManyProcessesPostOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.Postgres, at(t, "2027-01-04T08:00:00Z"))
	plat := newPlatform()
	var procs []*env
	for i := 0; i < 3; i++ {
		st, err := store.Open(context.Background(), store.Config{DatabaseURL: e.storeURL(t), Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		procs = append(procs, process(t, st, e.clock, plat))
	}
	ctx := context.Background()
	for rep := 0; rep < 100; rep++ {
		ch := study.ChannelRef{Platform: "fake", Workspace: "w", Channel: "room" + strconv.Itoa(rep)}
		_, err := e.svc.Handle(ctx, study.Request{Channel: ch, Admin: true, User: study.UserRef{ID: "org"},
			Command: "cohort", Sub: "setup", Text: "start:2027-01-04 time:09:00 tz:UTC"})
		if err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Set(at(t, "2027-01-04T09:00:30Z"))
	for rep := 0; rep < 100; rep++ {
		var wg sync.WaitGroup
		for _, p := range procs {
			wg.Add(1)
			go func() { defer wg.Done(); p.sched.RunOnce(ctx) }()
		}
		wg.Wait()
		if rep%10 == 9 {
			e.clock.Add(24 * time.Hour) // a new day's cards every ten rounds
		}
	}
	perKey := map[string]int{}
	for _, m := range plat.sent() {
		perKey[m.out.Channel.Channel+"/"+string(m.out.Kind)+"/"+m.out.Nonce]++
	}
	for k, n := range perKey {
		if n != 1 {
			t.Errorf("%s posted %d times", k, n)
		}
	}
	// 100 cohorts × 10 days (Phase 1 and three days of Phase 2): 1000 cards (200 with
	// their phase's intro) and 100 self-checks, each sent by one process.
	if got := plat.kinds(); got[study.KindDay] != 1000 || got[study.KindPhaseStart] != 0 || got[study.KindPhaseEnd] != 100 {
		t.Errorf("posts: %v", got)
	}
	if plat.calls != len(plat.sent()) {
		t.Errorf("%d platform calls for %d posts: a process sent what another had claimed", plat.calls, len(plat.sent()))
	}
}

// TestCrashBetweenSendAndRecord: the platform accepts a card and the process stalls before
// recording it. After the lease, another process resends with the same nonce; the
// platform answers with the original message, and members see one card.
func TestCrashBetweenSendAndRecord(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		a := newEnv(t, d, at(t, "2027-01-04T08:00:00Z"))
		a.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		a.clock.Set(at(t, "2027-01-04T09:00:10Z"))
		stall := make(chan struct{})
		landed := make(chan struct{}, 10)
		a.plat.after = func(out study.Outgoing) {
			if out.Kind == study.KindDay {
				landed <- struct{}{}
				<-stall // the process hangs after the platform accepted the card
			}
		}
		done := make(chan struct{})
		go func() { a.sched.RunOnce(context.Background()); close(done) }()
		<-landed
		a.plat.mu.Lock()
		a.plat.after = nil
		a.plat.mu.Unlock()

		// Three minutes later (past the lease, which the stalled sender may renew: then it
		// keeps the post and records it itself) another process takes over.
		a.clock.Set(at(t, "2027-01-04T09:03:10Z"))
		b := process(t, a.store, a.clock, a.plat)
		b.sched.RunOnce(context.Background())
		close(stall) // the stalled process wakes up and tries to record its stale claim
		<-done

		if got := a.plat.kinds()[study.KindDay]; got != 1 {
			t.Errorf("members saw %d cards, want 1", got)
		}
		ps := a.posts(study.KindDay)
		if len(ps) != 1 || ps[0].Status != study.PostSent || ps[0].Done.MessageID != "m1" {
			t.Errorf("outbox: %+v", ps)
		}
	})
}

// TestDeliveryFaults: a 429 waits exactly as told, a 5xx and a timeout are retried with
// backoff, a missing channel fails permanently without holding up another cohort.
func TestDeliveryFaults(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-01-04T08:00:00Z"))
		e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		gone := study.ChannelRef{Platform: "fake", Workspace: "w", Channel: "deleted"}
		if _, err := e.svc.Handle(context.Background(), study.Request{Channel: gone, Admin: true, Command: "cohort", Sub: "setup", Text: "start:2027-01-04 time:09:00 tz:UTC"}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		script := []error{
			&study.DeliveryError{RetryAfter: 30 * time.Second, Reason: "429 Too Many Requests"},
			errors.New("HTTP 502 Bad Gateway"),
			context.DeadlineExceeded,
		}
		e.plat.fail = func(out study.Outgoing) error {
			if out.Channel == gone {
				return &study.DeliveryError{Permanent: true, Reason: "Unknown Channel: the channel was deleted"}
			}
			mu.Lock()
			defer mu.Unlock()
			if out.Kind == study.KindDay && len(script) > 0 {
				err := script[0]
				script = script[1:]
				return err
			}
			return nil
		}
		ctx := context.Background()
		e.clock.Set(at(t, "2027-01-04T09:00:00Z"))
		e.sched.RunOnce(ctx)
		card := func() study.Post {
			for _, p := range e.posts(study.KindDay) {
				if p.Channel == room {
					return p
				}
			}
			t.Fatal("no card row")
			return study.Post{}
		}
		if p := card(); p.Status != study.PostPending || !strings.Contains(p.LastError, "rate limited") {
			t.Fatalf("after a 429: %s %q", p.Status, p.LastError)
		}
		// A leaderboard asked for now queues behind the card in its channel.
		e.mustDo("org", true, "/cohort post leaderboard")
		calls := e.plat.calls
		e.clock.Set(at(t, "2027-01-04T09:00:29Z"))
		e.sched.RunOnce(ctx)
		if e.plat.calls != calls {
			t.Fatal("retried before Retry-After elapsed")
		}
		e.clock.Set(at(t, "2027-01-04T09:00:30Z"))
		e.sched.RunOnce(ctx) // 502 now
		if p := card(); p.Status != study.PostPending || p.LastError != "HTTP 502 Bad Gateway" || p.Attempts != 2 {
			t.Fatalf("after a 502: %+v", p)
		}
		e.clock.Add(10 * time.Minute) // past any backoff: timeout now
		e.sched.RunOnce(ctx)
		e.clock.Add(10 * time.Minute)
		e.sched.RunOnce(ctx)
		if p := card(); p.Status != study.PostSent || p.Attempts != 4 {
			t.Errorf("card after 429, 502, timeout: %s after %d attempts", p.Status, p.Attempts)
		}
		// The leaderboard waited for the card, and went out after it.
		var order []string
		for _, m := range e.plat.sent() {
			if m.out.Channel == room {
				order = append(order, string(m.out.Kind))
			}
		}
		if strings.Join(order, ",") != "day,leaderboard" {
			t.Errorf("room got %v", order)
		}
		var failed []study.Post
		for _, k := range []study.PostKind{study.KindDay} {
			for _, p := range e.posts(k) {
				if p.Channel == gone {
					failed = append(failed, p)
				}
			}
		}
		for _, p := range failed {
			if p.Status != study.PostFailed || !strings.Contains(p.LastError, "Unknown Channel") {
				t.Errorf("deleted channel post: %s %q", p.Status, p.LastError)
			}
		}
		status, err := e.statusOf(gone)
		if err != nil || !strings.Contains(status, "Unknown Channel: the channel was deleted (failed)") {
			t.Errorf("status of the broken cohort lacks the failure (%v):\n%s", err, status)
		}
	})
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	t.Parallel()
	if d := schedule.Backoff(0, 0); d != time.Second {
		t.Errorf("first backoff with no jitter: %s", d)
	}
	if d := schedule.Backoff(3, 0.5); d != 5*time.Second {
		t.Errorf("attempt 3, jitter 0.5: %s, want 1s + 4s", d)
	}
	if d := schedule.Backoff(30, 0.999); d > 2*time.Minute+time.Second {
		t.Errorf("backoff not capped: %s", d)
	}
}

// TestSettingsTakeEffectOnTheNextTick changes time, pauses and resumes between ticks.
func TestSettingsTakeEffectOnTheNextTick(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-01-04T07:00:00Z"))
		e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		e.runUntil(at(t, "2027-01-04T08:00:00Z"))
		if n := len(e.posts(study.KindDay)); n != 0 {
			t.Fatalf("%d cards before 09:00", n)
		}
		e.mustDo("org", true, "/cohort set time:07:30") // already past: today's card goes now
		e.runUntil(at(t, "2027-01-04T08:01:00Z"))
		if n := e.plat.kinds()[study.KindDay]; n != 1 {
			t.Fatalf("after moving the time earlier: %d cards", n)
		}
		// Pause tomorrow before its post: no card; resume later that day: it goes out.
		e.runUntil(at(t, "2027-01-05T06:00:00Z"))
		e.mustDo("org", true, "/cohort pause")
		e.runUntil(at(t, "2027-01-05T12:00:00Z"))
		if n := e.plat.kinds()[study.KindDay]; n != 1 {
			t.Fatalf("paused day got a card (%d)", n)
		}
		e.mustDo("org", true, "/cohort resume")
		e.runUntil(at(t, "2027-01-05T12:01:00Z"))
		if n := e.plat.kinds()[study.KindDay]; n != 2 {
			t.Fatalf("after resume: %d cards, want 2", n)
		}
		// A time-zone change moves the next post: 07:30 is now Kolkata's.
		e.mustDo("org", true, "/cohort set tz:Asia/Kolkata")
		e.runUntil(at(t, "2027-01-06T02:01:00Z")) // 07:31 IST
		if n := e.plat.kinds()[study.KindDay]; n != 3 {
			t.Fatalf("after tz change: %d cards, want 3", n)
		}
		ps := e.posts(study.KindDay)
		if !ps[0].DueAt.Equal(at(t, "2027-01-06T02:00:00Z")) {
			t.Errorf("day 3 due %s, want 07:30 IST", ps[0].DueAt.UTC())
		}
	})
}

// TestPostNowCountsForItsPeriod: an organizer's /cohort post is the period's post.
func TestPostNowCountsForItsPeriod(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-01-08T08:00:00Z")) // Friday
		e.mustDo("org", true, "/cohort setup start:2027-01-08 time:09:00 tz:UTC")
		if out := e.mustDo("org", true, "/cohort post today"); !strings.Contains(out, "Posting today's card now") {
			t.Errorf("post today: %s", out)
		}
		e.mustDo("org", true, "/cohort post leaderboard")
		if _, err := e.do("member", false, "/cohort post today"); study.ErrorCode(err) != study.EFORBIDDEN {
			t.Errorf("member post: %v", err)
		}
		if _, err := e.do("org", true, "/cohort post today"); study.ErrorMessage(err) != "that was already posted for this period" {
			t.Errorf("second post today: %v", err)
		}
		e.runUntil(at(t, "2027-01-08T23:00:00Z"))
		got := e.plat.kinds()
		if got[study.KindDay] != 1 || got[study.KindLeaderboard] != 1 || len(got) != 2 {
			t.Errorf("posts on Friday: %v (the 09:00 card and 17:00 board must not repeat)", got)
		}
		if _, err := e.do("org", true, "/cohort post yesterday"); study.ErrorCode(err) != study.EINVALID {
			t.Errorf("post yesterday: %v", err)
		}
	})
}

// TestReminderNamesOnlyLaggards: one reminder a day in the day's thread, naming members
// who checked in before but not today.
func TestReminderNamesOnlyLaggards(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, at(t, "2027-01-04T08:00:00Z"))
	e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
	e.mustDo("org", true, "/cohort set reminder:20:00")
	e.runUntil(at(t, "2027-01-04T10:00:00Z"))
	e.mustDo("ada", false, "/done")
	e.mustDo("bob", false, "/done")
	e.runUntil(at(t, "2027-01-05T10:00:00Z"))
	e.mustDo("ada", false, "/done")
	e.runUntil(at(t, "2027-01-05T23:00:00Z"))
	var reminders []sent
	for _, m := range e.plat.sent() {
		if m.out.Kind == study.KindReminder {
			reminders = append(reminders, m)
		}
	}
	// Day 1: nobody had checked in before → nothing to remind (skipped). Day 2: bob only.
	if len(reminders) != 1 {
		t.Fatalf("%d reminders, want 1", len(reminders))
	}
	text := study.PlainText(reminders[0].out.Messages[0])
	if !strings.Contains(text, "bob") || strings.Contains(text, "ada") || strings.Contains(text, "org") {
		t.Errorf("reminder: %s", text)
	}
	var thread string
	for _, m := range e.plat.sent() {
		if m.out.Kind == study.KindDay && strings.Contains(m.out.Messages[0].Title, "Day 2/93") {
			thread = m.ref.ThreadID
		}
	}
	if thread == "" || reminders[0].out.Thread != thread {
		t.Errorf("reminder thread %q, day 2 thread %q", reminders[0].out.Thread, thread)
	}
	e.sched.RunOnce(context.Background())
	if n := len(e.posts(study.KindReminder)); n != 2 {
		t.Errorf("%d reminder rows, want one per day (2)", n)
	}
}

func TestCronSchedulesAreChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, at(t, "2027-01-04T08:00:00Z"))
	e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
	for line, want := range map[string]string{
		`/cohort set leaderboard:"*/30 * * * *"`: `"*/30 * * * *" posts more often than hourly; pick a schedule at most once an hour`,
		`/cohort set recap:"every sunday"`:       `"every sunday" is not a schedule: use cron syntax like "0 17 * * FRI" (minute hour day month weekday)`,
		`/cohort set reminder:8pm`:               `"8pm" is not a time: use HH:MM on a 24-hour clock, like 09:00`,
		`/cohort set recap:"0 17 30 2 *"`:        `"0 17 30 2 *" never comes round: pick days that exist, like "0 17 * * FRI"`,
		`/cohort set leaderboard:"TZ="`:          `"TZ=" names a time zone: schedules run in the cohort's (/cohort set tz:Area/City), so leave TZ= out`,
		`/cohort set leaderboard:"CRON_TZ=UTC"`:  `"CRON_TZ=UTC" names a time zone: schedules run in the cohort's (/cohort set tz:Area/City), so leave TZ= out`,
	} {
		if _, err := e.do("org", true, line); study.ErrorMessage(err) != want {
			t.Errorf("%s: %q", line, study.ErrorMessage(err))
		}
	}
	out := e.mustDo("org", true, `/cohort set leaderboard:"0 * * * *" recap:off`)
	if !strings.Contains(out, "leaderboard 0 * * * *, recap off") {
		t.Errorf("set: %s", out)
	}
	status := e.mustDo("org", true, "/cohort status")
	if !strings.Contains(status, "Recap: off") || !strings.Contains(status, `Leaderboard: "0 * * * *"`) {
		t.Errorf("status: %s", status)
	}
}

// TestShutdownFinishesInFlightDelivery: the signal arrives while a card is being sent;
// Run waits for the send and records it before returning.
func TestShutdownFinishesInFlightDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, at(t, "2027-01-04T09:00:05Z"))
	e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
	inFlight := make(chan struct{}, 10)
	release := make(chan struct{})
	e.plat.fail = func(out study.Outgoing) error {
		if out.Kind == study.KindDay {
			inFlight <- struct{}{}
			<-release
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.sched.Run(ctx) }()
	<-inFlight
	cancel() // SIGTERM while the card is on its way
	select {
	case <-done:
		t.Fatal("Run returned before the in-flight send finished")
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ps := e.posts(study.KindDay)
	if len(ps) != 1 || ps[0].Status != study.PostSent {
		t.Errorf("after shutdown: %+v", ps)
	}
}

// TestLinkedChannelsShareOneCohort: a second channel (another platform) linked with the
// code from /cohort status gets the same cards, and both see one leaderboard.
func TestLinkedChannelsShareOneCohort(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		e := newEnv(t, d, at(t, "2027-01-04T08:00:00Z"))
		e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
		status := e.mustDo("org", true, "/cohort status")
		i := strings.Index(status, "/cohort link code:")
		if i < 0 {
			t.Fatalf("status shows no link code:\n%s", status)
		}
		code := strings.Fields(status[i+len("/cohort link code:"):])[0]
		slack := study.ChannelRef{Platform: "fake2", Workspace: "T1", Channel: "C1"}
		other := newPlatform()
		e.sched = studytest.MustScheduler(t, e.store, e.svc, study.Posters{"fake": e.plat, "fake2": other}, e.clock.Now, nil)
		link := func(ch study.ChannelRef, organizer bool, text string) error {
			_, err := e.svc.Handle(context.Background(), study.Request{Channel: ch, Admin: organizer, User: study.UserRef{Platform: ch.Platform, ID: "u"}, Command: "cohort", Sub: "link", Text: text})
			return err
		}
		if err := link(slack, true, "code:NOPE1234"); study.ErrorMessage(err) != "no cohort has link code NOPE1234: copy it from /cohort status" {
			t.Errorf("bad code: %v", err)
		}
		if err := link(slack, false, "code:"+code); study.ErrorCode(err) != study.EFORBIDDEN {
			t.Errorf("member linking: %v", err)
		}
		if err := link(slack, true, "code:"+strings.ToLower(code)); err != nil {
			t.Fatalf("link: %v", err)
		}
		if err := link(room, true, "code:"+code); study.ErrorCode(err) != study.ECONFLICT {
			t.Errorf("linking a channel that runs a cohort: %v", err)
		}
		e.runUntil(at(t, "2027-01-04T10:00:00Z"))
		if a, b := e.plat.kinds()[study.KindDay], other.kinds()[study.KindDay]; a != 1 || b != 1 {
			t.Errorf("cards: first channel %d, linked channel %d; want 1 each", a, b)
		}
		// A check-in in either channel counts in the one leaderboard.
		if _, err := e.svc.CheckIn(context.Background(), study.CheckInRequest{Channel: slack, User: study.UserRef{Platform: "fake2", Workspace: "T1", ID: "U9", Name: "sam"}, Source: study.SourceButton}); err != nil {
			t.Fatal(err)
		}
		e.mustDo("ada", false, "/done")
		board := e.mustDo("ada", false, "/leaderboard")
		if !strings.Contains(board, "sam — 1 day done") || !strings.Contains(board, "ada — 1 day done") {
			t.Errorf("shared leaderboard:\n%s", board)
		}
	})
}

// TestDoneInAThreadChecksInThatDay: /done typed inside day 1's thread on day 2, after
// day 1's grace (day 2's card at 09:00 plus 4 hours), catches up day 1 (late), as a reply
// there would.
func TestDoneInAThreadChecksInThatDay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite, at(t, "2027-01-04T08:00:00Z"))
	e.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
	e.runUntil(at(t, "2027-01-05T13:30:00Z"))
	var thread string
	for _, m := range e.plat.sent() {
		if m.out.Kind == study.KindDay && strings.Contains(m.out.Messages[0].Title, "Day 1/93") {
			thread = m.ref.ThreadID
		}
	}
	r, err := e.svc.Handle(context.Background(), study.Request{Channel: room, Thread: thread, User: study.UserRef{Platform: "fake", ID: "ada", Name: "ada"}, Command: "done"})
	if err != nil || !strings.Contains(study.PlainText(r.Messages[0]), "Day 1 — Backend basics, client–server, first API checked in (late") {
		t.Errorf("/done in day 1's thread: %v %+v", err, r)
	}
	r, err = e.svc.Handle(context.Background(), study.Request{Channel: room, Thread: "not-a-day-thread", User: study.UserRef{Platform: "fake", ID: "bob", Name: "bob"}, Command: "done"})
	if err != nil || !strings.Contains(study.PlainText(r.Messages[0]), "Day 2 —") {
		t.Errorf("/done in another thread: %v", err)
	}
}

// TestRenewedLeaseIsNotTakenOver: a send that outlasts the lease (a slow platform, a
// channel's pacing) keeps its post: the sender renews the lease while it works, so
// another process finds nothing to take over, and members see one card. (A dead sender's
// post being taken over is TestCrashBetweenSendAndRecord's and cmd/cohortbot's
// TestDiscordKilledReplicaIsTakenOver's.)
func TestRenewedLeaseIsNotTakenOver(t *testing.T) {
	t.Parallel()
	a := newEnv(t, store.Postgres, at(t, "2027-01-04T08:00:00Z"))
	a.mustDo("org", true, "/cohort setup start:2027-01-04 time:09:00 tz:UTC")
	claimed := at(t, "2027-01-04T09:00:10Z")
	a.clock.Set(claimed)
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	var sends atomic.Int32
	a.plat.fail = func(out study.Outgoing) error {
		if out.Kind == study.KindDay {
			entered <- struct{}{}
			if sends.Add(1) == 1 {
				<-release // the platform takes its time with the first send
			}
		}
		return nil
	}
	obs := &takeovers{}
	const lease = 10 * time.Second
	slow := studytest.MustScheduler(t, a.store, a.svc, study.Posters{"fake": a.plat}, a.clock.Now, func(c *schedule.Config) {
		c.Lease, c.RenewEvery, c.SendTimeout = lease, 10*time.Millisecond, time.Minute
	})
	done := make(chan struct{})
	go func() { slow.RunOnce(context.Background()); close(done) }()
	<-entered

	// 8 s later by the clock the sender has renewed its lease past 09:00:20.
	a.clock.Set(claimed.Add(8 * time.Second))
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps := a.posts(study.KindDay)
		if len(ps) == 1 && !ps[0].Lease.Before(claimed.Add(8*time.Second+lease)) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the lease was not renewed: %+v", ps)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	// At 09:00:25 the first lease would have run out; another process takes nothing.
	a.clock.Set(claimed.Add(15 * time.Second))
	b := studytest.MustScheduler(t, a.store, a.svc, study.Posters{"fake": a.plat}, a.clock.Now, func(c *schedule.Config) {
		c.Lease, c.SendTimeout, c.Observer = lease, time.Minute, obs
	})
	b.RunOnce(context.Background())
	if n := len(entered); n != 0 {
		t.Errorf("another process sent the card %d times while its sender was working on it", n)
	}
	close(release)
	<-done
	if got := a.plat.kinds()[study.KindDay]; got != 1 {
		t.Errorf("members saw %d cards, want 1", got)
	}
	if ps := a.posts(study.KindDay); len(ps) != 1 || ps[0].Status != study.PostSent || ps[0].Attempts != 1 {
		t.Errorf("outbox: %+v", ps)
	}
	if n := obs.count(); n != 0 {
		t.Errorf("%d takeovers of a live sender's post", n)
	}
}

// takeovers counts the scheduler's takeovers.
type takeovers struct {
	mu sync.Mutex
	n  int
}

func (o *takeovers) TickDone(time.Duration, error)                  {}
func (o *takeovers) PostSent(string, study.PostKind, time.Duration) {}
func (o *takeovers) PostFailed(string, study.PostKind, bool)        {}
func (o *takeovers) RateLimited(string)                             {}
func (o *takeovers) TakenOver(string, study.PostKind) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n++
}

func (o *takeovers) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}
