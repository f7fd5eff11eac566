-- +goose Up
-- The same as postgres/00002_schedule.sql in SQLite's dialect.
ALTER TABLE cohorts ADD COLUMN leaderboard_cron  TEXT NOT NULL DEFAULT '0 17 * * FRI';
ALTER TABLE cohorts ADD COLUMN recap_cron        TEXT NOT NULL DEFAULT '0 18 * * SUN';
ALTER TABLE cohorts ADD COLUMN reminder_time     TEXT NOT NULL DEFAULT '';
ALTER TABLE cohorts ADD COLUMN scheduled_through DATETIME NULL;
ALTER TABLE cohorts ADD COLUMN next_due_at       DATETIME NULL;
CREATE INDEX cohorts_next_due ON cohorts (next_due_at);

CREATE TABLE posts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id    INTEGER  NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    channel_id   INTEGER  NOT NULL REFERENCES cohort_channels (id) ON DELETE CASCADE,
    kind         TEXT     NOT NULL,
    period       TEXT     NOT NULL,
    day          INTEGER  NOT NULL DEFAULT 0,
    status       TEXT     NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts     INTEGER  NOT NULL DEFAULT 0,
    last_error   TEXT     NOT NULL DEFAULT '',
    nonce        TEXT     NOT NULL,
    message_id   TEXT     NOT NULL DEFAULT '',
    thread_id    TEXT     NOT NULL DEFAULT '',
    due_at       DATETIME NOT NULL,
    not_before   DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    lease_until  DATETIME NULL,
    sent_at      DATETIME NULL,
    created_at   DATETIME NOT NULL,
    UNIQUE (channel_id, kind, period)
);
CREATE INDEX posts_ready ON posts (not_before) WHERE status IN ('pending', 'sending');
CREATE INDEX posts_channel_order ON posts (channel_id, due_at, id) WHERE status IN ('pending', 'sending');
CREATE INDEX posts_thread ON posts (channel_id, thread_id) WHERE thread_id <> '';
CREATE INDEX posts_cohort ON posts (cohort_id, kind);

CREATE TABLE channel_settings (
    channel_id INTEGER NOT NULL REFERENCES cohort_channels (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    PRIMARY KEY (channel_id, key)
);

-- +goose Down
DROP TABLE channel_settings;
DROP TABLE posts;
DROP INDEX cohorts_next_due;
ALTER TABLE cohorts DROP COLUMN next_due_at;
ALTER TABLE cohorts DROP COLUMN scheduled_through;
ALTER TABLE cohorts DROP COLUMN reminder_time;
ALTER TABLE cohorts DROP COLUMN recap_cron;
ALTER TABLE cohorts DROP COLUMN leaderboard_cron;
