-- +goose Up
-- The same as postgres/00004_delivery_progress.sql in SQLite's dialect.
ALTER TABLE posts ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX posts_problems ON posts (cohort_id, due_at)
    WHERE status = 'failed' OR (status = 'pending' AND last_error <> '');
CREATE INDEX posts_sent_by_kind ON posts (channel_id, kind, sent_at) WHERE status = 'sent';

-- +goose Down
DROP INDEX posts_sent_by_kind;
DROP INDEX posts_problems;
ALTER TABLE posts DROP COLUMN parts_sent;
