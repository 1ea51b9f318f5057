-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    -- stored trimmed, as typed; NOCASE makes the unique index and every
    -- lookup case-insensitive, so one address is one account.
    email         TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    -- empty for accounts that only ever signed in by emailed link.
    password_hash TEXT    NOT NULL DEFAULT '',
    email_verified_at INTEGER,
    disabled_at   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

-- scs's sqlite3store table; tokens in it are SHA-256 hashes (HashTokenInStore).
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry REAL NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions(expiry);

-- One row per signed-in browser. The scs session carries the row's id; a
-- session whose row is gone is signed out on its next request, which is how
-- "sign out everywhere else" works without touching scs's opaque data.
CREATE TABLE user_sessions (
    id          TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    -- when the user last proved who they are (password or link): "sudo mode".
    authenticated_at INTEGER NOT NULL,
    user_agent  TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX user_sessions_user_idx ON user_sessions(user_id);

-- One-time tokens: only the SHA-256 of the token is stored.
CREATE TABLE tokens (
    hash       BLOB    PRIMARY KEY,
    purpose    TEXT    NOT NULL,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    -- the address the link was sent to (the new address for an email change).
    email      TEXT    NOT NULL COLLATE NOCASE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX tokens_user_purpose_idx ON tokens(user_id, purpose);
CREATE INDEX tokens_expires_idx ON tokens(expires_at);

-- Mail is written here in the same transaction as the token it carries and
-- delivered by a background sender, so a request never waits on SMTP and a
-- crash never loses a message.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    to_addr     TEXT    NOT NULL COLLATE NOCASE,
    subject     TEXT    NOT NULL,
    text_body   TEXT    NOT NULL,
    html_body   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at     INTEGER,
    last_error  TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX outbox_pending_idx ON outbox(next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_to_created_idx ON outbox(to_addr, created_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE tokens;
DROP TABLE user_sessions;
DROP TABLE sessions;
DROP TABLE users;
