package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
)

// mailWithSubject counts the messages to addr whose subject contains s.
func (a *testApp) mailWithSubject(t testing.TB, addr, s string) int {
	t.Helper()
	msgs, err := a.db.RecentMail(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if strings.EqualFold(m.To, addr) && strings.Contains(m.Subject, s) {
			n++
		}
	}
	return n
}

// passkeyIDs are the ids in the remove forms of /settings/passkeys.
var passkeyDeleteRe = regexp.MustCompile(`action="/settings/passkeys/(\d+)/delete"`)

func passkeyIDs(body string) []string {
	var ids []string
	for _, m := range passkeyDeleteRe.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// The whole story: add a passkey in settings, sign out, sign in with it
// (both factors: the dashboard opens and the sudo window counts from it),
// see it used in the list, remove it, and it no longer signs in.
func TestPasskeyAddSignInRemove(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	dev := newPasskeyDevice()

	page := c.get("/settings/passkeys")
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, "You have no passkeys yet.")
	assertContains(t, page, `data-passkey-add hidden`)

	c.addPasskey(dev, "My laptop")
	if n := app.count(t, "passkeys", ""); n != 1 {
		t.Fatalf("%d passkeys stored, want 1", n)
	}
	if n := app.mailWithSubject(t, "ada@example.com", "A passkey was added"); n != 1 {
		t.Fatalf("%d notices of the added passkey, want 1", n)
	}
	page = c.get("/settings/passkeys")
	assertContains(t, page, "My laptop")
	assertContains(t, page, "has been added")
	assertContains(t, page, "<dd>Never</dd>")

	assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
	c.signedOut()

	app.clock.Advance(time.Hour) // the sudo window of the old sign-in is long gone
	res := c.passkeySignIn(dev)
	assertStatus(t, res, http.StatusOK)
	if got := jsonField(t, res, "redirect"); got != "/dashboard" {
		t.Fatalf("passkey sign-in: redirect %q, want /dashboard", got)
	}
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
	// A passkey sign-in proves who the user is: adding another passkey
	// (which needs the sudo window) is allowed straight away.
	assertStatus(t, c.postJSON("/settings/passkeys/options", "{}"), http.StatusOK)

	page = c.get("/settings/passkeys")
	assertNotContains(t, page, "<dd>Never</dd>")
	assertContains(t, page, "<div><dt>Last used</dt><dd>"+app.clock.Now().UTC().Format("2 Jan 2006, 15:04 UTC")+"</dd>")
	ids := passkeyIDs(page.body)
	if len(ids) != 1 {
		t.Fatalf("passkey ids on the page: %v", ids)
	}
	res = c.postForm("/settings/passkeys/"+ids[0]+"/delete", nil)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/settings/passkeys")
	assertContains(t, c.get("/settings/passkeys"), "The passkey has been removed.")
	if n := app.mailWithSubject(t, "ada@example.com", "A passkey was removed"); n != 1 {
		t.Fatalf("%d notices of the removed passkey, want 1", n)
	}

	other := app.client()
	res = other.passkeySignIn(dev)
	assertStatus(t, res, http.StatusBadRequest)
	if got := jsonField(t, res, "error"); !strings.Contains(got, "don't recognise that passkey") {
		t.Fatalf("removed passkey: error %q", got)
	}
	other.signedOut()
}

// The sign-in answers a safe next, and a remembered sign-in gets a
// persistent cookie.
func TestPasskeySignInNextAndRemember(t *testing.T) {
	app := newTestApp(t)
	owner := app.client()
	owner.signup("Ada", "ada@example.com", strongPassword)
	dev := newPasskeyDevice()
	owner.addPasskey(dev, "Laptop")

	for _, tc := range []struct{ next, want string }{
		{"/notes", "/notes"},
		{"//evil.example/", "/dashboard"},
		{"https://evil.example/", "/dashboard"},
	} {
		c := app.client()
		body := withField(t, c.passkeyAssertion(dev), "next", tc.next)
		body = withField(t, body, "remember", true)
		res := c.postJSON("/login/passkey", body)
		assertStatus(t, res, http.StatusOK)
		if got := jsonField(t, res, "redirect"); got != tc.want {
			t.Errorf("next %q: redirect %q, want %q", tc.next, got, tc.want)
		}
		if ck := setCookie(res, "latchkey_session"); ck == nil || ck.MaxAge <= 0 && ck.Expires.IsZero() {
			t.Errorf("remember: the session cookie is not persistent: %v", ck)
		}
	}
}

