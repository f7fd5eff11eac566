package store_test

import (
	"context"
	"errors"
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
		c, chanID := mustCohortChannel(t, s)
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
			return study.NewPost{CohortID: c.ID, ChannelID: chanID, MemberID: member, Kind: kind, Period: "2026-03-02",
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

// TestRenewedClaimKeepsExactlyOnce: a renewed lease keeps its post from other claims; once
// it runs out, another claim takes the post over (and says so), and the first sender can
// then neither renew, record progress nor record an outcome over the new holder.
func TestRenewedClaimKeepsExactlyOnce(t *testing.T) {
	t.Parallel()
	storetest.ForEach(t, func(t *testing.T, d store.Dialect) {
		ctx := context.Background()
		s := storetest.MustOpen(t, d, fixedNow)
		c, chanID := mustCohortChannel(t, s)
		due := t0.Add(time.Hour)
		np := study.NewPost{CohortID: c.ID, ChannelID: chanID, Kind: study.KindDay, Period: "1", Day: 1, DueAt: due, ExpiresAt: due.Add(12 * time.Hour)}
		if n, err := s.InsertPosts(ctx, []study.NewPost{np}); err != nil || n != 1 {
			t.Fatalf("insert: %d, %v", n, err)
		}
		const lease = 10 * time.Second
		first, err := s.ClaimPosts(ctx, due, lease, 1)
		if err != nil || len(first) != 1 {
			t.Fatalf("first claim: %v %v", first, err)
		}
		a := first[0]
		if a.TakenOver || a.Claim == "" || a.Attempts != 1 {
			t.Fatalf("first claim %+v: want a fresh claim with a token", a)
		}
		// Renewed at +8 s until +18 s: nobody may take it at +15 s.
		if err := s.RenewLease(ctx, a, due.Add(18*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimPosts(ctx, due.Add(15*time.Second), lease, 1); err != nil || len(got) != 0 {
			t.Fatalf("claim under a renewed lease: %v %v", got, err)
		}
		if err := s.RecordProgress(ctx, a, study.Delivered{Parts: 1, MessageID: "m1"}); err != nil {
			t.Fatalf("progress under the renewed lease: %v", err)
		}
		// Not renewed again: at +19 s another sender takes it over.
		second, err := s.ClaimPosts(ctx, due.Add(19*time.Second), lease, 1)
		if err != nil || len(second) != 1 {
			t.Fatalf("takeover: %v %v", second, err)
		}
		b := second[0]
		if !b.TakenOver || b.Claim == a.Claim || b.Attempts != 2 || b.Done.Parts != 1 || b.Done.MessageID != "m1" {
			t.Fatalf("takeover %+v: want a new token, taken over, attempt 2, resuming after part 1", b)
		}
		// The stalled first sender comes back: it cannot renew, record or finish.
		if err := s.RenewLease(ctx, a, due.Add(30*time.Second)); !errors.Is(err, study.ErrClaimLost) {
			t.Errorf("stale renewal: %v, want ErrClaimLost", err)
		}
		if err := s.RecordProgress(ctx, a, study.Delivered{Parts: 2, MessageID: "m1", ThreadID: "t-stale"}); !errors.Is(err, study.ErrClaimLost) {
			t.Errorf("stale progress: %v, want ErrClaimLost", err)
		}
		if err := s.MarkSent(ctx, a, study.MessageRef{MessageID: "stale"}, due.Add(20*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSent(ctx, b, study.MessageRef{MessageID: "m1", ThreadID: "t1"}, due.Add(21*time.Second)); err != nil {
			t.Fatal(err)
		}
		posts, err := s.Posts(ctx, c.ID, study.KindDay, 10)
		if err != nil || len(posts) != 1 {
			t.Fatalf("posts %v %v", posts, err)
		}
		if p := posts[0]; p.Status != study.PostSent || p.Done.MessageID != "m1" || p.Done.ThreadID != "t1" || p.Done.Parts != 1 {
			t.Errorf("recorded %+v: want the new holder's outcome", p)
		}
	})
}

// mustCohortChannel creates newCohort bound to ch, and returns it with the id of ch's
// binding, which outbox rows name.
func mustCohortChannel(t *testing.T, s *store.Store) (*study.Cohort, int64) {
	t.Helper()
	c := mustCreateCohort(t, s)
	chans, err := s.Channels(context.Background(), c.ID)
	if err != nil || len(chans) != 1 {
		t.Fatalf("channels %v %v", chans, err)
	}
	return c, chans[0].ID
}
