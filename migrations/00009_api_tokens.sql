-- +goose Up
-- The JSON API's credentials (DESIGN.md, "API").
--
-- A token sign-in (POST /api/auth/token) is a row of user_sessions like a
-- browser's, of kind 'api', so it is listed and ended on /settings, and
-- every statement that ends "every other session" (a password change or
-- reset, disabling) ends it too; its tokens go with the row.
ALTER TABLE user_sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'browser';

-- The access and refresh tokens of token sign-ins: only their SHA-256. A
-- refresh token is marked used when it is rotated, not deleted, so that
-- presenting it again is recognised (reuse detection) until it expires.
CREATE TABLE api_tokens (
    hash       BLOB    PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    session_id TEXT    NOT NULL REFERENCES user_sessions(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT, WITHOUT ROWID; -- looked up by hash alone, on every bearer request: one B-tree, not two
CREATE INDEX api_tokens_session_idx ON api_tokens(session_id);
CREATE INDEX api_tokens_expires_idx ON api_tokens(expires_at);

-- Personal access tokens, made on /settings/tokens: they belong to the
-- account, not to a sign-in, so a password change keeps them; a reset,
-- disabling or deletion does not.
CREATE TABLE personal_access_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    hash         BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT;
CREATE INDEX personal_access_tokens_user_idx ON personal_access_tokens(user_id);

-- +goose Down
DROP TABLE personal_access_tokens;
DROP TABLE api_tokens;
ALTER TABLE user_sessions DROP COLUMN kind;