// Every attack on the sign-in is refused with 400 or 422 JSON and a
// message, never 5xx; nobody is signed in and the passkey's counter and
// last use are untouched.
func TestPasskeySignInRefusesAttacks(t *testing.T) {
	app := newTestApp(t)
	owner := app.client()
	owner.signup("Ada", "ada@example.com", strongPassword)
	dev := newPasskeyDevice()
	dev.cred.Counter = 5
	owner.addPasskey(dev, "Laptop")

	mallory := app.client()
	mallory.signup("Mallory", "mallory@example.com", strongPassword)
	malloryDev := newPasskeyDevice()
	mallory.addPasskey(malloryDev, "Mallory's key")

	stranger := newPasskeyDevice() // never registered
	stranger.auth.Options.UserHandle = dev.auth.Options.UserHandle

	// Ada's credential presented under Mallory's user handle.
	crossed := newPasskeyDevice()
	crossed.cred = dev.cred
	crossed.auth.Options.UserHandle = malloryDev.auth.Options.UserHandle

	// Ada's key with its counter gone back.
	cloned := newPasskeyDevice()
	cloned.cred = dev.cred
	cloned.cred.Counter = 3
	cloned.auth.Options.UserHandle = dev.auth.Options.UserHandle

	// Without user verification (a touch, no PIN or biometrics): not both factors.
	unverified := newPasskeyDevice()
	unverified.cred = dev.cred
	unverified.auth.Options = virtualwebauthn.AuthenticatorOptions{UserHandle: dev.auth.Options.UserHandle, UserNotVerified: true}

	// From another origin (a phishing site that relays the challenge).
	phish := newPasskeyDevice()
	phish.cred = dev.cred
	phish.auth.Options.UserHandle = dev.auth.Options.UserHandle
	phish.rp.Origin = "http://latchkey.test.evil.example"

	for _, tc := range []struct {
		name   string
		body   func(c *client) string
		status int
		says   string
	}{
		{"malformed JSON", func(c *client) string { c.passkeyAssertion(dev); return `{"id":` }, 400, "wasn't the JSON"},
		{"not a credential", func(c *client) string { c.passkeyAssertion(dev); return `{"id":"x","type":"public-key"}` }, 400, "couldn't read"},
		{"a JSON array", func(c *client) string { c.passkeyAssertion(dev); return `[1,2]` }, 400, "wasn't the JSON"},
		{"huge body", func(c *client) string { c.passkeyAssertion(dev); return `{"x":"` + strings.Repeat("a", 40<<10) + `"}` }, 400, "larger than"},
		{"no ceremony in this session", func(c *client) string {
			other := app.client()
			return other.passkeyAssertion(dev)
		}, 400, "expired or was already used"},
		{"a challenge from another session", func(c *client) string {
			c.passkeyAssertion(dev) // this session has a challenge of its own
			return app.client().passkeyAssertion(dev)
		}, 400, "couldn't be verified"},
		{"a credential that was never registered", func(c *client) string { return c.passkeyAssertion(stranger) }, 400, "don't recognise"},
		{"a credential of another user", func(c *client) string { return c.passkeyAssertion(crossed) }, 400, "don't recognise"},
		{"a counter that went backwards", func(c *client) string { return c.passkeyAssertion(cloned) }, 400, "counter went backwards"},
		{"no user verification", func(c *client) string { return c.passkeyAssertion(unverified) }, 400, "couldn't be verified"},
		{"another origin", func(c *client) string { return c.passkeyAssertion(phish) }, 400, "couldn't be verified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := app.client()
			c.t = t
			res := c.postJSON("/login/passkey", tc.body(c))
			assertStatus(t, res, tc.status)
			if got := jsonField(t, res, "error"); !strings.Contains(got, tc.says) {
				t.Fatalf("error %q, want it to say %q", got, tc.says)
			}
			c.signedOut()
			if n := app.count(t, "passkeys", "sign_count = 5 AND last_used_at IS NULL"); n != 1 {
				t.Fatalf("Ada's passkey changed: %d rows as registered", n)
			}
		})
	}
}

