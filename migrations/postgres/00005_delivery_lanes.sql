-- +goose Up
-- Posts addressed to one member (personal reminders, sent as direct messages). A member's
-- posts form their own delivery lane: ordering lanes are (channel, member), so a member's
-- reminder waits for no channel post and no channel post waits for it. The outbox key
-- becomes (channel, member, kind, period): two members' reminders of one day are two posts.
ALTER TABLE posts ADD COLUMN member_id BIGINT NULL REFERENCES members (id) ON DELETE CASCADE;
ALTER TABLE posts DROP CONSTRAINT posts_channel_id_kind_period_key;
CREATE UNIQUE INDEX posts_key ON posts (channel_id, COALESCE(member_id, 0), kind, period);
DROP INDEX posts_channel_order;
CREATE INDEX posts_lane_order ON posts (channel_id, COALESCE(member_id, 0), due_at, id)
    WHERE status IN ('pending', 'sending');
CREATE INDEX posts_member ON posts (member_id) WHERE member_id IS NOT NULL;
-- The scheduler sleeps until the next instant anything is due: the earliest retry
-- (posts_ready) and the earliest lease to expire are read from indexes.
CREATE INDEX posts_leases ON posts (lease_until) WHERE status = 'sending';
-- A tick writes one row per due cohort and channel. posts.cohort_id is the cohort of
-- posts.channel_id, whose foreign key (ON DELETE CASCADE through cohort_channels)
-- already ties a post to its cohort: the second key's check, a trigger per row, and its
-- index cost a planning tick more than either is worth.
ALTER TABLE posts DROP CONSTRAINT posts_cohort_id_fkey;
DROP INDEX posts_cohort;

-- +goose Down
CREATE INDEX posts_cohort ON posts (cohort_id, kind);
ALTER TABLE posts ADD CONSTRAINT posts_cohort_id_fkey FOREIGN KEY (cohort_id) REFERENCES cohorts (id) ON DELETE CASCADE;
DROP INDEX posts_leases;
DELETE FROM posts WHERE member_id IS NOT NULL;
DROP INDEX posts_member;
DROP INDEX posts_lane_order;
CREATE INDEX posts_channel_order ON posts (channel_id, due_at, id) WHERE status IN ('pending', 'sending');
DROP INDEX posts_key;
ALTER TABLE posts ADD CONSTRAINT posts_channel_id_kind_period_key UNIQUE (channel_id, kind, period);
ALTER TABLE posts DROP COLUMN member_id;
