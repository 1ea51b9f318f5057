-- +goose Up
-- The authenticator-app second factor (docs/ARCHITECTURE.md, "Second
-- factor"). One row per account that has started enrolment: the secret
-- sealed with SECRET_KEY (AES-GCM, the user id as associated data, so a
-- copied row does not open for another account), enabled_at NULL until a
-- correct code turned it on, and the last time step a code was accepted
-- for, so no step is used twice.
CREATE TABLE second_factors (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     BLOB    NOT NULL,
    enabled_at INTEGER,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Recovery codes: only a keyed hash of each, deleted when used.
CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash    BLOB    NOT NULL,
    PRIMARY KEY (user_id, hash)
);

-- Wrong codes, counted per account over 15 minutes (enrolment tries
-- included): in the database, so several instances count together.
CREATE TABLE second_factor_failures (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    failed_at INTEGER NOT NULL
);
CREATE INDEX second_factor_failures_user_idx ON second_factor_failures(user_id, failed_at);

-- Browsers that need not be asked for a code for 30 days: the SHA-256 of
-- the random token in their cookie, the account it is good for, and the
-- addresses it has been used from (a new one sends a notice).
CREATE TABLE remembered_devices (
    hash       BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX remembered_devices_user_idx ON remembered_devices(user_id);
CREATE TABLE remembered_device_ips (
    device_hash BLOB NOT NULL REFERENCES remembered_devices(hash) ON DELETE CASCADE,
    ip          TEXT NOT NULL,
    PRIMARY KEY (device_hash, ip)
);

-- +goose Down
DROP TABLE remembered_device_ips;
DROP TABLE remembered_devices;
DROP TABLE second_factor_failures;
DROP TABLE recovery_codes;
DROP TABLE second_factors;