// The same assertion twice: the challenge is used once, so the second is
// refused even though the first signed in.
func TestPasskeySignInReplayRefused(t *testing.T) {
	app := newTestApp(t)
	owner := app.client()
	owner.signup("Ada", "ada@example.com", strongPassword)
	dev := newPasskeyDevice()
	owner.addPasskey(dev, "Laptop")

	c := app.client()
	assertion := c.passkeyAssertion(dev)
	assertStatus(t, c.postJSON("/login/passkey", assertion), http.StatusOK)
	// Again at once, in the same session (the ceremony would survive the
	// sign-in's new token, were it not taken out when used).
	res := c.postJSON("/login/passkey", assertion)
	assertStatus(t, res, http.StatusBadRequest)
	if got := jsonField(t, res, "error"); !strings.Contains(got, "already used") {
		t.Fatalf("replay: error %q", got)
	}
	assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
	res = c.postJSON("/login/passkey", assertion)
	assertStatus(t, res, http.StatusBadRequest)
	c.signedOut()

	// The thief who copied the answer off the wire, in a session of their own.
	thief := app.client()
	thief.passkeyAssertion(dev)
	assertStatus(t, thief.postJSON("/login/passkey", assertion), http.StatusBadRequest)
	thief.signedOut()
}

// An authenticator that counts: a used counter value is refused after, and
// the stored counter moves only forward.
func TestPasskeyCounterOnlyMovesForward(t *testing.T) {
	app := newTestApp(t)
	owner := app.client()
	owner.signup("Ada", "ada@example.com", strongPassword)
	dev := newPasskeyDevice()
	dev.cred.Counter = 1
	owner.addPasskey(dev, "Key")

	c := app.client()
	dev.cred.Counter = 7
	assertStatus(t, c.passkeySignIn(dev), http.StatusOK)
	if n := app.count(t, "passkeys", "sign_count = 7"); n != 1 {
		t.Fatal("the counter of the sign-in was not stored")
	}
	c2 := app.client()
	assertStatus(t, c2.passkeySignIn(dev), http.StatusBadRequest) // 7 again
	c2.signedOut()
	if n := app.count(t, "passkeys", "sign_count = 7"); n != 1 {
		t.Fatal("a refused sign-in changed the counter")
	}
}

// Unconfirmed and disabled accounts cannot sign in with a passkey.
func TestPasskeySignInRefusesDisabledAndUnconfirmed(t *testing.T) {
	app := newTestApp(t)
	owner := app.client()
	owner.signup("Ada", "ada@example.com", strongPassword)
	dev := newPasskeyDevice()
	owner.addPasskey(dev, "Laptop")
	u, err := app.acc.FindUser(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}

	if err := app.acc.SetDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	c := app.client()
	res := c.passkeySignIn(dev)
	assertStatus(t, res, http.StatusUnprocessableEntity)
	if got := jsonField(t, res, "error"); !strings.Contains(got, "disabled") {
		t.Fatalf("disabled: error %q", got)
	}
	c.signedOut()

	if err := app.acc.SetDisabled(context.Background(), u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := app.db.Write.Exec(app.db.Rebind(`UPDATE users SET email_verified_at = NULL WHERE id = ?`), u.ID); err != nil {
		t.Fatal(err)
	}
	res = c.passkeySignIn(dev)
	assertStatus(t, res, http.StatusUnprocessableEntity)
	if got := jsonField(t, res, "error"); !strings.Contains(got, "Confirm your email address") {
		t.Fatalf("unconfirmed: error %q", got)
	}
	c.signedOut()
}

// Adding a passkey needs the sudo window; its bad input is refused and
// stores nothing.
func TestPasskeyRegistrationRefusesAttacks(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	dev := newPasskeyDevice()

	for _, tc := range []struct {
		name   string
		body   func() string
		status int
		says   string
	}{
		{"malformed JSON", func() string { c.passkeyAttestation(dev); return `{"name":` }, 400, "wasn't the JSON"},
		{"not an attestation", func() string { c.passkeyAttestation(dev); return `{"name":"x","id":"AAAA"}` }, 400, "couldn't read"},
		{"a name that is not text", func() string { return withField(t, c.passkeyAttestation(dev), "name", 12) }, 400, "couldn't read"},
		{"huge body", func() string { c.passkeyAttestation(dev); return `{"name":"` + strings.Repeat("a", 40<<10) + `"}` }, 400, "larger than"},
		{"a name too long", func() string { return withField(t, c.passkeyAttestation(dev), "name", strings.Repeat("n", 101)) }, 422, "at most 100"},
		{"a name with a line break", func() string { return withField(t, c.passkeyAttestation(dev), "name", "a\nb") }, 422, "control characters"},
		{"a name with a direction override", func() string { return withField(t, c.passkeyAttestation(dev), "name", "a\u202eb") }, 422, "control characters"},
		{"a challenge from another session", func() string {
			c.passkeyAttestation(dev) // this session has a challenge of its own
			other := app.client()
			other.t = t
			other.signup("Bob", "bob@example.com", strongPassword)
			return withField(t, other.passkeyAttestation(newPasskeyDevice()), "name", "x")
		}, 400, "couldn't be verified"},
		{"the sign-in ceremony instead", func() string {
			opts := c.postJSON("/login/passkey/options", "{}")
			a, err := virtualwebauthn.ParseAttestationOptions(strings.Replace(opts.body, `"challenge"`, `"user":{"id":"AA"},"challenge"`, 1))
			if err != nil {
				t.Fatal(err)
			}
			return withField(t, virtualwebauthn.CreateAttestationResponse(dev.rp, dev.auth, dev.cred, *a), "name", "x")
		}, 400, "expired or was already used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			res := c.postJSON("/settings/passkeys", tc.body())
			assertStatus(t, res, tc.status)
			if got := jsonField(t, res, "error"); !strings.Contains(got, tc.says) {
				t.Fatalf("error %q, want it to say %q", got, tc.says)
			}
			if n := app.count(t, "passkeys", ""); n != 0 {
				t.Fatalf("%d passkeys stored", n)
			}
		})
	}
	c.t = t

	// No ceremony in this session at all.
	fresh := app.client()
	fresh.signup("Cy", "cy@example.com", strongPassword)
	res := fresh.postJSON("/settings/passkeys", withField(t, c.passkeyAttestation(dev), "name", "x"))
	assertStatus(t, res, http.StatusBadRequest)
	if got := jsonField(t, res, "error"); !strings.Contains(got, "expired or was already used") {
		t.Fatalf("no ceremony: error %q", got)
	}

	// One attestation sent twice: the second finds no ceremony.
	att := withField(t, c.passkeyAttestation(dev), "name", "Laptop")
	assertStatus(t, c.postJSON("/settings/passkeys", att), http.StatusOK)
	assertStatus(t, c.postJSON("/settings/passkeys", att), http.StatusBadRequest)
	// The same authenticator again, with a new ceremony: already registered.
	res = c.postJSON("/settings/passkeys", withField(t, c.passkeyAttestation(dev), "name", "Again"))
	assertStatus(t, res, http.StatusUnprocessableEntity)
	if n := app.count(t, "passkeys", ""); n != 1 {
		t.Fatalf("%d passkeys stored, want 1", n)
	}
}

