package handlers

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"latchkey/accounts"
	"latchkey/db"
)

const (
	uaChromeMac  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	uaFirefoxLin = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
)

// browser is a client that sends a User-Agent, as a real browser does.
func (a *testApp) browser(ua string) *client {
	c := a.client()
	c.header.Set("User-Agent", ua)
	return c
}

// signedIn asserts that the client's session still works.
func (c *client) signedIn() {
	c.t.Helper()
	res := c.get("/dashboard")
	assertStatus(c.t, res, http.StatusOK)
}

// signedOut asserts that the client's session has ended.
func (c *client) signedOut() {
	c.t.Helper()
	res := c.get("/dashboard")
	assertStatus(c.t, res, http.StatusSeeOther)
	assertLocation(c.t, res, "/login?next=/dashboard")
}

// followFlash loads the page a 303 points to and checks its flash message.
func (c *client) followFlash(res *response, want string) *response {
	c.t.Helper()
	assertStatus(c.t, res, http.StatusSeeOther)
	page := c.get(res.Header.Get("Location"))
	assertSays(c.t, page, want)
	return page
}

// assertSays checks that a page shows text (as the HTML escapes it).
func assertSays(t testing.TB, res *response, text string) {
	t.Helper()
	assertContains(t, res, shown(text))
}

func (a *testApp) user(email string) db.User {
	a.t.Helper()
	u, err := a.db.UserByEmail(context.Background(), email)
	if err != nil {
		a.t.Fatalf("user %s: %v", email, err)
	}
	return u
}

func (a *testApp) sessionsOf(userID int64) []db.UserSession {
	a.t.Helper()
	s, err := a.db.ListUserSessions(context.Background(), userID)
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

// mails returns the messages queued for an address whose subject contains
// subject, newest first.
func (a *testApp) mails(to, subject string) []db.Mail {
	a.t.Helper()
	all, err := a.db.RecentMail(context.Background(), 500)
	if err != nil {
		a.t.Fatal(err)
	}
	var out []db.Mail
	for _, m := range all {
		if strings.EqualFold(m.To, to) && strings.Contains(m.Subject, subject) {
			out = append(out, m)
		}
	}
	return out
}

// notice asserts one notice with this subject went to an address, naming
// the device in plain words, and returns its text.
func (a *testApp) notice(to, subject, device string) string {
	a.t.Helper()
	ms := a.mails(to, subject)
	if len(ms) == 0 {
		a.t.Fatalf("no notice %q to %s", subject, to)
	}
	text := ms[0].Text
	for _, want := range []string{"Device: " + device, "IP address: 127.0.0.1", "When: ", "If this wasn't you"} {
		if !strings.Contains(text, want) {
			a.t.Fatalf("notice %q to %s lacks %q:\n%s", subject, to, want, text)
		}
	}
	return text
}

// linkOnlyUser makes an account without a password, as an operator would,
// and signs a browser in with its link.
func (a *testApp) linkOnlyUser(name, email, ua string) *client {
	a.t.Helper()
	_, link, err := a.acc.CreateUserWithLink(context.Background(), name, email)
	if err != nil {
		a.t.Fatal(err)
	}
	u, _ := url.Parse(link)
	c := a.browser(ua)
	res := c.postForm("/login/email/confirm", url.Values{"token": {u.Query().Get("token")}})
	assertStatus(a.t, res, http.StatusSeeOther)
	assertLocation(a.t, res, "/dashboard")
	return c
}

func TestSettingsNeedsSignIn(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	res := c.get("/settings")
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login?next=/settings")
	res = c.postForm("/settings/name", url.Values{"name": {"Eve"}})
	assertStatus(t, res, http.StatusSeeOther)
	if !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
		t.Fatalf("POST signed out: Location %q", res.Header.Get("Location"))
	}
}

