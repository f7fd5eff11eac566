-- +goose Up
-- Progress is kept, not recomputed: each member's row holds what /done, /progress and the
-- leaderboard show, maintained by the check-in transaction and by a day-close step the
-- scheduler runs once per study day per cohort. `days` has one character per study day:
-- '.' not done, 'T' on time, 'L' late (a catch-up), 'A' away, 'F' missed and covered by a
-- streak freeze. closed_through is the last day whose close the row has had.
ALTER TABLE members ADD COLUMN completed      INTEGER     NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN streak         INTEGER     NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN best           INTEGER     NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN closed_streak  INTEGER     NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN closed_through INTEGER     NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN on_time_run    INTEGER     NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN freezes        INTEGER     NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN frozen_days    TEXT        NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN reached_at     TIMESTAMPTZ NULL;
ALTER TABLE members ADD COLUMN days           TEXT        NOT NULL DEFAULT '';
-- A member's own settings: time zone ('' = the cohort's), personal reminder, time away.
ALTER TABLE members ADD COLUMN timezone       TEXT        NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN remind_at      TEXT        NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN next_remind_at TIMESTAMPTZ NULL;
ALTER TABLE members ADD COLUMN away_from      TIMESTAMPTZ NULL;
ALTER TABLE members ADD COLUMN away_until     TIMESTAMPTZ NULL;
ALTER TABLE members ADD COLUMN away_last_day  TEXT        NOT NULL DEFAULT '';
-- Ranks at the last two posted leaderboards (the movement a board shows).
ALTER TABLE members ADD COLUMN board_rank      INTEGER NULL;
ALTER TABLE members ADD COLUMN prev_board_rank INTEGER NULL;

-- The leaderboard's order, read top-down; reminders due, read by time.
CREATE INDEX members_standing ON members (cohort_id, completed DESC, streak DESC, reached_at, display_name, id);
CREATE INDEX members_remind ON members (next_remind_at) WHERE next_remind_at IS NOT NULL;
CREATE INDEX check_ins_day ON check_ins (cohort_id, day);

ALTER TABLE cohorts ADD COLUMN grace_minutes  INTEGER     NOT NULL DEFAULT 240 CHECK (grace_minutes BETWEEN 0 AND 720);
ALTER TABLE cohorts ADD COLUMN max_freezes    INTEGER     NOT NULL DEFAULT 2 CHECK (max_freezes BETWEEN 0 AND 3);
ALTER TABLE cohorts ADD COLUMN closed_through INTEGER     NOT NULL DEFAULT 0;
-- When the next study day closes; NULL: compute it (new cohort, changed settings).
ALTER TABLE cohorts ADD COLUMN close_due_at   TIMESTAMPTZ NULL;
ALTER TABLE cohorts ADD COLUMN board_period   TEXT        NOT NULL DEFAULT '';
ALTER TABLE cohorts ADD COLUMN prev_board_period TEXT     NOT NULL DEFAULT '';
CREATE INDEX cohorts_close_due ON cohorts (close_due_at);
-- A day's card posted before its time (/cohort post today) starts the day then.
ALTER TABLE cohorts ADD COLUMN early_day INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cohorts ADD COLUMN early_at  TIMESTAMPTZ NULL;

-- How many members stand at each (completed, streak): a member's rank is one more than
-- the members above, summed here instead of counted row by row. Sharded by member id so
-- that concurrent check-ins rarely wait on one counter.
CREATE TABLE standings (
    cohort_id BIGINT   NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    completed INTEGER  NOT NULL,
    streak    INTEGER  NOT NULL,
    shard     SMALLINT NOT NULL,
    members   INTEGER  NOT NULL,
    PRIMARY KEY (cohort_id, completed, streak, shard)
);

-- Carry the check-ins over: completion, day marks and when each member got there. The
-- streaks follow when the scheduler replays the closed days (closed_through is 0).
UPDATE members m SET
    completed  = c.n,
    reached_at = c.last,
    days       = c.marks
FROM (
    SELECT ci.member_id, count(*) AS n, max(ci.at) AS last,
           (SELECT string_agg(CASE WHEN x.day IS NULL THEN '.' WHEN x.on_time THEN 'T' ELSE 'L' END, '' ORDER BY g)
              FROM generate_series(1, max(ci.day)) AS g
              LEFT JOIN check_ins x ON x.member_id = ci.member_id AND x.day = g) AS marks
      FROM check_ins ci
     GROUP BY ci.member_id
) AS c
WHERE m.id = c.member_id;
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
