-- +goose Up
-- How far a post's delivery got: the platform messages sent so far. The root message and
-- thread ids are recorded as they are made, so a retry continues where a crash stopped it
-- and a reply in a day's thread finds its day while the thread is still being filled.
ALTER TABLE posts ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;

-- /cohort status lists recent delivery problems; the previous leaderboard of a channel
-- gives the next one its movement. Both read a handful of rows, whatever the history.
CREATE INDEX posts_problems ON posts (cohort_id, due_at)
    WHERE status = 'failed' OR (status = 'pending' AND last_error <> '');
CREATE INDEX posts_sent_by_kind ON posts (channel_id, kind, sent_at) WHERE status = 'sent';

-- +goose Down
DROP INDEX posts_sent_by_kind;
DROP INDEX posts_problems;
ALTER TABLE posts DROP COLUMN parts_sent;