func TestSettingsPageListsSessions(t *testing.T) {
	app := newTestApp(t)
	mac := app.browser(uaChromeMac)
	mac.signup("Ada Lovelace", "ada@example.com", strongPassword)
	linux := app.browser(uaFirefoxLin)
	assertStatus(t, linux.login("ada@example.com", strongPassword), http.StatusSeeOther)

	res := mac.get("/settings")
	assertStatus(t, res, http.StatusOK)
	for _, want := range []string{"Account settings", `value="Ada Lovelace"`, "ada@example.com", "Chrome on macOS", "Firefox on Linux",
		"This device", "127.0.0.1", "Active now", "Sign out all other sessions", `action="/settings/delete"`, `name="confirm"`} {
		assertContains(t, res, want)
	}
	// The other session has a button carrying its opaque id; this one has none.
	var mine, other string
	for _, s := range app.sessionsOf(app.user("ada@example.com").ID) {
		if s.UserAgent == uaChromeMac {
			mine = s.ID
		} else {
			other = s.ID
		}
	}
	assertContains(t, res, `name="session" value="`+other+`"`)
	assertNotContains(t, res, `name="session" value="`+mine+`"`)

	app.clock.Advance(3 * time.Hour)
	res = mac.get("/settings")
	assertContains(t, res, "3 hours ago")
	assertContains(t, res, "Current password")
	assertNotContains(t, res, "optional for now")
}

func TestSettingsCSRF(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	for _, path := range []string{"/settings/name", "/settings/email", "/settings/email/confirm", "/settings/password",
		"/settings/sessions/revoke", "/settings/delete"} {
		res := c.postRaw(path, "name=Eve&email=eve%40example.com&session=all&confirm=yes")
		assertStatus(t, res, http.StatusForbidden)
		res = c.postRaw(path, "_csrf=forged&session=all&confirm=yes")
		assertStatus(t, res, http.StatusForbidden)
	}
	if got := app.user("ada@example.com"); got.Name != "Ada" {
		t.Fatalf("a forged POST changed the name to %q", got.Name)
	}
	c.signedIn()
}

func TestSettingsChangeName(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)

	for _, tc := range []struct{ name, msg string }{
		{"", "Enter your name."},
		{"   ", "Enter your name."},
		{strings.Repeat("x", 101), "must be a maximum of 100 characters"},
		{"bad\x00name", "characters we can't accept"},
	} {
		res := c.postForm("/settings/name", url.Values{"name": {tc.name}})
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertSays(t, res, tc.msg)
		assertContains(t, res, `aria-invalid="true"`)
	}
	res := c.postForm("/settings/name", url.Values{"name": {"  Ada King  "}})
	assertLocation(t, res, "/settings")
	page := c.followFlash(res, "Your name has been saved.")
	assertContains(t, page, `value="Ada King"`)
	if got := app.user("ada@example.com").Name; got != "Ada King" {
		t.Fatalf("name %q", got)
	}
}

func TestSettingsChangePassword(t *testing.T) {
	app := newTestApp(t)
	a := app.browser(uaChromeMac)
	a.signup("Ada", "ada@example.com", strongPassword)
	b := app.browser(uaFirefoxLin)
	assertStatus(t, b.login("ada@example.com", strongPassword), http.StatusSeeOther)
	app.clock.Advance(11 * time.Minute) // past the sudo window: the password is needed

	const newPassword = "purple elephant juggles quietly"
	for _, tc := range []struct {
		form       url.Values
		field, msg string
	}{
		{url.Values{"current_password": {strongPassword}, "password": {""}}, "password", "Enter your new password."},
		{url.Values{"current_password": {strongPassword}, "password": {"short"}}, "password", "at least 8 characters"},
		{url.Values{"current_password": {""}, "password": {newPassword}}, "current_password", "Enter your current password."},
		{url.Values{"current_password": {"not my password"}, "password": {newPassword}}, "current_password", "That isn't your current password."},
		{url.Values{"current_password": {strongPassword}, "password": {"password123"}}, "password", "This is one of the most common passwords. Choose something less guessable."},
	} {
		res := a.postForm("/settings/password", tc.form)
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertSays(t, res, tc.msg)
		assertContains(t, res, `id="password-title"`)
	}
	b.signedIn() // nothing changed yet

	oldCookie := a.cookie("latchkey_session")
	res := a.postForm("/settings/password", url.Values{"current_password": {strongPassword}, "password": {newPassword}})
	assertLocation(t, res, "/settings")
	if a.cookie("latchkey_session") == oldCookie {
		t.Fatal("the session token was not renewed")
	}
	a.followFlash(res, "Your password has been changed")
	b.signedOut()
	if n := len(app.sessionsOf(app.user("ada@example.com").ID)); n != 1 {
		t.Fatalf("%d sessions after the change, want 1", n)
	}
	app.notice("ada@example.com", "Your password was changed", "Chrome on macOS")

	c := app.client()
	assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusUnprocessableEntity)
	assertStatus(t, c.login("ada@example.com", newPassword), http.StatusSeeOther)
}

