package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"latchkey/internal/clocktest"
)

// limitedRoutes are the rate-limited routes (perIP in docs/ARCHITECTURE.md),
// each with a request that costs no hash (an empty form, a junk token), so
// the tests spend their time on the limiter and not on argon2id.
var limitedRoutes = []struct {
	name string
	send func(c *client) *response
}{
	{"POST /login", func(c *client) *response { return c.postForm("/login", url.Values{"email": {""}}) }},
	{"POST /login/email", func(c *client) *response { return c.postForm("/login/email", url.Values{"email": {""}}) }},
	{"POST /signup", func(c *client) *response { return c.postForm("/signup", url.Values{"email": {""}}) }},
	{"POST /forgot-password", func(c *client) *response { return c.postForm("/forgot-password", url.Values{"email": {""}}) }},
	{"POST /reset-password", func(c *client) *response {
		return c.postForm("/reset-password", url.Values{"token": {"junk"}, "password": {strongPassword}})
	}},
	{"POST /login/email/confirm", func(c *client) *response {
		return c.postForm("/login/email/confirm", url.Values{"token": {"junk"}})
	}},
	{"POST /verify-email", func(c *client) *response {
		return c.postForm("/verify-email", url.Values{"token": {"junk"}, "password": {"wrong password"}})
	}},
	// Guards the per-IP limit on the email-change link: the flood comes from
	// a signed-in browser, as only one reaches the handler that tries tokens.
	{"POST /settings/email/confirm", func(c *client) *response {
		c.signInElsewhere()
		return c.postForm("/settings/email/confirm", url.Values{"token": {"junk"}})
	}},
	// The other settings POSTs that check a password or send mail.
	{"POST /settings/email", func(c *client) *response {
		c.signInElsewhere()
		return c.postForm("/settings/email", url.Values{"email": {""}})
	}},
	{"POST /settings/password", func(c *client) *response {
		c.signInElsewhere()
		return c.postForm("/settings/password", url.Values{"password": {""}})
	}},
	{"POST /settings/delete", func(c *client) *response {
		c.signInElsewhere()
		return c.postForm("/settings/delete", url.Values{})
	}},
}

// signInElsewhere signs c in, once, to an account of its own made without a
// password, using the link from another IP: the per-IP bucket of c's own IP
// is left full for the test to spend.
func (c *client) signInElsewhere() {
	c.t.Helper()
	if c.get("/dashboard").StatusCode == http.StatusOK {
		return
	}
	ip := c.header.Get("X-Forwarded-For")
	defer func() {
		if ip == "" {
			c.header.Del("X-Forwarded-For")
		} else {
			c.from(ip)
		}
	}()
	n := c.app.userCount() + 1
	c.from(fmt.Sprintf("192.0.2.%d", n))
	_, link, err := c.app.acc.CreateUserWithLink(context.Background(), "Flooder", fmt.Sprintf("flooder%d@example.com", n))
	if err != nil {
		c.t.Fatal(err)
	}
	res := c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(c.t, link)}})
	assertStatus(c.t, res, http.StatusSeeOther)
	assertLocation(c.t, res, "/dashboard")
}

// TestRateLimitPerIP floods every limited route from one IP: the burst
// passes, the next request gets a 429 page with Retry-After, another IP
// is unaffected, and after waiting Retry-After the first IP gets through
// again (once: the bucket refills one token per interval).
func TestRateLimitPerIP(t *testing.T) {
	const burst = 3
	for _, route := range limitedRoutes {
		t.Run(route.name, func(t *testing.T) {
			app := newTestApp(t, withRateLimit(burst, 6*time.Second), withTrustedProxy())
			a := app.client().from("203.0.113.1")
			for i := range burst {
				if res := route.send(a); res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 {
					t.Fatalf("request %d of the burst: status %d", i+1, res.StatusCode)
				}
			}
			wait := assertTooMany(t, route.send(a))
			if wait != 6*time.Second {
				t.Errorf("Retry-After %v, want 6s (one interval)", wait)
			}

			b := app.client().from("198.51.100.7")
			if res := route.send(b); res.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("another IP was refused: %d", res.StatusCode)
			}

			app.clock.Advance(wait - time.Second)
			assertTooMany(t, route.send(a))
			app.clock.Advance(time.Second)
			if res := route.send(a); res.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("after Retry-After: still 429")
			}
			assertTooMany(t, route.send(a))
		})
	}
}

