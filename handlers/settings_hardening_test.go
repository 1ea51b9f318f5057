package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"latchkey/auth"
)

// Tests of issue 13's settings items: the email-change enumeration, the
// per-user limit, names that rewrite mail, claims that blocked signups, and
// setting a first password.

// confirmAddress marks the account's address confirmed, as following its
// link would (whichever way the signup flow confirms it).
func (a *testApp) confirmAddress(email string) {
	a.t.Helper()
	if err := a.db.MarkEmailVerified(context.Background(), a.user(email).ID, a.clock.Now()); err != nil {
		a.t.Fatal(err)
	}
}

// sameClockAs sets a's clock to b's, so two apps render the same times.
func (a *testApp) sameClockAs(b *testApp) {
	a.clock.Set(b.clock.Now())
}

var (
	csrfValueRe  = regexp.MustCompile(`name="_csrf" value="[^"]*"`)
	tokenParamRe = regexp.MustCompile(`token=[A-Za-z0-9_-]+`)
	cookieAttrRe = regexp.MustCompile(`^([^=]+)=[^;]*`)
	expiresRe    = regexp.MustCompile(`; (Expires|Max-Age)=[^;]*`)
)

// pageShape is a response with what must differ between two browsers (the
// CSRF token, cookie values, the moment a cookie expires) taken out.
func pageShape(res *response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s\n", res.StatusCode, res.Header.Get("Location"))
	for _, line := range res.Header.Values("Set-Cookie") {
		line = cookieAttrRe.ReplaceAllString(line, "$1=…")
		b.WriteString(expiresRe.ReplaceAllString(line, "") + "\n")
	}
	b.WriteString(csrfValueRe.ReplaceAllString(res.body, `name="_csrf" value="…"`))
	return b.String()
}

// A signed-in user asks to move to an address that has an account, and,
// in an identical app, to the same address while it is free: everything
// they can see (the answer, its cookies, the settings page after it, the
// notice in their own inbox) is the same, byte for byte. Before issue 13 the
// free address alone showed "We've sent a link", and the notice to the old
// address said the other one "belongs to another account".
func TestSettingsEmailChangeDoesNotTellTakenFromFree(t *testing.T) {
	taken, free := newTestApp(t), newTestApp(t)
	free.sameClockAs(taken)
	const target = "x@example.com"
	taken.createUser(t, "Xavier", target, strongPassword)
	free.createUser(t, "Yolanda", "y@example.com", strongPassword)

	var answer, page, notice, notice2, link [2]string
	for i, app := range []*testApp{taken, free} {
		a := app.browser(uaChromeMac)
		a.signup("Ada", "ada@example.com", strongPassword)
		res := a.postForm("/settings/email", url.Values{"email": {target}})
		assertStatus(t, res, http.StatusSeeOther)
		answer[i] = pageShape(res)
		settings := a.get(res.Header.Get("Location"))
		assertContains(t, settings, "We've sent a link to <strong>"+target+"</strong>")
		page[i] = pageShape(settings)
		// And again, once the flash is gone: the pending address stays.
		assertContains(t, a.get("/settings"), "We've sent a link to <strong>"+target+"</strong>")

		ms := app.mails("ada@example.com", "A change of your email address")
		if len(ms) != 1 {
			t.Fatalf("%d notices to the old address, want 1", len(ms))
		}
		notice[i], notice2[i] = ms[0].Subject+"\n"+ms[0].Text, ms[0].HTML
		ms = app.mails(target, "Confirm your new email address")
		if len(ms) != 1 {
			t.Fatalf("%d messages to the new address, want 1", len(ms))
		}
		link[i] = ms[0].Subject + "\n" + tokenParamRe.ReplaceAllString(ms[0].Text, "token=…")
	}
	for what, pair := range map[string][2]string{"answer": answer, "settings page": page,
		"notice text": notice, "notice HTML": notice2, "message to the new address": link} {
		if pair[0] != pair[1] {
			t.Errorf("the %s differs for a taken and a free address:\ntaken:\n%s\nfree:\n%s", what, pair[0], pair[1])
		}
	}
	if strings.Contains(notice[0], "another account") || strings.Contains(notice[0], "can't be used") {
		t.Errorf("the notice speaks of availability:\n%s", notice[0])
	}
}

