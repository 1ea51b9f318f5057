package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	// SQLite, to fill the database before the app opens it.
	_ "github.com/mattn/go-sqlite3"
)

// seedCounts is how much a seeded database holds. Sessions are both the
// scs rows and the user_sessions records (one of each per signed-in
// browser), spread over the users.
type seedCounts struct {
	users, sessions, tokens int
	// activity lines are spread over the users, all within the
	// retention.
	activity int
	// expired makes every session and token one the cleanup deletes:
	// scs rows past their expiry, records idle past the 7-day timeout,
	// links past their expiry.
	expired bool
}

func (c seedCounts) String() string {
	s := fmt.Sprintf("%d users, %d sessions, %d tokens", c.users, c.sessions, c.tokens)
	if c.activity > 0 {
		s += fmt.Sprintf(", %d lines of activity", c.activity)
	}
	if c.expired {
		s += ", sessions and tokens expired"
	}
	return s
}

// seededHash is every seeded account's password hash, a real argon2id
// encoding so the rows are the size of real ones (the seeded users never
// sign in: the scenarios sign up users of their own).
const seededHash = "$argon2id$v=19$m=19456,t=2,p=1$c2VlZGVkc2VlZGVkc2VlZA$2cPs0Oa2iS9qYrqmXGJjqLt0l1Yo8Uc6Cr6wqI7hGd8"

// seededUserAgent is what a seeded session's browser said.
const seededUserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

// seedDatabase makes the SQLite file at path with the app's schema (the
// binary's own `migrate`) and bulk-inserts c's rows into it, not through
// the pages: each table is one INSERT … SELECT over a counter in one
// transaction, on a connection whose pragmas trade durability for speed
// (they are this connection's only: the app opens the file with its own).
// Every key grows with the row number (a counter in front of random
// bytes, addresses numbered with leading zeros), so each index is appended
// to rather than written all over: a million users and two million
// sessions take well under a minute instead of several.
func seedDatabase(ctx context.Context, bin, path string, c seedCounts, verbose bool) (time.Duration, error) {
	start := time.Now()
	if err := migrate(ctx, bin, path); err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	// No journal while seeding (a failed seed is thrown away, not rolled
	// back); the app turns WAL on again when it opens the file.
	d, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=OFF&_foreign_keys=off")
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	defer d.Close()
	d.SetMaxOpenConns(1)
	now := time.Now().Unix()
	// A session is live for 30 days from a sign-in in the last few days,
	// or, expired, from 60 days ago and idle since.
	sessionSeen, sessionExpiry := now-3600, float64(now+20*86400)/86400+2440587.5
	tokenExpiry := now + 3600
	if c.expired {
		sessionSeen, sessionExpiry, tokenExpiry = now-60*86400, float64(now-86400)/86400+2440587.5, now-3600
	}
	users := max(c.users, 1)
	steps := []struct {
		what  string
		query string
		args  []any
	}{
		{"users", `INSERT INTO users (name, name_key, email, email_key, password_hash, email_verified_at, created_at, updated_at)
			SELECT 'Seeded User ' || i, 'seeded user ' || i, printf('seeded%08d@example.com', i), printf('seeded%08d@example.com', i), ?, ?, ?, ?
			FROM counter`, []any{seededHash, now - 86400, now - 86400, now - 86400, c.users}},
		{"sessions", `INSERT INTO sessions (token, data, expiry)
			SELECT printf('%016x', i) || lower(hex(randomblob(24))), randomblob(90), ? FROM counter`, []any{sessionExpiry, c.sessions}},
		{"session records", `INSERT INTO user_sessions (id, user_id, created_at, last_seen_at, authenticated_at, user_agent, ip)
			SELECT printf('%08x', i) || lower(hex(randomblob(12))), 1 + i * ? / ?, ? + i * 86400 / ?, ? + i * 3600 / ?, ? + i * 86400 / ?, ?, '192.0.2.' || (i % 250)
			FROM counter`, []any{users, max(c.sessions, 1), sessionSeen - 86400, max(c.sessions, 1), sessionSeen - 3600, max(c.sessions, 1),
			sessionSeen - 86400, max(c.sessions, 1), seededUserAgent, c.sessions}},
		{"tokens", `INSERT INTO tokens (hash, purpose, user_id, email, email_key, created_at, expires_at)
			SELECT unhex(printf('%016x', i) || hex(randomblob(24))), 'reset_password', 1 + i * ? / ?,
				printf('seeded%08d@example.com', i * ? / ?), printf('seeded%08d@example.com', i * ? / ?), ? - 3600, ?
			FROM counter`, []any{users, max(c.tokens, 1), users, max(c.tokens, 1), users, max(c.tokens, 1), tokenExpiry, tokenExpiry, c.tokens}},
		{"activity", `INSERT INTO activity (user_id, kind, method, device, ip, created_at)
			SELECT 1 + i % ?, CASE i % 3 WHEN 0 THEN 'sign_in' WHEN 1 THEN 'sign_in_failed' ELSE 'name_changed' END,
				'password', 'Firefox on macOS', '203.0.113.' || (i % 250), ? - i % 86400
			FROM counter`, []any{users, now, c.activity}},
	}
	if _, err := d.ExecContext(ctx, `PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY`); err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	for _, s := range steps {
		t0 := time.Now()
		if err := insertAll(ctx, d, s.query, s.args); err != nil {
			return 0, fmt.Errorf("seed %s: %w", s.what, err)
		}
		if verbose {
			fmt.Fprintf(os.Stderr, "bench: seeded %s in %s\n", s.what, time.Since(t0).Round(time.Millisecond))
		}
	}
	// What the planner knows of the tables, as after a real deployment's
	// ANALYZE; the queries use their indexes without it too (db's
	// TestQueryPlansUseIndexes plans them on empty tables).
	if c.activity > 0 {
		if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
			return 0, fmt.Errorf("seed: analyze: %w", err)
		}
	}
	if _, err := d.ExecContext(ctx, `PRAGMA journal_mode = WAL`); err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	if err := d.Close(); err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	// The seeding leaves gigabytes of dirty pages that the kernel would
	// write out during the first scenarios, on the same two cores: they are
	// written now, before anything is measured.
	if err := syncFile(path); err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	return time.Since(start), nil
}

// syncFile waits until the file at path is on disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// insertAll runs one seeding statement in its own transaction; counter in
// it is the numbers 0 … n-1, where n is the last of args.
func insertAll(ctx context.Context, d *sql.DB, query string, args []any) error {
	if len(args) > 0 {
		n := args[len(args)-1].(int)
		if n <= 0 {
			return nil
		}
		query = fmt.Sprintf(`WITH RECURSIVE counter(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM counter WHERE i + 1 < %d) `, n) + query
		args = args[:len(args)-1]
	}
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return err
	}
	return tx.Commit()
}

// removeDatabase deletes a seeded SQLite file and its WAL and shared
// memory files.
func removeDatabase(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Remove(p)
	}
}
