package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const (
	firstPassword = "violet kettle harbour 42"
	newPassword   = "amber lantern orchard 7"
)

// Buttons of the forms, by the action they post to.
const (
	signupButton  = `form[action="/signup"] button[type=submit]`
	loginButton   = `form[action="/login"] button[type=submit]`
	linkButton    = `form[action="/login/email"] button[type=submit]`
	logoutButton  = `form[action="/logout"] button[type=submit]`
	confirmButton = `form[action="/login/email/confirm"] button[type=submit]`
	forgotButton  = `form[action="/forgot-password"] button[type=submit]`
	resetButton   = `form[action="/reset-password"] button[type=submit]`
	verifyButton  = `form[action="/verify-email"] button[type=submit]`
)

// TestJourney walks every account page the way a person does, in a browser
// with JavaScript on, and audits each page on the way.
func TestJourney(t *testing.T) {
	s := shared(t)
	b := newTab(t, s, true)
	walkJourney(t, b, "Ada Lovelace", "ada@example.com")
	// The script is there and did its small job: the password toggle.
	b.open("/login")
	if n := b.count(".reveal"); n != 1 {
		t.Fatalf("with JavaScript on, the login page has %d password toggles, want 1", n)
	}
	b.do(clickOnly(".reveal"))
	if typ := b.attr("#f-password", "type"); typ != "text" {
		t.Fatalf("the Show button left the password field as type=%q", typ)
	}
}

// TestJourneyWithoutJavaScript is the same journey with scripts switched
// off in the browser: every page is a plain form that works on its own.
func TestJourneyWithoutJavaScript(t *testing.T) {
	s := shared(t)
	b := newTab(t, s, false)
	walkJourney(t, b, "Grace Hopper", "grace@example.com")
	b.open("/login")
	if n := b.count(".reveal"); n != 0 {
		t.Fatalf("scripts are off, yet the page has %d script-made toggles", n)
	}
}

func walkJourney(t *testing.T, b *tab, name, email string) {
	in := b.srv.inbox

	// Home, signed out.
	b.expect(b.open("/"), http.StatusOK, "/")
	b.see("main h1", "Latchkey")
	b.check("home")
	b.expect(b.open("/login"), http.StatusOK, "/login")
	b.check("login")
	b.expect(b.open("/"), http.StatusOK, "/")

	// Sign up: an empty form first, to see the errors.
	b.expect(b.press(`a[href="/signup"].btn`), http.StatusOK, "/signup")
	b.check("signup")
	b.expect(b.press(signupButton), http.StatusUnprocessableEntity, "/signup")
	b.see(".summary", "There's a problem")
	if n := b.count(`[aria-invalid="true"]`); n != 3 {
		t.Fatalf("empty signup marks %d fields invalid, want 3", n)
	}
	b.check("signup-errors")
	// A guessable password is refused with a reason; the name and email
	// stay filled in.
	b.typeInto("#f-name", name)
	b.typeInto("#f-email", email)
	b.typeInto("#f-password", "password1")
	b.expect(b.press(signupButton), http.StatusUnprocessableEntity, "/signup")
	b.see("#f-password-error", "")
	if v := b.attr("#f-email", "value"); v != email {
		t.Fatalf("after an error the email field holds %q, want %q", v, email)
	}
	b.check("signup-weak-password")
	b.typeInto("#f-password", firstPassword)
	b.expect(b.press(signupButton), http.StatusOK, "/verify-request")
	b.see("main h1", "Check your email")
	b.see("main", email)
	b.check("verify-request-signup")
	// Nobody is signed in until the address is confirmed.
	b.expect(b.open("/dashboard"), http.StatusOK, "/login?next=/dashboard")

	// The confirmation email, over SMTP: its link opens a page with a
	// button (this is the browser that signed up, so no password), and
	// only the button confirms and signs in.
	verify := in.next(t, email, "Confirm your email address").link(t, b.srv.URL, "/verify-email")
	b.expect(b.openURL(verify), http.StatusOK, strings.TrimPrefix(verify, b.srv.URL))
	b.see("main", email)
	if n := b.count(`form[action="/verify-email"] input[name=password]`); n != 0 {
		t.Fatal("the browser that signed up is asked for its password")
	}
	b.check("confirm-signup")
	b.expect(b.press(verifyButton), http.StatusOK, "/dashboard")
	b.see(".flash", "Your email address is confirmed")
	b.see("main", "Verified")
	b.check("dashboard")

	// Sign out, then in again with the password (a wrong one first).
	b.signOut()
	b.check("signed-out")
	b.typeInto("#f-email", email)
	b.typeInto("#f-password", "not my password")
	b.expect(b.press(loginButton), http.StatusUnprocessableEntity, "/login")
	b.see(".summary", "don't match")
	b.check("login-errors")
	b.typeInto("#f-password", firstPassword) // the email is still there
	b.expect(b.press(loginButton), http.StatusOK, "/dashboard")
	b.see("main h1", name)
	b.signOut()

	// The emailed sign-in link: the GET only shows a button.
	b.typeInto("#f-link-email", email)
	b.expect(b.press(linkButton), http.StatusOK, "/verify-request")
	b.see("main", email)
	b.check("verify-request")
	link := in.next(t, email, "sign-in link").link(t, b.srv.URL, "/login/email/confirm")
	b.expect(b.openURL(link), http.StatusOK, strings.TrimPrefix(link, b.srv.URL))
	if n := b.count(logoutButton); n != 0 {
		t.Fatal("opening the sign-in link signed in by itself; only the button may")
	}
	b.check("confirm-login")
	b.expect(b.press(confirmButton), http.StatusOK, "/dashboard")
	b.see(".flash", "You're signed in")
	b.signOut()
	// The link worked once; a second use lands on the explanation.
	b.expect(b.openURL(link), http.StatusBadRequest, "/auth/error?error=Verification") // DESIGN.md: Verification is 400
	b.see("main h1", "This link can't be used")
	b.check("auth-error-verification")

	// Forgot password → reset → sign in with the new password.
	b.expect(b.press(`main a.btn[href="/login"]`), http.StatusOK, "/login")
	b.expect(b.press(`a[href="/forgot-password"]`), http.StatusOK, "/forgot-password")
	b.check("forgot-password")
	b.expect(b.press(forgotButton), http.StatusUnprocessableEntity, "/forgot-password")
	b.check("forgot-password-errors")
	b.typeInto("#f-email", email)
	b.expect(b.press(forgotButton), http.StatusOK, "/verify-request")
	b.see("main", "reset your password")
	b.check("verify-request-reset")
	reset := in.next(t, email, "Reset your Latchkey password").link(t, b.srv.URL, "/reset-password")
	b.expect(b.openURL(reset), http.StatusOK, strings.TrimPrefix(reset, b.srv.URL))
	b.check("reset-password")
	b.typeInto("#f-password", "short")
	b.expect(b.press(resetButton), http.StatusUnprocessableEntity, "/reset-password")
	b.see("#f-password-error", "")
	b.check("reset-password-errors")
	b.typeInto("#f-password", newPassword)
	b.expect(b.press(resetButton), http.StatusOK, "/dashboard")
	b.see(".flash", "Your password has been changed")
	b.signOut()
	b.typeInto("#f-email", email)
	b.typeInto("#f-password", firstPassword)
	b.expect(b.press(loginButton), http.StatusUnprocessableEntity, "/login")
	b.typeInto("#f-password", newPassword)
	b.expect(b.press(loginButton), http.StatusOK, "/dashboard")
	b.see("main h1", name)

	// The development mailbox lists what was sent.
	b.expect(b.open("/dev/mailbox"), http.StatusOK, "/dev/mailbox")
	b.see("main", "Reset your Latchkey password")
	b.check("dev-mailbox")
	b.expect(b.open("/"), http.StatusOK, "/")
	b.check("home-signed-in")
	b.signOut()
}

