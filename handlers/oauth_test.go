package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// The buttons appear only for configured providers, as plain POST forms
// with the CSRF token and next.
func TestProviderButtons(t *testing.T) {
	plain := newTestApp(t).client()
	for _, path := range []string{"/login", "/signup"} {
		res := plain.get(path)
		assertNotContains(t, res, "Continue with")
		assertNotContains(t, res, "/login/oauth/")
	}
	w := newProviderWorld(t)
	c := w.app.client()
	for _, path := range []string{"/login?next=/notes", "/signup"} {
		res := c.get(path)
		assertStatus(t, res, http.StatusOK)
		for _, want := range []string{`action="/login/oauth/github"`, "Continue with GitHub", "Continue with Google", "Continue with Test SSO", `name="_csrf"`} {
			assertContains(t, res, want)
		}
	}
	res := c.get("/login?next=/notes")
	assertContains(t, res, `name="next" value="/notes"`)
	// Browsers apply form-action to the redirect after the form's POST: it
	// must allow the providers, or the button goes nowhere.
	csp := res.Header.Get("Content-Security-Policy")
	issuer, _ := url.Parse(w.oidc.Issuer())
	for _, origin := range []string{w.github.URL, "http://" + issuer.Host} {
		if !strings.Contains(csp, "form-action 'self' ") || !strings.Contains(csp, " "+origin) {
			t.Fatalf("CSP %q does not let forms reach %s", csp, origin)
		}
	}
}

// A new identity with a verified address makes a confirmed account
// without a password, named by the provider, and lands on next; signing in
// again with it lands in the same account.
func TestProviderSignInCreatesAccountThenFindsIt(t *testing.T) {
	w := newProviderWorld(t)
	w.github.approveAs(&githubUser{ID: 42, Login: "octocat", Emails: []githubEmail{
		{Email: "other@example.com", Verified: true}, {Email: "Octo@Example.com", Primary: true, Verified: true}}})
	c := w.app.client()
	res := c.get(approve(t, c.startAt("/login/oauth/github", url.Values{"next": {"/notes"}})))
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/notes")
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
	u, err := w.app.acc.FindUser(context.Background(), "octo@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "octocat" || u.HasPassword() || !u.Verified() {
		t.Fatalf("new account: name %q, password %v, verified %v", u.Name, u.HasPassword(), u.Verified())
	}
	if n := w.app.count(t, "identities", "provider = 'github' AND subject = '42' AND user_id = ?", u.ID); n != 1 {
		t.Fatalf("%d identities", n)
	}

	// Again, from another browser, after the address at GitHub changed:
	// the identity decides, not the address.
	w.github.approveAs(&githubUser{ID: 42, Login: "octocat", Name: "The Octocat", Emails: []githubEmail{{Email: "new@example.com", Primary: true, Verified: true}}})
	other := w.app.client()
	res = other.signInWith("github")
	assertLocation(t, res, "/dashboard")
	if n := w.app.countUsers(t, ""); n != 1 {
		t.Fatalf("%d users after signing in again", n)
	}

	// OpenID Connect: the name claim names the account.
	w.oidc.QueueUser(&oidcUser{sub: "ada-1", email: "ada@example.com", verified: true, name: "Ada Lovelace"})
	res = w.app.client().signInWith("oidc")
	assertLocation(t, res, "/dashboard")
	ada, err := w.app.acc.FindUser(context.Background(), "ada@example.com")
	if err != nil || ada.Name != "Ada Lovelace" || !ada.Verified() || ada.HasPassword() {
		t.Fatalf("OIDC account: %+v %v", ada, err)
	}
	w.google.QueueUser(&oidcUser{sub: "g-1", email: "grace@example.com", verified: true})
	assertLocation(t, w.app.client().signInWith("google"), "/dashboard")
	grace, err := w.app.acc.FindUser(context.Background(), "grace@example.com")
	if err != nil || grace.Name != "grace" {
		t.Fatalf("Google account without a name claim: %+v %v", grace, err)
	}
}

