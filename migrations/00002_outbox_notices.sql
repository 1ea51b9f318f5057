-- +goose Up
-- Security notices ("your password was changed") are counted apart from
-- messages that carry a link, so that signing in by link a few times does
-- not use up the address's allowance of links.
ALTER TABLE outbox ADD COLUMN notice INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE outbox DROP COLUMN notice;
