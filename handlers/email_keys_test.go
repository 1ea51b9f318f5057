package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/auth"
)

// Tests of docs/ARCHITECTURE.md's "Email addresses": one address is one
// account under its canonical key (Unicode case folding of the local part,
// IDNA UTS #46 of the domain), and an address whose domain IDNA refuses is
// a 422.

// otherSpellings are ways to type ä@example.com: another case, another
// case of the domain, a fullwidth domain, the decomposed ä (a + U+0308),
// and all of them at once. Before canonical keys each was an account of
// its own (the database's NOCASE folds ASCII only).
var otherSpellings = []string{"Ä@example.com", "Ä@EXAMPLE.com", "ä@EXAMPLE.COM", "ä@ｅｘａｍｐｌｅ.com", "a\u0308@example.com", "A\u0308@ＥＸＡＭＰＬＥ.com"}

func withDBPath(path string) func(*testConfig) {
	return func(c *testConfig) { c.dbPath = path }
}

// mailToKey counts the outbox messages to any spelling of addr.
func (a *testApp) mailToKey(addr string) int {
	a.t.Helper()
	want, err := auth.EmailKey(addr)
	if err != nil {
		a.t.Fatal(err)
	}
	msgs, err := a.db.RecentMail(context.Background(), 1000)
	if err != nil {
		a.t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if k, _ := auth.EmailKey(m.To); k == want {
			n++
		}
	}
	return n
}

// TestSignupOtherSpellingIsTheSameAccount: signing up ä@example.com again
// as Ä@example.com (or any other spelling) takes the duplicate path: the
// same answer as a new address, no second account, the owner is mailed at
// the address they signed up with, and the second password signs in to
// nothing.
func TestSignupOtherSpellingIsTheSameAccount(t *testing.T) {
	app := newTestApp(t)
	first := app.client().postForm("/signup", url.Values{"name": {"Ärger"}, "email": {"ä@example.com"}, "password": {strongPassword}})
	assertStatus(t, first, http.StatusSeeOther)
	const mallorys = "quartz nebula picnic 2024"
	for _, spelling := range otherSpellings {
		before := app.mailToKey("ä@example.com")
		mallory := app.client()
		res := mallory.postForm("/signup", url.Values{"name": {"Mallory"}, "email": {spelling}, "password": {mallorys}})
		assertStatus(t, res, first.StatusCode)
		assertLocation(t, res, first.Header.Get("Location"))
		if n := app.userCount(); n != 1 {
			t.Fatalf("signup as %q: %d accounts, want the one of ä@example.com", spelling, n)
		}
		if app.mailToKey("ä@example.com") <= before {
			t.Fatalf("signup as %q: the owner was not told", spelling)
		}
		if res := mallory.get("/dashboard"); res.StatusCode == http.StatusOK {
			t.Fatalf("signup as %q signed the second registrant in", spelling)
		}
	}
	msgs, err := app.db.RecentMail(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.To != "ä@example.com" {
			t.Errorf("mail went to %q: the account's address is ä@example.com", m.To)
		}
	}
	if u := app.user("ä@example.com"); u.Name != "Ärger" {
		t.Errorf("the account is now %q's", u.Name)
	}
	res := app.client().login("Ä@example.com", mallorys)
	assertStatus(t, res, http.StatusUnprocessableEntity)
}

// TestLoginAnySpelling: the account of ä@example.com signs in as
// Ä@EXAMPLE.com, with a fullwidth domain, or with a decomposed ä.
func TestLoginAnySpelling(t *testing.T) {
	app := newTestApp(t)
	app.client().signup("Ärger", "ä@example.com", strongPassword)
	for _, spelling := range otherSpellings {
		res := app.client().login(spelling, strongPassword)
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, "/dashboard")
	}
}

// TestFullwidthDomainIsTheAsciiDomain: a@ｅｘａｍｐｌｅ.com is
// a@example.com: one account, and signing in with either works; a new
// account typed with a fullwidth domain is kept (and mailed) at the
// domain DNS knows.
func TestFullwidthDomainIsTheAsciiDomain(t *testing.T) {
	app := newTestApp(t)
	first := app.client().postForm("/signup", url.Values{"name": {"Ada"}, "email": {"a@example.com"}, "password": {strongPassword}})
	assertStatus(t, first, http.StatusSeeOther)
	if err := app.db.MarkEmailVerified(t.Context(), app.user("a@example.com").ID, app.clock.Now()); err != nil {
		t.Fatal(err)
	}
	res := app.client().postForm("/signup", url.Values{"name": {"Mallory"}, "email": {"a@ｅｘａｍｐｌｅ.com"}, "password": {"quartz nebula picnic 2024"}})
	assertStatus(t, res, first.StatusCode)
	assertLocation(t, res, first.Header.Get("Location"))
	if n := app.userCount(); n != 1 {
		t.Fatalf("%d accounts for a@example.com and a@ｅｘａｍｐｌｅ.com, want 1", n)
	}
	assertStatus(t, app.client().login("a@ｅｘａｍｐｌｅ.com", strongPassword), http.StatusSeeOther)

	app.client().signup("Bob", "b@ｅｘａｍｐｌｅ.com", strongPassword)
	if u := app.user("b@example.com"); u.Email != "b@example.com" {
		t.Errorf("stored as %q, want b@example.com", u.Email)
	}
	if n := app.mailTo("b@example.com"); n == 0 {
		t.Error("no mail to b@example.com: it went to a domain no mail server resolves")
	}
	assertStatus(t, app.client().login("b@example.com", strongPassword), http.StatusSeeOther)
}

