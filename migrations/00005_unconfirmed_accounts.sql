-- +goose Up
-- Accounts are usable only once their address is confirmed; those never
-- confirmed are deleted after UNVERIFIED_ACCOUNT_TTL. This index keeps the
-- cleanup's search to the few unconfirmed rows, however many users there are.
CREATE INDEX users_unconfirmed_idx ON users(created_at) WHERE email_verified_at IS NULL;

-- +goose Down
DROP INDEX users_unconfirmed_idx;