// An email-change request claims nothing: a stranger may sign up with the
// address right away (before that signup was refused for 24 hours,
// renewable by asking again). The conflict is settled at confirmation: when
// the stranger has confirmed the address, the change is refused with a
// message, the account keeps its address, and the link is used up.
func TestSettingsEmailChangeClaimsNothing(t *testing.T) {
	app := newTestApp(t)
	a := app.client()
	a.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"x@example.com"}}), http.StatusSeeOther)
	link := app.lastLink("x@example.com", "/settings/email/confirm")

	s := app.client()
	res := s.postForm("/signup", url.Values{"name": {"Stranger"}, "email": {"X@example.com"}, "password": {"quartz nebula picnic 2024"}})
	assertStatus(t, res, http.StatusSeeOther)
	if got := app.user("x@example.com").Name; got != "Stranger" {
		t.Fatalf("the stranger's signup made no account (x@example.com is %q's)", got)
	}
	s.confirmSignup(app.lastLink("x@example.com", "/verify-email"), "")

	res = a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	assertLocation(t, res, "/settings")
	page := a.followFlash(res, "That address now belongs to another account, so your email address has not changed")
	assertNotContains(t, page, "We've sent a link to <strong>x@example.com</strong>")
	if got := app.user("ada@example.com").Email; got != "ada@example.com" {
		t.Fatalf("ada's address is %q", got)
	}
	if got := app.user("x@example.com").Name; got != "Stranger" {
		t.Fatalf("x@example.com now belongs to %q", got)
	}
	if n := len(app.mails("ada@example.com", "Your email address was changed")); n != 0 {
		t.Fatal("ada was told her address changed")
	}
	// Used up: the same link cannot try again.
	res = a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	a.followFlash(res, "That link can't be used")
}

// Sixty email-change requests from one session, as the attacker of issue 13
// sent in 0.2 s: the burst passes, the rest are 429 with Retry-After and
// cost neither mail nor hash. Another IP does not help the same user; it
// does not hurt another user either.
func TestSettingsEmailChangeFloodIsLimitedPerUser(t *testing.T) {
	app := newTestApp(t, withRateLimit(10, 6*time.Second), withTrustedProxy())
	a := app.client().from("198.51.100.7")
	a.signup("Ada", "ada@example.com", strongPassword)
	a.from("203.0.113.1")

	passed, refused := 0, 0
	for i := range 60 {
		res := a.postForm("/settings/email", url.Values{"email": {fmt.Sprintf("probe%d@example.com", i)}})
		switch res.StatusCode {
		case http.StatusSeeOther:
			passed++
		case http.StatusTooManyRequests:
			assertTooMany(t, res)
			refused++
		default:
			t.Fatalf("request %d: status %d", i+1, res.StatusCode)
		}
	}
	if passed != 10 || refused != 50 {
		t.Fatalf("%d passed and %d refused, want 10 and 50", passed, refused)
	}

	mails, hashes := app.rows()["outbox"], app.hashes()
	a.from("192.0.2.55")
	assertTooMany(t, a.postForm("/settings/email", url.Values{"email": {"probe@example.com"}}))
	// A typed password would be checked (one hash) even inside the sudo window.
	assertTooMany(t, a.postForm("/settings/password", url.Values{"current_password": {strongPassword}, "password": {"a brand new violet tangerine"}}))
	assertTooMany(t, a.postForm("/settings/delete", url.Values{"current_password": {strongPassword}}))
	if app.rows()["outbox"] != mails || app.hashes() != hashes {
		t.Fatal("a refused request sent mail or computed a hash")
	}
	if app.user("ada@example.com").Email != "ada@example.com" {
		t.Fatal("a refused request changed something")
	}

	b := app.client().from("192.0.2.56")
	b.signup("Bob", "bob@example.com", strongPassword)
	b.from("192.0.2.55")
	assertStatus(t, b.postForm("/settings/email", url.Values{"email": {"bob@new.example"}}), http.StatusSeeOther)
}

