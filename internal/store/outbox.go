package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"cohortbot/internal/study"
)

// ts normalizes instants for storage and comparison: UTC, whole microseconds (what both
// databases keep), so SQLite's text timestamps compare in time order.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func tsPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := ts(t)
	return &v
}

func memberID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// nonce is derived from the outbox key, so a resend of the same row after a crash carries
// the same nonce and the platform can recognise it (Discord allows 25 characters).
func nonce(p study.NewPost) string {
	key := fmt.Sprintf("%d|%s|%s", p.ChannelID, p.Kind, p.Period)
	if p.MemberID != 0 {
		key = fmt.Sprintf("%d|m%d|%s|%s", p.ChannelID, p.MemberID, p.Kind, p.Period)
	}
	h := uint64(14695981039346656037)
	for _, b := range []byte(key) {
		h ^= uint64(b)
		h *= 1099511628211
	}
	return fmt.Sprintf("cb%019d", h%1e19)[:21]
}

// claimSQL leases ready posts under a new claim token. taken_over is read from the row as
// it was (SET sees the old values): a post still 'sending' had a sender whose lease ran
// out.
const claimSQL = `
UPDATE posts SET status = 'sending', attempts = attempts + 1, lease_until = @lease, claim = @claim,
    taken_over = (status = 'sending')
WHERE id IN (
    SELECT p.id FROM posts p
    WHERE (p.status = 'pending' OR (p.status = 'sending' AND p.lease_until < @now))
      AND p.not_before <= @now
      AND NOT EXISTS (
          SELECT 1 FROM posts e
          WHERE e.channel_id = p.channel_id AND COALESCE(e.member_id, 0) = COALESCE(p.member_id, 0)
            AND e.status IN ('pending', 'sending')
            AND (e.due_at < p.due_at OR (e.due_at = p.due_at AND e.id < p.id)))
    ORDER BY p.due_at, p.id
    LIMIT @limit %s)
RETURNING id, cohort_id, channel_id, member_id, kind, period, day, status, attempts, last_error, nonce,
          message_id, thread_id, parts_sent, due_at, not_before, expires_at, lease_until, sent_at, created_at,
          claim, taken_over`

// ClaimPosts leases ready posts until now+lease under a claim token of its own: the
// outcome of a delivery is recorded only while the post is held under that token, however
// often its lease is renewed meanwhile.
func (s *Store) ClaimPosts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]study.Post, error) {
	lock := ""
	if s.dialect == Postgres {
		lock = "FOR UPDATE SKIP LOCKED"
	}
	token, err := claimToken()
	if err != nil {
		return nil, err
	}
	var rows []postRow
	err = s.db.WithContext(ctx).Raw(fmt.Sprintf(claimSQL, lock),
		map[string]any{"now": ts(now), "lease": ts(now.Add(lease)), "limit": limit, "claim": token}).Scan(&rows).Error
	if err != nil {
		return nil, wrap(err, "claim posts")
	}
	return s.toPosts(ctx, rows)
}

// claimToken is a fresh claim's token: 16 random bytes, so no two claims (in any process)
// share one.
func claimToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("claim token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func (s *Store) toPosts(ctx context.Context, rows []postRow) ([]study.Post, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ChannelID)
	}
	var chans []channelRow
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&chans).Error; err != nil {
		return nil, wrap(err, "channels of posts")
	}
	refs := map[int64]study.ChannelRef{}
	for _, c := range chans {
		refs[c.ID] = study.ChannelRef{Platform: c.Platform, Workspace: c.WorkspaceID, Channel: c.ChannelID}
	}
	to, err := s.recipients(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make([]study.Post, len(rows))
	for i, r := range rows {
		out[i] = study.Post{
			ID: r.ID, CohortID: r.CohortID, ChannelID: r.ChannelID, Channel: refs[r.ChannelID], Kind: study.PostKind(r.Kind),
			Period: r.Period, Day: r.Day, Status: study.PostStatus(r.Status), Attempts: r.Attempts, LastError: r.LastError,
			Nonce: r.Nonce, Done: study.Delivered{Parts: r.PartsSent, MessageID: r.MessageID, ThreadID: r.ThreadID},
			DueAt: r.DueAt, ExpiresAt: r.ExpiresAt, Claim: r.Claim, TakenOver: r.TakenOver,
		}
		if r.MemberID != nil {
			out[i].MemberID, out[i].To = *r.MemberID, to[*r.MemberID]
		}
		if r.SentAt != nil {
			out[i].SentAt = *r.SentAt
		}
		if r.LeaseUntil != nil {
			out[i].Lease = *r.LeaseUntil
		}
	}
	return out, nil
}

