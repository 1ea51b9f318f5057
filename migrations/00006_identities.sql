-- +goose Up
-- An account's identities at providers (GitHub, Google, an OpenID
-- provider): who the provider says signed in (provider + subject, unique
-- together: one identity is one account), which account it signs in to, and
-- the address the provider reported, shown on /settings/connections. An
-- account has at most one identity per provider, so disconnecting names the
-- provider alone. The identities go with the account.
CREATE TABLE identities (
    provider     TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email        TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE UNIQUE INDEX identities_user_provider_idx ON identities(user_id, provider);

-- +goose Down
DROP TABLE identities;
