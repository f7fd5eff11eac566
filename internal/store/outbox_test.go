package store_test

import (
	"context"
	"testing"
	"time"

	"cohortbot/internal/store"
	"cohortbot/internal/storetest"
	"cohortbot/internal/study"
)

// TestMemberPostsHaveTheirOwnLanes: a member's direct messages are keyed per member, wait
// for no channel post and hold none up, and come back with their recipient.
func TestMemberPostsHaveTheirOwnLanes(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := storetest.MustOpen(t, d, fixedNow)
		c := newCohort(t)
		if err := s.CreateCohort(ctx, c, ch); err != nil {
			t.Fatal(err)
		}
		chans, err := s.Channels(ctx, c.ID)
		if err != nil || len(chans) != 1 {
			t.Fatalf("channels %v %v", chans, err)
		}
		ana, err := s.EnsureMember(ctx, c.ID, study.UserRef{Platform: "discord", Workspace: "g1", ID: "u-ana", Name: "Ana"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		ben, err := s.EnsureMember(ctx, c.ID, study.UserRef{Platform: "discord", Workspace: "g1", ID: "u-ben", Name: "Ben"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		due := t0.Add(time.Hour)
		post := func(member int64, kind study.PostKind, at time.Time) study.NewPost {
			return study.NewPost{CohortID: c.ID, ChannelID: chans[0].ID, MemberID: member, Kind: kind, Period: "2026-03-02",
				Day: 1, DueAt: at, ExpiresAt: at.Add(12 * time.Hour)}
		}
		posts := []study.NewPost{
			post(0, study.KindReminder, due),
			post(0, study.KindLeaderboard, due.Add(time.Minute)),
			post(ana.ID, study.KindReminder, due.Add(2*time.Minute)),
			post(ben.ID, study.KindReminder, due.Add(2*time.Minute)),
		}
		if n, err := s.InsertPosts(ctx, posts); err != nil || n != 4 {
			t.Fatalf("insert: %d, %v; want 4 (one key per member)", n, err)
		}
		if n, err := s.InsertPosts(ctx, posts); err != nil || n != 0 {
			t.Fatalf("insert again: %d, %v; want 0", n, err)
		}
		// The channel's reminder is its lane's first post; each member's reminder is the
		// first of its own lane, though due later than the channel's leaderboard.
		got, err := s.ClaimPosts(ctx, due.Add(5*time.Minute), time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]study.Post{}
		for _, p := range got {
			seen[string(p.Kind)+"/"+p.To.ID] = p
		}
		if len(got) != 3 || seen["reminder/"].ID == 0 || seen["reminder/u-ana"].ID == 0 || seen["reminder/u-ben"].ID == 0 {
			t.Fatalf("claimed %+v", got)
		}
		if p := seen["reminder/u-ana"]; p.MemberID != ana.ID || p.To.Name != "Ana" || p.To.Platform != "discord" || p.To.Workspace != "g1" || p.Channel != ch {
			t.Errorf("ana's post: %+v", p)
		}
		if seen["reminder/u-ana"].Nonce == seen["reminder/u-ben"].Nonce || seen["reminder/u-ana"].Nonce == seen["reminder/"].Nonce {
			t.Error("two posts share a nonce")
		}
		// The leaderboard waits for the channel's reminder only.
		if more, err := s.ClaimPosts(ctx, due.Add(5*time.Minute), time.Minute, 10); err != nil || len(more) != 0 {
			t.Fatalf("claimed behind a post being sent: %+v %v", more, err)
		}
		for _, p := range got {
			if err := s.MarkSent(ctx, p, study.MessageRef{MessageID: "m"}, due.Add(5*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if more, err := s.ClaimPosts(ctx, due.Add(5*time.Minute), time.Minute, 10); err != nil || len(more) != 1 || more[0].Kind != study.KindLeaderboard || more[0].MemberID != 0 {
			t.Fatalf("after the reminders: %+v %v", more, err)
		}
	})
}
