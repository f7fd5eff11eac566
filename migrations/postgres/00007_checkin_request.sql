-- +goose Up
-- The request a check-in came from: a request retried after a fault whose outcome was
-- lost finds its own check-in by it, and is answered as done rather than "already".
ALTER TABLE check_ins ADD COLUMN request TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE check_ins DROP COLUMN request;
