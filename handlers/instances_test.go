package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"latchkey/db"
	"latchkey/internal/dbtest"
)

// Several instances on one PostgreSQL: each test below starts two apps on
// one schema, as two instances behind a load balancer, and sends a
// browser's requests to either. On SQLite there is one instance, so they
// are skipped.

func withDatabaseURL(u string) func(*testConfig) {
	return func(c *testConfig) { c.dbURL = u }
}

// twoInstances starts two apps sharing one new PostgreSQL schema.
func twoInstances(t *testing.T, opts ...func(*testConfig)) (a, b *testApp) {
	t.Helper()
	if !dbtest.Postgres() {
		t.Skip("several instances share a database only on PostgreSQL (set " + dbtest.URLEnv + ")")
	}
	u := dbtest.Schema(t)
	opts = append(opts, withDatabaseURL(u))
	return newTestApp(t, opts...), newTestApp(t, opts...)
}

// on is the same browser (its cookies) talking to another instance.
func (c *client) on(app *testApp) *client {
	other := app.client()
	other.http.Jar = c.http.Jar
	other.header = c.header
	return other
}

// TestRateLimitSharedAcrossInstances: a burst split across two instances
// is refused at the same count as on one, and another client is not.
func TestRateLimitSharedAcrossInstances(t *testing.T) {
	const burst = 6
	a, b := twoInstances(t, withRateLimit(burst, time.Minute), withTrustedProxy())
	onA := a.client().from("203.0.113.1")
	onB := onA.on(b)
	send := func(c *client) *response { return c.postForm("/login", url.Values{"email": {""}}) }
	for i := range burst {
		c := onA
		if i%2 == 1 {
			c = onB
		}
		if res := send(c); res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 {
			t.Fatalf("request %d of the burst: status %d", i+1, res.StatusCode)
		}
	}
	assertTooMany(t, send(onA))
	assertTooMany(t, send(onB))
	if res := send(b.client().from("198.51.100.7")); res.StatusCode == http.StatusTooManyRequests {
		t.Fatalf("another IP was refused on B")
	}
}

// TestFailedPasswordsSharedAcrossInstances: wrong passwords for one
// account from one client count together on both instances.
func TestFailedPasswordsSharedAcrossInstances(t *testing.T) {
	a, b := twoInstances(t, withRateLimit(1000, time.Millisecond), withPasswordLimit(4, time.Minute), withTrustedProxy())
	a.client().from("198.51.100.8").signup("Ada Lovelace", "ada@example.com", strongPassword)
	onA := a.client().from("203.0.113.1")
	onB := onA.on(b)
	for i := range 4 {
		c := onA
		if i%2 == 1 {
			c = onB
		}
		assertStatus(t, c.login("ada@example.com", "a wrong guess"), http.StatusUnprocessableEntity)
	}
	assertTooMany(t, onB.login("ada@example.com", strongPassword))
	assertTooMany(t, onA.login("ADA@example.com", strongPassword))
}

// TestSessionSharedAcrossInstances: a sign-in on A is valid on B, and a
// sign-out on B ends it on A at its next request; a password change on A
// ends the other browser's session on B.
func TestSessionSharedAcrossInstances(t *testing.T) {
	a, b := twoInstances(t)
	onA := a.client()
	onA.signup("Ada Lovelace", "ada@example.com", strongPassword)
	onB := onA.on(b)
	onB.signedIn()
	onA.signedIn()

	other := b.client()
	assertStatus(t, other.login("ada@example.com", strongPassword), http.StatusSeeOther)
	other.on(a).signedIn()

	assertStatus(t, onB.postForm("/logout", url.Values{}), http.StatusSeeOther)
	onA.signedOut()
	onB.signedOut()
	other.signedIn()

	// The user disabled from A (the operator's command): B refuses at once.
	user, err := a.acc.FindUser(t.Context(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.acc.SetDisabled(t.Context(), user.ID, true); err != nil {
		t.Fatal(err)
	}
	other.signedOut()
}

// TestMoveToPostgresKeepsAccountsAndSessions: a populated SQLite database
// copied into PostgreSQL (latchkey migrate-to-postgres) keeps its
// accounts, passwords and signed-in browsers: the old session cookie still
// works, the old password still signs in, new accounts and notes get ids
// after the copied ones, and a second copy into the now full database is
// refused.
func TestMoveToPostgresKeepsAccountsAndSessions(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skip("needs PostgreSQL (set " + dbtest.URLEnv + ")")
	}
	ctx := t.Context()
	old := newTestApp(t, withDBPath(filepath.Join(t.TempDir(), "old.db")))
	browser := old.client()
	browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
	browser.addNote("copied with the account")
	old.client().signupUnconfirmed("Grace Hopper", "grace@example.com", strongPassword)

	u := dbtest.Schema(t)
	dst, err := db.OpenPostgres(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := dst.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	counts, err := db.CopyToPostgres(ctx, old.db, dst)
	if err != nil {
		t.Fatal(err)
	}
	for table, min := range map[string]int64{"users": 2, "sessions": 1, "user_sessions": 1, "tokens": 1, "outbox": 2, "notes": 1} {
		if counts[table] < min {
			t.Errorf("%s: %d rows copied, want at least %d (%v)", table, counts[table], min, counts)
		}
	}
	if _, err := db.CopyToPostgres(ctx, old.db, dst); !errors.Is(err, db.ErrNotEmpty) {
		t.Fatalf("a second copy: %v, want ErrNotEmpty", err)
	}

	moved := newTestApp(t, withDatabaseURL(u))
	same := browser.on(moved)
	same.signedIn()
	assertContains(t, same.get("/notes"), "copied with the account")
	assertStatus(t, moved.client().login("ada@example.com", strongPassword), http.StatusSeeOther)
	newcomer := moved.client()
	newcomer.signup("Ken Thompson", "ken@example.com", strongPassword)
	newcomer.addNote("a new note")
	same.signedIn()
}