// invalidAddresses pass the library's syntax check (but for the two marked)
// and have a domain IDNA refuses, or a local part PRECIS refuses.
var invalidAddresses = []struct {
	addr, message string
}{
	{"a@xn--a.com", msgEmailDomain},                                  // punycode that decodes to a disallowed label
	{"a@xn--x.com", msgEmailDomain},                                  // punycode that decodes to nothing valid
	{"a@ab--cd.com", msgEmailDomain},                                 // hyphens in the 3rd and 4th places
	{"a@ex\u200dample.com", msgEmailDomain},                          // a zero-width joiner out of context
	{"a@\u00ad.com", msgEmailDomain},                                 // a soft hyphen, which maps to an empty label
	{"a@exa\u0378mple.com", msgEmailDomain},                          // an unassigned code point
	{"a@\u2ff0.com", msgEmailDomain},                                 // a disallowed code point
	{"a@a\u2488.com", msgEmailDomain},                                // "⒈", disallowed: it would map to "1."
	{"a@\u05d0a.com", msgEmailDomain},                                // the Bidi rule
	{"a\u200b@example.com", msgEmailLocal},                           // an invisible character in the local part
	{"a@-bad-.com", "Enter an email address like name@example.com."}, // the library's own check
}

// emailForms are the forms that take an email, each with the rest of a
// valid submission.
var emailForms = []struct {
	path     string
	signedIn bool
	form     func(email string) url.Values
}{
	{"/signup", false, func(e string) url.Values {
		return url.Values{"name": {"Eve"}, "email": {e}, "password": {strongPassword}}
	}},
	{"/login", false, func(e string) url.Values { return url.Values{"email": {e}, "password": {strongPassword}} }},
	{"/login/email", false, func(e string) url.Values { return url.Values{"email": {e}} }},
	{"/forgot-password", false, func(e string) url.Values { return url.Values{"email": {e}} }},
	{"/settings/email", true, func(e string) url.Values {
		return url.Values{"email": {e}, "current_password": {strongPassword}}
	}},
}

// TestInvalidEmailDomainIs422OnEveryForm: an address whose domain IDNA
// refuses is a 422 with a message for a person on every form that takes
// one, before any hash, row or mail.
func TestInvalidEmailDomainIs422OnEveryForm(t *testing.T) {
	app := newTestApp(t)
	owner := app.client()
	owner.signup("Ada", "ada@example.com", strongPassword)
	for _, f := range emailForms {
		for _, bad := range invalidAddresses {
			t.Run(f.path+" "+bad.addr, func(t *testing.T) {
				c := app.client()
				if f.signedIn {
					c = owner
				}
				rows, hashes := app.rows(), app.hashes()
				res := c.postForm(f.path, f.form(bad.addr))
				assertStatus(t, res, http.StatusUnprocessableEntity)
				assertContains(t, res, shown(bad.message))
				after := app.rows()
				for _, table := range []string{"users", "tokens", "outbox"} {
					if after[table] != rows[table] {
						t.Errorf("%s: %d rows, was %d", table, after[table], rows[table])
					}
				}
				if n := app.hashes() - hashes; n != 0 {
					t.Errorf("the refusal cost %d hashes, want 0", n)
				}
			})
		}
	}
}

// TestInvalidEmailFromAccountsIsNot500: an address without a key that
// reaches accounts some other way than a form (here, a test route) is
// still a 422 page, not a 500 and an error in the log.
func TestInvalidEmailFromAccountsIsNot500(t *testing.T) {
	var app *testApp
	app = newTestApp(t, func(c *testConfig) {
		c.routes = func(e *echo.Echo) {
			e.GET("/test/register", func(c echo.Context) error {
				_, _, err := app.acc.Register(c.Request().Context(), "Eve", c.QueryParam("email"), strongPassword)
				return err
			})
		}
	})
	for _, bad := range []string{"a@xn--a.com", "a@-bad-.com", "a\u200b@example.com"} {
		res := app.client().get("/test/register?email=" + url.QueryEscape(bad))
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertContains(t, res, "We can't use that email address")
	}
	if n := app.userCount(); n != 0 {
		t.Fatalf("%d accounts made with addresses that have no key", n)
	}
	assertNotContains(t, &response{body: app.logs.String()}, "request failed")
}

