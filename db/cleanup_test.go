package db

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestCleanupDeletesInBatches: each cleanup query deletes at most its
// limit, so a million expired rows go as many short transactions instead of
// one that holds the single writer for seconds; called until it returns
// less than the limit, it leaves none of the expired rows and every live one.
func TestCleanupDeletesInBatches(t *testing.T) {
	d := openTestDB(t)
	ctx := context.Background()
	now := time.Now()
	old, past := now.Add(-60*24*time.Hour), now.Add(-time.Hour)
	live, err := d.CreateUser(ctx, "Live", "live@example.com", "hash", now)
	if err != nil {
		t.Fatal(err)
	}
	const expired, limit = 25, 10
	for i := range expired {
		u, err := d.CreateUser(ctx, "Old", fmt.Sprintf("old%d@example.com", i), "", old)
		if err != nil {
			t.Fatal(err)
		}
		// Each unconfirmed old account carries an old session record until
		// the records go, then goes itself.
		id := fmt.Sprintf("stale%d", i)
		if err := d.CreateUserSession(ctx, UserSession{ID: id, UserID: u.ID, CreatedAt: old, LastSeenAt: old, AuthenticatedAt: old}); err != nil {
			t.Fatal(err)
		}
		if err := d.EnqueueMail(ctx, "live@example.com", "s", "t", "h", old, true); err != nil {
			t.Fatal(err)
		}
		expiry := any(julianDay(past))
		insert := `INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)`
		if d.Postgres() {
			expiry = past
		}
		if _, err := d.Write.ExecContext(ctx, d.Rebind(insert), fmt.Sprintf("expired%d", i), []byte("x"), expiry); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Write.ExecContext(ctx, d.Rebind(`UPDATE outbox SET sent_at = ?`), old.Unix()); err != nil {
		t.Fatal(err)
	}
	// The live rows, which no batch may touch.
	if err := d.CreateUserSession(ctx, UserSession{ID: "live", UserID: live.ID, CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateToken(ctx, []byte("live-token"), "reset_password", live.ID, "live@example.com", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	liveExpiry := any(julianDay(now.Add(time.Hour)))
	if d.Postgres() {
		liveExpiry = now.Add(time.Hour)
	}
	if _, err := d.Write.ExecContext(ctx, d.Rebind(`INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)`), "live", []byte("x"), liveExpiry); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name  string
		batch func() (int64, error)
		want  []int64
	}{
		{"expired sessions", func() (int64, error) { return d.DeleteExpiredSessions(ctx, now, limit) }, []int64{10, 10, 5}},
		{"stale session records", func() (int64, error) {
			return d.DeleteStaleUserSessions(ctx, now.Add(-7*24*time.Hour), now.Add(-30*24*time.Hour), limit)
		}, nil},
		{"old mail", func() (int64, error) { return d.DeleteOldMail(ctx, now.Add(-7*24*time.Hour), limit) }, []int64{10, 10, 5}},
		{"unconfirmed accounts", func() (int64, error) { return d.DeleteUnconfirmedUsers(ctx, now.Add(-7*24*time.Hour), limit) }, []int64{10, 10, 5}},
	} {
		var got []int64
		for range 10 {
			n, err := c.batch()
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			got = append(got, n)
			if n > limit*2 {
				t.Errorf("%s: one batch deleted %d rows, more than its limit allows", c.name, n)
			}
			if n < limit {
				break
			}
		}
		if c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("%s: batches deleted %v, want %v", c.name, got, c.want)
		}
		if c.want == nil {
			// Both conditions match every stale record: each statement
			// takes up to limit, and the sum says when both are done.
			var sum int64
			for _, n := range got {
				sum += n
			}
			if sum != expired || got[0] > 2*limit {
				t.Errorf("%s: batches deleted %v, want %d in all", c.name, got, expired)
			}
		}
	}

	// Tokens: 25 expired links of no account, one live link.
	for i := range expired {
		if err := d.CreateToken(ctx, fmt.Appendf(nil, "expired-link-%02d", i), "signup", 0, fmt.Sprintf("x%d@example.com", i), old, past); err != nil {
			t.Fatal(err)
		}
	}
	var got []int64
	for {
		n, err := d.DeleteExpiredTokens(ctx, now, limit)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
		if n < limit {
			break
		}
	}
	if want := []int64{10, 10, 5}; !slices.Equal(got, want) {
		t.Errorf("expired links: batches deleted %v, want %v", got, want)
	}

	count := func(table string) int {
		var n int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for table, want := range map[string]int{"sessions": 1, "user_sessions": 1, "tokens": 1, "users": 1, "outbox": 0} {
		if n := count(table); n != want {
			t.Errorf("%s: %d rows left, want %d (the live ones)", table, n, want)
		}
	}
}