// settingsLimitedRoutes are the /settings POSTs that check a password or
// send mail, each with a request that does neither (the limit is what is
// tested here).
var settingsLimitedRoutes = []struct {
	name string
	send func(c *client) *response
}{
	{"POST /settings/email", func(c *client) *response { return c.postForm("/settings/email", url.Values{"email": {""}}) }},
	{"POST /settings/email/confirm", func(c *client) *response {
		return c.postForm("/settings/email/confirm", url.Values{"token": {"junk"}})
	}},
	{"POST /settings/password", func(c *client) *response { return c.postForm("/settings/password", url.Values{"password": {""}}) }},
	{"POST /settings/delete", func(c *client) *response { return c.postForm("/settings/delete", url.Values{}) }},
}

// Each of them is limited per user: one session moving to a new IP for
// every request still runs out after the burst.
func TestSettingsRateLimitPerUser(t *testing.T) {
	const burst = 3
	for _, route := range settingsLimitedRoutes {
		t.Run(route.name, func(t *testing.T) {
			app := newTestApp(t, withRateLimit(burst, 6*time.Second), withTrustedProxy())
			ip := 0
			nextIP := func(c *client) *client { ip++; return c.from(fmt.Sprintf("192.0.2.%d", ip)) }
			a := nextIP(app.client())
			a.signup("Ada", "ada@example.com", strongPassword)
			for i := range burst {
				if res := route.send(nextIP(a)); res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 {
					t.Fatalf("request %d of the burst: status %d", i+1, res.StatusCode)
				}
			}
			wait := assertTooMany(t, route.send(nextIP(a)))
			if wait != 6*time.Second {
				t.Errorf("Retry-After %v, want 6s", wait)
			}

			b := nextIP(app.client())
			b.signup("Bob", "bob@example.com", strongPassword)
			if res := route.send(nextIP(b)); res.StatusCode == http.StatusTooManyRequests {
				t.Fatal("another user was refused")
			}

			app.clock.Advance(wait)
			if res := route.send(nextIP(a)); res.StatusCode == http.StatusTooManyRequests {
				t.Fatal("after Retry-After: still 429")
			}
			assertTooMany(t, route.send(nextIP(a)))
		})
	}
}

// And per IP: many accounts signed in from one IP share its bucket, so a
// client cannot get round the per-user limit with more accounts.
func TestSettingsRateLimitPerIPAcrossUsers(t *testing.T) {
	const burst = 3
	for _, route := range settingsLimitedRoutes {
		t.Run(route.name, func(t *testing.T) {
			app := newTestApp(t, withRateLimit(burst, 6*time.Second), withTrustedProxy())
			user := func() *client {
				c := app.client()
				c.signInElsewhere() // from an IP of its own, leaving 203.0.113.1's bucket full
				return c.from("203.0.113.1")
			}
			for i := range burst {
				if res := route.send(user()); res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 {
					t.Fatalf("request %d of the burst: status %d", i+1, res.StatusCode)
				}
			}
			assertTooMany(t, route.send(user()))
		})
	}
}

// badNameInputs are names docs/ARCHITECTURE.md's "Names" rule refuses: the
// attack of issue 13, each kind of control character, each bidirectional
// control.
var badNameInputs = map[string]string{
	"mail injection": "there,\r\n\r\nYour account is locked. Restore it at https://evil.example/restore",
	"CRLF":           "Ada\r\nLovelace",
	"CR":             "Ada\rLovelace",
	"LF":             "Ada\nLovelace",
	"tab":            "Ada\tLovelace",
	"NUL":            "Ada\x00Lovelace",
	"escape":         "Ada\x1b[2JLovelace",
	"DEL":            "Ada\x7fLovelace",
	"C1 NEL":         "Ada\u0085Lovelace",
	"line separator": "Ada\u2028Lovelace",
	"para separator": "Ada\u2029Lovelace",
	"LRE":            "Ada\u202aLovelace",
	"RLE":            "Ada\u202bLovelace",
	"PDF":            "Ada\u202cLovelace",
	"LRO":            "Ada\u202dLovelace",
	"RLO":            "Ada\u202eecalevoL",
	"LRI":            "Ada\u2066Lovelace",
	"RLI":            "Ada\u2067Lovelace",
	"FSI":            "Ada\u2068Lovelace",
	"PDI":            "Ada\u2069Lovelace",
	"LRM":            "Ada\u200eLovelace",
	"RLM":            "Ada\u200fLovelace",
	"ALM":            "Ada\u061cLovelace",
}

