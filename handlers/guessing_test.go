package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// The per-account guessing defence (accounts/guessing.go): wrong passwords
// for one address from every IP together slow that address's password
// sign-ins, never the link, and the owner is told once.

// guessFrom sends one wrong password for email from a new IP each time, so
// that neither the per-IP nor the per-(IP, email) bucket has a say.
func guessFrom(app *testApp, n int, email string) *response {
	var res *response
	for i := range n {
		res = app.client().from(fmt.Sprintf("203.0.%d.%d", 113+i/250, i%250+1)).login(email, fmt.Sprintf("guess %d", i))
	}
	return res
}

// noticesTo counts the guessing notices queued for addr.
func (a *testApp) noticesTo(addr string) int {
	a.t.Helper()
	var n int
	err := a.db.Read.QueryRowContext(context.Background(), a.db.Rebind(`SELECT count(*) FROM outbox WHERE to_addr = ? AND subject LIKE ?`),
		addr, "Someone is guessing your%").Scan(&n)
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

// TestGuessingFromManyIPsSlowsTheAccount: ten wrong passwords from ten
// IPs are answered as usual; the next attempt, from an eleventh IP and with
// the right password, is 429 with the wait and costs no hash; the owner,
// from a fresh IP, gets in once the wait is over. Each failure after that
// doubles the wait, up to its cap; another account is not slowed at all.
func TestGuessingFromManyIPsSlowsTheAccount(t *testing.T) {
	app := newTestApp(t, withTrustedProxy())
	app.client().from("198.51.100.7").signup("Ada Lovelace", "ada@example.com", strongPassword)
	app.client().from("198.51.100.8").signup("Grace Hopper", "grace@example.com", strongPassword)

	for i := range 10 {
		res := app.client().from(fmt.Sprintf("203.0.113.%d", i+1)).login("ada@example.com", "a wrong guess")
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertContains(t, res, "don't match")
	}
	owner := app.client().from("192.0.2.55")
	before := app.hashes()
	wait := assertTooMany(t, owner.login("ADA@example.com", strongPassword))
	if wait != time.Second {
		t.Fatalf("the first wait is %s, want 1s", wait)
	}
	if n := app.hashes() - before; n != 0 {
		t.Fatalf("a slowed-down attempt computed %d hashes, want 0", n)
	}

	// Another account is not slowed.
	res := app.client().from("192.0.2.56").login("grace@example.com", strongPassword)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")

	// After the wait the owner's right password works, from a fresh IP.
	app.clock.Advance(wait)
	res = owner.login("ada@example.com", strongPassword)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")

	// Each further failure, once let through, doubles the wait: 2, 4, 8,
	// 16, then 30 s, never more.
	for _, want := range []time.Duration{2, 4, 8, 16, 30, 30} {
		assertStatus(t, guessFrom(app, 1, "ada@example.com"), http.StatusUnprocessableEntity)
		got := assertTooMany(t, app.client().from("192.0.2.57").login("ada@example.com", strongPassword))
		if got != want*time.Second {
			t.Fatalf("wait %s, want %s", got, want*time.Second)
		}
		app.clock.Advance(got)
	}
	assertStatus(t, app.client().from("192.0.2.58").login("ada@example.com", strongPassword), http.StatusSeeOther)

	// A quiet quarter of an hour ends the run: ten free attempts again.
	app.clock.Advance(16 * time.Minute)
	assertStatus(t, guessFrom(app, 10, "ada@example.com"), http.StatusUnprocessableEntity)
}

// TestGuessingNeverBlocksTheLink: while password sign-ins to an account
// are slowed down, the emailed sign-in link signs its owner in at once.
func TestGuessingNeverBlocksTheLink(t *testing.T) {
	app := newTestApp(t, withTrustedProxy())
	app.client().from("198.51.100.7").signup("Ada Lovelace", "ada@example.com", strongPassword)
	guessFrom(app, 12, "ada@example.com")
	owner := app.client().from("192.0.2.55")
	assertTooMany(t, owner.login("ada@example.com", strongPassword))

	res := owner.postForm("/login/email", url.Values{"email": {"ada@example.com"}})
	assertStatus(t, res, http.StatusSeeOther)
	link := app.lastLink("ada@example.com", "/login/email/confirm")
	assertStatus(t, owner.get(link), http.StatusOK)
	res = owner.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	assertStatus(t, res, http.StatusSeeOther)
	assertStatus(t, owner.get("/dashboard"), http.StatusOK)
}

// TestGuessingNoticeIsSentOnce: the owner hears of the guessing once,
// when the slow-down starts, not at every failure; an address without an
// account is slowed down alike (the answers must not tell) and mails nobody.
func TestGuessingNoticeIsSentOnce(t *testing.T) {
	app := newTestApp(t, withTrustedProxy())
	app.client().from("198.51.100.7").signup("Ada Lovelace", "ada@example.com", strongPassword)
	guessFrom(app, 9, "ada@example.com")
	if n := app.noticesTo("ada@example.com"); n != 0 {
		t.Fatalf("%d notices before the slow-down started, want 0", n)
	}
	guessFrom(app, 1, "ada@example.com")
	if n := app.noticesTo("ada@example.com"); n != 1 {
		t.Fatalf("%d notices when the slow-down started, want 1", n)
	}
	for range 5 {
		app.clock.Advance(time.Minute)
		assertStatus(t, guessFrom(app, 1, "ada@example.com"), http.StatusUnprocessableEntity)
	}
	if n := app.noticesTo("ada@example.com"); n != 1 {
		t.Fatalf("%d notices after more failures, want still 1", n)
	}

	before := app.mailTo("nobody@example.com")
	guessFrom(app, 10, "nobody@example.com")
	assertTooMany(t, app.client().from("192.0.2.9").login("nobody@example.com", strongPassword))
	if n := app.mailTo("nobody@example.com") - before; n != 0 {
		t.Fatalf("guessing an address without an account sent %d messages", n)
	}
}

// TestGuessingFloodFromOneIPDoesNotLockOutTheOwner: one IP hammering an
// account is stopped by its own buckets; the account is slowed down, but
// the owner from another IP signs in within the wait they are told.
func TestGuessingFloodFromOneIPDoesNotLockOutTheOwner(t *testing.T) {
	app := newTestApp(t, withTrustedProxy())
	app.client().from("198.51.100.7").signup("Ada Lovelace", "ada@example.com", strongPassword)
	flooder := app.client().from("203.0.113.1")
	statuses := map[int]int{}
	for i := range 100 {
		if i%10 == 0 {
			app.clock.Advance(6 * time.Second) // the flooder goes on for a minute and a half
		}
		statuses[flooder.login("ada@example.com", fmt.Sprintf("guess %d", i)).StatusCode]++
	}
	if statuses[http.StatusSeeOther] != 0 || statuses[http.StatusTooManyRequests] < 80 {
		t.Fatalf("flood answers %v, want most refused", statuses)
	}
	owner := app.client().from("192.0.2.55")
	res := owner.login("ada@example.com", strongPassword)
	if res.StatusCode == http.StatusTooManyRequests {
		wait := assertTooMany(t, res)
		if wait > 30*time.Second {
			t.Fatalf("the owner is told to wait %s, more than the cap", wait)
		}
		app.clock.Advance(wait)
		res = owner.login("ada@example.com", strongPassword)
	}
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
}

// TestGuessingCountsAcrossInstances: failures sent to two instances on one
// PostgreSQL count as one run, so the slow-down starts at the same count.
func TestGuessingCountsAcrossInstances(t *testing.T) {
	a, b := twoInstances(t, withTrustedProxy())
	a.client().from("198.51.100.7").signup("Ada Lovelace", "ada@example.com", strongPassword)
	for i := range 10 {
		app := a
		if i%2 == 1 {
			app = b
		}
		assertStatus(t, app.client().from(fmt.Sprintf("203.0.113.%d", i+1)).login("ada@example.com", "a wrong guess"), http.StatusUnprocessableEntity)
	}
	assertTooMany(t, a.client().from("192.0.2.55").login("ada@example.com", strongPassword))
	assertTooMany(t, b.client().from("192.0.2.56").login("ada@example.com", strongPassword))
	if n := a.noticesTo("ada@example.com"); n != 1 {
		t.Fatalf("%d notices from two instances, want 1", n)
	}
}

// TestGuessingSlowsTheTokenEndpointToo: POST /api/auth/token is one more
// door to the same password, so the guesses counted at /login slow it too
// (429 rate_limited with Retry-After, no hash), and a wrong password there
// counts toward the run like one at /login.
func TestGuessingSlowsTheTokenEndpointToo(t *testing.T) {
	app := newTestApp(t, withTrustedProxy())
	app.client().from("198.51.100.7").signup("Ada Lovelace", "ada@example.com", strongPassword)
	assertStatus(t, guessFrom(app, 9, "ada@example.com"), http.StatusUnprocessableEntity)
	p := app.program().from("192.0.2.60")
	assertAPIError(t, p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": "the tenth guess"}),
		http.StatusUnauthorized, "invalid_grant")

	before := app.hashes()
	res := app.program().from("192.0.2.61").apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": strongPassword})
	assertAPIError(t, res, http.StatusTooManyRequests, "rate_limited")
	if ra := res.Header.Get("Retry-After"); ra != "1" {
		t.Fatalf("Retry-After %q, want 1", ra)
	}
	if n := app.hashes() - before; n != 0 {
		t.Fatalf("a slowed-down token sign-in computed %d hashes, want 0", n)
	}
	app.clock.Advance(time.Second)
	res = app.program().from("192.0.2.61").apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": strongPassword})
	assertStatus(t, res, http.StatusOK)
}
