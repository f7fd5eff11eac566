-- +goose Up
-- The same schema as postgres/00001_init.sql in SQLite's dialect.
CREATE TABLE cohorts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT     NOT NULL,
    track       TEXT     NOT NULL,
    start_date  TEXT     NOT NULL CHECK (length(start_date) = 10),
    timezone    TEXT     NOT NULL,
    post_time   TEXT     NOT NULL CHECK (length(post_time) = 5),
    cadence     TEXT     NOT NULL CHECK (cadence IN ('daily', 'weekdays')),
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

CREATE TABLE cohort_channels (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id    INTEGER  NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    platform     TEXT     NOT NULL,
    workspace_id TEXT     NOT NULL,
    channel_id   TEXT     NOT NULL,
    created_at   DATETIME NOT NULL,
    UNIQUE (platform, workspace_id, channel_id)
);
CREATE INDEX cohort_channels_cohort ON cohort_channels (cohort_id);

CREATE TABLE calendar_exceptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id  INTEGER NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('pause', 'skip')),
    from_date  TEXT    NOT NULL,
    until_date TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX calendar_exceptions_cohort ON calendar_exceptions (cohort_id);

CREATE TABLE members (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id    INTEGER  NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    platform     TEXT     NOT NULL,
    workspace_id TEXT     NOT NULL,
    user_id      TEXT     NOT NULL,
    display_name TEXT     NOT NULL,
    joined_at    DATETIME NOT NULL,
    UNIQUE (cohort_id, platform, workspace_id, user_id)
);

CREATE TABLE check_ins (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id INTEGER  NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    member_id INTEGER  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    day       INTEGER  NOT NULL CHECK (day >= 1),
    source    TEXT     NOT NULL CHECK (source IN ('command', 'button', 'reply')),
    note      TEXT     NOT NULL DEFAULT '',
    at        DATETIME NOT NULL,
    on_time   BOOLEAN  NOT NULL,
    UNIQUE (cohort_id, member_id, day)
);
CREATE INDEX check_ins_member ON check_ins (member_id);

-- +goose Down
DROP TABLE check_ins;
DROP TABLE members;
DROP TABLE calendar_exceptions;
DROP TABLE cohort_channels;
DROP TABLE cohorts;
