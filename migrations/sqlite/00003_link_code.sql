-- +goose Up
ALTER TABLE cohorts ADD COLUMN link_code TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX cohorts_link_code ON cohorts (link_code) WHERE link_code <> '';

-- +goose Down
DROP INDEX cohorts_link_code;
ALTER TABLE cohorts DROP COLUMN link_code;
