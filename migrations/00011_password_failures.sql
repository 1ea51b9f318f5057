-- +goose Up
-- Failed passwords per account, from every IP together: what slows an
-- account's password sign-ins while it is being guessed (accounts/
-- guessing.go). key is a SHA-256 of the address's canonical key, so an
-- address with no account is counted alike (the answer must not tell) and
-- the table holds no address in clear. A row whose last failure is older
-- than the window counts as none. noticed: the owner has been told of this
-- run of failures.
CREATE TABLE password_failures (
    key             TEXT    PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_ms INTEGER NOT NULL,
    noticed         BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX password_failures_last_idx ON password_failures(last_failure_ms);

-- +goose Down
DROP TABLE password_failures;
