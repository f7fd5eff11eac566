-- +goose Up
-- The same as postgres/00008_claim_token.sql in SQLite's dialect.
ALTER TABLE posts ADD COLUMN claim TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN taken_over BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE posts DROP COLUMN taken_over;
ALTER TABLE posts DROP COLUMN claim;
