-- +goose Up
-- A code shown by /cohort status; /cohort link code:… in another channel (another platform)
-- binds that channel to the same cohort.
ALTER TABLE cohorts ADD COLUMN link_code TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX cohorts_link_code ON cohorts (link_code) WHERE link_code <> '';

-- +goose Down
DROP INDEX cohorts_link_code;
ALTER TABLE cohorts DROP COLUMN link_code;