// nameRefused checks a 422 that tells the person what is wrong with the
// name.
func nameRefused(t *testing.T, what string, res *response) {
	t.Helper()
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("%s: status %d, want 422", what, res.StatusCode)
	}
	if !strings.Contains(res.body, "can't contain line breaks") && !strings.Contains(res.body, "characters we can't accept") {
		t.Fatalf("%s: no message about the name\n%s", what, excerpt(res.body))
	}
}

func TestNameFormsRefuseControlAndBidiCharacters(t *testing.T) {
	app := newTestApp(t)
	a := app.client()
	a.signup("Ada", "ada@example.com", strongPassword)
	for what, name := range badNameInputs {
		nameRefused(t, "POST /settings/name "+what, a.postForm("/settings/name", url.Values{"name": {name}}))
		res := app.client().postForm("/signup", url.Values{"name": {name}, "email": {"eve@example.com"}, "password": {strongPassword}})
		nameRefused(t, "POST /signup "+what, res)
	}
	if got := app.user("ada@example.com").Name; got != "Ada" {
		t.Fatalf("name is %q", got)
	}
	if n := app.userCount(); n != 1 {
		t.Fatalf("%d accounts, want 1", n)
	}
	// The exact attack says why, in words.
	res := a.postForm("/settings/name", url.Values{"name": {badNameInputs["mail injection"]}})
	assertSays(t, res, "Your name can't contain line breaks, tabs or hidden characters that change how text is shown.")
	// Names from every script, and emoji built with joiners, still pass.
	for _, name := range []string{"José Ñúñez", "محمد رضا", "李小龍", "👩\u200d💻 Ada"} {
		assertStatus(t, a.postForm("/settings/name", url.Values{"name": {name}}), http.StatusSeeOther)
		if got := app.user("ada@example.com").Name; got != name {
			t.Fatalf("name %q stored as %q", name, got)
		}
	}
}

// The domain layer refuses such names too, whoever calls it.
func TestAccountsRefuseBadNames(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	app.createUser(t, "Ada", "ada@example.com", strongPassword)
	id := app.user("ada@example.com").ID
	for what, name := range badNameInputs {
		if _, _, err := app.acc.CreateUserWithLink(ctx, name, "eve@example.com"); !errors.Is(err, auth.ErrNameCharacters) {
			t.Errorf("CreateUserWithLink %s: %v", what, err)
		}
		if _, _, err := app.acc.Register(ctx, name, "eve@example.com", strongPassword); !errors.Is(err, auth.ErrNameCharacters) {
			t.Errorf("Register %s: %v", what, err)
		}
		if err := app.acc.ChangeName(ctx, id, name); !errors.Is(err, auth.ErrNameCharacters) {
			t.Errorf("ChangeName %s: %v", what, err)
		}
	}
	if err := app.acc.ChangeName(ctx, id, strings.Repeat("é", 101)); !errors.Is(err, auth.ErrNameTooLong) {
		t.Errorf("ChangeName 101 characters: %v", err)
	}
	if app.userCount() != 1 || app.user("ada@example.com").Name != "Ada" {
		t.Fatal("a refused name was stored")
	}
}

