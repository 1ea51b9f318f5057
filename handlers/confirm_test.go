package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Attacks on confirm-before-use: an account is usable only once its
// address is confirmed, and whoever registered an address before its owner
// keeps nothing once the owner proves the inbox.

// Signup signs nobody in: no session record, and the dashboard still sends
// the browser to sign in.
func TestSignupSignsNobodyIn(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signupUnconfirmed("Ada", "ada@example.com", strongPassword)
	c.signedOut()
	if n := app.rows()["user_sessions"]; n != 0 {
		t.Fatalf("%d session records after signup, want 0", n)
	}
	if app.user("ada@example.com").Verified() {
		t.Fatal("the address is confirmed before its link was used")
	}
}

// A right password for an unconfirmed account is 422 with the message, and
// sends a new link; a wrong one is the usual mismatch and sends nothing, so
// only someone who knows the password learns the account is unconfirmed.
func TestUnconfirmedAccountCannotSignIn(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	c.signupUnconfirmed("Ada", "ada@example.com", strongPassword)
	in.flush()
	before := len(in.read("ada@example.com"))

	res := c.login("ada@example.com", "not the password at all")
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertContains(t, res, "That email and password don't match")
	in.flush()
	if got := len(in.read("ada@example.com")); got != before {
		t.Fatalf("a wrong password sent mail (%d → %d)", before, got)
	}

	res = c.login("ada@example.com", strongPassword)
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertContains(t, res, "Confirm your email address first: we've sent you a new link")
	c.signedOut()
	in.flush()
	if got := len(in.read("ada@example.com")); got != before+1 {
		t.Fatalf("%d new messages after the right password, want one new link", got-before)
	}
}

// Pre-registration takeover, closed: a stranger signs up carol@ with a
// password of their own; Carol later signs in by emailed link. The link
// makes the account hers: confirmed, named by her, the stranger's password
// gone, every session the stranger held ended, and links sent before dead.
func TestPreRegistrationTakeoverByLink(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	const squatterPassword = "quartz nebula picnic 2024"
	squatter := app.client()
	squatter.signupUnconfirmed("Support Team", "carol@example.com", squatterPassword)
	oldConfirm := in.link(in.last("carol@example.com", "Confirm your email address"), "/verify-email")
	if m := in.last("carol@example.com", "Confirm your email address"); strings.Contains(m.Text, "Support Team") || strings.Contains(m.HTML, "Support Team") {
		t.Fatal("the confirmation carries the name the registrant chose")
	}
	// A session the squatter holds from before confirmation was required.
	u := app.user("carol@example.com")
	if _, err := app.acc.RecordSession(context.Background(), u.ID, "squatter", "203.0.113.9"); err != nil {
		t.Fatal(err)
	}

	carol := app.client()
	assertStatus(t, carol.postForm("/login/email", url.Values{"email": {"carol@example.com"}}), http.StatusSeeOther)
	m := in.last("carol@example.com", "Your Latchkey sign-in link")
	if strings.Contains(m.Text, "Support Team") {
		t.Fatal("the sign-in link greets the registrant's chosen name")
	}
	link := in.link(m, "/login/email/confirm")
	res := carol.get(link)
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "carol@example.com")
	assertContains(t, res, `name="name"`)
	assertNotContains(t, res, "Support Team")

	res = carol.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, link)}, "name": {"Carol"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
	assertContains(t, carol.get("/dashboard"), "Hello, Carol")

	got := app.user("carol@example.com")
	if got.ID != u.ID || !got.Verified() || got.HasPassword() || got.Name != "Carol" {
		t.Fatalf("after the takeover: id %d (was %d), verified %v, has password %v, name %q",
			got.ID, u.ID, got.Verified(), got.HasPassword(), got.Name)
	}
	if n := len(app.sessionsOf(u.ID)); n != 1 {
		t.Fatalf("%d sessions, want Carol's alone", n)
	}
	res = squatter.login("carol@example.com", squatterPassword)
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertContains(t, res, "That email and password don't match")
	squatter.signedOut()
	res = squatter.postForm("/verify-email", url.Values{"token": {tokenOf(t, oldConfirm)}, "password": {squatterPassword}})
	assertLocation(t, res, failedLink)
}

