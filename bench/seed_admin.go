package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os/exec"
	"time"

	"latchkey/internal/apptest"
)

// The admin area's and the activity log's scenarios (issue 19) run on the
// seeded database (seed.go), which holds seedCounts.activity lines of
// activity spread over its users; seedOwnActivity more go to the
// signed-in bench user, so /settings/activity shows a full page with more
// behind it.
const seedOwnActivity = 500

// adminSearchPath is a prefix search that lists a full page of the
// seeded accounts (seeded00004200 … seeded00004299 match).
const adminSearchPath = "/admin/users?q=SEEDED000042"

// addOwnActivity writes n lines of activity for the account at owner into
// the SQLite database at path, beside the running app (WAL, busy
// timeout), in one INSERT … SELECT.
func addOwnActivity(ctx context.Context, path, owner string, n int) error {
	v := url.Values{"_journal_mode": {"WAL"}, "_busy_timeout": {"30000"}, "_txlock": {"immediate"}}
	d, err := sql.Open("sqlite3", "file:"+path+"?"+v.Encode())
	if err != nil {
		return fmt.Errorf("own activity: %w", err)
	}
	defer d.Close()
	_, err = d.ExecContext(ctx, fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
		INSERT INTO activity (user_id, kind, method, device, ip, created_at)
		SELECT (SELECT id FROM users WHERE email_key = ?),
			CASE i %% 3 WHEN 0 THEN 'sign_in' WHEN 1 THEN 'sign_in_failed' ELSE 'name_changed' END,
			'password', 'Firefox on macOS', '203.0.113.' || (i %% 250), ? - i * 60
		FROM n`, n), owner, time.Now().Unix())
	if err != nil {
		return fmt.Errorf("own activity of %s: %w", owner, err)
	}
	return nil
}

// promote makes the account at email an administrator of the instance a
// with the binary's own `latchkey user promote`.
func promote(ctx context.Context, bin string, a *app, email string, env []string) error {
	cmd := exec.CommandContext(ctx, bin, "user", "promote", email)
	cmd.Env = apptest.Env(a.Database, a.Addr, append([]string{"LOG_LEVEL=warn"}, env...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("latchkey user promote: %w\n%s", err, out)
	}
	return nil
}