// The callback of one browser's flow opened in another browser signs no
// one in: the state is bound to the session that started the flow. A
// state serves once.
func TestProviderStateBoundToBrowserAndSingleUse(t *testing.T) {
	w := newProviderWorld(t)
	w.github.approveAs(&githubUser{ID: 7, Login: "victim", Emails: []githubEmail{{Email: "victim@example.com", Primary: true, Verified: true}}})
	victim, attacker := w.app.client(), w.app.client()
	callback := approve(t, victim.startAt("/login/oauth/github", url.Values{}))

	// Another browser, with no flow, and with a flow of its own.
	attacker.assertAuthError(attacker.get(callback), codeCallback, http.StatusBadRequest)
	attacker.startAt("/login/oauth/github", url.Values{})
	attacker.assertAuthError(attacker.get(callback), codeCallback, http.StatusBadRequest)
	if n := w.app.countUsers(t, ""); n != 0 {
		t.Fatalf("%d accounts made from a callback in the wrong browser", n)
	}

	// The right browser, once: even were the provider to take the code
	// twice, this browser's flow is gone.
	w.github.mu.Lock()
	w.github.lax = true
	w.github.mu.Unlock()
	assertLocation(t, victim.get(callback), "/dashboard")
	victim.assertAuthError(victim.get(callback), codeCallback, http.StatusBadRequest)

	// This browser's own good code with a state that is not its flow's.
	c := w.app.client()
	good, _ := url.Parse(approve(t, c.startAt("/login/oauth/github", url.Values{})))
	c.assertAuthError(c.get(good.Path+"?"+url.Values{"code": {good.Query().Get("code")}, "state": {"forged"}}.Encode()),
		codeCallback, http.StatusBadRequest)
	assertStatus(t, c.get("/dashboard"), http.StatusSeeOther)

	// No state, a wrong state, a state with the flow of another provider.
	for _, q := range []string{"code=1-code", "code=1-code&state=", "code=1-code&state=nope"} {
		c := w.app.client()
		c.startAt("/login/oauth/github", url.Values{})
		c.assertAuthError(c.get("/login/oauth/github/callback?"+q), codeCallback, http.StatusBadRequest)
	}
	c = w.app.client()
	u := c.startAt("/login/oauth/github", url.Values{})
	c.assertAuthError(c.get("/login/oauth/oidc/callback?code=x&state="+u.Query().Get("state")), codeCallback, http.StatusBadRequest)

	// A flow left too long at the provider has expired.
	c = w.app.client()
	callback = approve(t, c.startAt("/login/oauth/github", url.Values{}))
	w.app.clock.Advance(providerFlowLifetime + time.Second)
	c.assertAuthError(c.get(callback), codeCallback, http.StatusBadRequest)
}

// PKCE: a code stolen from the victim's flow and pasted into the
// attacker's own flow (their state, their verifier) is refused by the
// provider, which checks the verifier against the victim's challenge. The
// authorization request carries only the S256 challenge.
func TestProviderPKCE(t *testing.T) {
	w := newProviderWorld(t)
	for _, provider := range []string{"github", "oidc"} {
		t.Run(provider, func(t *testing.T) {
			w.github.approveAs(&githubUser{ID: 9, Login: "v", Emails: []githubEmail{{Email: "v-" + provider + "@example.com", Primary: true, Verified: true}}})
			w.oidc.QueueUser(&oidcUser{sub: "v", email: "v-" + provider + "@example.com", verified: true})
			victim, attacker := w.app.client(), w.app.client()
			victim.t, attacker.t = t, t
			authURL := victim.startAt("/login/oauth/"+provider, url.Values{})
			q := authURL.Query()
			if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Has("code_verifier") {
				t.Fatalf("authorization request without an S256 challenge, or with the verifier: %s", authURL.RawQuery)
			}
			stolen, _ := url.Parse(approve(t, authURL))

			w.oidc.QueueUser(&oidcUser{sub: "attacker", email: "attacker@example.com", verified: true})
			mine, _ := url.Parse(approve(t, attacker.startAt("/login/oauth/"+provider, url.Values{})))
			injected := stolen.Path + "?" + url.Values{"code": {stolen.Query().Get("code")}, "state": {mine.Query().Get("state")}}.Encode()
			attacker.assertAuthError(attacker.get(injected), codeCallback, http.StatusBadRequest)
			if n := w.app.countUsers(t, "email = ?", "v-"+provider+"@example.com"); n != 0 {
				t.Fatal("a stolen code signed the attacker in as the victim")
			}
		})
	}
}

