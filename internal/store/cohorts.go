package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cohortbot/internal/study"
)

func (s *Store) CreateCohort(ctx context.Context, c *study.Cohort, ch study.ChannelRef) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := toCohortRow(c)
		if err := tx.Create(&row).Error; err != nil {
			return wrap(err, "create cohort %q", c.Name)
		}
		c.ID = row.ID
		if err := s.bind(tx, row.ID, ch); err != nil {
			return err
		}
		if ex := toExceptionRows(c); len(ex) > 0 {
			if err := tx.Create(&ex).Error; err != nil {
				return wrap(err, "cohort %d exceptions", row.ID)
			}
		}
		return nil
	})
}

func (s *Store) CohortByChannel(ctx context.Context, ch study.ChannelRef) (*study.Cohort, error) {
	if c, ok := s.cohorts.get(ch); ok {
		return c, nil
	}
	var bind channelRow
	err := s.db.WithContext(ctx).
		Where("platform = ? AND workspace_id = ? AND channel_id = ?", ch.Platform, ch.Workspace, ch.Channel).
		Take(&bind).Error
	if err != nil {
		return nil, wrap(err, "cohort for %s channel %s", ch.Platform, ch.Channel)
	}
	c, err := s.Cohort(ctx, bind.CohortID)
	if err == nil {
		s.cohorts.put(ch, *c)
	}
	return c, err
}

func (s *Store) Cohort(ctx context.Context, id int64) (*study.Cohort, error) {
	db := s.db.WithContext(ctx)
	var row cohortRow
	if err := db.Take(&row, id).Error; err != nil {
		return nil, wrap(err, "cohort %d", id)
	}
	var ex []exceptionRow
	if err := db.Where("cohort_id = ?", id).Order("id").Find(&ex).Error; err != nil {
		return nil, wrap(err, "cohort %d exceptions", id)
	}
	return fromRows(row, ex)
}