// TestRateLimitRefusalCostsNoHash: once an IP is limited, even a correct
// password is refused before argon2id runs.
func TestRateLimitRefusalCostsNoHash(t *testing.T) {
	app := newTestApp(t, withRateLimit(2, 6*time.Second), withTrustedProxy())
	owner := app.client().from("198.51.100.7")
	owner.signup("Ada Lovelace", "ada@example.com", strongPassword)

	a := app.client().from("203.0.113.1")
	a.login("ada@example.com", "wrong password 1")
	a.login("ada@example.com", "wrong password 2")
	before := app.hashes()
	for range 5 {
		assertTooMany(t, a.login("ada@example.com", strongPassword))
	}
	if n := app.hashes() - before; n != 0 {
		t.Fatalf("refused sign-ins computed %d hashes, want 0", n)
	}
}

// TestRateLimitIgnoresUntrustedForwardedFor: without TRUSTED_PROXIES a
// client cannot pick a fresh IP per request with X-Forwarded-For; with a
// trusted proxy, addresses a client put in front of the proxy's are ignored.
func TestRateLimitIgnoresUntrustedForwardedFor(t *testing.T) {
	t.Run("no trusted proxy", func(t *testing.T) {
		app := newTestApp(t, withRateLimit(3, 6*time.Second))
		c := app.client()
		for i := range 3 {
			c.from(fmt.Sprintf("192.0.2.%d", i+1))
			if res := c.postForm("/login", nil); res.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("request %d refused", i+1)
			}
		}
		c.from("192.0.2.99")
		assertTooMany(t, c.postForm("/login", nil))
	})
	t.Run("spoofed hops before the trusted proxy", func(t *testing.T) {
		app := newTestApp(t, withRateLimit(3, 6*time.Second), withTrustedProxy())
		c := app.client()
		for i := range 3 {
			c.from(fmt.Sprintf("192.0.2.%d, 203.0.113.1", i+1))
			if res := c.postForm("/login", nil); res.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("request %d refused", i+1)
			}
		}
		c.from("192.0.2.99, 203.0.113.1")
		assertTooMany(t, c.postForm("/login", nil))
	})
	t.Run("an IPv6 client counts per /64", func(t *testing.T) {
		app := newTestApp(t, withRateLimit(3, 6*time.Second), withTrustedProxy())
		c := app.client()
		for i := range 3 {
			c.from(fmt.Sprintf("2001:db8:1:2::%x", i+1))
			if res := c.postForm("/login", nil); res.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("request %d refused", i+1)
			}
		}
		c.from("2001:db8:1:2:ffff::1")
		assertTooMany(t, c.postForm("/login", nil))
		c.from("2001:db8:1:3::1")
		if res := c.postForm("/login", nil); res.StatusCode == http.StatusTooManyRequests {
			t.Fatal("another /64 was refused")
		}
	})
}

// TestFailedPasswordsPerIPAndEmail: wrong passwords are limited per (IP,
// email): the pair is refused (without a hash), while the same IP can
// still try another email, and the owner signs in from another IP.
func TestFailedPasswordsPerIPAndEmail(t *testing.T) {
	app := newTestApp(t, withRateLimit(1000, time.Millisecond), withPasswordLimit(3, 6*time.Second), withTrustedProxy())
	owner := app.client().from("198.51.100.7")
	owner.signup("Ada Lovelace", "ada@example.com", strongPassword)
	app.client().from("198.51.100.8").signup("Grace Hopper", "grace@example.com", strongPassword)

	a := app.client().from("203.0.113.1")
	for i := range 3 {
		assertStatus(t, a.login("ada@example.com", fmt.Sprintf("guess %d", i)), http.StatusUnprocessableEntity)
	}
	before := app.hashes()
	wait := assertTooMany(t, a.login("ada@example.com", "guess 4"))
	assertTooMany(t, a.login("ADA@example.com", strongPassword)) // case does not make a new pair
	if n := app.hashes() - before; n != 0 {
		t.Fatalf("refused attempts computed %d hashes, want 0", n)
	}

	// Same IP, another email: its own pair, not limited.
	res := a.login("grace@example.com", "a wrong guess")
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertContains(t, res, "don't match")

	// The owner, from another IP, is not locked out.
	res = owner.login("ada@example.com", strongPassword)
	assertStatus(t, res, http.StatusSeeOther)

	// After Retry-After, the pair may try again.
	app.clock.Advance(wait)
	assertStatus(t, a.login("ada@example.com", strongPassword), http.StatusSeeOther)
}

