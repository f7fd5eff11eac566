-- +goose Up
-- A delivery claim's own token, apart from its lease: the sender renews lease_until while
-- it works on a post (a short lease, so a dead sender's post is taken over within
-- seconds), and every outcome it records matches the claim token, so a stalled sender
-- whose post was taken over cannot record over the new holder. taken_over says the
-- current claim took the post from a sender whose lease ran out (it may have sent parts
-- it did not record).
ALTER TABLE posts ADD COLUMN claim TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN taken_over BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE posts DROP COLUMN taken_over;
ALTER TABLE posts DROP COLUMN claim;