// The same takeover through a password reset: the reset confirms the
// account, sets the owner's password in place of the stranger's, and
// replaces the name the stranger chose.
func TestPreRegistrationTakeoverByReset(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	const squatterPassword = "quartz nebula picnic 2024"
	app.client().signupUnconfirmed("Support Team", "carol@example.com", squatterPassword)

	carol := app.client()
	assertStatus(t, carol.postForm("/forgot-password", url.Values{"email": {"carol@example.com"}}), http.StatusSeeOther)
	link := in.link(in.last("carol@example.com", "Reset your Latchkey password"), "/reset-password")
	const carolPassword = "violet marmalade skyline 42"
	res := carol.postForm("/reset-password", url.Values{"token": {tokenOf(t, link)}, "password": {carolPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
	carol.signedIn()

	u := app.user("carol@example.com")
	if !u.Verified() || u.Name == "Support Team" {
		t.Fatalf("after the reset: verified %v, name %q", u.Verified(), u.Name)
	}
	assertStatus(t, app.client().login("carol@example.com", squatterPassword), http.StatusUnprocessableEntity)
	assertStatus(t, app.client().login("carol@example.com", carolPassword), http.StatusSeeOther)
}

// The confirmation link opened in another browser than the one that signed
// up asks for the password chosen at signup: none or a wrong one is 422 and
// the link stays usable; the right one confirms and signs in.
func TestConfirmFromAnotherBrowserNeedsThePassword(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	app.client().signupUnconfirmed("Ada", "ada@example.com", strongPassword)
	link := in.link(in.last("ada@example.com", "Confirm your email address"), "/verify-email")
	token := tokenOf(t, link)

	other := app.client()
	res := other.get(link)
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, `name="password"`)
	assertContains(t, res, "ada@example.com")

	for _, pw := range []string{"", "not the password at all"} {
		res = other.postForm("/verify-email", url.Values{"token": {token}, "password": {pw}})
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertContains(t, res, `name="token" value="`+token+`"`)
		if fieldError(res.body, "password") == "" {
			t.Fatalf("password %q: no message on the password field\n%s", pw, excerpt(res.body))
		}
		other.signedOut()
	}
	if app.user("ada@example.com").Verified() {
		t.Fatal("confirmed without the password")
	}
	assertStatus(t, other.get(link), http.StatusOK)

	other.confirmSignup(link, strongPassword)
	other.signedIn()
	if !app.user("ada@example.com").Verified() {
		t.Fatal("not confirmed")
	}
}

// Wrong passwords at the confirmation page count like wrong passwords at
// /login: past the (IP, email) burst the answer is 429 and costs no hash.
func TestConfirmPasswordGuessesAreLimited(t *testing.T) {
	app := newTestApp(t, withPasswordLimit(3, time.Hour))
	in := app.smtpInbox()
	app.client().signupUnconfirmed("Ada", "ada@example.com", strongPassword)
	token := tokenOf(t, in.link(in.last("ada@example.com", "Confirm your email address"), "/verify-email"))

	other := app.client()
	for i := range 3 {
		res := other.postForm("/verify-email", url.Values{"token": {token}, "password": {"guess number " + itoa(int64(i))}})
		assertStatus(t, res, http.StatusUnprocessableEntity)
	}
	hashes := app.hashes()
	res := other.postForm("/verify-email", url.Values{"token": {token}, "password": {strongPassword}})
	assertTooMany(t, res)
	if app.hashes() != hashes {
		t.Fatal("a refused attempt spent a hash")
	}
	// The same bucket as /login: the fourth guess there is refused too.
	assertTooMany(t, other.login("ada@example.com", "guess number 4"))
}

// A valid signup answers the same for a new and a taken address: status,
// Location, the cookies it sets, and the page after it. Two apps, the same
// request, one where the address is taken.
func TestSignupAnswersAlikeForNewAndTakenAddresses(t *testing.T) {
	taken := newTestApp(t)
	taken.client().signup("Ada", "ada@example.com", strongPassword)
	unconfirmed := newTestApp(t)
	unconfirmed.client().signupUnconfirmed("Ada", "ada@example.com", strongPassword)
	fresh := newTestApp(t)

	type answer struct{ status, location, cookies, page string }
	try := func(app *testApp) answer {
		c := app.client()
		res := c.postForm("/signup", url.Values{"name": {"Someone"}, "email": {"Ada@example.com"}, "password": {"tangerine lighthouse ferry"}})
		var cookies []string
		for _, line := range res.Header.Values("Set-Cookie") {
			name, rest, _ := strings.Cut(line, "=")
			_, attrs, _ := strings.Cut(rest, ";")
			// The expiry is a clock reading, a second apart between runs.
			attrs = expiresValue.ReplaceAllString(attrs, "Expires=…")
			cookies = append(cookies, name+";"+attrs)
		}
		page := c.get("/verify-request")
		return answer{itoa(int64(res.StatusCode)), res.Header.Get("Location"), strings.Join(cookies, "\n"), withoutCSRF(page.body)}
	}
	want := try(fresh)
	if want.status != "303" || want.location != "/verify-request" {
		t.Fatalf("new address: %s to %s", want.status, want.location)
	}
	for name, app := range map[string]*testApp{"confirmed": taken, "unconfirmed": unconfirmed} {
		if got := try(app); got != want {
			t.Errorf("%s address answers differently:\nnew:   %+v\ntaken: %+v", name, want, got)
		}
	}
}

// A duplicate signup of an address whose account is unconfirmed mails the
// address the ways in (sign in, reset), like one of a confirmed account,
// without the name the first registrant chose.
func TestDuplicateSignupOfUnconfirmedAddress(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	app.client().signupUnconfirmed("Support Team", "carol@example.com", "quartz nebula picnic 2024")
	in.flush()
	res := app.client().postForm("/signup", url.Values{"name": {"Carol"}, "email": {"carol@example.com"}, "password": {strongPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/verify-request")
	m := in.last("carol@example.com", "Someone tried to sign up with your address")
	for _, want := range []string{"/login", "/forgot-password"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the message lacks %s", want)
		}
	}
	if strings.Contains(m.Text, "Support Team") || strings.Contains(m.HTML, "Support Team") {
		t.Error("the message carries the name the first registrant chose")
	}
	if n := app.userCount(); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
}

// Sign-in and sign-up are one step: a sign-in link for an address without
// an account makes one when followed (confirmed, no password, the name
// typed on the link's page), and only then.
func TestSignUpByLink(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"nina@example.com"}}), http.StatusSeeOther)
	link := in.link(in.last("nina@example.com", "Your Latchkey sign-in link"), "/login/email/confirm")

	for range 2 { // a mail scanner, then Nina
		res := c.get(link)
		assertStatus(t, res, http.StatusOK)
		assertContains(t, res, "nina@example.com")
		assertContains(t, res, `name="name"`)
	}
	if n := app.userCount(); n != 0 {
		t.Fatalf("%d users before the button was pressed", n)
	}
	res := c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, link)}, "name": {"Nina"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
	assertContains(t, c.get("/dashboard"), "Hello, Nina")
	u := app.user("nina@example.com")
	if !u.Verified() || u.HasPassword() {
		t.Fatalf("verified %v, has password %v; want a confirmed account without a password", u.Verified(), u.HasPassword())
	}
	// No password signs in to it, and the link worked once.
	assertStatus(t, app.client().login("nina@example.com", strongPassword), http.StatusUnprocessableEntity)
	assertLocation(t, app.client().postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, link)}}), failedLink)

	// A link to an address that has a confirmed account asks no name and
	// names the account it signs in as.
	assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"nina@example.com"}}), http.StatusSeeOther)
	res = c.get(in.link(in.last("nina@example.com", "Your Latchkey sign-in link"), "/login/email/confirm"))
	assertContains(t, res, "sign in as <strong>nina@example.com</strong>")
	assertNotContains(t, res, `name="name"`)
}