// TestFloodDoesNotLockOutOwner: one IP hammering one account with the
// default-shaped limits never stops the owner signing in elsewhere, and
// only the first burst costs hashes.
func TestFloodDoesNotLockOutOwner(t *testing.T) {
	app := newTestApp(t, withRateLimit(5, 6*time.Second), withTrustedProxy())
	owner := app.client().from("198.51.100.7")
	owner.signup("Ada Lovelace", "ada@example.com", strongPassword)
	assertStatus(t, owner.postForm("/logout", nil), http.StatusSeeOther)

	before := app.hashes()
	attacker := app.client().from("203.0.113.1")
	attacker.csrf() // one CSRF cookie before the goroutines share the jar
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := attacker.login("ada@example.com", fmt.Sprintf("guess %d", i))
			mu.Lock()
			statuses[res.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[http.StatusTooManyRequests] < 35 || statuses[http.StatusSeeOther] != 0 {
		t.Fatalf("flood answers %v, want at most 5 tried and the rest 429", statuses)
	}
	if n := app.hashes() - before; n > 5 {
		t.Fatalf("the flood cost %d hashes, want at most the burst (5)", n)
	}
	res := owner.login("ada@example.com", strongPassword)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
}

// TestMailCapPerAddress: link and reset requests for one address are
// capped silently (the page is the same); another address still gets its
// mail, and the cap lifts after the window.
func TestMailCapPerAddress(t *testing.T) {
	for _, route := range []struct{ path, location string }{
		{"/login/email", "/verify-request"},
		{"/forgot-password", "/verify-request"},
	} {
		t.Run(route.path, func(t *testing.T) {
			app := newTestApp(t, withMailLimit(3))
			ctx := t.Context()
			for _, e := range []string{"ada@example.com", "grace@example.com"} {
				if _, _, err := app.acc.CreateUserWithLink(ctx, "Someone", e); err != nil {
					t.Fatal(err)
				}
			}
			c := app.client()
			for range 6 {
				res := c.postForm(route.path, url.Values{"email": {"ada@example.com"}})
				assertStatus(t, res, http.StatusSeeOther)
				assertLocation(t, res, route.location)
			}
			if n := app.mailTo("ada@example.com"); n != 3 {
				t.Fatalf("%d messages to the flooded address, want the cap (3)", n)
			}
			assertStatus(t, c.postForm(route.path, url.Values{"email": {"grace@example.com"}}), http.StatusSeeOther)
			if n := app.mailTo("grace@example.com"); n != 1 {
				t.Fatalf("%d messages to another address, want 1", n)
			}
			app.clock.Advance(15*time.Minute + time.Second)
			assertStatus(t, c.postForm(route.path, url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
			if n := app.mailTo("ada@example.com"); n != 4 {
				t.Fatalf("after the window: %d messages, want 4", n)
			}
		})
	}
}

// TestMailCapDuplicateSignups: signups with an existing address mail its
// owner at most the cap (3) per window, silently (guards the per-address
// mail limit on the duplicate-signup notice); the cap lifts after the window.
func TestMailCapDuplicateSignups(t *testing.T) {
	app := newTestApp(t, withMailLimit(3))
	if _, _, err := app.acc.CreateUserWithLink(t.Context(), "Ada", "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	signup := func() {
		t.Helper()
		res := app.client().postForm("/signup", url.Values{"name": {"Mallory"}, "email": {"ada@example.com"}, "password": {"quartz nebula picnic 2024"}})
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, "/verify-request")
	}
	for range 6 {
		signup()
	}
	if n := app.mailTo("ada@example.com"); n != 3 {
		t.Fatalf("%d messages to the owner after 6 duplicate signups, want the cap (3)", n)
	}
	if n := len(app.mails("ada@example.com", "Someone tried to sign up with your address")); n != 3 {
		t.Fatalf("%d duplicate-signup notices, want 3", n)
	}
	if n := app.userCount(); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
	app.clock.Advance(15*time.Minute + time.Second)
	signup()
	if n := app.mailTo("ada@example.com"); n != 4 {
		t.Fatalf("after the window: %d messages, want 4", n)
	}
}

// TestKeyedLimiterMemoryBound: 100 000 distinct keys (a botnet, or one
// attacker cycling addresses) do not grow the map without bound. Idle
// buckets are dropped once they would be full again, so the map holds at
// most the keys of the last one to two refill periods.
func TestKeyedLimiterMemoryBound(t *testing.T) {
	clock := clocktest.New(time.Unix(1_700_000_000, 0))
	const burst, interval = 10, 6 * time.Second
	refill := burst * interval
	k := newKeyedLimiter(burst, interval, clock.Now)

	// A burst of 100 000 keys at one instant is held: each may still be
	// mid-burst, and forgetting it would hand its owner a fresh bucket.
	for i := range 100_000 {
		k.allow(fmt.Sprintf("key-%d", i))
	}
	if n := k.size(); n != 100_000 {
		t.Fatalf("size %d after 100 000 keys at once, want 100 000", n)
	}
	// Once the refill period has passed they are all full: the next new
	// key sweeps them away.
	clock.Advance(refill)
	k.allow("one more")
	if n := k.size(); n != 1 {
		t.Fatalf("size %d after a refill period and one new key, want 1", n)
	}

	// A steady stream: 100 000 new keys over ten refill periods.
	const total, periods = 100_000, 10
	step := refill * periods / total
	perPeriod := total / periods
	peak, visitedBefore := 0, k.visited
	for i := range total {
		clock.Advance(step)
		k.allow(fmt.Sprintf("stream-%d", i))
		peak = max(peak, k.size())
	}
	if peak > 2*perPeriod+1 {
		t.Fatalf("peak size %d over a steady stream, want at most two refill periods of keys (%d)", peak, 2*perPeriod)
	}
	// Sweeping is amortised: it looks at a few buckets per new key, not at
	// the whole map every time.
	if v := k.visited - visitedBefore; v > 4*total {
		t.Fatalf("sweeps looked at %d buckets for %d new keys, want at most %d", v, total, 4*total)
	}
	t.Logf("peak %d keys for %d keys per refill period; sweeps looked at %d buckets", peak, perPeriod, k.visited-visitedBefore)

	// A bucket that is still refilling is kept: dropping it would reset a
	// limited client.
	k2 := newKeyedLimiter(1, interval, clock.Now)
	if _, ok := k2.allow("limited"); !ok {
		t.Fatal("first request refused")
	}
	clock.Advance(interval / 2)
	for i := range sweepEvery * 2 {
		k2.allow(fmt.Sprintf("filler-%d", i))
	}
	if _, ok := k2.allow("limited"); ok {
		t.Fatal("a limited key was forgotten by a sweep before it refilled")
	}
}

// size is the number of keys the limiter holds (for the memory bound).
func (k *keyedLimiter) size() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}

// TestRefusalPagesKeptOnlyForSignedOutClients: the 429 page a signed-out
// client gets is kept and sent again from memory, byte for byte what was
// rendered; a signed-in client's, which carries its sign-out form and its
// CSRF token, is neither kept nor ever given a kept page. Each order is
// tried: a signed-in refusal first must not leak into the next anonymous
// one, and a kept anonymous page must not reach a signed-in client.
func TestRefusalPagesKeptOnlyForSignedOutClients(t *testing.T) {
	app := newTestApp(t, withRateLimit(1, 6*time.Second), withTrustedProxy())
	refuse := func(c *client, send func(*client) *response) *response {
		t.Helper()
		send(c)
		res := send(c)
		assertTooMany(t, res)
		return res
	}
	login := func(c *client) *response { return c.postForm("/login", url.Values{"email": {""}}) }
	password := func(c *client) *response {
		return c.postForm("/settings/password", url.Values{"password": {""}})
	}

	// Signed in first: its page is its own, and the next anonymous page
	// with the same wait carries nothing of it.
	ada := app.client().from("203.0.113.1")
	ada.signInElsewhere()
	signedIn := refuse(ada, password)
	assertContains(t, signedIn, `action="/logout"`)
	assertContains(t, signedIn, ada.csrf())
	first := refuse(app.client().from("203.0.113.2"), login)
	assertNotContains(t, first, `action="/logout"`)
	assertNotContains(t, first, ada.csrf())

	// Anonymous pages: the second comes from memory and is the first's.
	again := refuse(app.client().from("203.0.113.3"), login)
	if again.body != first.body {
		t.Fatalf("the kept page differs from the rendered one:\n%s\n---\n%s", again.body, first.body)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Retry-After"} {
		if again.Header.Get(h) != first.Header.Get(h) {
			t.Errorf("%s: kept %q, rendered %q", h, again.Header.Get(h), first.Header.Get(h))
		}
	}
	if n := len(app.h.refusals.pages); n != 1 {
		t.Errorf("%d pages kept, want the one anonymous page", n)
	}

	// A page kept for signed-out clients does not reach a signed-in one.
	bob := app.client().from("203.0.113.4")
	bob.signInElsewhere()
	res := refuse(bob, password)
	assertContains(t, res, `action="/logout"`)
	assertContains(t, res, bob.csrf())
}
