-- +goose Up
-- The PostgreSQL twin of ../00006_identities.sql: an account's identities
-- at providers, provider + subject unique together, gone with the account.
CREATE TABLE identities (
    provider     TEXT   NOT NULL,
    subject      TEXT   NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email        TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE UNIQUE INDEX identities_user_provider_idx ON identities(user_id, provider);

-- +goose Down
DROP TABLE identities;
