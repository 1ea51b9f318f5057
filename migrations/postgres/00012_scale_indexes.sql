-- +goose Up
-- The same indexes as SQLite's 00012 (the reasons are there).
CREATE INDEX user_sessions_user_seen_idx ON user_sessions(user_id, last_seen_at DESC, created_at DESC, id);
DROP INDEX user_sessions_user_idx;
CREATE INDEX user_sessions_last_seen_idx ON user_sessions(last_seen_at);
CREATE INDEX user_sessions_created_idx ON user_sessions(created_at);
CREATE INDEX outbox_sent_created_idx ON outbox(created_at) WHERE sent_at IS NOT NULL;

-- +goose Down
DROP INDEX outbox_sent_created_idx;
DROP INDEX user_sessions_created_idx;
DROP INDEX user_sessions_last_seen_idx;
CREATE INDEX user_sessions_user_idx ON user_sessions(user_id);
DROP INDEX user_sessions_user_seen_idx;
