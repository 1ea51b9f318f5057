-- +goose Up
-- Indexes for a database of millions of rows (issue 20): every query on a
-- request path, and every batch of the cleanup, finds its rows through an
-- index instead of scanning the table (db's TestQueryPlansUseIndexes).
--
-- /settings lists a user's sessions newest first, a page at a time: this
-- index gives them in that order, so a page costs its own rows however many
-- sessions the user has. It starts with user_id, so it also serves every
-- lookup by user the old index served.
CREATE INDEX user_sessions_user_seen_idx ON user_sessions(user_id, last_seen_at DESC, created_at DESC, id);
DROP INDEX user_sessions_user_idx;
-- The cleanup ends sessions idle too long or signed in too long ago, in
-- batches found by these.
CREATE INDEX user_sessions_last_seen_idx ON user_sessions(last_seen_at);
CREATE INDEX user_sessions_created_idx ON user_sessions(created_at);
-- The cleanup's delivered mail older than a week.
CREATE INDEX outbox_sent_created_idx ON outbox(created_at) WHERE sent_at IS NOT NULL;

-- +goose Down
DROP INDEX outbox_sent_created_idx;
DROP INDEX user_sessions_created_idx;
DROP INDEX user_sessions_last_seen_idx;
CREATE INDEX user_sessions_user_idx ON user_sessions(user_id);
DROP INDEX user_sessions_user_seen_idx;
