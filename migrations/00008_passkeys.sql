-- +goose Up
-- Passkeys (WebAuthn credentials). webauthn_handles gives each account
-- that has registered a passkey one random user handle: the authenticator
-- keeps it with the credential and hands it back at a discoverable
-- sign-in, and it says nothing about the account (not the id, not the
-- address). passkeys holds what go-webauthn needs to verify an assertion
-- (the COSE public key, the signature counter, the backup flags, the
-- transports) and what /settings/passkeys shows (name, created, last used).
-- Both go with the account.
CREATE TABLE webauthn_handles (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    handle  BLOB    NOT NULL UNIQUE
);

CREATE TABLE passkeys (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id    BLOB    NOT NULL UNIQUE,
    public_key       BLOB    NOT NULL,
    attestation_type TEXT    NOT NULL DEFAULT '',
    aaguid           BLOB    NOT NULL DEFAULT x'',
    sign_count       INTEGER NOT NULL DEFAULT 0,
    transports       TEXT    NOT NULL DEFAULT '',
    user_verified    INTEGER NOT NULL DEFAULT 0,
    backup_eligible  INTEGER NOT NULL DEFAULT 0,
    backup_state     INTEGER NOT NULL DEFAULT 0,
    name             TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER
);
CREATE INDEX passkeys_user_idx ON passkeys(user_id);

-- +goose Down
DROP TABLE passkeys;
DROP TABLE webauthn_handles;
