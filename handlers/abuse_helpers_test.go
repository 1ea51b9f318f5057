package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Options and helpers of the abuse tests (rate limits, bad input, logs,
// timing, fuzzing).

// withRateLimit sets the per-IP bucket of the limited routes.
func withRateLimit(burst int, interval time.Duration) func(*testConfig) {
	return func(c *testConfig) { c.handlers.RateBurst, c.handlers.RateInterval = burst, interval }
}

// withPasswordLimit sets the (IP, email) bucket of failed passwords.
func withPasswordLimit(burst int, interval time.Duration) func(*testConfig) {
	return func(c *testConfig) { c.handlers.PasswordBurst, c.handlers.PasswordInterval = burst, interval }
}

// withTrustedProxy makes the loopback test server's own address a trusted
// proxy, so a test picks the client IP with X-Forwarded-For.
func withTrustedProxy() func(*testConfig) {
	return func(c *testConfig) { c.handlers.TrustedProxies = []string{"127.0.0.1/32"} }
}

func withMailLimit(n int) func(*testConfig) {
	return func(c *testConfig) { c.mailLimit = n }
}

// from makes every request of this browser come from ip, as told by the
// trusted proxy.
func (c *client) from(ip string) *client {
	c.header.Set("X-Forwarded-For", ip)
	return c
}

// hashes is how many argon2id hashes the app has computed so far.
func (a *testApp) hashes() int64 { return a.acc.Hasher.Runs() }

// rows counts the rows of every table a request could write to.
func (a *testApp) rows() map[string]int {
	a.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"users", "tokens", "outbox", "user_sessions", "sessions"} {
		var n int
		if err := a.db.Read.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			a.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// mailTo counts the messages in the outbox for an address.
func (a *testApp) mailTo(addr string) int {
	a.t.Helper()
	var n int
	if err := a.db.Read.QueryRowContext(context.Background(), a.db.Rebind("SELECT count(*) FROM outbox WHERE to_addr = ?"), addr).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// assertTooMany checks a 429 refusal: a numeric Retry-After, and a page
// (not bare text) that says how long to wait. It returns the wait.
func assertTooMany(t testing.TB, res *response) time.Duration {
	t.Helper()
	assertStatus(t, res, http.StatusTooManyRequests)
	ra := res.Header.Get("Retry-After")
	secs, err := strconv.Atoi(ra)
	if err != nil || secs < 1 {
		t.Fatalf("%s %s: Retry-After %q, want a whole number of seconds", res.Request.Method, res.Request.URL.Path, ra)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("429 Content-Type %q, want an HTML page", ct)
	}
	assertContains(t, res, "<h1>Too many attempts</h1>")
	assertContains(t, res, "wait "+ra+" second")
	assertContains(t, res, "try again")
	return time.Duration(secs) * time.Second
}

// newServer serves e over loopback for the test's lifetime.
func newServer(t testing.TB, e http.Handler) string {
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