// Outside the sudo window the options and the attestation are refused (the
// page says to sign in again), with nothing stored; a password sign-in
// opens it again.
func TestPasskeyRegistrationNeedsSudoWindow(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	dev := newPasskeyDevice()
	att := withField(t, c.passkeyAttestation(dev), "name", "Laptop")

	app.clock.Advance(11 * time.Minute)
	res := c.postJSON("/settings/passkeys", att)
	assertStatus(t, res, http.StatusForbidden)
	if got := jsonField(t, res, "redirect"); got != "/login?next=/settings/passkeys" {
		t.Fatalf("sudo: redirect %q", got)
	}
	assertStatus(t, c.postJSON("/settings/passkeys/options", "{}"), http.StatusForbidden)
	if n := app.count(t, "passkeys", ""); n != 0 {
		t.Fatalf("%d passkeys stored outside the sudo window", n)
	}
	page := c.get("/settings/passkeys")
	assertContains(t, page, `href="/login?next=/settings/passkeys"`)
	assertNotContains(t, page, `id="passkey-add"`)

	assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusSeeOther)
	c.addPasskey(dev, "Laptop")
}

// The JSON endpoints of a browser with a cookie need the CSRF header, and
// cross-site requests are refused: 403 in JSON.
func TestPasskeyEndpointsNeedCSRF(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	for _, path := range []string{"/settings/passkeys/options", "/settings/passkeys", "/login/passkey/options", "/login/passkey"} {
		res := c.postJSONWith(path, "{}", nil)
		assertStatus(t, res, http.StatusForbidden)
		if jsonField(t, res, "error") == "" {
			t.Errorf("%s: no JSON error", path)
		}
		res = c.postJSONWith(path, "{}", map[string]string{"X-CSRF-Token": c.csrf(), "Sec-Fetch-Site": "cross-site"})
		assertStatus(t, res, http.StatusForbidden)
	}
	if n := app.count(t, "passkeys", ""); n != 0 {
		t.Fatal("stored a passkey")
	}
}

// A body over the server's global limit is refused unread, still in JSON
// and still not a 5xx.
func TestPasskeyEndpointsRefuseHugeBodies(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	res := c.postJSON("/login/passkey", `{"x":"`+strings.Repeat("a", maxBodyBytes)+`"}`)
	assertStatus(t, res, http.StatusRequestEntityTooLarge)
	if jsonField(t, res, "error") == "" {
		t.Fatal("no JSON error")
	}
}