// A link for a new address followed without a name names the account after
// the address's local part; only the newest of several links works.
func TestSignUpByLinkWithoutAName(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"nina@example.com"}}), http.StatusSeeOther)
	first := in.link(in.last("nina@example.com", "Your Latchkey sign-in link"), "/login/email/confirm")
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"nina@example.com"}}), http.StatusSeeOther)
	msgs := in.read("nina@example.com")
	second := in.link(msgs[len(msgs)-1], "/login/email/confirm")
	assertLocation(t, c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, first)}}), failedLink)
	assertLocation(t, c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, second)}}), "/dashboard")
	if got := app.user("nina@example.com").Name; got != "nina" {
		t.Fatalf("name %q, want the local part", got)
	}
}

// Accounts never confirmed are deleted UNVERIFIED_ACCOUNT_TTL after signup,
// so the address is free again; confirmed ones stay.
func TestUnconfirmedAccountsExpire(t *testing.T) {
	app := newTestApp(t)
	app.client().signupUnconfirmed("Squatter", "carol@example.com", strongPassword)
	app.client().signup("Ada", "ada@example.com", strongPassword)
	ctx := context.Background()

	app.clock.Advance(168*time.Hour - time.Second)
	if n, err := app.acc.DeleteUnconfirmedAccounts(ctx); err != nil || n != 0 {
		t.Fatalf("before the TTL: deleted %d, err %v", n, err)
	}
	app.clock.Advance(2 * time.Second)
	if n, err := app.acc.DeleteUnconfirmedAccounts(ctx); err != nil || n != 1 {
		t.Fatalf("after the TTL: deleted %d, want 1 (err %v)", n, err)
	}
	if n := app.countUsers(t, "email = 'carol@example.com'"); n != 0 {
		t.Fatal("the unconfirmed account is still there")
	}
	app.client().signed("Ada")
	// The address is free: its owner signs up and confirms.
	app.client().signup("Carol", "carol@example.com", strongPassword)
}

