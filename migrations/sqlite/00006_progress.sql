-- +goose Up
-- The same as postgres/00006_progress.sql in SQLite's dialect.
ALTER TABLE members ADD COLUMN completed      INTEGER  NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN streak         INTEGER  NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN best           INTEGER  NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN closed_streak  INTEGER  NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN closed_through INTEGER  NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN on_time_run    INTEGER  NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN freezes        INTEGER  NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN frozen_days    TEXT     NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN reached_at     DATETIME NULL;
ALTER TABLE members ADD COLUMN days           TEXT     NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN timezone       TEXT     NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN remind_at      TEXT     NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN next_remind_at DATETIME NULL;
ALTER TABLE members ADD COLUMN away_from      DATETIME NULL;
ALTER TABLE members ADD COLUMN away_until     DATETIME NULL;
ALTER TABLE members ADD COLUMN away_last_day  TEXT     NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN board_rank      INTEGER NULL;
ALTER TABLE members ADD COLUMN prev_board_rank INTEGER NULL;

CREATE INDEX members_standing ON members (cohort_id, completed DESC, streak DESC, reached_at, display_name, id);
CREATE INDEX members_remind ON members (next_remind_at) WHERE next_remind_at IS NOT NULL;
CREATE INDEX check_ins_day ON check_ins (cohort_id, day);

ALTER TABLE cohorts ADD COLUMN grace_minutes  INTEGER  NOT NULL DEFAULT 240 CHECK (grace_minutes BETWEEN 0 AND 720);
ALTER TABLE cohorts ADD COLUMN max_freezes    INTEGER  NOT NULL DEFAULT 2 CHECK (max_freezes BETWEEN 0 AND 3);
ALTER TABLE cohorts ADD COLUMN closed_through INTEGER  NOT NULL DEFAULT 0;
ALTER TABLE cohorts ADD COLUMN close_due_at   DATETIME NULL;
ALTER TABLE cohorts ADD COLUMN board_period   TEXT     NOT NULL DEFAULT '';
ALTER TABLE cohorts ADD COLUMN prev_board_period TEXT  NOT NULL DEFAULT '';
CREATE INDEX cohorts_close_due ON cohorts (close_due_at);
-- A day's card posted before its time (/cohort post today) starts the day then.
ALTER TABLE cohorts ADD COLUMN early_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cohorts ADD COLUMN early_at  DATETIME NULL;

CREATE TABLE standings (
    cohort_id INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    completed INTEGER NOT NULL,
    streak    INTEGER NOT NULL,
    shard     INTEGER NOT NULL,
    members   INTEGER NOT NULL,
    PRIMARY KEY (cohort_id, completed, streak, shard)
);

UPDATE members SET
    completed  = (SELECT count(*) FROM check_ins WHERE member_id = members.id),
    reached_at = (SELECT max(at) FROM check_ins WHERE member_id = members.id),
    days       = coalesce((
        WITH RECURSIVE seq(g) AS (
            SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < (SELECT max(day) FROM check_ins WHERE member_id = members.id))
        SELECT group_concat(CASE WHEN x.day IS NULL THEN '.' WHEN x.on_time THEN 'T' ELSE 'L' END, '' ORDER BY g)
          FROM seq LEFT JOIN check_ins x ON x.member_id = members.id AND x.day = seq.g
         WHERE EXISTS (SELECT 1 FROM check_ins WHERE member_id = members.id)), '');
INSERT INTO standings (cohort_id, completed, streak, shard, members)
SELECT cohort_id, completed, 0, id % 16, count(*) FROM members GROUP BY cohort_id, completed, id % 16;

-- +goose Down
DROP TABLE standings;
ALTER TABLE cohorts DROP COLUMN early_at;
ALTER TABLE cohorts DROP COLUMN early_day;
DROP INDEX cohorts_close_due;
ALTER TABLE cohorts DROP COLUMN prev_board_period;
ALTER TABLE cohorts DROP COLUMN board_period;
ALTER TABLE cohorts DROP COLUMN close_due_at;
ALTER TABLE cohorts DROP COLUMN closed_through;
ALTER TABLE cohorts DROP COLUMN max_freezes;
ALTER TABLE cohorts DROP COLUMN grace_minutes;
DROP INDEX check_ins_day;
DROP INDEX members_remind;
DROP INDEX members_standing;
ALTER TABLE members DROP COLUMN prev_board_rank;
ALTER TABLE members DROP COLUMN board_rank;
ALTER TABLE members DROP COLUMN away_last_day;
ALTER TABLE members DROP COLUMN away_until;
ALTER TABLE members DROP COLUMN away_from;
ALTER TABLE members DROP COLUMN next_remind_at;
ALTER TABLE members DROP COLUMN remind_at;
ALTER TABLE members DROP COLUMN timezone;
ALTER TABLE members DROP COLUMN days;
ALTER TABLE members DROP COLUMN reached_at;
ALTER TABLE members DROP COLUMN frozen_days;
ALTER TABLE members DROP COLUMN freezes;
ALTER TABLE members DROP COLUMN on_time_run;
ALTER TABLE members DROP COLUMN closed_through;
ALTER TABLE members DROP COLUMN closed_streak;
ALTER TABLE members DROP COLUMN best;
ALTER TABLE members DROP COLUMN streak;
ALTER TABLE members DROP COLUMN completed;