// TestMailLimitSharedAcrossSpellings: the per-address mail limit counts an
// address under every spelling: five email-change requests to five
// spellings of ñew@example.com send it the limit (3), not five links.
func TestMailLimitSharedAcrossSpellings(t *testing.T) {
	app := newTestApp(t, withMailLimit(3))
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	for _, spelling := range []string{"ñew@example.com", "Ñew@example.com", "ñew@ｅｘａｍｐｌｅ.com", "n\u0303ew@example.com", "N\u0303EW@EXAMPLE.COM"} {
		res := c.postForm("/settings/email", url.Values{"email": {spelling}, "current_password": {strongPassword}})
		assertStatus(t, res, http.StatusSeeOther)
	}
	if n := app.mailToKey("ñew@example.com"); n != 3 {
		t.Fatalf("%d messages to spellings of ñew@example.com, want the limit (3)", n)
	}
}

// TestPasswordBucketSharedAcrossSpellings: wrong passwords for one account
// from one IP share one (IP, email) bucket whatever the spelling, so
// cycling through Ä, ä, fullwidth domains and decomposed letters gives an
// attacker no more guesses.
func TestPasswordBucketSharedAcrossSpellings(t *testing.T) {
	app := newTestApp(t, withRateLimit(1000, time.Millisecond), withPasswordLimit(3, 6*time.Second), withTrustedProxy())
	owner := app.client().from("198.51.100.7")
	owner.signup("Ärger", "ä@example.com", strongPassword)
	attacker := app.client().from("203.0.113.1")
	for i, spelling := range []string{"ä@example.com", "Ä@EXAMPLE.com", "ä@ｅｘａｍｐｌｅ.com"} {
		assertStatus(t, attacker.login(spelling, fmt.Sprintf("guess %d", i)), http.StatusUnprocessableEntity)
	}
	before := app.hashes()
	for _, spelling := range otherSpellings {
		assertTooMany(t, attacker.login(spelling, strongPassword))
	}
	if n := app.hashes() - before; n != 0 {
		t.Fatalf("refused attempts computed %d hashes, want 0", n)
	}
	assertStatus(t, app.client().from("198.51.100.9").login("Ä@example.com", strongPassword), http.StatusSeeOther)
}

// TestUpgradeKeepsAccountsSigningIn: a database of the release before
// canonical keys (an account made then, its session open) is migrated when
// the new release starts on it; the session goes on, and the password signs
// in under any spelling.
func TestUpgradeKeepsAccountsSigningIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latchkey.db")
	old := newTestApp(t, withDBPath(path))
	c := old.client()
	c.signup("Ada", "Ada@Example.COM", strongPassword)
	c.signedIn()
	if err := old.db.MigrateDownTo(t.Context(), 3); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := old.db.Read.QueryRow(`SELECT count(*) FROM pragma_table_info('users') WHERE name = 'email_key'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the database is not the old release's: email_key columns %d, %v", n, err)
	}
	old.srv.Close()

	app := newTestApp(t, withDBPath(path))
	c.app = app
	c.signedIn()
	for _, spelling := range []string{"Ada@Example.COM", "ada@example.com", "ADA@ｅｘａｍｐｌｅ.com"} {
		res := app.client().login(spelling, strongPassword)
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, "/dashboard")
	}
}

// TestEmailChangeToAnotherSpellingOfAnAccount: an email change and a
// signup that race for two spellings of one address (Ñew@ and ñew@) end
// with one account holding it, whichever way each is resolved.
func TestEmailChangeToAnotherSpellingOfAnAccount(t *testing.T) {
	app := newTestApp(t)
	bob := app.client()
	bob.signup("Bob", "bob@example.com", strongPassword)
	res := bob.postForm("/settings/email", url.Values{"email": {"Ñew@example.com"}, "current_password": {strongPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	link := app.lastLink("Ñew@example.com", "/settings/email/confirm")

	app.client().postForm("/signup", url.Values{"name": {"Eve"}, "email": {"ñew@example.com"}, "password": {"quartz nebula picnic 2024"}})
	bob.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}})

	key, _ := auth.EmailKey("ñew@example.com")
	if n := app.countUsers(t, "email_key = ?", key); n != 1 {
		t.Fatalf("%d accounts hold a spelling of ñew@example.com, want 1", n)
	}
}

// FuzzEmailValidation: whatever is typed into an email field, validation
// does not panic, always says why it refuses, and never lets through an
// address that has no canonical key (which accounts could not store).
func FuzzEmailValidation(f *testing.F) {
	for _, s := range append([]string{"ä@example.com", "a@ｅｘａｍｐｌｅ.com", " Ada@Example.com ", "a@b", "@", ""}, otherSpellings...) {
		f.Add(s)
	}
	for _, bad := range invalidAddresses {
		f.Add(bad.addr)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > maxFieldBytes || !validText(s) {
			return // bind refuses these before validation
		}
		form := emailForm{Email: strings.TrimSpace(s)}
		errs := check(&form)
		if errs != nil {
			if errs["email"] == "" {
				t.Fatalf("%q refused without a message: %v", s, errs)
			}
			return
		}
		if _, err := auth.EmailKey(form.Email); err != nil {
			t.Fatalf("%q passed validation but has no key: %v", s, err)
		}
	})
}