func TestSettingsSudoWindow(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)

	// Just signed in: the password may be left out.
	page := c.get("/settings")
	assertContains(t, page, "optional for now")
	res := c.postForm("/settings/email", url.Values{"email": {"ada@new.example"}})
	assertStatus(t, res, http.StatusSeeOther)

	// Ten minutes later it may not.
	app.clock.Advance(10*time.Minute + time.Second)
	res = c.postForm("/settings/email", url.Values{"email": {"ada@newer.example"}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertSays(t, res, "Enter your current password.")
	assertContains(t, res, `value="ada@newer.example"`)
	// A wrong password is refused even inside the window.
	res = c.postForm("/settings/email", url.Values{"email": {"ada@newer.example"}, "current_password": {"wrong wrong wrong"}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	// The right one works, and counts as a fresh sign-in.
	res = c.postForm("/settings/email", url.Values{"email": {"ada@newer.example"}, "current_password": {strongPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	res = c.postForm("/settings/email", url.Values{"email": {"ada@newest.example"}})
	assertStatus(t, res, http.StatusSeeOther)
}

// An account without a password relies on a recent sign-in; when it is not
// recent, it signs in again by link and comes back to /settings.
func TestSettingsSudoWithoutPassword(t *testing.T) {
	app := newTestApp(t)
	c := app.linkOnlyUser("Grace", "grace@example.com", uaChromeMac)
	app.notice("grace@example.com", "New sign-in to your Latchkey account", "Chrome on macOS")

	page := c.get("/settings")
	assertContains(t, page, "Set a password")
	assertNotContains(t, page, `name="current_password"`)

	app.clock.Advance(11 * time.Minute)
	page = c.get("/settings")
	assertContains(t, page, "we'll ask you to sign in again")
	res := c.postForm("/settings/email", url.Values{"email": {"grace@new.example"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login?next=/settings")
	login := c.get("/login?next=/settings")
	assertSays(t, login, "please sign in again")
	assertContains(t, login, `name="next" value="/settings"`)
	if len(app.mails("grace@new.example", "")) != 0 {
		t.Fatal("a link went out without a recent sign-in")
	}

	res = c.postForm("/login/email", url.Values{"email": {"grace@example.com"}, "next": {"/settings"}})
	assertLocation(t, res, "/verify-request")
	link := app.lastLink("grace@example.com", "/login/email/confirm")
	res = c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	assertLocation(t, res, "/settings")

	res = c.postForm("/settings/password", url.Values{"password": {"purple elephant juggles quietly"}})
	assertLocation(t, res, "/settings")
	c.followFlash(res, "Your password has been changed")
	if !app.user("grace@example.com").HasPassword() {
		t.Fatal("no password was set")
	}
	app.notice("grace@example.com", "Your password was changed", "Chrome on macOS")
}

func TestSettingsRevokeSessions(t *testing.T) {
	app := newTestApp(t)
	a := app.browser(uaChromeMac)
	a.signup("Ada", "ada@example.com", strongPassword)
	b := app.browser(uaFirefoxLin)
	assertStatus(t, b.login("ada@example.com", strongPassword), http.StatusSeeOther)
	uid := app.user("ada@example.com").ID
	var bID string
	for _, s := range app.sessionsOf(uid) {
		if s.UserAgent == uaFirefoxLin {
			bID = s.ID
		}
	}

	res := a.postForm("/settings/sessions/revoke", url.Values{"session": {""}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	res = a.postForm("/settings/sessions/revoke", url.Values{"session": {strings.Repeat("f", 65)}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	b.signedIn()

	res = a.postForm("/settings/sessions/revoke", url.Values{"session": {bID}})
	assertLocation(t, res, "/settings")
	page := a.followFlash(res, "That session has been signed out.")
	assertNotContains(t, page, "Firefox on Linux")
	b.signedOut()
	a.signedIn()

	res = a.postForm("/settings/sessions/revoke", url.Values{"session": {bID}})
	a.followFlash(res, "That session had already ended.")

	c := app.client()
	assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusSeeOther)
	d := app.client()
	assertStatus(t, d.login("ada@example.com", strongPassword), http.StatusSeeOther)
	res = a.postForm("/settings/sessions/revoke", url.Values{"session": {"all"}})
	a.followFlash(res, "Signed out 2 other sessions.")
	c.signedOut()
	d.signedOut()
	a.signedIn()

	// Ending this device's own session is signing out.
	mine := app.sessionsOf(uid)[0].ID
	res = a.postForm("/settings/sessions/revoke", url.Values{"session": {mine}})
	assertLocation(t, res, "/login")
	a.signedOut()
}

func TestSettingsCannotRevokeAnotherUsersSession(t *testing.T) {
	app := newTestApp(t)
	a := app.client()
	a.signup("Ada", "ada@example.com", strongPassword)
	b := app.client()
	b.signup("Bob", "bob@example.com", strongPassword)
	bSessions := app.sessionsOf(app.user("bob@example.com").ID)
	if len(bSessions) != 1 {
		t.Fatalf("bob has %d sessions", len(bSessions))
	}

	res := a.postForm("/settings/sessions/revoke", url.Values{"session": {bSessions[0].ID}})
	a.followFlash(res, "That session had already ended.")
	b.signedIn()
	if n := len(app.sessionsOf(app.user("bob@example.com").ID)); n != 1 {
		t.Fatalf("bob has %d sessions after ada's attempt", n)
	}
	// "all" ends only Ada's own other sessions.
	res = a.postForm("/settings/sessions/revoke", url.Values{"session": {"all"}})
	a.followFlash(res, "You weren't signed in anywhere else.")
	b.signedIn()
	// Nor does Ada's settings page show Bob's session.
	assertNotContains(t, a.get("/settings"), bSessions[0].ID)
}

func TestSettingsDeleteAccount(t *testing.T) {
	app := newTestApp(t)
	a := app.browser(uaChromeMac)
	a.signup("Ada", "ada@example.com", strongPassword)
	b := app.client()
	assertStatus(t, b.login("ada@example.com", strongPassword), http.StatusSeeOther)
	// A live link, to check that tokens go with the account.
	assertStatus(t, app.client().postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	reset := app.lastLink("ada@example.com", "/reset-password")
	app.clock.Advance(11 * time.Minute)

	for _, tc := range []struct {
		form url.Values
		msg  string
	}{
		{url.Values{}, "Tick the box to confirm"},
		{url.Values{"current_password": {strongPassword}, "confirm": {"maybe"}}, "Tick the box to confirm"},
		{url.Values{"confirm": {"yes"}}, "Enter your current password."},
		{url.Values{"confirm": {"yes"}, "current_password": {"nope nope nope"}}, "That isn't your current password."},
	} {
		res := a.postForm("/settings/delete", tc.form)
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertSays(t, res, tc.msg)
	}
	b.signedIn()

	res := a.postForm("/settings/delete", url.Values{"confirm": {"yes"}, "current_password": {strongPassword}})
	assertLocation(t, res, "/")
	a.followFlash(res, "Your account has been deleted.")
	a.signedOut()
	b.signedOut()
	app.assertNoAccount(t, "ada@example.com")
	if err := app.acc.PeekResetLink(context.Background(), tokenOf(t, reset)); !errors.Is(err, accounts.ErrInvalidToken) {
		t.Fatalf("reset link survived the account: %v", err)
	}
	var n int
	if err := app.db.Read.QueryRow(`SELECT count(*) FROM user_sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d session records left (%v)", n, err)
	}
	text := app.notice("ada@example.com", "Your Latchkey account was deleted", "Chrome on macOS")
	if strings.Contains(text, "/settings") {
		t.Fatal("the deletion notice links to settings of an account that is gone")
	}
	assertStatus(t, app.client().login("ada@example.com", strongPassword), http.StatusUnprocessableEntity)
}

func TestSettingsEmailChange(t *testing.T) {
	app := newTestApp(t)
	a := app.browser(uaChromeMac)
	a.signup("Ada", "ada@example.com", strongPassword)

	for _, tc := range []struct{ email, msg string }{
		{"", "Enter your new email address."},
		{"not-an-address", "Enter an email address like name@example.com."},
		{"ADA@example.com", "That's already your email address."},
		{strings.Repeat("a", 250) + "@example.com", "must be a maximum of 254 characters"},
	} {
		res := a.postForm("/settings/email", url.Values{"email": {tc.email}})
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertSays(t, res, tc.msg)
	}

	res := a.postForm("/settings/email", url.Values{"email": {" Ada@New.example "}})
	a.followFlash(res, "We've sent a link to Ada@New.example.")
	link := app.lastLink("ada@new.example", "/settings/email/confirm")
	app.notice("ada@example.com", "A change of your email address was requested", "Chrome on macOS")
	// Nothing has changed yet.
	if got := app.user("ada@example.com").Email; got != "ada@example.com" {
		t.Fatalf("email changed before the link was used: %s", got)
	}
	assertContains(t, a.get("/settings"), "We've sent a link to <strong>Ada@New.example</strong>")

	// The request claims nothing: a second account's change request to the
	// same address gets its own link, and its owner the same notice.
	bob := app.client()
	bob.signup("Bob", "bob@example.com", strongPassword)
	res = bob.postForm("/settings/email", url.Values{"email": {"ada@new.example"}})
	bob.followFlash(res, "We've sent a link to ada@new.example.")
	bobLink := app.lastLink("ada@new.example", "/settings/email/confirm")
	if bobLink == link {
		t.Fatal("bob was sent ada's link")
	}
	app.notice("bob@example.com", "A change of your email address was requested", "a Go program")
	// Nor can Bob use Ada's link: it stays unused for her.
	res = bob.get(link)
	bob.followFlash(res, "That link can't be used")
	res = bob.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	bob.followFlash(res, "That link can't be used")
	if app.user("bob@example.com").Email != "bob@example.com" {
		t.Fatal("bob's address changed")
	}

	// The link lands on a page with a button; only the POST applies it.
	page := a.get(link)
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, "Ada@New.example")
	assertContains(t, page, `action="/settings/email/confirm"`)
	res = a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	assertLocation(t, res, "/settings")
	a.followFlash(res, "Your email address is now Ada@New.example.")
	u := app.user("ada@new.example")
	if !u.Verified() {
		t.Fatal("the new address is not verified")
	}
	app.notice("ada@example.com", "Your email address was changed", "Chrome on macOS")
	// The first to confirm has the address: Bob's link is refused now.
	res = bob.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, bobLink)}})
	bob.followFlash(res, "That address now belongs to another account")
	if app.user("bob@example.com").Email != "bob@example.com" {
		t.Fatal("bob's address changed")
	}

	// Once only.
	res = a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	a.followFlash(res, "That link can't be used")
	// The old address no longer signs in; the new one does.
	c := app.client()
	assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusUnprocessableEntity)
	// A sign-in link asked for the old address makes a new account of its
	// own when followed; it never reaches Ada's.
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	old := app.lastLink("ada@example.com", "/login/email/confirm")
	assertStatus(t, c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, old)}, "name": {"Someone"}}), http.StatusSeeOther)
	assertContains(t, c.get("/dashboard"), "Hello, Someone")
	if other := app.user("ada@example.com"); other.ID == u.ID {
		t.Fatal("the old address signed in to the moved account")
	}
	c = app.client()
	assertStatus(t, c.login("ada@new.example", strongPassword), http.StatusSeeOther)
	a.signedIn()
}

// A sign-in link sent to the old address before the change must not work
// after it.
func TestSettingsEmailChangeRetiresOldLinks(t *testing.T) {
	app := newTestApp(t)
	a := app.client()
	a.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, app.client().postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	old := app.lastLink("ada@example.com", "/login/email/confirm")
	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"ada@new.example"}}), http.StatusSeeOther)
	link := app.lastLink("ada@new.example", "/settings/email/confirm")
	assertStatus(t, a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}}), http.StatusSeeOther)

	res := app.client().postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, old)}})
	assertLocation(t, res, "/auth/error?error=Verification")
}

// The address got an account of its own between the request and the
// confirmation (an operator made one): the change fails, nothing moves.
func TestSettingsEmailChangeAddressTakenMeanwhile(t *testing.T) {
	app := newTestApp(t)
	a := app.client()
	a.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"ada@new.example"}}), http.StatusSeeOther)
	link := app.lastLink("ada@new.example", "/settings/email/confirm")
	if _, _, err := app.acc.CreateUserWithLink(context.Background(), "Other", "ADA@new.example"); err != nil {
		t.Fatal(err)
	}
	res := a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	a.followFlash(res, "That address now belongs to another account")
	if app.user("ada@example.com").Name != "Ada" {
		t.Fatal("ada's account moved")
	}
}

// The contract of POST /settings/delete (docs/ARCHITECTURE.md) is the
// field current_password alone: a typed password is confirmation enough.
func TestSettingsDeleteWithThePasswordAlone(t *testing.T) {
	app := newTestApp(t)
	a := app.browser(uaChromeMac)
	a.signup("Ada", "ada@example.com", strongPassword)
	app.clock.Advance(11 * time.Minute) // past the sudo window

	res := a.postForm("/settings/delete", url.Values{"current_password": {strongPassword}})
	assertLocation(t, res, "/")
	a.signedOut()
	app.assertNoAccount(t, "ada@example.com")
}

// Inside the sudo window no password is asked for, so one click on the
// button must not be enough: the box has to be ticked.
func TestSettingsDeleteInTheSudoWindowNeedsTheBox(t *testing.T) {
	app := newTestApp(t)
	a := app.browser(uaChromeMac)
	a.signup("Ada", "ada@example.com", strongPassword)

	res := a.postForm("/settings/delete", url.Values{})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertSays(t, res, "Tick the box to confirm")
	a.signedIn()

	res = a.postForm("/settings/delete", url.Values{"confirm": {"yes"}})
	assertLocation(t, res, "/")
	a.signedOut()
	app.assertNoAccount(t, "ada@example.com")
}

// assertNoAccount fails unless no user has email.
func (a *testApp) assertNoAccount(t *testing.T, email string) {
	t.Helper()
	if _, err := a.db.UserByEmail(context.Background(), email); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("the account of %s is still there: %v", email, err)
	}
}

// shown is text as a page writes it between tags (views.Say): escaped, but
// with its apostrophes as they are.
func shown(text string) string {
	return strings.ReplaceAll(html.EscapeString(text), "&#39;", "'")
}