var expiresValue = regexp.MustCompile(`Expires=[^;]*`)

// signed signs in with the strong password and expects the dashboard.
func (c *client) signed(name string) {
	c.t.Helper()
	res := c.login(strings.ToLower(name)+"@example.com", strongPassword)
	assertStatus(c.t, res, http.StatusSeeOther)
	assertContains(c.t, c.get("/dashboard"), "Hello, "+name)
}

// The name typed on a sign-up link's page follows the rules of every name
// form: control characters and bidirectional overrides are 422, nothing is
// created, and the link still works.
func TestSignUpByLinkRefusesBadNames(t *testing.T) {
	app := newTestApp(t)
	in := app.smtpInbox()
	c := app.client()
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"nina@example.com"}}), http.StatusSeeOther)
	token := tokenOf(t, in.link(in.last("nina@example.com", "Your Latchkey sign-in link"), "/login/email/confirm"))
	for _, name := range []string{"there,\r\n\r\nYour account is locked. Restore it at https://evil.example/", "Nina\u202egnp.exe", "Ni\x00na"} {
		res := c.postForm("/login/email/confirm", url.Values{"token": {token}, "name": {name}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("name %q: status %d, want 422", name, res.StatusCode)
		}
		if n := app.userCount(); n != 0 {
			t.Fatalf("name %q: %d accounts made", name, n)
		}
	}
	assertLocation(t, c.postForm("/login/email/confirm", url.Values{"token": {token}, "name": {"Nina"}}), "/dashboard")
}
