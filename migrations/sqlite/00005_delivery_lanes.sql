-- +goose Up
-- The same as postgres/00005_delivery_lanes.sql in SQLite's dialect. SQLite cannot drop a
-- table's UNIQUE constraint or a foreign key, so the outbox is rebuilt with the new key
-- (and cohort_id without its own foreign key: the channel's ties the post to its cohort).
CREATE TABLE posts_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id    INTEGER  NOT NULL,
    channel_id   INTEGER  NOT NULL REFERENCES cohort_channels (id) ON DELETE CASCADE,
    member_id    INTEGER  NULL REFERENCES members (id) ON DELETE CASCADE,
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
    parts_sent   INTEGER  NOT NULL DEFAULT 0
);
INSERT INTO posts_new (id, cohort_id, channel_id, kind, period, day, status, attempts, last_error, nonce, message_id,
                       thread_id, due_at, not_before, expires_at, lease_until, sent_at, created_at, parts_sent)
SELECT id, cohort_id, channel_id, kind, period, day, status, attempts, last_error, nonce, message_id,
       thread_id, due_at, not_before, expires_at, lease_until, sent_at, created_at, parts_sent
FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
CREATE UNIQUE INDEX posts_key ON posts (channel_id, COALESCE(member_id, 0), kind, period);
CREATE INDEX posts_ready ON posts (not_before) WHERE status IN ('pending', 'sending');
CREATE INDEX posts_lane_order ON posts (channel_id, COALESCE(member_id, 0), due_at, id)
    WHERE status IN ('pending', 'sending');
CREATE INDEX posts_thread ON posts (channel_id, thread_id) WHERE thread_id <> '';
CREATE INDEX posts_problems ON posts (cohort_id, due_at)
    WHERE status = 'failed' OR (status = 'pending' AND last_error <> '');
CREATE INDEX posts_sent_by_kind ON posts (channel_id, kind, sent_at) WHERE status = 'sent';
CREATE INDEX posts_member ON posts (member_id) WHERE member_id IS NOT NULL;
CREATE INDEX posts_leases ON posts (lease_until) WHERE status = 'sending';

-- +goose Down
CREATE TABLE posts_old (
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
    parts_sent   INTEGER  NOT NULL DEFAULT 0,
    UNIQUE (channel_id, kind, period)
);
INSERT INTO posts_old (id, cohort_id, channel_id, kind, period, day, status, attempts, last_error, nonce, message_id,
                       thread_id, due_at, not_before, expires_at, lease_until, sent_at, created_at, parts_sent)
SELECT id, cohort_id, channel_id, kind, period, day, status, attempts, last_error, nonce, message_id,
       thread_id, due_at, not_before, expires_at, lease_until, sent_at, created_at, parts_sent
FROM posts WHERE member_id IS NULL;
DROP TABLE posts;
ALTER TABLE posts_old RENAME TO posts;
CREATE INDEX posts_ready ON posts (not_before) WHERE status IN ('pending', 'sending');
CREATE INDEX posts_channel_order ON posts (channel_id, due_at, id) WHERE status IN ('pending', 'sending');
CREATE INDEX posts_thread ON posts (channel_id, thread_id) WHERE thread_id <> '';
CREATE INDEX posts_cohort ON posts (cohort_id, kind);
CREATE INDEX posts_problems ON posts (cohort_id, due_at)
    WHERE status = 'failed' OR (status = 'pending' AND last_error <> '');
CREATE INDEX posts_sent_by_kind ON posts (channel_id, kind, sent_at) WHERE status = 'sent';