// A message to an address nobody has confirmed carries no text the
// requester chose: the name in issue 13's attack went out in the
// email-change confirmation to any address.
func TestUnconfirmedAddressMailCarriesNoName(t *testing.T) {
	const name = "Zebediah Quuxworth"
	app := newTestApp(t)
	noName := func(to, subject string) int {
		t.Helper()
		ms := app.mails(to, subject)
		for _, m := range ms {
			for _, part := range []string{m.Subject, m.Text, m.HTML} {
				if strings.Contains(part, "Zebediah") || strings.Contains(part, "Quuxworth") {
					t.Fatalf("%q to %s carries the name:\n%s", m.Subject, to, m.Text)
				}
			}
		}
		return len(ms)
	}

	a := app.client()
	a.signup(name, "zeb@example.com", strongPassword)
	if noName("zeb@example.com", "Confirm your email address") == 0 {
		t.Fatal("no signup confirmation was sent")
	}
	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"anyone@example.net"}}), http.StatusSeeOther)
	if noName("anyone@example.net", "") == 0 {
		t.Fatal("no email-change confirmation was sent")
	}

	// An account registered and never confirmed: the name is whatever the
	// registrant typed, and the address may be a stranger's.
	app.createUnconfirmedUser(t, name, "pre@example.com", strongPassword)
	for _, path := range []string{"/forgot-password", "/login/email"} {
		assertStatus(t, app.client().postForm(path, url.Values{"email": {"pre@example.com"}}), http.StatusSeeOther)
	}
	assertStatus(t, app.client().postForm("/signup", url.Values{"name": {"Mallory"}, "email": {"pre@example.com"},
		"password": {strongPassword}}), http.StatusSeeOther)
	if n := noName("pre@example.com", ""); n < 3 {
		t.Fatalf("%d messages to the unconfirmed address, want at least 3", n)
	}

	// Once the address is confirmed, its own mail may greet by name.
	app.confirmAddress("pre@example.com")
	assertStatus(t, app.client().postForm("/forgot-password", url.Values{"email": {"pre@example.com"}}), http.StatusSeeOther)
	if m := app.mails("pre@example.com", "Reset your Latchkey password")[0]; !strings.Contains(m.Text, "Hello "+name+",") {
		t.Fatalf("the confirmed owner is not greeted by name:\n%s", m.Text)
	}
}

// An account made by an emailed link has no password. Within the sudo
// window it sets one with an empty current_password; later the form says
// to sign in again by link, since there is no password to type.
func TestSettingsSetFirstPassword(t *testing.T) {
	app := newTestApp(t)
	const password = "purple elephant juggles quietly"

	c := app.linkOnlyUser("Grace", "grace@example.com", uaChromeMac)
	page := c.get("/settings")
	assertContains(t, page, `<h2 id="password-title">Set a password</h2>`)
	assertNotContains(t, page, "Change password")
	res := c.postForm("/settings/password", url.Values{"current_password": {""}, "password": {password}})
	assertLocation(t, res, "/settings")
	page = c.followFlash(res, "Your password has been changed")
	assertContains(t, page, "Change password")
	assertNotContains(t, page, `<h2 id="password-title">Set a password</h2>`)
	assertStatus(t, app.client().login("grace@example.com", password), http.StatusSeeOther)

	d := app.linkOnlyUser("Dorothy", "dorothy@example.com", uaChromeMac)
	app.clock.Advance(11 * time.Minute)
	page = d.get("/settings")
	assertContains(t, page, "Set a password")
	assertContains(t, page, "You have no password to type here, so for your security we'll ask you to sign in again with a link sent to your email address first.")
	hashes := app.hashes()
	res = d.postForm("/settings/password", url.Values{"current_password": {""}, "password": {password}})
	assertLocation(t, res, "/login?next=/settings")
	d.followFlash(res, "please sign in again with a link sent to your email address")
	if app.user("dorothy@example.com").HasPassword() || app.hashes() != hashes {
		t.Fatal("a password was set (or hashed) outside the sudo window")
	}
}

// FuzzSettingsNameForm posts arbitrary names: the answer is 303 or 422,
// never a 5xx, and whatever is stored passes the names rule.
func FuzzSettingsNameForm(f *testing.F) {
	app := startTestApp(f, unlimited)
	app.t = f
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	id := app.user("ada@example.com").ID
	for _, name := range badNameInputs {
		f.Add(name)
	}
	f.Add("Ada Lovelace")
	f.Add("  👩\u200d💻 Ada\t")
	f.Add(strings.Repeat("é", 100))
	f.Fuzz(func(t *testing.T, name string) {
		c.t = t
		res := c.postForm("/settings/name", url.Values{"name": {name}})
		u, err := app.db.UserByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		switch res.StatusCode {
		case http.StatusSeeOther:
			if err := auth.CheckName(u.Name); err != nil || u.Name != strings.TrimSpace(name) {
				t.Fatalf("posted %q, stored %q (%v)", name, u.Name, err)
			}
		case http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d\n%s", res.StatusCode, excerpt(res.body))
		}
	})
}

