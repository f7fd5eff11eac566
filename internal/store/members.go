package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"cohortbot/internal/study"
)

// StandingShards spread a cohort's standings counters, so that concurrent check-ins rarely wait
// on one row (see the standings table): PostgreSQL's check-in moves its connection's shard.
const StandingShards = 16

// addMemberSQL adds a member unless they exist, starting them at the cohort's last closed
// day (days closed before they joined are not theirs).
const addMemberSQL = `INSERT INTO members (cohort_id, platform, workspace_id, user_id, display_name, joined_at, closed_through)
SELECT id, ?, ?, ?, ?, ?, closed_through FROM cohorts WHERE id = ?
ON CONFLICT (cohort_id, platform, workspace_id, user_id) DO NOTHING
RETURNING id`

// countNewMemberSQL counts a new member at no days done and no streak.
const countNewMemberSQL = `INSERT INTO standings (cohort_id, completed, streak, shard, members) VALUES (?, 0, 0, ?, 1)
ON CONFLICT (cohort_id, completed, streak, shard) DO UPDATE SET members = standings.members + 1`

func (s *Store) EnsureMember(ctx context.Context, cohortID int64, u study.UserRef, now time.Time) (*study.Member, error) {
	var row memberRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []int64
		if err := tx.Raw(addMemberSQL, u.Platform, u.Workspace, u.ID, u.Name, ts(now), cohortID).Scan(&ids).Error; err != nil {
			return wrap(err, "add member %s to cohort %d", u.ID, cohortID)
		}
		if len(ids) == 1 {
			if err := tx.Exec(countNewMemberSQL, cohortID, ids[0]%StandingShards).Error; err != nil {
				return wrap(err, "count member %d", ids[0])
			}
		}
		if u.Name != "" {
			err := tx.Model(&memberRow{}).Where(memberKey+" AND display_name <> ?", cohortID, u.Platform, u.Workspace, u.ID, u.Name).
				Update("display_name", u.Name).Error
			if err != nil {
				return wrap(err, "rename member %s", u.ID)
			}
		}
		return wrap(tx.Where(memberKey, cohortID, u.Platform, u.Workspace, u.ID).Take(&row).Error, "find member %s in cohort %d", u.ID, cohortID)
	})
	if err != nil {
		return nil, err
	}
	m := toMember(row)
	return &m, nil
}

const memberKey = "cohort_id = ? AND platform = ? AND workspace_id = ? AND user_id = ?"

func (s *Store) MemberByUser(ctx context.Context, cohortID int64, u study.UserRef) (*study.Member, error) {
	var row memberRow
	if err := s.db.WithContext(ctx).Where(memberKey, cohortID, u.Platform, u.Workspace, u.ID).Take(&row).Error; err != nil {
		return nil, wrap(err, "member %s of cohort %d", u.ID, cohortID)
	}
	m := toMember(row)
	return &m, nil
}

func (s *Store) Member(ctx context.Context, id int64) (*study.Member, error) {
	var row memberRow
	if err := s.db.WithContext(ctx).Take(&row, id).Error; err != nil {
		return nil, wrap(err, "member %d", id)
	}
	m := toMember(row)
	return &m, nil
}

func (s *Store) SaveMemberSettings(ctx context.Context, m *study.Member) error {
	cols := map[string]any{"timezone": m.TZ, "remind_at": "", "next_remind_at": tsPtr(m.NextRemind),
		"away_from": tsPtr(m.Away.From), "away_until": tsPtr(m.Away.Until), "away_last_day": m.Away.LastDay.String()}
	if m.RemindAt != nil {
		cols["remind_at"] = m.RemindAt.String()
	}
	if m.Away.Until.IsZero() {
		cols["away_from"], cols["away_until"], cols["away_last_day"] = nil, nil, ""
	}
	res := s.db.WithContext(ctx).Model(&memberRow{}).Where("id = ?", m.ID).UpdateColumns(cols)
	if res.Error != nil {
		return wrap(res.Error, "save settings of member %d", m.ID)
	}
	if res.RowsAffected == 0 {
		return study.OpError(study.ENOTFOUND, fmt.Sprintf("save settings of member %d", m.ID))
	}
	return nil
}

func (s *Store) Members(ctx context.Context, cohortID int64) ([]study.Member, error) {
	var rows []memberRow
	if err := s.db.WithContext(ctx).Where("cohort_id = ?", cohortID).Order("id").Find(&rows).Error; err != nil {
		return nil, wrap(err, "members of cohort %d", cohortID)
	}
	out := make([]study.Member, len(rows))
	for i, r := range rows {
		out[i] = toMember(r)
	}
	return out, nil
}

func (s *Store) CheckIns(ctx context.Context, cohortID int64) ([]study.CheckIn, error) {
	var rows []checkInRow
	if err := s.db.WithContext(ctx).Where("cohort_id = ?", cohortID).Order("at, id").Find(&rows).Error; err != nil {
		return nil, wrap(err, "check-ins of cohort %d", cohortID)
	}
	out := make([]study.CheckIn, len(rows))
	for i, r := range rows {
		out[i] = toCheckIn(r)
	}
	return out, nil
}
