-- +goose Up
-- Dates are the cohort's local calendar dates as 'YYYY-MM-DD' text: they have no time zone,
-- and text keeps them from being shifted by a session's TimeZone setting.
CREATE TABLE cohorts (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT        NOT NULL,
    track       TEXT        NOT NULL,
    start_date  TEXT        NOT NULL CHECK (start_date ~ '^\d{4}-\d{2}-\d{2}$'),
    timezone    TEXT        NOT NULL,
    post_time   TEXT        NOT NULL CHECK (post_time ~ '^\d{2}:\d{2}$'),
    cadence     TEXT        NOT NULL CHECK (cadence IN ('daily', 'weekdays')),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE cohort_channels (
    id           BIGSERIAL PRIMARY KEY,
    cohort_id    BIGINT      NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    platform     TEXT        NOT NULL,
    workspace_id TEXT        NOT NULL,
    channel_id   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (platform, workspace_id, channel_id)
);
CREATE INDEX cohort_channels_cohort ON cohort_channels (cohort_id);

CREATE TABLE calendar_exceptions (
    id         BIGSERIAL PRIMARY KEY,
    cohort_id  BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    kind       TEXT   NOT NULL CHECK (kind IN ('pause', 'skip')),
    from_date  TEXT   NOT NULL,
    until_date TEXT   NOT NULL DEFAULT ''  -- '' = open-ended pause
);
CREATE INDEX calendar_exceptions_cohort ON calendar_exceptions (cohort_id);

CREATE TABLE members (
    id           BIGSERIAL PRIMARY KEY,
    cohort_id    BIGINT      NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    platform     TEXT        NOT NULL,
    workspace_id TEXT        NOT NULL,
    user_id      TEXT        NOT NULL,
    display_name TEXT        NOT NULL,
    joined_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (cohort_id, platform, workspace_id, user_id)
);

CREATE TABLE check_ins (
    id        BIGSERIAL PRIMARY KEY,
    cohort_id BIGINT      NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    member_id BIGINT      NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    day       INTEGER     NOT NULL CHECK (day >= 1),
    source    TEXT        NOT NULL CHECK (source IN ('command', 'button', 'reply')),
    note      TEXT        NOT NULL DEFAULT '',
    at        TIMESTAMPTZ NOT NULL,
    on_time   BOOLEAN     NOT NULL,
    -- One check-in per member per day: a repeat is a duplicate key, never a second row.
    UNIQUE (cohort_id, member_id, day)
);
CREATE INDEX check_ins_member ON check_ins (member_id);

-- +goose Down
DROP TABLE check_ins;
DROP TABLE members;
DROP TABLE calendar_exceptions;
DROP TABLE cohort_channels;
DROP TABLE cohorts;