// The ID token is checked: signature (never alg none), issuer, audience,
// expiry, and the nonce of this browser's flow.
func TestProviderIDTokenChecks(t *testing.T) {
	w := newProviderWorld(t)
	// A first, good flow whose nonce the attacker replays.
	w.oidc.QueueUser(&oidcUser{sub: "first", email: "first@example.com", verified: true})
	assertLocation(t, w.app.client().signInWith("oidc"), "/dashboard")
	old := w.oidc.nonce(0)

	for _, tc := range []struct {
		name     string
		edit     func(*mockoidc.IDTokenClaims)
		unsigned bool
	}{
		{name: "another audience", edit: func(c *mockoidc.IDTokenClaims) { c.Audience = jwt.ClaimStrings{"someone-else"} }},
		{name: "expired", edit: func(c *mockoidc.IDTokenClaims) {
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
			c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
		}},
		{name: "another issuer", edit: func(c *mockoidc.IDTokenClaims) { c.Issuer = "https://evil.example" }},
		{name: "replayed nonce", edit: func(c *mockoidc.IDTokenClaims) { c.Nonce = old }},
		{name: "no nonce", edit: func(c *mockoidc.IDTokenClaims) { c.Nonce = "" }},
		{name: "alg none", unsigned: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			email := strings.ReplaceAll(tc.name, " ", "-") + "@example.com"
			w.oidc.QueueUser(&oidcUser{sub: tc.name, email: email, verified: true, edit: tc.edit})
			w.oidc.mu.Lock()
			w.oidc.unsigned = tc.unsigned
			w.oidc.mu.Unlock()
			c := w.app.client()
			c.t = t
			c.assertAuthError(c.signInWith("oidc"), codeCallback, http.StatusBadRequest)
			if n := w.app.countUsers(t, "email = ?", email); n != 0 {
				t.Fatalf("an account was made from a bad ID token")
			}
			if n := w.app.count(t, "identities", "subject = ?", tc.name); n != 0 {
				t.Fatalf("an identity was made from a bad ID token")
			}
		})
	}
}

// An address the provider does not vouch for never finds or makes an
// account: the victim's account is not taken by registering their address
// unverified at a provider.
func TestProviderUnverifiedEmail(t *testing.T) {
	w := newProviderWorld(t)
	w.app.createUser(t, "Victim", "victim@example.com", strongPassword)
	w.oidc.QueueUser(&oidcUser{sub: "x", email: "victim@example.com", verified: false})
	c := w.app.client()
	c.assertAuthError(c.signInWith("oidc"), codeNotLinked, http.StatusForbidden)
	// GitHub: only the verified primary address counts.
	w.github.approveAs(&githubUser{ID: 5, Login: "m", Emails: []githubEmail{
		{Email: "new@example.com", Primary: true, Verified: false}, {Email: "victim2@example.com", Verified: true}}})
	c = w.app.client()
	c.assertAuthError(c.signInWith("github"), codeNotLinked, http.StatusForbidden)
	// Nor does an unverified address make an account, or take over one
	// registered but never confirmed.
	w.app.createUnconfirmedUser(t, "Pending", "pending@example.com", strongPassword)
	for _, email := range []string{"fresh@example.com", "pending@example.com"} {
		w.oidc.QueueUser(&oidcUser{sub: email, email: email, verified: false})
		c = w.app.client()
		c.assertAuthError(c.signInWith("oidc"), codeNotLinked, http.StatusForbidden)
	}
	pending, _ := w.app.acc.FindUser(context.Background(), "pending@example.com")
	if pending.Verified() || !pending.HasPassword() || pending.Name != "Pending" {
		t.Fatalf("an unverified address took over an account: %+v", pending)
	}
	if n := w.app.countUsers(t, ""); n != 2 {
		t.Fatalf("%d users", n)
	}
	if n := w.app.count(t, "identities", ""); n != 0 {
		t.Fatalf("%d identities", n)
	}
}

