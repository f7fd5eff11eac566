package fuzztest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"cohortbot/internal/schedule"
	"cohortbot/internal/study"
)

// poster stands in for a platform: every message lands, and a day's card opens a thread
// whose id looks like the platform's (a Discord snowflake, a Slack ts).
type poster struct {
	mu       sync.Mutex
	platform string
	n        int
}

func (p *poster) Post(ctx context.Context, out study.Outgoing, record study.Recorder) (study.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ref study.MessageRef
	for i := out.Done.Parts; i < len(out.Messages); i++ {
		p.n++
		id := p.id(p.n)
		if i == 0 {
			ref.MessageID = id
			if out.Messages[0].ThreadName != "" && out.Thread == "" {
				ref.ThreadID = p.id(p.n + 500)
			}
		}
		if err := record(ctx, study.Delivered{Parts: i + 1, MessageID: ref.MessageID, ThreadID: ref.ThreadID}); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

func (p *poster) id(n int) string {
	if p.platform == "slack" {
		return fmt.Sprintf("1799000000.%06d", n)
	}
	return fmt.Sprintf("1320000000000%06d", n)
}

// Mention is how a user is written in a command's text on the platform.
func Mention(u study.UserRef) string { return "<@" + u.ID + ">" }

// baseline builds the world's state through the core, as members would.
func (w *World) baseline(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	c := w.cfg
	do := func(ch study.ChannelRef, u study.UserRef, admin bool, line string) {
		tb.Helper()
		cmd, sub, rest := study.SplitCommandLine(line)
		req := study.Request{Channel: ch, User: u, Admin: admin, Command: cmd, Sub: sub, Text: rest}
		if u == c.Organizer {
			req.Roles = c.Roles
		}
		if _, err := w.svc.Handle(ctx, req); err != nil {
			tb.Fatalf("baseline: %s: %v", line, err)
		}
	}
	sched, err := schedule.New(schedule.Config{Outbox: w.st, Core: w.svc, Poster: &poster{platform: c.Channel.Platform}, Now: w.clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	do(c.Channel, c.Admin, true, `/cohort setup start:2027-01-04 time:09:00 tz:Europe/Berlin cadence:weekdays name:"Fuzz crew"`)
	do(c.Soon, c.Admin, true, `/cohort setup start:2027-02-01 time:18:30 tz:UTC cadence:daily name:"Later crew"`)
	do(c.Channel, c.Admin, true, "/cohort set organizers:"+Mention(c.Organizer))
	if len(c.Roles) > 0 {
		do(c.Channel, c.Admin, true, "/cohort set organizer-role:<@&"+c.Roles[0]+">")
	}
	do(c.Channel, c.Organizer, false, "/cohort set reminder:20:00 grace:2h freezes:3")
	do(c.Channel, c.Member, false, "/me tz:Asia/Tokyo remind:21:00")
	// Monday 4 to Tuesday 12 January at 09:30 Berlin: each day's card goes out, and the
	// members check in (the member misses Friday, the organizer replies in threads).
	for d := 0; d <= 8; d++ {
		w.clock.Set(Start.AddDate(0, 0, d).Add(90 * time.Minute))
		sched.RunOnce(ctx)
		wd := w.clock.Now().Weekday()
		if wd == time.Saturday || wd == time.Sunday {
			continue
		}
		day := len(w.Threads) + 1
		ref, err := w.st.CohortByChannel(ctx, c.Channel)
		if err != nil {
			tb.Fatal(err)
		}
		chans, err := w.st.Channels(ctx, ref.ID)
		if err != nil || len(chans) == 0 {
			tb.Fatalf("baseline: channels: %v", err)
		}
		thread, err := w.st.ThreadOfDay(ctx, chans[0].ID, day)
		if err != nil || thread == "" {
			tb.Fatalf("baseline: no thread for day %d (%v)", day, err)
		}
		w.Threads[day] = thread
		do(c.Channel, c.Admin, true, "/done")
		if wd != time.Friday {
			do(c.Channel, c.Member, false, fmt.Sprintf("/done %d note:\"day %d\"", day, day))
		}
		if day%2 == 1 {
			if _, err := w.svc.Handle(ctx, study.Request{Channel: c.Channel, User: c.Organizer, Source: study.SourceReply, Thread: thread, Text: "done!"}); err != nil {
				tb.Fatalf("baseline: reply in day %d's thread: %v", day, err)
			}
		}
	}
	do(c.Channel, c.Organizer, false, "/away until:2027-01-15")
	do(c.Channel, c.Admin, true, "/cohort skip date:2027-01-20")
	do(c.Channel, c.Admin, true, "/cohort pause from:2027-02-01 until:2027-02-03")
	w.clock.Set(Now)
	sched.RunOnce(ctx)

	co, err := w.st.CohortByChannel(ctx, c.Channel)
	if err != nil {
		tb.Fatal(err)
	}
	w.LinkCode = co.LinkCode
	m, err := w.st.MemberByUser(ctx, co.ID, c.Member)
	if err != nil {
		tb.Fatal(err)
	}
	w.StopReminders = study.StopRemindersAction(m.ID).ID
	if len(w.Threads) != Day {
		tb.Fatalf("baseline: %d days posted, want %d", len(w.Threads), Day)
	}
	if strings.TrimSpace(w.LinkCode) == "" {
		tb.Fatal("baseline: no link code")
	}
}