// The mail limit of the new address is no oracle either. Reset links go
// only to addresses with an account, so three of them fill a taken
// address's allowance and leave a free one's empty; an email change to it
// then sends no link for the taken one alone. /settings must still show
// the newest request in both cases, not the one before it.
func TestSettingsPendingAddressDoesNotFollowTheMailLimit(t *testing.T) {
	var page [2]string
	for i, taken := range []bool{true, false} {
		app := newTestApp(t, withMailLimit(3))
		if taken {
			app.createUser(t, "Xavier", "x@example.com", strongPassword)
			app.confirmAddress("x@example.com")
		}
		for range 3 {
			assertStatus(t, app.client().postForm("/forgot-password", url.Values{"email": {"x@example.com"}}), http.StatusSeeOther)
		}
		a := app.client()
		a.signup("Ada", "ada@example.com", strongPassword)
		assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"y@example.com"}}), http.StatusSeeOther)
		assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"x@example.com"}}), http.StatusSeeOther)
		settings := a.get("/settings")
		assertContains(t, settings, "We've sent a link to <strong>x@example.com</strong>")
		page[i] = csrfValueRe.ReplaceAllString(settings.body, "")
		// The link to y@ was retired by the newer request.
		y := app.lastLink("y@example.com", "/settings/email/confirm")
		a.followFlash(a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, y)}}), "That link can't be used")
	}
	if page[0] != page[1] {
		t.Fatal("/settings differs with whether the address's mail allowance was used up")
	}
}

// Coming back to an address over its mail limit after asking for another
// one: no new mail, and that address is what /settings shows pending (the
// same address asked again keeps its link instead:
// TestEmailChangeOverTheMailLimitKeepsTheLinkSent).
func TestSettingsEmailChangeBackOverTheMailLimit(t *testing.T) {
	app := newTestApp(t, withMailLimit(1))
	a := app.client()
	a.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"x@example.com"}}), http.StatusSeeOther)
	link := app.lastLink("x@example.com", "/settings/email/confirm")
	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"y@example.com"}}), http.StatusSeeOther)
	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"x@example.com"}}), http.StatusSeeOther)
	assertContains(t, a.get("/settings"), "We've sent a link to <strong>x@example.com</strong>")
	if n := len(app.mails("x@example.com", "")); n != 1 {
		t.Fatalf("%d messages to x@, want 1", n)
	}
	// x@'s first link was retired by the request for y@ in between.
	a.followFlash(a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}}), "That link can't be used")
}

// A stranger who signed up the address but never confirmed it keeps
// nothing when the account that asked to move there confirms the change:
// that link has just proven the inbox, the stranger's signup never did.
func TestSettingsEmailChangeBeatsAnUnconfirmedSignup(t *testing.T) {
	app := newTestApp(t)
	a := app.client()
	a.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, a.postForm("/settings/email", url.Values{"email": {"x@example.com"}}), http.StatusSeeOther)
	link := app.lastLink("x@example.com", "/settings/email/confirm")
	app.client().signupUnconfirmed("Stranger", "X@example.com", "quartz nebula picnic 2024")

	res := a.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	a.followFlash(res, "Your email address is now x@example.com.")
	if u := app.user("x@example.com"); u.Name != "Ada" || !u.Verified() {
		t.Fatalf("x@example.com is %q's (verified %v), want Ada's", u.Name, u.Verified())
	}
	if n := app.userCount(); n != 1 {
		t.Fatalf("%d accounts, want Ada's alone", n)
	}
	assertStatus(t, app.client().login("x@example.com", "quartz nebula picnic 2024"), http.StatusUnprocessableEntity)
}