// Pre-account takeover fails: an attacker who registered the victim's
// address (never confirmed) loses the account to the victim's provider
// sign-in: their password and name are gone, their confirmation link is
// dead, and the victim is signed in to a confirmed account.
func TestProviderTakesOverUnconfirmedAccount(t *testing.T) {
	w := newProviderWorld(t)
	attacker := w.app.client()
	attacker.signupUnconfirmed("Mallory", "victim@example.com", strongPassword)
	link := w.app.lastLink("victim@example.com", "/verify-email")

	w.oidc.QueueUser(&oidcUser{sub: "victim-sub", email: "victim@example.com", verified: true, name: "Victoria"})
	victim := w.app.client()
	assertLocation(t, victim.signInWith("oidc"), "/dashboard")

	u, err := w.app.acc.FindUser(context.Background(), "victim@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Victoria" || u.HasPassword() || !u.Verified() {
		t.Fatalf("after takeover: name %q, password %v, verified %v", u.Name, u.HasPassword(), u.Verified())
	}
	if n := w.app.countUsers(t, ""); n != 1 {
		t.Fatalf("%d users", n)
	}
	res := attacker.login("victim@example.com", strongPassword)
	assertStatus(t, res, http.StatusUnprocessableEntity)
	res = attacker.postForm("/verify-email", url.Values{"token": {tokenOf(t, link)}})
	assertLocation(t, res, failedLink)
}

// A victim's confirmed account is never merged silently with an identity
// that merely reports the same verified address: OAuthAccountNotLinked,
// and nothing about the account changes.
func TestProviderNeverMergesIntoConfirmedAccount(t *testing.T) {
	w := newProviderWorld(t)
	owner := w.app.client()
	owner.signup("Victim", "victim@example.com", strongPassword)
	before, _ := w.app.acc.FindUser(context.Background(), "victim@example.com")
	sessions := w.app.count(t, "user_sessions", "")

	w.github.approveAs(&githubUser{ID: 666, Login: "mallory", Emails: []githubEmail{{Email: "VICTIM@example.com", Primary: true, Verified: true}}})
	c := w.app.client()
	c.assertAuthError(c.signInWith("github"), codeNotLinked, http.StatusForbidden)
	page := c.get("/auth/error?error=" + codeNotLinked)
	assertContains(t, page, "connect the provider from your settings")
	assertStatus(t, c.get("/dashboard"), http.StatusSeeOther)

	after, _ := w.app.acc.FindUser(context.Background(), "victim@example.com")
	if after != before {
		t.Fatalf("account changed: %+v → %+v", before, after)
	}
	if n := w.app.count(t, "identities", ""); n != 0 {
		t.Fatalf("%d identities", n)
	}
	if n := w.app.count(t, "user_sessions", ""); n != sessions {
		t.Fatal("a session was made")
	}
}

// A disabled account is refused at a provider sign-in too.
func TestProviderDisabledAccount(t *testing.T) {
	w := newProviderWorld(t)
	w.github.approveAs(&githubUser{ID: 3, Login: "d", Emails: []githubEmail{{Email: "d@example.com", Primary: true, Verified: true}}})
	assertLocation(t, w.app.client().signInWith("github"), "/dashboard")
	u, _ := w.app.acc.FindUser(context.Background(), "d@example.com")
	if err := w.app.acc.SetDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	c := w.app.client()
	c.assertAuthError(c.signInWith("github"), codeDenied, http.StatusForbidden)
	assertStatus(t, c.get("/dashboard"), http.StatusSeeOther)
}

// What the provider says goes wrong ends on the right page, never a 5xx,
// and leaves nothing half made; the provider's words and the code are not
// logged or shown.
func TestProviderFailures(t *testing.T) {
	w := newProviderWorld(t, func(c *testConfig) { c.providerClient = &http.Client{Timeout: 300 * time.Millisecond} })
	w.github.approveAs(&githubUser{ID: 11, Login: "f", Emails: []githubEmail{{Email: "f@example.com", Primary: true, Verified: true}}})

	// Declined at the provider.
	w.github.mu.Lock()
	w.github.deny = true
	w.github.mu.Unlock()
	c := w.app.client()
	res := c.signInWith("github")
	c.assertAuthError(res, codeDenied, http.StatusForbidden)
	assertNotContains(t, c.get("/auth/error?error="+codeDenied), "denied your application")

	for _, failure := range []string{"500", "json", "hang"} {
		t.Run("GitHub API "+failure, func(t *testing.T) {
			w.github.mu.Lock()
			w.github.apiFailure = failure
			w.github.mu.Unlock()
			c := w.app.client()
			c.t = t
			start := time.Now()
			c.assertAuthError(c.signInWith("github"), codeCallback, http.StatusBadRequest)
			if took := time.Since(start); took > 3*time.Second {
				t.Fatalf("a hanging provider held the page %v", took)
			}
		})
	}
	w.github.mu.Lock()
	w.github.apiFailure = ""
	w.github.mu.Unlock()

	// Codes the provider refuses, or that we refuse to send.
	for name, code := range map[string]string{
		"unknown": "no-such-code", "huge": strings.Repeat("A", 4096), "malformed": "\x00\xff%zz<script>", "empty": "",
	} {
		t.Run("code "+name, func(t *testing.T) {
			c := w.app.client()
			c.t = t
			u := c.startAt("/login/oauth/github", url.Values{})
			q := url.Values{"code": {code}, "state": {u.Query().Get("state")}}
			c.assertAuthError(c.get("/login/oauth/github/callback?"+q.Encode()), codeCallback, http.StatusBadRequest)
		})
	}
	if n := w.app.countUsers(t, ""); n != 0 {
		t.Fatalf("%d users after failures", n)
	}
	if n := w.app.count(t, "identities", ""); n != 0 {
		t.Fatalf("%d identities after failures", n)
	}
	logs := w.app.logs.String()
	for _, secret := range []string{"no-such-code", "gho_", "AAAAAAAA"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the log holds %q", secret)
		}
	}
	if !strings.Contains(logs, "identity provider answered an error") {
		t.Fatal("the provider's error was not logged")
	}
}