// Removing someone else's passkey by its id does nothing to it.
func TestPasskeyRemoveOnlyYourOwn(t *testing.T) {
	app := newTestApp(t)
	ada := app.client()
	ada.signup("Ada", "ada@example.com", strongPassword)
	ada.addPasskey(newPasskeyDevice(), "Laptop")
	id := passkeyIDs(ada.get("/settings/passkeys").body)[0]

	bob := app.client()
	bob.signup("Bob", "bob@example.com", strongPassword)
	res := bob.postForm("/settings/passkeys/"+id+"/delete", nil)
	assertStatus(t, res, http.StatusSeeOther)
	assertContains(t, bob.get("/settings/passkeys"), "had already been removed")
	if n := app.count(t, "passkeys", ""); n != 1 {
		t.Fatal("Bob removed Ada's passkey")
	}
	if n := app.mailWithSubject(t, "ada@example.com", "removed"); n != 0 {
		t.Fatal("Ada was told of a removal that did not happen")
	}
	for _, bad := range []string{"x", "-1", "0", "99999999999999999999"} {
		assertStatus(t, bob.postForm("/settings/passkeys/"+bad+"/delete", nil), http.StatusNotFound)
	}
	// Signed out, the form sends you to sign in.
	anon := app.client()
	res = anon.postForm("/settings/passkeys/"+id+"/delete", nil)
	assertStatus(t, res, http.StatusSeeOther)
	if n := app.count(t, "passkeys", ""); n != 1 {
		t.Fatal("a signed-out request removed a passkey")
	}
}

// Deleting the account deletes its passkeys and its user handle.
func TestPasskeysGoWithTheAccount(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	dev := newPasskeyDevice()
	c.addPasskey(dev, "Laptop")
	res := c.postForm("/settings/delete", url.Values{"current_password": {strongPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	if n := app.count(t, "passkeys", "") + app.count(t, "webauthn_handles", ""); n != 0 {
		t.Fatalf("%d passkey rows left after the account was deleted", n)
	}
	other := app.client()
	assertStatus(t, other.passkeySignIn(dev), http.StatusBadRequest)
}

// The passkey endpoints are limited per IP like /login: a refusal is 429
// with Retry-After, in JSON.
func TestPasskeySignInIsRateLimited(t *testing.T) {
	app := newTestApp(t, func(cfg *testConfig) { cfg.handlers.RateBurst, cfg.handlers.RateInterval = 3, time.Hour })
	c := app.client()
	var res *response
	for range 4 {
		res = c.postJSON("/login/passkey/options", "{}")
	}
	assertStatus(t, res, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" || jsonField(t, res, "error") == "" {
		t.Fatalf("429 without Retry-After or a JSON message: %v %s", res.Header, res.body)
	}
}

// Without JavaScript the passkey parts are absent (rendered hidden, shown
// only by static/passkeys.js), and everything else works: the password
// form signs in, and the passkeys page lists and removes by plain forms.
func TestPasskeyPagesWithoutScript(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	login := c.get("/login")
	assertStatus(t, login, http.StatusOK)
	assertContains(t, login, `data-passkey-signin hidden`)
	assertContains(t, login, `autocomplete="username webauthn"`)
	assertContains(t, login, `src="/static/passkeys.`)
	c.signup("Ada", "ada@example.com", strongPassword)
	page := c.get("/settings/passkeys")
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, `aria-current="page">Passkeys</a>`)
	assertContains(t, page, `data-passkey-add hidden`)
}

// A BASE_URL whose host is an IP address (browsers refuse WebAuthn there)
// turns passkeys off: the app starts, /login offers no passkey, and the
// endpoints answer 404 in JSON.
func TestPasskeysOffOnAnIPAddress(t *testing.T) {
	app := newTestApp(t, func(cfg *testConfig) { cfg.handlers.BaseURL = "http://127.0.0.1:8080" })
	c := app.client()
	login := c.get("/login")
	assertStatus(t, login, http.StatusOK)
	assertNotContains(t, login, "data-passkey-signin")
	res := c.postJSON("/login/passkey/options", "{}")
	assertStatus(t, res, http.StatusNotFound)
	if got := jsonField(t, res, "error"); !strings.Contains(got, "aren't available") {
		t.Fatalf("error %q", got)
	}
	c.signup("Ada", "ada@example.com", strongPassword)
	page := c.get("/settings/passkeys")
	assertStatus(t, page, http.StatusOK)
	assertNotContains(t, page, "data-passkey-add")
}
