package handlers

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// Wrong passwords for one account from one client fill one bucket, whether
// they are typed at sign-in or on the settings page: otherwise an attacker
// holding a session gets twice the guesses.
func TestWrongPasswordsShareOneBucketAcrossPages(t *testing.T) {
	app := newTestApp(t, withPasswordLimit(3, time.Hour))
	a := app.browser(uaChromeMac)
	a.signup("Ada", "Ada@Example.com", strongPassword)
	app.clock.Advance(11 * time.Minute) // past the sudo window: the password is asked for

	for range 2 {
		assertStatus(t, a.login("ada@example.com", "wrong wrong wrong"), http.StatusUnprocessableEntity)
	}
	a = app.browser(uaChromeMac)
	assertStatus(t, a.login("ada@example.com", strongPassword), http.StatusSeeOther)
	app.clock.Advance(11 * time.Minute)
	res := a.postForm("/settings/password", url.Values{"current_password": {"wrong wrong wrong"}, "password": {"a brand new violet tangerine"}})
	assertStatus(t, res, http.StatusUnprocessableEntity)

	// Three wrong guesses in all: the next one, on either page, is refused.
	res = a.postForm("/settings/password", url.Values{"current_password": {"wrong again wrong"}, "password": {"a brand new violet tangerine"}})
	assertStatus(t, res, http.StatusTooManyRequests)
	assertStatus(t, app.client().login("ADA@example.com", "wrong wrong wrong"), http.StatusTooManyRequests)
}

// An email change asked for once too often in the mail window sends no new
// link, so it must not retire the link already in the new inbox.
func TestEmailChangeOverTheMailLimitKeepsTheLinkSent(t *testing.T) {
	app := newTestApp(t, withMailLimit(1))
	a := app.client()
	a.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"ada@new.example"}}), http.StatusSeeOther)
	link := app.lastLink("ada@new.example", "/settings/email/confirm")

	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"ada@new.example"}}), http.StatusSeeOther)
	if n := len(app.mails("ada@new.example", "")); n != 1 {
		t.Fatalf("%d messages to the new address, want 1 (the limit)", n)
	}
	res := a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	assertLocation(t, res, "/settings")
	if got := app.user("ada@new.example").Email; got != "ada@new.example" {
		t.Fatalf("email is %q after following the link", got)
	}
}