// Unknown provider names are 404, on every route that names one.
func TestProviderUnknown(t *testing.T) {
	w := newProviderWorld(t)
	c := w.app.client()
	assertStatus(t, c.postForm("/login/oauth/gitlab", url.Values{}), http.StatusNotFound)
	assertStatus(t, c.get("/login/oauth/gitlab/callback?code=x&state=y"), http.StatusNotFound)
	c.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, c.postForm("/settings/connections/gitlab", url.Values{}), http.StatusNotFound)
	assertStatus(t, c.postForm("/settings/connections/gitlab/delete", url.Values{}), http.StatusNotFound)
	// And a start without the CSRF token is the 403 page, as everywhere.
	assertStatus(t, c.postRaw("/login/oauth/github", ""), http.StatusForbidden)
}

// Connecting from /settings/connections: inside the sudo window, through
// the same callback, with a notice; disconnecting is always allowed and
// tells the owner too.
func TestProviderConnectAndDisconnect(t *testing.T) {
	w := newProviderWorld(t)
	c := w.app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	res := c.get("/settings")
	assertContains(t, res, `href="/settings/connections"`)
	res = c.get("/settings/connections")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "No account is connected yet")

	w.github.approveAs(&githubUser{ID: 77, Login: "ada-gh", Emails: []githubEmail{{Email: "ada@users.example", Primary: true, Verified: true}}})
	res = c.get(approve(t, c.startAt("/settings/connections/github", url.Values{})))
	assertLocation(t, res, "/settings/connections")
	res = c.get("/settings/connections")
	assertContains(t, res, "GitHub is now connected")
	assertContains(t, res, "ada@users.example")
	assertContains(t, res, "Active now")
	assertContains(t, res, `action="/settings/connections/github/delete"`)
	w.app.assertMailSubject(t, "ada@example.com", "GitHub was connected")

	// Now it signs in to this account, from another browser.
	assertLocation(t, w.app.client().signInWith("github"), "/dashboard")
	if n := w.app.countUsers(t, ""); n != 1 {
		t.Fatalf("%d users", n)
	}

	res = c.postForm("/settings/connections/github/delete", url.Values{})
	assertLocation(t, res, "/settings/connections")
	assertContains(t, c.get("/settings/connections"), "GitHub is disconnected")
	if n := w.app.count(t, "identities", ""); n != 0 {
		t.Fatalf("%d identities after disconnecting", n)
	}
	w.app.assertMailSubject(t, "ada@example.com", "GitHub was disconnected")
}

