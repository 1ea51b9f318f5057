-- +goose Up
-- Roles: 'user' or 'admin'. The first admin is made with
-- "latchkey user promote EMAIL"; the role is read with the session on every
-- signed-in request, so a change counts at the next request.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin'));

-- The admin search is a prefix match on the email key or on this, the name
-- lower-cased and case-folded (auth.SearchKey, kept by db on every write of
-- the name). Both are searched with a range (key >= q AND key < q + the
-- highest character), which a plain index answers, so the search stays an
-- index seek at a million users. SQL's lower() folds only ASCII here; names
-- written before this migration with other letters get their full fold the
-- next time they are saved.
ALTER TABLE users ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE users SET name_key = lower(name);
CREATE INDEX users_name_key_idx ON users(name_key);

-- The security activity log: what happened to an account, by whom (actor_id
-- NULL is the user themself; actor_email is kept as it was, so the line
-- still names the administrator after their address changes), how (method:
-- password, link, provider:github …), from where (device words, IP), and
-- when. session_id is the user_sessions id a sign-in made, for "this wasn't
-- me". detail is a few plain words, never a password, token or code. Rows go
-- with the account, and after ACTIVITY_RETENTION by the cleanup.
CREATE TABLE activity (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    actor_id    INTEGER,
    actor_email TEXT    NOT NULL DEFAULT '',
    kind        TEXT    NOT NULL,
    method      TEXT    NOT NULL DEFAULT '',
    device      TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT '',
    session_id  TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
) STRICT;
-- "This user's, newest first" and the cleanup by time.
CREATE INDEX activity_user_created_idx ON activity(user_id, created_at, id);
CREATE INDEX activity_created_idx ON activity(created_at);

-- +goose Down
DROP TABLE activity;
DROP INDEX users_name_key_idx;
ALTER TABLE users DROP COLUMN name_key;
ALTER TABLE users DROP COLUMN role;
