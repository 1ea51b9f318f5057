package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	// The SQLite driver: the seeding writes straight into the app's
	// database file with bulk inserts, not through its pages.
	_ "github.com/mattn/go-sqlite3"
)

// The admin area's and the activity log's scenarios run on a database of
// this many users and lines of activity (issue 19); -quick seeds a few.
const (
	seedUsers         = 1_000_000
	seedActivity      = 5_000_000
	seedUsersQuick    = 2_000
	seedActivityQuick = 10_000
	// seedOwnActivity lines of the activity go to the signed-in bench
	// user, so /settings/activity shows a full page with more behind it.
	seedOwnActivity = 500
	seedBatch       = 250_000
)

// seedAdmin fills the SQLite database at path, already migrated by the
// app, with users made-up accounts (seed0000001@example.com …, named "Seeded
// User 1" …) and activity lines spread over them, seedOwnActivity of them
// the account whose address is owner, all within the retention so the app's cleanup
// keeps them. It writes in batches of seedBatch rows, each one transaction
// of one INSERT … SELECT, beside the running app (WAL, busy timeout).
// Another seeding (sessions, tokens) can run after it on the same file.
func seedAdmin(ctx context.Context, path string, users, activity int, owner string) error {
	v := url.Values{"_journal_mode": {"WAL"}, "_busy_timeout": {"30000"}, "_txlock": {"immediate"}, "_synchronous": {"OFF"}}
	d, err := sql.Open("sqlite3", "file:"+path+"?"+v.Encode())
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer d.Close()
	d.SetMaxOpenConns(1)
	now := time.Now().Unix()
	var first, ownerID int64
	if err := d.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM users`).Scan(&first); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := d.QueryRowContext(ctx, `SELECT id FROM users WHERE email_key = ?`, owner).Scan(&ownerID); err != nil {
		return fmt.Errorf("seed: the owner %s: %w", owner, err)
	}
	batches := func(total int, insert func(from, to int) error) error {
		for from := 1; from <= total; from += seedBatch {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := insert(from, min(total, from+seedBatch-1)); err != nil {
				return err
			}
		}
		return nil
	}
	err = batches(users, func(from, to int) error {
		_, err := d.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO users (name, name_key, email, email_key, email_verified_at, created_at, updated_at)
			SELECT 'Seeded User ' || i, 'seeded user ' || i, printf('seed%07d@example.com', i), printf('seed%07d@example.com', i), ?, ?, ?
			FROM n`, from, to, now, now, now)
		if err != nil {
			return fmt.Errorf("seed users: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = batches(activity, func(from, to int) error {
		_, err := d.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO activity (user_id, kind, method, device, ip, created_at)
			SELECT CASE WHEN i <= ? THEN ? ELSE ? + i % ? END,
				CASE i % 3 WHEN 0 THEN 'sign_in' WHEN 1 THEN 'sign_in_failed' ELSE 'name_changed' END,
				'password', 'Firefox on macOS', '203.0.113.' || (i % 250), ? - i % 86400
			FROM n`, from, to, seedOwnActivity, ownerID, first, max(users, 1), now)
		if err != nil {
			return fmt.Errorf("seed activity: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// What the planner knows of the tables, as after a real deployment's
	// ANALYZE; the searches use their indexes without it too.
	if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("seed: analyze: %w", err)
	}
	return nil
}