// Outside the sudo window connecting needs the password (or, for an
// account without one, a fresh sign-in).
func TestProviderConnectNeedsRecentSignIn(t *testing.T) {
	w := newProviderWorld(t)
	c := w.app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	w.app.clock.Advance(11 * time.Minute)
	res := c.postForm("/settings/connections/github", url.Values{})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertContains(t, res, "Enter your current password.")
	res = c.postForm("/settings/connections/github", url.Values{"current_password": {"not my password at all"}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertContains(t, res, "That isn't your current password")
	res = c.postForm("/settings/connections/github", url.Values{"current_password": {strongPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	if !strings.HasPrefix(res.Header.Get("Location"), w.github.URL) {
		t.Fatalf("Location %q", res.Header.Get("Location"))
	}

	// No password to give: sign in again first.
	w.github.approveAs(&githubUser{ID: 8, Login: "p", Emails: []githubEmail{{Email: "p@example.com", Primary: true, Verified: true}}})
	p := w.app.client()
	assertLocation(t, p.signInWith("github"), "/dashboard")
	w.app.clock.Advance(11 * time.Minute)
	res = p.postForm("/settings/connections/oidc", url.Values{})
	assertLocation(t, res, "/login?next=/settings/connections")
}

// An identity connected to one account cannot be connected to another:
// refused with a message, nothing changes. A connect flow finished after
// signing out (or as someone else) connects nothing.
func TestProviderConnectIdentityOfAnotherAccount(t *testing.T) {
	w := newProviderWorld(t)
	gh := &githubUser{ID: 100, Login: "owner", Emails: []githubEmail{{Email: "owner@example.com", Primary: true, Verified: true}}}
	w.github.approveAs(gh)
	assertLocation(t, w.app.client().signInWith("github"), "/dashboard")
	owner, _ := w.app.acc.FindUser(context.Background(), "owner@example.com")

	c := w.app.client()
	c.signup("Eve", "eve@example.com", strongPassword)
	res := c.get(approve(t, c.startAt("/settings/connections/github", url.Values{})))
	assertLocation(t, res, "/settings/connections")
	assertContains(t, c.get("/settings/connections"), "already connected to another account")
	if n := w.app.count(t, "identities", "subject = '100' AND user_id = ?", owner.ID); n != 1 {
		t.Fatal("the identity moved")
	}
	if n := w.app.count(t, "identities", ""); n != 1 {
		t.Fatalf("%d identities", n)
	}

	// Started as Eve, finished signed in as someone else in the same
	// browser, or signed out: nothing connected.
	w.app.createUser(t, "Frank", "frank@example.com", strongPassword)
	w.github.approveAs(&githubUser{ID: 101, Login: "eve", Emails: []githubEmail{{Email: "eve@users.example", Primary: true, Verified: true}}})
	callback := approve(t, c.startAt("/settings/connections/github", url.Values{}))
	assertStatus(t, c.login("frank@example.com", strongPassword), http.StatusSeeOther)
	c.assertAuthError(c.get(callback), codeCallback, http.StatusBadRequest)
	callback = approve(t, c.startAt("/settings/connections/github", url.Values{}))
	assertStatus(t, c.postForm("/logout", url.Values{}), http.StatusSeeOther)
	c.assertAuthError(c.get(callback), codeCallback, http.StatusBadRequest)
	if n := w.app.count(t, "identities", "subject = '101'"); n != 0 {
		t.Fatal("connected to an account that did not start the flow")
	}
}

// assertMailSubject checks a message to to whose subject holds want was
// queued.
func (a *testApp) assertMailSubject(t testing.TB, to, want string) {
	t.Helper()
	msgs, err := a.db.RecentMail(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.To == to && strings.Contains(m.Subject, want) {
			return
		}
	}
	t.Fatalf("no mail to %s about %q", to, want)
}
