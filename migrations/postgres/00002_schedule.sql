-- +goose Up
-- Schedules per cohort. next_due_at is the earliest instant something may fall due: the
-- ticker's one bounded query reads it for every cohort at once. NULL means "recompute"
-- (set whenever an organizer changes the schedule).
ALTER TABLE cohorts ADD COLUMN leaderboard_cron  TEXT NOT NULL DEFAULT '0 17 * * FRI';
ALTER TABLE cohorts ADD COLUMN recap_cron        TEXT NOT NULL DEFAULT '0 18 * * SUN';
ALTER TABLE cohorts ADD COLUMN reminder_time     TEXT NOT NULL DEFAULT '';
ALTER TABLE cohorts ADD COLUMN scheduled_through TIMESTAMPTZ NULL;
ALTER TABLE cohorts ADD COLUMN next_due_at       TIMESTAMPTZ NULL;
CREATE INDEX cohorts_next_due ON cohorts (next_due_at);

-- The outbox. UNIQUE (channel, kind, period) is the claim: inserting a row is deciding to
-- post, and a second insert for the same key does nothing.
CREATE TABLE posts (
    id           BIGSERIAL PRIMARY KEY,
    cohort_id    BIGINT      NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    channel_id   BIGINT      NOT NULL REFERENCES cohort_channels (id) ON DELETE CASCADE,
    kind         TEXT        NOT NULL,
    period       TEXT        NOT NULL,
    day          INTEGER     NOT NULL DEFAULT 0,
    status       TEXT        NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts     INTEGER     NOT NULL DEFAULT 0,
    last_error   TEXT        NOT NULL DEFAULT '',
    nonce        TEXT        NOT NULL,
    message_id   TEXT        NOT NULL DEFAULT '',
    thread_id    TEXT        NOT NULL DEFAULT '',
    due_at       TIMESTAMPTZ NOT NULL,
    not_before   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    lease_until  TIMESTAMPTZ NULL,
    sent_at      TIMESTAMPTZ NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (channel_id, kind, period)
);
CREATE INDEX posts_ready ON posts (not_before) WHERE status IN ('pending', 'sending');
CREATE INDEX posts_channel_order ON posts (channel_id, due_at, id) WHERE status IN ('pending', 'sending');
CREATE INDEX posts_thread ON posts (channel_id, thread_id) WHERE thread_id <> '';
CREATE INDEX posts_cohort ON posts (cohort_id, kind);

-- Platform settings an adapter keeps per channel (Discord organizer role, Slack organizers).
CREATE TABLE channel_settings (
    channel_id BIGINT NOT NULL REFERENCES cohort_channels (id) ON DELETE CASCADE,
    key        TEXT   NOT NULL,
    value      TEXT   NOT NULL,
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