func (s *Store) Cohorts(ctx context.Context) ([]study.Cohort, error) {
	db := s.db.WithContext(ctx)
	var rows []cohortRow
	if err := db.Order("id").Find(&rows).Error; err != nil {
		return nil, wrap(err, "list cohorts")
	}
	var ex []exceptionRow
	if err := db.Order("id").Find(&ex).Error; err != nil {
		return nil, wrap(err, "list cohort exceptions")
	}
	byCohort := map[int64][]exceptionRow{}
	for _, e := range ex {
		byCohort[e.CohortID] = append(byCohort[e.CohortID], e)
	}
	out := make([]study.Cohort, 0, len(rows))
	for _, r := range rows {
		c, err := fromRows(r, byCohort[r.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}

func (s *Store) UpdateCohort(ctx context.Context, c *study.Cohort) error {
	defer s.cohorts.forget(c.ID)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := toCohortRow(c)
		var zone []string
		if err := tx.Model(&cohortRow{}).Where("id = ?", c.ID).Pluck("timezone", &zone).Error; err != nil {
			return wrap(err, "zone of cohort %d", c.ID)
		}
		// next_due_at = NULL asks the scheduler to recompute this cohort on its next tick,
		// so a changed time, zone, cadence or pause takes effect without a restart;
		// close_due_at = NULL does the same for when its next study day closes.
		row.NextDueAt, row.CloseDueAt = nil, nil
		res := tx.Model(&cohortRow{ID: c.ID}).
			Select("name", "track", "start_date", "timezone", "post_time", "cadence", "leaderboard_cron", "recap_cron", "reminder_time", "link_code", "next_due_at", "updated_at",
				"grace_minutes", "max_freezes", "close_due_at", "early_day", "early_at").
			Updates(&row)
		if res.Error != nil {
			return wrap(res.Error, "update cohort %d", c.ID)
		}
		if res.RowsAffected == 0 {
			return wrap(gorm.ErrRecordNotFound, "update cohort %d", c.ID)
		}
		if len(zone) == 1 && zone[0] != row.Timezone {
			if err := s.replanReminders(tx, c.ID); err != nil {
				return err
			}
		}
		if err := tx.Where("cohort_id = ?", c.ID).Delete(&exceptionRow{}).Error; err != nil {
			return wrap(err, "cohort %d: clear exceptions", c.ID)
		}
		if ex := toExceptionRows(c); len(ex) > 0 {
			if err := tx.Create(&ex).Error; err != nil {
				return wrap(err, "cohort %d: save exceptions", c.ID)
			}
		}
		return nil
	})
}

// replanReminders makes the personal reminders of the cohort's members who follow its
// zone due now: each was planned at their time on the old zone's clock, which may come
// after their time on the new one (a cohort moving east), and a reminder planned too late
// would skip that day. Due now, the planner sends nothing for an instant that is no longer
// the member's time and plans the next on the new zone. One statement on a rare
// organizer command, touching only members with reminders on.
func (s *Store) replanReminders(tx *gorm.DB, cohortID int64) error {
	now := ts(s.now())
	err := tx.Model(&memberRow{}).
		Where("cohort_id = ? AND timezone = '' AND next_remind_at > ?", cohortID, now).
		UpdateColumn("next_remind_at", now).Error
	return wrap(err, "cohort %d: replan reminders", cohortID)
}

// channelID finds the binding row of a chat channel.
func (s *Store) channelID(ctx context.Context, ch study.ChannelRef) (int64, error) {
	var bind channelRow
	err := s.db.WithContext(ctx).
		Where("platform = ? AND workspace_id = ? AND channel_id = ?", ch.Platform, ch.Workspace, ch.Channel).
		Take(&bind).Error
	if err != nil {
		return 0, wrap(err, "%s channel %s", ch.Platform, ch.Channel)
	}
	return bind.ID, nil
}

func (s *Store) DayOfThread(ctx context.Context, ch study.ChannelRef, thread string) (int, error) {
	id, err := s.channelID(ctx, ch)
	if err != nil {
		return 0, err
	}
	var p postRow
	err = s.db.WithContext(ctx).Select("day").
		Where("channel_id = ? AND thread_id = ? AND kind = ?", id, thread, study.KindDay).
		Take(&p).Error
	if err != nil {
		return 0, wrap(err, "thread %s", thread)
	}
	return p.Day, nil
}

func (s *Store) ChannelSetting(ctx context.Context, ch study.ChannelRef, key string) (string, error) {
	set, err := s.ChannelSettings(ctx, ch)
	return set[key], err
}

func (s *Store) ChannelSettings(ctx context.Context, ch study.ChannelRef) (map[string]string, error) {
	var rows []struct {
		Key   string
		Value *string
	}
	// One round trip: the channel's binding, and its settings if any.
	err := s.db.WithContext(ctx).Table("cohort_channels AS c").
		Select("s.key AS key, s.value AS value").
		Joins("LEFT JOIN channel_settings AS s ON s.channel_id = c.id").
		Where("c.platform = ? AND c.workspace_id = ? AND c.channel_id = ?", ch.Platform, ch.Workspace, ch.Channel).
		Scan(&rows).Error
	if err != nil {
		return nil, wrap(err, "settings of %s channel %s", ch.Platform, ch.Channel)
	}
	if len(rows) == 0 {
		return nil, study.OpError(study.ENOTFOUND, fmt.Sprintf("settings of %s channel %s", ch.Platform, ch.Channel))
	}
	set := map[string]string{}
	for _, r := range rows {
		if r.Value != nil {
			set[r.Key] = *r.Value
		}
	}
	return set, nil
}

func (s *Store) SetChannelSetting(ctx context.Context, ch study.ChannelRef, key, value string) error {
	id, err := s.channelID(ctx, ch)
	if err != nil {
		return err
	}
	row := settingRow{ChannelID: id, Key: key, Value: value}
	err = s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "channel_id"}, {Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value"}),
	}).Create(&row).Error
	return wrap(err, "save setting %s", key)
}

func (s *Store) bind(db *gorm.DB, cohortID int64, ch study.ChannelRef) error {
	row := channelRow{CohortID: cohortID, Platform: ch.Platform, WorkspaceID: ch.Workspace, ChannelID: ch.Channel, CreatedAt: s.now().UTC()}
	return wrap(db.Create(&row).Error, "bind cohort %d to %s channel %s", cohortID, ch.Platform, ch.Channel)
}

func (s *Store) BindChannel(ctx context.Context, cohortID int64, ch study.ChannelRef) error {
	defer s.cohorts.forget(cohortID)
	return s.bind(s.db.WithContext(ctx), cohortID, ch)
}

func (s *Store) CohortByLinkCode(ctx context.Context, code string) (*study.Cohort, error) {
	var row cohortRow
	if err := s.db.WithContext(ctx).Select("id").Where("link_code = ? AND link_code <> ''", code).Take(&row).Error; err != nil {
		return nil, wrap(err, "link code")
	}
	return s.Cohort(ctx, row.ID)
}
