-- +goose Up
-- The PostgreSQL twin of ../00007_second_factor.sql: the sealed
-- authenticator secret and last used step per account, recovery code
-- hashes, wrong codes per account, and remembered browsers with the
-- addresses they were used from.
CREATE TABLE second_factors (
    user_id    BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     BYTEA  NOT NULL,
    enabled_at BIGINT,
    last_step  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash    BYTEA  NOT NULL,
    PRIMARY KEY (user_id, hash)
);

CREATE TABLE second_factor_failures (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    failed_at BIGINT NOT NULL
);
CREATE INDEX second_factor_failures_user_idx ON second_factor_failures(user_id, failed_at);

CREATE TABLE remembered_devices (
    hash       BYTEA  PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX remembered_devices_user_idx ON remembered_devices(user_id);
CREATE TABLE remembered_device_ips (
    device_hash BYTEA NOT NULL REFERENCES remembered_devices(hash) ON DELETE CASCADE,
    ip          TEXT  NOT NULL,
    PRIMARY KEY (device_hash, ip)
);

-- +goose Down
DROP TABLE remembered_device_ips;
DROP TABLE remembered_devices;
DROP TABLE second_factor_failures;
DROP TABLE recovery_codes;
DROP TABLE second_factors;