// signOut presses the header's Sign out button.
func (b *tab) signOut() {
	b.t.Helper()
	b.expect(b.press(logoutButton), http.StatusOK, "/login")
	b.see(".flash", "You've been signed out")
}

// openURL opens an absolute link from an email.
func (b *tab) openURL(link string) int64 {
	b.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		b.t.Fatalf("parse %q: %v", link, err)
	}
	return b.open(u.RequestURI())
}

// TestConfirmElsewhereAndSignUpByLink: a confirmation link opened in
// another browser asks for the password chosen at signup (a wrong one is
// refused and the link still works), and an emailed sign-in link for a new
// address asks for a name and makes the account.
func TestConfirmElsewhereAndSignUpByLink(t *testing.T) {
	s := shared(t)
	in := s.inbox
	b := newTab(t, s, false)
	const email = "katherine@example.com"
	b.expect(b.open("/signup"), http.StatusOK, "/signup")
	b.typeInto("#f-name", "Katherine Johnson")
	b.typeInto("#f-email", email)
	b.typeInto("#f-password", firstPassword)
	b.expect(b.press(signupButton), http.StatusOK, "/verify-request")
	verify := in.next(t, email, "Confirm your email address").link(t, s.URL, "/verify-email")

	other := newTab(t, s, true)
	other.expect(other.openURL(verify), http.StatusOK, strings.TrimPrefix(verify, s.URL))
	other.check("confirm-signup-elsewhere")
	other.typeInto("#f-password", "not my password")
	other.expect(other.press(verifyButton), http.StatusUnprocessableEntity, "/verify-email")
	other.see(".summary", "password")
	other.check("confirm-signup-elsewhere-errors")
	other.typeInto("#f-password", firstPassword)
	other.expect(other.press(verifyButton), http.StatusOK, "/dashboard")
	other.see("main h1", "Katherine Johnson")

	// Sign-up by link: no account yet for this address.
	const newcomer = "dorothy@example.com"
	c := newTab(t, s, false)
	c.expect(c.open("/login"), http.StatusOK, "/login")
	c.typeInto("#f-link-email", newcomer)
	c.expect(c.press(linkButton), http.StatusOK, "/verify-request")
	link := in.next(t, newcomer, "sign-in link").link(t, s.URL, "/login/email/confirm")
	c.expect(c.openURL(link), http.StatusOK, strings.TrimPrefix(link, s.URL))
	c.see("main", newcomer)
	c.check("confirm-login-new-account")
	c.typeInto("#f-name", "Dorothy Vaughan")
	c.expect(c.press(confirmButton), http.StatusOK, "/dashboard")
	c.see("main h1", "Dorothy Vaughan")
}
