package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const failedLink = "/auth/error?error=Verification"

// The emailed sign-in link: its GET shows a button and signs nobody in;
// only the POST does, once.
func TestMagicLinkSignIn(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	app.client().signup("Ada", "ada@example.com", strongPassword)

	c := app.client()
	res := c.postForm("/login/email", url.Values{"email": {"  ADA@example.com "}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/verify-request")

	m := in.last("ada@example.com", "Your Latchkey sign-in link")
	link := in.link(m, "/login/email/confirm")
	token := tokenOf(t, link)

	// A mail scanner (or the user) opening the link: a page, not a session.
	for range 2 {
		res = c.get(link)
		assertStatus(t, res, http.StatusOK)
		assertContains(t, res, `<form method="post" action="/login/email/confirm">`)
		assertContains(t, res, `name="token" value="`+token+`"`)
		assertContains(t, res, `<button type="submit"`)
	}
	res = c.get("/dashboard")
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login?next=/dashboard")

	res = c.postForm("/login/email/confirm", url.Values{"token": {token}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
	res = c.get("/dashboard")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "Hello, Ada")

	// Used once: a second POST, from this or any browser, fails; so does the GET.
	for _, other := range []*client{c, app.client()} {
		res = other.postForm("/login/email/confirm", url.Values{"token": {token}})
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, failedLink)
	}
	res = app.client().get(link)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, failedLink)

	// The page it lands on explains and offers a new link, with a real
	// status (DESIGN.md: Verification is 400).
	res = c.get(failedLink)
	assertStatus(t, res, http.StatusBadRequest)
	assertContains(t, res, "This link can't be used")
	assertContains(t, res, `href="/login"`)
}

// A sign-in link lasts 15 minutes; the POST after that fails.
func TestMagicLinkExpires(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	app.client().signup("Ada", "ada@example.com", strongPassword)
	c := app.client()
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	link := in.link(in.last("ada@example.com", "Your Latchkey sign-in link"), "/login/email/confirm")

	app.clock.Advance(14 * time.Minute)
	assertStatus(t, c.get(link), http.StatusOK) // still valid: the page shows

	app.clock.Advance(time.Minute + time.Second)
	res := c.get(link)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, failedLink)
	res = c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, failedLink)
	assertStatus(t, c.get("/dashboard"), http.StatusSeeOther)
}

// A password reset link lasts 1 hour (guards TOKEN_TTL_RESET_PASSWORD): a
// second before, it still sets the password; a second after, the page and
// the POST refuse it and the old password stays.
func TestResetLinkExpires(t *testing.T) {
	const newPassword = "violet marmalade skyline 42"
	for _, tc := range []struct {
		name  string
		after time.Duration
		works bool
	}{
		{"just before 1h", time.Hour - time.Second, true},
		{"just after 1h", time.Hour + time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			in := app.smtpInbox()
			app.createUser(t, "Ada", "ada@example.com", strongPassword)
			c := app.client()
			assertStatus(t, c.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
			link := in.link(in.last("ada@example.com", "Reset your Latchkey password"), "/reset-password")

			app.clock.Advance(tc.after)
			if tc.works {
				assertStatus(t, c.get(link), http.StatusOK)
				res := c.postForm("/reset-password", url.Values{"token": {tokenOf(t, link)}, "password": {newPassword}})
				assertStatus(t, res, http.StatusSeeOther)
				assertLocation(t, res, "/dashboard")
				assertStatus(t, app.client().login("ada@example.com", newPassword), http.StatusSeeOther)
				return
			}
			res := c.get(link)
			assertStatus(t, res, http.StatusSeeOther)
			assertLocation(t, res, failedLink)
			res = c.postForm("/reset-password", url.Values{"token": {tokenOf(t, link)}, "password": {newPassword}})
			assertStatus(t, res, http.StatusSeeOther)
			assertLocation(t, res, failedLink)
			assertStatus(t, c.get("/dashboard"), http.StatusSeeOther)
			assertStatus(t, app.client().login("ada@example.com", newPassword), http.StatusUnprocessableEntity)
			assertStatus(t, app.client().login("ada@example.com", strongPassword), http.StatusSeeOther)
		})
	}
}

