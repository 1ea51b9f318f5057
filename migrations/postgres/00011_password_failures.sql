-- +goose Up
-- The PostgreSQL twin of ../00011_password_failures.sql. UNLOGGED, like
-- rate_limits: a crash that empties it only forgets a run of failures.
CREATE UNLOGGED TABLE password_failures (
    key             TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_ms BIGINT  NOT NULL,
    noticed         BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX password_failures_last_idx ON password_failures(last_failure_ms);

-- +goose Down
DROP TABLE password_failures;