// recipients reads who the direct messages among rows go to: the members' platform
// accounts and names.
func (s *Store) recipients(ctx context.Context, rows []postRow) (map[int64]study.UserRef, error) {
	var ids []int64
	for _, r := range rows {
		if r.MemberID != nil {
			ids = append(ids, *r.MemberID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var ms []struct {
		ID          int64
		Platform    string
		WorkspaceID string
		UserID      string
		DisplayName string
	}
	err := s.db.WithContext(ctx).Table("members").Select("id, platform, workspace_id, user_id, display_name").
		Where("id IN ?", ids).Scan(&ms).Error
	if err != nil {
		return nil, wrap(err, "recipients of %d posts", len(ids))
	}
	out := make(map[int64]study.UserRef, len(ms))
	for _, m := range ms {
		out[m.ID] = study.UserRef{Platform: m.Platform, Workspace: m.WorkspaceID, ID: m.UserID, Name: m.DisplayName}
	}
	return out, nil
}

func (s *Store) MarkSent(ctx context.Context, p study.Post, ref study.MessageRef, at time.Time) error {
	return s.finish(ctx, p, map[string]any{
		"status": study.PostSent, "message_id": ref.MessageID, "thread_id": ref.ThreadID, "sent_at": ts(at), "last_error": "", "lease_until": nil,
	})
}

func (s *Store) MarkRetry(ctx context.Context, p study.Post, notBefore time.Time, reason string) error {
	return s.finish(ctx, p, map[string]any{
		"status": study.PostPending, "not_before": ts(notBefore), "last_error": reason, "lease_until": nil,
	})
}

// Defer puts a claimed post back until notBefore without counting the claim as an
// attempt: the platform's pacing of its channel (not a failure) holds it.
func (s *Store) Defer(ctx context.Context, p study.Post, notBefore time.Time) error {
	return s.finish(ctx, p, map[string]any{
		"status": study.PostPending, "not_before": ts(notBefore), "attempts": gorm.Expr("attempts - 1"), "lease_until": nil,
	})
}

func (s *Store) MarkDone(ctx context.Context, p study.Post, status study.PostStatus, reason string) error {
	return s.finish(ctx, p, map[string]any{"status": status, "last_error": reason, "lease_until": nil})
}

// held selects the row of a claimed post while its claim holds: still being sent, under
// the claim's token. The lease's expiry is not part of it: the sender renews it.
func (s *Store) held(ctx context.Context, p study.Post) *gorm.DB {
	return s.db.WithContext(ctx).Model(&postRow{}).
		Where("id = ? AND status = ? AND claim = ?", p.ID, study.PostSending, p.Claim)
}

// RenewLease extends a claimed post's lease to until while the claim holds; a lost claim
// (the lease ran out and another worker took the post) is an error, so the sender stops.
func (s *Store) RenewLease(ctx context.Context, p study.Post, until time.Time) error {
	res := s.held(ctx, p).UpdateColumn("lease_until", ts(until))
	if res.Error != nil {
		return wrap(res.Error, "renew the lease of post %d", p.ID)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("renew the lease of post %d: %w", p.ID, study.ErrClaimLost)
	}
	return nil
}

// RecordProgress keeps how far a claimed post's delivery got, while the claim holds; a
// lost claim is an error, so the poster stops sending.
func (s *Store) RecordProgress(ctx context.Context, p study.Post, d study.Delivered) error {
	res := s.held(ctx, p).
		UpdateColumns(map[string]any{"parts_sent": d.Parts, "message_id": d.MessageID, "thread_id": d.ThreadID})
	if res.Error != nil {
		return wrap(res.Error, "record progress of post %d", p.ID)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("record progress of post %d: %w", p.ID, study.ErrClaimLost)
	}
	return nil
}

// finish records a claimed post's outcome if the claim still holds. A stale claim (its
// lease expired and another worker took the post) changes nothing.
func (s *Store) finish(ctx context.Context, p study.Post, cols map[string]any) error {
	res := s.held(ctx, p).UpdateColumns(cols)
	if res.Error != nil {
		return wrap(res.Error, "record post %d as %v", p.ID, cols["status"])
	}
	if res.RowsAffected == 0 {
		s.log.Warn("stale delivery claim: another worker took the post over", "post", p.ID, "status", cols["status"])
	}
	return nil
}

func (s *Store) Posts(ctx context.Context, cohortID int64, kind study.PostKind, limit int) ([]study.Post, error) {
	q := s.db.WithContext(ctx).Where("cohort_id = ?", cohortID)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	var rows []postRow
	if err := q.Order("due_at DESC, id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, wrap(err, "posts of cohort %d", cohortID)
	}
	return s.toPosts(ctx, rows)
}

func (s *Store) Channels(ctx context.Context, cohortID int64) ([]study.BoundChannel, error) {
	var rows []channelRow
	if err := s.db.WithContext(ctx).Where("cohort_id = ?", cohortID).Order("id").Find(&rows).Error; err != nil {
		return nil, wrap(err, "channels of cohort %d", cohortID)
	}
	out := make([]study.BoundChannel, len(rows))
	for i, c := range rows {
		out[i] = study.BoundChannel{ID: c.ID, Ref: study.ChannelRef{Platform: c.Platform, Workspace: c.WorkspaceID, Channel: c.ChannelID}}
	}
	return out, nil
}

// NextDue is the earliest instant after after at which something may fall due: a
// cohort's next plan instant, a post's not-before (a retry, a deferral), a delivery lease
// running out (a process that died mid-send). Zero: nothing known. Each part reads one
// index entry.
func (s *Store) NextDue(ctx context.Context, after time.Time) (time.Time, error) {
	after = ts(after)
	if s.dialect == Postgres {
		// One round trip.
		var row struct{ A, B, C *time.Time }
		err := s.db.WithContext(ctx).Raw(`SELECT
			(SELECT next_due_at FROM cohorts WHERE next_due_at > @after ORDER BY next_due_at LIMIT 1) AS a,
			(SELECT not_before FROM posts WHERE status = 'pending' AND not_before > @after ORDER BY not_before LIMIT 1) AS b,
			(SELECT lease_until FROM posts WHERE status = 'sending' AND lease_until > @after ORDER BY lease_until LIMIT 1) AS c`,
			map[string]any{"after": after}).Scan(&row).Error
		if err != nil {
			return time.Time{}, wrap(err, "next due instant")
		}
		return earliest(row.A, row.B, row.C), nil
	}
	// Ordered single-column reads rather than MIN() or subqueries: SQLite returns those
	// as text, a plain column as a time.
	db := s.db.WithContext(ctx)
	var a, b, c []time.Time
	if err := db.Model(&cohortRow{}).Where("next_due_at > ?", after).Order("next_due_at").Limit(1).Pluck("next_due_at", &a).Error; err != nil {
		return time.Time{}, wrap(err, "next due cohort")
	}
	if err := db.Model(&postRow{}).Where("status = ? AND not_before > ?", study.PostPending, after).Order("not_before").Limit(1).Pluck("not_before", &b).Error; err != nil {
		return time.Time{}, wrap(err, "next pending post")
	}
	if err := db.Model(&postRow{}).Where("status = ? AND lease_until > ?", study.PostSending, after).Order("lease_until").Limit(1).Pluck("lease_until", &c).Error; err != nil {
		return time.Time{}, wrap(err, "next lease expiry")
	}
	var ts []*time.Time
	for _, l := range [][]time.Time{a, b, c} {
		if len(l) > 0 {
			ts = append(ts, &l[0])
		}
	}
	return earliest(ts...), nil
}

func earliest(ts ...*time.Time) time.Time {
	var next time.Time
	for _, t := range ts {
		if t != nil && (next.IsZero() || t.Before(next)) {
			next = *t
		}
	}
	return next
}

// OutboxDepth counts posts waiting to be sent (pending or being sent).
func (s *Store) OutboxDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&postRow{}).Where("status IN ?", []string{string(study.PostPending), string(study.PostSending)}).Count(&n).Error
	return n, wrap(err, "outbox depth")
}

func (s *Store) ThreadOfDay(ctx context.Context, channelID int64, day int) (string, error) {
	var rows []postRow
	err := s.db.WithContext(ctx).Select("thread_id").
		Where("channel_id = ? AND kind = ? AND period = ?", channelID, study.KindDay, strconv.Itoa(day)).
		Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return "", wrap(err, "thread of day %d in channel %d", day, channelID)
	}
	return rows[0].ThreadID, nil
}

func (s *Store) Failures(ctx context.Context, cohortID int64, limit int) ([]study.Post, error) {
	var rows []postRow
	err := s.db.WithContext(ctx).
		Where("cohort_id = ? AND (status = ? OR (status = ? AND last_error <> ''))", cohortID, study.PostFailed, study.PostPending).
		Order("due_at DESC, id DESC").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, wrap(err, "failed posts of cohort %d", cohortID)
	}
	return s.toPosts(ctx, rows)
}