// An email verification link lasts 24 hours (guards TOKEN_TTL_VERIFY_EMAIL):
// a second before, it verifies the address; a second after, it is refused
// and the address stays unverified.
func TestVerifyEmailLinkExpires(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration
		works bool
	}{
		{"just before 24h", 24*time.Hour - time.Second, true},
		{"just after 24h", 24*time.Hour + time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			in := app.smtpInbox()
			c := app.client()
			c.signupUnconfirmed("Ada", "ada@example.com", strongPassword)
			link := in.link(in.last("ada@example.com", "Confirm your email address"), "/verify-email")

			app.clock.Advance(tc.after)
			res := c.get(link)
			if tc.works {
				assertStatus(t, res, http.StatusOK)
			} else {
				assertStatus(t, res, http.StatusSeeOther)
				assertLocation(t, res, failedLink)
			}
			res = c.postForm("/verify-email", url.Values{"token": {tokenOf(t, link)}})
			assertStatus(t, res, http.StatusSeeOther)
			if tc.works {
				assertLocation(t, res, "/dashboard")
			} else {
				assertLocation(t, res, failedLink)
			}
			if got := app.user("ada@example.com").Verified(); got != tc.works {
				t.Fatalf("verified = %v after %v, want %v", got, tc.after, tc.works)
			}
		})
	}
}

