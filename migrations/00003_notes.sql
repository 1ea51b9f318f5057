-- +goose Up
-- The worked example of "Add a page of your own" in README.md: each
-- signed-in user's short notes. A fork adds its own tables the same way, as
-- the next numbered file.
CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    -- every query on notes names the owner too, so one user can never
    -- reach another's note by changing the id in a URL.
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- length() counts characters, like the form's max=1000.
    body       TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 1000),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX notes_user_idx ON notes(user_id, id);

-- +goose Down
DROP TABLE notes;