// A sign-in link posted by 20 browsers at once signs in exactly one (guards
// single use: the token is consumed in the transaction that signs in).
func TestMagicLinkConcurrentUseSignsInOnce(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	app.createUser(t, "Ada", "ada@example.com", strongPassword)
	assertStatus(t, app.client().postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	token := tokenOf(t, in.link(in.last("ada@example.com", "Your Latchkey sign-in link"), "/login/email/confirm"))

	const n = 20
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = app.client()
		clients[i].csrf()
	}
	locations := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := clients[i].tryPostForm("/login/email/confirm", url.Values{"token": {token}})
			if err != nil {
				errs[i] = err
				return
			}
			if res.StatusCode != http.StatusSeeOther {
				errs[i] = fmt.Errorf("browser %d: status %d\n%s", i, res.StatusCode, excerpt(res.body))
				return
			}
			locations[i] = res.Header.Get("Location")
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	var won []int
	for i, loc := range locations {
		switch loc {
		case "/dashboard":
			won = append(won, i)
		case failedLink:
		default:
			t.Errorf("browser %d: Location %q", i, loc)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d browsers signed in with one link, want 1 (%v)", len(won), won)
	}
	for i, c := range clients {
		if i == won[0] {
			c.signedIn()
		} else {
			c.signedOut()
		}
	}
	if got := len(app.sessionsOf(app.user("ada@example.com").ID)); got != 1 {
		t.Fatalf("%d session records, want 1", got)
	}
	assertNoLockErrors(t, app)
}

// A token is accepted only where its purpose says, and being refused
// elsewhere does not use it up.
func TestTokenPurposesDoNotMix(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	c.signupUnconfirmed("Ada", "ada@example.com", strongPassword)
	verify := tokenOf(t, in.link(in.last("ada@example.com", "Confirm your email address"), "/verify-email"))
	assertStatus(t, c.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	reset := tokenOf(t, in.link(in.last("ada@example.com", "Reset your Latchkey password"), "/reset-password"))
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	login := tokenOf(t, in.link(in.last("ada@example.com", "Your Latchkey sign-in link"), "/login/email/confirm"))

	refused := func(res *response) {
		t.Helper()
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, failedLink)
	}
	for name, tok := range map[string]string{"reset": reset, "verify": verify} {
		t.Logf("%s token at the sign-in routes", name)
		refused(c.get("/login/email/confirm?token=" + tok))
		refused(c.postForm("/login/email/confirm", url.Values{"token": {tok}}))
	}
	for _, tok := range []string{reset, login} {
		refused(c.get("/verify-email?token=" + tok))
		refused(c.postForm("/verify-email", url.Values{"token": {tok}}))
	}
	for _, tok := range []string{login, verify} {
		refused(c.get("/reset-password?token=" + tok))
		refused(c.postForm("/reset-password", url.Values{"token": {tok}, "password": {"a brand new passphrase"}}))
	}
	assertStatus(t, c.get("/dashboard"), http.StatusSeeOther)

	// Each still works for its own purpose.
	assertStatus(t, c.get("/reset-password?token="+reset), http.StatusOK)
	assertStatus(t, c.get("/login/email/confirm?token="+login), http.StatusOK)
	assertStatus(t, c.get("/verify-email?token="+verify), http.StatusOK)
	res := c.postForm("/verify-email", url.Values{"token": {verify}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
}

// After signup nobody is signed in; the confirmation link opens a page
// with a button (a GET confirms nothing, so a mail scanner cannot), and
// only its POST confirms the address and signs this browser in, once.
func TestVerifyEmailAfterSignup(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	c.signupUnconfirmed("Ada", "ada@example.com", strongPassword)
	c.signedOut()
	res := c.get("/verify-request")
	assertContains(t, res, "ada@example.com")
	assertContains(t, res, "confirm your address")

	m := in.last("ada@example.com", "Confirm your email address")
	link := in.link(m, "/verify-email")
	for range 2 {
		res = c.get(link)
		assertStatus(t, res, http.StatusOK)
		assertContains(t, res, `<form method="post" action="/verify-email" novalidate>`)
		assertContains(t, res, `name="token" value="`+tokenOf(t, link)+`"`)
		assertContains(t, res, "ada@example.com")
		// The browser that signed up is not asked for the password.
		assertNotContains(t, res, `name="password"`)
	}
	if app.user("ada@example.com").Verified() {
		t.Fatal("opening the link confirmed the address")
	}
	c.signedOut()

	res = c.postForm("/verify-email", url.Values{"token": {tokenOf(t, link)}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
	res = c.get("/dashboard")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, `<span class="badge ok">Verified</span>`)
	assertNotContains(t, res, "Not verified")

	res = c.get(link)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, failedLink)
	res = app.client().postForm("/verify-email", url.Values{"token": {tokenOf(t, link)}, "password": {strongPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, failedLink)
}

// A correct password for an unconfirmed account does not sign in: it is
// 422 with "confirm first", and a new link is sent that works.
func TestVerifyEmailResend(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	c.signupUnconfirmed("Ada", "ada@example.com", strongPassword)
	res := c.login("ada@example.com", strongPassword)
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertContains(t, res, "Confirm your email address first: we've sent you a new link")
	c.signedOut()
	msgs := in.read("ada@example.com")
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want the first and the resent confirmation", len(msgs))
	}
	// The newest link works; the first was retired by it.
	res = c.get(in.link(msgs[0], "/verify-email"))
	assertLocation(t, res, failedLink)
	c.confirmSignup(in.link(msgs[1], "/verify-email"), "")
	assertContains(t, c.get("/dashboard"), `<span class="badge ok">Verified</span>`)
}

// A reset signs in the browser that did it, ends every other session of the
// user, retires the old password, and works once.
func TestResetPasswordEndsOtherSessions(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	first := app.client()
	first.signup("Ada", "ada@example.com", strongPassword)
	second := app.client()
	assertStatus(t, second.login("ada@example.com", strongPassword), http.StatusSeeOther)
	assertStatus(t, second.get("/dashboard"), http.StatusOK)

	c := app.client()
	res := c.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/verify-request")
	res = c.get("/verify-request")
	assertContains(t, res, "ada@example.com")
	assertContains(t, res, "1 hour")

	link := in.link(in.last("ada@example.com", "Reset your Latchkey password"), "/reset-password")
	res = c.get(link)
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, `name="token" value="`+tokenOf(t, link)+`"`)
	assertContains(t, res, `name="password"`)

	const newPassword = "violet marmalade skyline 42"
	res = c.postForm("/reset-password", url.Values{"token": {tokenOf(t, link)}, "password": {newPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
	assertStatus(t, c.get("/dashboard"), http.StatusOK)

	for _, other := range []*client{first, second} {
		res = other.get("/dashboard")
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, "/login?next=/dashboard")
	}
	res = app.client().login("ada@example.com", strongPassword)
	assertStatus(t, res, http.StatusUnprocessableEntity)
	res = app.client().login("ada@example.com", newPassword)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")

	res = app.client().postForm("/reset-password", url.Values{"token": {tokenOf(t, link)}, "password": {"another fine passphrase"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, failedLink)
}

// A weak new password re-renders the form (422) and leaves the link usable.
func TestResetPasswordPolicy(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	app.client().signup("Ada", "ada@example.com", strongPassword)
	c := app.client()
	assertStatus(t, c.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	token := tokenOf(t, in.link(in.last("ada@example.com", "Reset your Latchkey password"), "/reset-password"))
	res := c.postForm("/reset-password", url.Values{"token": {token}, "password": {"password"}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertContains(t, res, `name="token" value="`+token+`"`)
	assertStatus(t, c.get("/reset-password?token="+token), http.StatusOK)
}

// Signing up with a taken address answers as a new signup would; nothing
// is created, and the owner is told by email.
func TestDuplicateSignupMailsOwner(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	app.client().signup("Ada", "ada@example.com", strongPassword)
	// Confirmed: only then may mail greet the owner by the name on the account.
	app.confirmAddress("ada@example.com")
	in.flush()

	c := app.client()
	res := c.postForm("/signup", url.Values{"name": {"Mallory"}, "email": {"Ada@Example.com"}, "password": {"quartz nebula picnic 2024"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/verify-request")
	if n := app.userCount(); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
	m := in.last("ada@example.com", "Someone tried to sign up with your address")
	if !strings.Contains(m.Text, "Hello Ada,") || strings.Contains(m.Text, "Mallory") {
		t.Errorf("the notice is not addressed to the owner alone:\n%s", m.Text)
	}
	for _, want := range []string{"/login", "/forgot-password", "ignore this email"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("notice lacks %q", want)
		}
	}
	// The stranger's password opens nothing.
	assertStatus(t, app.client().login("ada@example.com", "quartz nebula picnic 2024"), http.StatusUnprocessableEntity)
}

// A reset for an address with no account: the same answer, no email, no
// account. A sign-in link for one is sent (sign-in and sign-up are one
// step) but makes no account until it is followed.
func TestMagicLinkUnknownAddress(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	res := c.postForm("/forgot-password", url.Values{"email": {"nobody@example.com"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/verify-request")
	res = c.postForm("/login/email", url.Values{"email": {"nobody@example.com"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/verify-request")
	in.flush()
	if got := in.srv.Messages(); len(got) != 1 || !strings.Contains(got[0].Text, "/login/email/confirm?token=") {
		t.Fatalf("messages for an unknown address: %d, want one sign-in link", len(got))
	}
	if n := app.userCount(); n != 0 {
		t.Fatalf("%d users created before the link was followed", n)
	}
}

// /verify-request names the address just used and how long the link lasts.
func TestVerifyRequestPage(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"Grace@Example.com"}}), http.StatusSeeOther)
	res := c.get("/verify-request")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "Check your email")
	assertContains(t, res, "<strong>Grace@Example.com</strong>")
	assertContains(t, res, "15 minutes")
	assertContains(t, res, `href="/login"`)
	// Shown once: a reload (or someone else later) sees no address.
	res = c.get("/verify-request")
	assertNotContains(t, res, "Grace@Example.com")
	assertContains(t, res, "15 minutes")
}

// A known and an unknown address get the same answers, byte for byte
// (after blanking the CSRF token), down to the page that follows.
func TestEnumerationLinkRequests(t *testing.T) {
	app := newTestApp(t)
	app.client().signup("Ada", "known@example.com", strongPassword)
	for _, path := range []string{"/login/email", "/forgot-password"} {
		var status [2]int
		var location, body, next, cookies [2]string
		for i, email := range []string{"known@example.com", "unknown@example.com"} {
			c := app.client()
			res := c.postForm(path, url.Values{"email": {email}})
			status[i], location[i], body[i] = res.StatusCode, res.Header.Get("Location"), withoutCSRF(res.body)
			cookies[i] = cookieNames(res)
			follow := c.get(res.Header.Get("Location"))
			next[i] = strings.ReplaceAll(withoutCSRF(follow.body), email, "EMAIL")
		}
		if status[0] != status[1] || location[0] != location[1] || body[0] != body[1] || cookies[0] != cookies[1] {
			t.Errorf("%s: known %d %q %q cookies %s; unknown %d %q %q cookies %s", path,
				status[0], location[0], body[0], cookies[0], status[1], location[1], body[1], cookies[1])
		}
		if next[0] != next[1] {
			t.Errorf("%s: the pages that follow differ:\n%s\n----\n%s", path, excerpt(next[0]), excerpt(next[1]))
		}
		if status[0] != http.StatusSeeOther {
			t.Errorf("%s: status %d", path, status[0])
		}
	}
}

// Signup with a new and with a taken address answer the same POST.
func TestEnumerationSignup(t *testing.T) {
	app := newTestApp(t)
	app.client().signup("Ada", "known@example.com", strongPassword)
	var status [2]int
	var location, body [2]string
	for i, email := range []string{"known@example.com", "newcomer@example.com"} {
		res := app.client().postForm("/signup", url.Values{"name": {"Sam"}, "email": {email}, "password": {"tangerine lighthouse 77"}})
		status[i], location[i], body[i] = res.StatusCode, res.Header.Get("Location"), withoutCSRF(res.body)
	}
	if status != [2]int{http.StatusSeeOther, http.StatusSeeOther} || location[0] != location[1] || body[0] != body[1] {
		t.Fatalf("taken: %d %q %q; new: %d %q %q", status[0], location[0], body[0], status[1], location[1], body[1])
	}
}

// cookieNames lists the cookies a response sets, sorted, to compare two
// answers without their random values.
func cookieNames(res *response) string {
	var names []string
	for _, ck := range res.Cookies() {
		names = append(names, ck.Name)
	}
	return strings.Join(sortedCopy(names), ",")
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Pages reached through a token link must not leak it through Referer, nor
// be kept in a cache.
func TestTokenPagesHeaders(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	app.client().signup("Ada", "ada@example.com", strongPassword)
	verify := in.link(in.last("ada@example.com", "Confirm your email address"), "/verify-email")
	c := app.client()
	c.postForm("/login/email", url.Values{"email": {"ada@example.com"}})
	login := in.link(in.last("ada@example.com", "Your Latchkey sign-in link"), "/login/email/confirm")
	c.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}})
	reset := in.link(in.last("ada@example.com", "Reset your Latchkey password"), "/reset-password")

	junk := "?token=" + strings.Repeat("x", 43)
	for _, path := range []string{login, reset, verify, "/login/email/confirm" + junk, "/reset-password" + junk, "/verify-email" + junk} {
		res := c.get(path)
		if res.StatusCode >= 400 {
			t.Errorf("GET %s: %d", strings.SplitN(path, "?", 2)[0], res.StatusCode)
		}
		if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", strings.SplitN(path, "?", 2)[0], got)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", strings.SplitN(path, "?", 2)[0], got)
		}
	}
	for _, path := range []string{"/login/email/confirm", "/reset-password"} {
		res := c.postForm(path, url.Values{"token": {strings.Repeat("x", 43)}, "password": {"whatever it is 123"}})
		if res.Header.Get("Referrer-Policy") != "no-referrer" || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("POST %s: Referrer-Policy %q, Cache-Control %q", path, res.Header.Get("Referrer-Policy"), res.Header.Get("Cache-Control"))
		}
	}
}

// Every error code has its page; anything else is Default, and nothing
// from the URL reaches the page.
func TestAuthErrorPages(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	// Each code answers with its real status (DESIGN.md "Identity
	// providers"): the page was found, but what it reports is a failure.
	for code, want := range map[string]struct {
		heading string
		status  int
	}{
		"Configuration":         {"Server error", http.StatusBadRequest},
		"AccessDenied":          {"Access denied", http.StatusForbidden},
		"Verification":          {"This link can't be used", http.StatusBadRequest},
		"OAuthCallbackError":    {"We couldn't finish signing you in", http.StatusBadRequest},
		"OAuthAccountNotLinked": {"Sign in the usual way first", http.StatusForbidden},
		"Default":               {"Something went wrong", http.StatusBadRequest},
		"":                      {"Something went wrong", http.StatusBadRequest},
		"Nonsense":              {"Something went wrong", http.StatusBadRequest},
		"verification":          {"Something went wrong", http.StatusBadRequest},
	} {
		res := c.get("/auth/error?error=" + url.QueryEscape(code))
		assertStatus(t, res, want.status)
		assertContains(t, res, "<h1>"+want.heading+"</h1>")
		assertContains(t, res, `href="/login"`)
	}
	for _, attack := range []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `Verification<b>x</b>`, "javascript:alert(1)"} {
		res := c.get("/auth/error?error=" + url.QueryEscape(attack))
		assertStatus(t, res, http.StatusBadRequest)
		assertContains(t, res, "<h1>Something went wrong</h1>")
		for _, bad := range []string{"alert(1)", "onerror", "<b>x</b>", "&lt;script", "javascript:"} {
			assertNotContains(t, res, bad)
		}
	}
}

// The development mailbox lists every message, newest first, with its links
// clickable.
func TestMailboxNewestFirst(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	in.flush() // delivered mail stays listed in development
	c.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}})

	res := c.get("/dev/mailbox")
	assertStatus(t, res, http.StatusOK)
	older := strings.Index(res.body, "Confirm your email address")
	newer := strings.Index(res.body, "Reset your Latchkey password")
	if older < 0 || newer < 0 || newer > older {
		t.Fatalf("mailbox not newest first (reset at %d, verification at %d)", newer, older)
	}
	assertContains(t, res, `<a href="http://latchkey.test/reset-password?token=`)
	assertContains(t, res, `<a href="http://latchkey.test/verify-email?token=`)
	assertContains(t, res, "sent ")
	assertContains(t, res, "queued ")
}

func TestMailboxAbsentInProduction(t *testing.T) {
	app := newTestApp(t, func(c *testConfig) { c.handlers.Dev = false })
	res := app.client().get("/dev/mailbox")
	assertStatus(t, res, http.StatusNotFound)
	assertNotContains(t, res, "Development mailbox")
	// Signed in or not, an unknown path is a 404, not a detour to /login.
	c := app.client()
	assertStatus(t, c.get("/no-such-page"), http.StatusNotFound)
	c.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, c.get("/dev/mailbox"), http.StatusNotFound)
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
}

// Across every email flow, no token and no link ever reaches a log line
// (the inbox checks the same when each test ends).
func TestTokensNeverLogged(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	c.get(in.link(in.last("ada@example.com", "Confirm your email address"), "/verify-email"))

	c.postForm("/login/email", url.Values{"email": {"ada@example.com"}})
	login := in.link(in.last("ada@example.com", "Your Latchkey sign-in link"), "/login/email/confirm")
	c.get(login)
	c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, login)}})
	c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, login)}})

	c.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}})
	reset := in.link(in.last("ada@example.com", "Reset your Latchkey password"), "/reset-password")
	c.get(reset)
	c.postForm("/reset-password", url.Values{"token": {tokenOf(t, reset)}, "password": {"password"}})
	c.postForm("/reset-password", url.Values{"token": {tokenOf(t, reset)}, "password": {"violet marmalade skyline 42"}})
	c.postForm("/signup", url.Values{"name": {"X"}, "email": {"ada@example.com"}, "password": {"tangerine lighthouse 77"}})
	in.flush()

	logs := app.logs.String()
	for _, path := range []string{"/login/email/confirm", "/reset-password", "/verify-email"} {
		if !strings.Contains(logs, "path="+path) {
			t.Fatalf("no request line for %s: the log capture is not working\n%s", path, logs)
		}
	}
	if len(in.tokens) != 3 {
		t.Fatalf("saw %d tokens, want 3", len(in.tokens))
	}
	in.assertNoTokenLogged()
}
