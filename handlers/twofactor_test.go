package handlers

import (
	"bytes"
	"context"
	"encoding/base32"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"latchkey/accounts"
)

func accountsOrigin() accounts.Origin { return accounts.Origin{UserAgent: "test", IP: "127.0.0.1"} }

var (
	secretRe       = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)
	recoveryCodeRe = regexp.MustCompile(`<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>`)
)

// codeAt is the code an authenticator app shows for secret at the app's
// clock moved by d, computed with pquerna/otp as the app would.
func (a *testApp) codeAt(secret string, d time.Duration) string {
	a.t.Helper()
	code, err := totp.GenerateCode(secret, a.clock.Now().Add(d))
	if err != nil {
		a.t.Fatal(err)
	}
	return code
}

// enrol turns the authenticator on for this signed-in browser (inside the
// sudo window) and returns the secret read from the page and the recovery
// codes shown. The clock is at the step the enrolment used.
func (c *client) enrol() (secret string, codes []string) {
	c.t.Helper()
	res := c.get("/settings/2fa")
	assertStatus(c.t, res, http.StatusOK)
	m := secretRe.FindStringSubmatch(res.body)
	if m == nil {
		c.t.Fatalf("no secret on the enrolment page\n%s", excerpt(res.body))
	}
	secret = strings.ReplaceAll(m[1], " ", "")
	assertContains(c.t, res, `<img class="qr" src="data:image/png;base64,`)
	res = c.postForm("/settings/2fa", url.Values{"code": {c.app.codeAt(secret, 0)}})
	assertStatus(c.t, res, http.StatusOK)
	for _, m := range recoveryCodeRe.FindAllStringSubmatch(res.body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != 10 {
		c.t.Fatalf("%d recovery codes shown, want 10\n%s", len(codes), excerpt(res.body))
	}
	assertContains(c.t, res, `download="recovery-codes.txt"`)
	return secret, codes
}

// enrolledUser signs up a user in a browser of their own and turns the
// second factor on; that browser is then signed out, and the clock moved
// past the enrolment's step.
func (a *testApp) enrolledUser(email string) (secret string, codes []string) {
	a.t.Helper()
	c := a.client()
	c.signup("Ada", email, strongPassword)
	secret, codes = c.enrol()
	assertStatus(a.t, c.postForm("/logout", nil), http.StatusSeeOther)
	a.clock.Advance(30 * time.Second)
	return secret, codes
}

// firstFactor signs in with the password and expects to be asked for the
// code.
func (c *client) firstFactor(email string) {
	c.t.Helper()
	res := c.login(email, strongPassword)
	assertStatus(c.t, res, http.StatusSeeOther)
	assertLocation(c.t, res, "/login/2fa")
}

func (c *client) code(code string, form ...string) *response {
	c.t.Helper()
	v := url.Values{"code": {code}}
	for i := 0; i+1 < len(form); i += 2 {
		v.Set(form[i], form[i+1])
	}
	return c.postForm("/login/2fa", v)
}

func (c *client) assertSignedIn() {
	c.t.Helper()
	assertStatus(c.t, c.get("/dashboard"), http.StatusOK)
}

func (c *client) assertSignedOut() {
	c.t.Helper()
	res := c.get("/dashboard")
	assertStatus(c.t, res, http.StatusSeeOther)
	assertLocation(c.t, res, "/login?next=/dashboard")
}

func (a *testApp) lastSubjectTo(to string) string {
	a.t.Helper()
	msgs, err := a.db.RecentMail(context.Background(), 1)
	if err != nil || len(msgs) == 0 || msgs[0].To != to {
		return ""
	}
	return msgs[0].Subject
}

// The whole path: enrolment, then a sign-in that is not a sign-in until
// the code; the enrolment's own step and a used step are refused; the
// session id changes when the code succeeds; the secret is sealed.
func TestSecondFactorSignIn(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	if !strings.Contains(app.lastSubjectTo("ada@example.com"), "turned on") {
		t.Errorf("no notice of the factor turned on: %q", app.lastSubjectTo("ada@example.com"))
	}

	// The secret is not in the table in clear, in any spelling.
	var sealed []byte
	if err := app.db.Read.QueryRow(`SELECT secret FROM second_factors`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if bytes.Contains(sealed, []byte(secret)) || bytes.Contains(bytes.ToLower(sealed), []byte(strings.ToLower(secret))) || bytes.Contains(sealed, raw) {
		t.Fatal("the authenticator secret is stored in clear")
	}

	c := app.client()
	c.firstFactor("ada@example.com")
	before := c.session()
	c.assertSignedOut() // between the factors no page that needs sign-in opens
	assertStatus(t, c.get("/settings"), http.StatusSeeOther)
	res := c.get("/login/2fa")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, `name="remember_device"`)

	// The code of the enrolment's step was used: a replay is a wrong code.
	res = c.code(app.codeAt(secret, -30*time.Second))
	assertStatus(t, res, http.StatusUnprocessableEntity)
	if got := fieldError(res.body, "code"); !strings.Contains(got, "didn't work") {
		t.Fatalf("replayed enrolment code: %q", got)
	}
	c.assertSignedOut()

	// The current one, with a space in it, signs in with a new session id.
	now := app.codeAt(secret, 0)
	res = c.code(now[:3] + " " + now[3:])
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
	if c.session() == "" || c.session() == before {
		t.Fatal("the session id did not change when the second factor succeeded")
	}
	c.assertSignedIn()

	// The same code again, in another sign-in: refused.
	c2 := app.client()
	c2.firstFactor("ada@example.com")
	assertStatus(t, c2.code(now), http.StatusUnprocessableEntity)
	c2.assertSignedOut()
}

// One step of drift either way is accepted, two are not.
func TestSecondFactorDrift(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	app.clock.Advance(5 * time.Minute)
	for _, tc := range []struct {
		name  string
		drift time.Duration
		want  int
	}{
		{"two steps behind", -60 * time.Second, http.StatusUnprocessableEntity},
		{"two steps ahead", 60 * time.Second, http.StatusUnprocessableEntity},
		{"one step behind", -30 * time.Second, http.StatusSeeOther},
		{"one step ahead", 30 * time.Second, http.StatusSeeOther},
	} {
		c := app.client()
		c.firstFactor("ada@example.com")
		res := c.code(app.codeAt(secret, tc.drift))
		if res.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, res.StatusCode, tc.want)
		}
	}
}

// A recovery code works once, typed in any case and with spaces; the owner
// is told; /settings and the Security page count what is left.
func TestSecondFactorRecoveryCode(t *testing.T) {
	app := newTestApp(t)
	_, codes := app.enrolledUser("ada@example.com")
	c := app.client()
	c.firstFactor("ada@example.com")
	typed := strings.ToUpper(strings.ReplaceAll(codes[0], "-", " "))
	res := c.code(typed)
	assertStatus(t, res, http.StatusSeeOther)
	c.assertSignedIn()
	if s := app.lastSubjectTo("ada@example.com"); !strings.Contains(s, "recovery code") {
		t.Errorf("no notice of the recovery code: %q", s)
	}
	res = c.get("/settings")
	assertContains(t, res, "9 recovery codes left")

	c2 := app.client()
	c2.firstFactor("ada@example.com")
	assertStatus(t, c2.code(codes[0]), http.StatusUnprocessableEntity)
	c2.assertSignedOut()

	// Down to two: both pages warn.
	for _, code := range codes[1:8] {
		c3 := app.client()
		c3.firstFactor("ada@example.com")
		assertStatus(t, c3.code(code), http.StatusSeeOther)
	}
	res = c.get("/settings")
	assertContains(t, res, "running out of recovery codes")
	res = c.get("/settings/2fa")
	assertContains(t, res, "Only 2 recovery codes are left")
}

// Five wrong codes end the attempt with a 429; the account then refuses
// even the right code for 15 minutes, from any browser.
func TestSecondFactorLimits(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	c := app.client()
	c.firstFactor("ada@example.com")
	for i := 0; i < 4; i++ {
		assertStatus(t, c.code("000000"), http.StatusUnprocessableEntity)
	}
	assertTooMany(t, c.code("000000"))
	// The attempt is over: even the right code goes back to the password.
	res := c.code(app.codeAt(secret, 0))
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login")
	c.assertSignedOut()

	// Per account: another browser, the right code, still refused.
	c2 := app.client()
	c2.firstFactor("ada@example.com")
	wait := assertTooMany(t, c2.code(app.codeAt(secret, 0)))
	if wait > 15*time.Minute {
		t.Fatalf("Retry-After %v, more than the window", wait)
	}
	app.clock.Advance(15*time.Minute + time.Second)
	c3 := app.client()
	c3.firstFactor("ada@example.com")
	assertStatus(t, c3.code(app.codeAt(secret, 0)), http.StatusSeeOther)
	c3.assertSignedIn()
}

// Wrong codes add up across attempts and enrolment: 3 at enrolment and 2
// at sign-in reach the account's 5.
func TestSecondFactorLimitCountsEnrolment(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, c.get("/settings/2fa"), http.StatusOK)
	for i := 0; i < 3; i++ {
		res := c.postForm("/settings/2fa", url.Values{"code": {"000000"}})
		assertStatus(t, res, http.StatusUnprocessableEntity)
	}
	secret, _ := c.enrol()
	_ = secret
	// A success clears the count; three more wrong at enrolment of
	// another user are theirs alone. Here: five at sign-in again.
	c.postForm("/logout", nil)
	app.clock.Advance(30 * time.Second)
	c2 := app.client()
	c2.firstFactor("ada@example.com")
	for i := 0; i < 2; i++ {
		assertStatus(t, c2.code("000000"), http.StatusUnprocessableEntity)
	}

	other := app.client()
	other.signup("Bob", "bob@example.com", strongPassword)
	assertStatus(t, other.get("/settings/2fa"), http.StatusOK)
	for i := 0; i < 4; i++ {
		assertStatus(t, other.postForm("/settings/2fa", url.Values{"code": {"000000"}}), http.StatusUnprocessableEntity)
	}
	assertTooMany(t, other.postForm("/settings/2fa", url.Values{"code": {"000000"}}))
	if on, _ := app.acc.SecondFactorEnabled(context.Background(), 2); on {
		t.Fatal("the factor turned on without a right code")
	}
}

// An enrolment without a right code leaves the factor off: the next
// sign-in asks for no code.
func TestSecondFactorEnrolmentNeedsACorrectCode(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	res := c.get("/settings/2fa")
	secret := strings.ReplaceAll(secretRe.FindStringSubmatch(res.body)[1], " ", "")
	// A reload shows the same secret (an app that scanned it still works).
	if again := c.get("/settings/2fa"); !strings.Contains(again.body, groupSecret(secret)) {
		t.Fatal("a reload showed another secret")
	}
	for _, tc := range []struct{ code, msg string }{
		{"000000", "didn't work"},
		{app.codeAt(secret, 60*time.Second), "didn't work"},
		{"abcdef", "6 digits"},
		{"12345", "6 digits"},
		{strings.Repeat("1", 65), "6 digits"},
	} {
		res := c.postForm("/settings/2fa", url.Values{"code": {tc.code}})
		assertStatus(t, res, http.StatusUnprocessableEntity)
		if got := errorSummary(res.body); !strings.Contains(got, tc.msg) {
			t.Errorf("code %q: message %q, want %q", tc.code, got, tc.msg)
		}
	}
	c.postForm("/logout", nil)
	res = c.login("ada@example.com", strongPassword)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
}

// Enrolment needs the sudo window: outside it the page asks for the
// password, and shows no secret until it is given.
func TestSecondFactorEnrolmentNeedsSudo(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	app.clock.Advance(11 * time.Minute)
	res := c.get("/settings/2fa")
	assertStatus(t, res, http.StatusOK)
	if secretRe.MatchString(res.body) {
		t.Fatal("a secret shown outside the sudo window")
	}
	assertContains(t, res, `name="current_password"`)
	res = c.postForm("/settings/2fa", url.Values{"code": {"123456"}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	res = c.postForm("/settings/2fa", url.Values{"current_password": {"wrong password here"}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	res = c.postForm("/settings/2fa", url.Values{"current_password": {strongPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/settings/2fa")
	if !secretRe.MatchString(c.get("/settings/2fa").body) {
		t.Fatal("no secret after the password")
	}
}

// The first factor is good for 5 minutes; after that the code page sends
// back to the password, and nobody is signed in.
func TestSecondFactorPendingExpires(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	c := app.client()
	c.firstFactor("ada@example.com")
	app.clock.Advance(5*time.Minute + time.Second)
	res := c.code(app.codeAt(secret, 0))
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login")
	c.assertSignedOut()
	res = c.get("/login/2fa")
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login")
}

// An emailed link and a reset ask for the code too.
func TestSecondFactorAfterLinkAndReset(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	c := app.client()
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	link := app.lastLink("ada@example.com", "/login/email/confirm")
	res := c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, link)}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login/2fa")
	c.assertSignedOut()
	assertStatus(t, c.code(app.codeAt(secret, 0)), http.StatusSeeOther)
	c.assertSignedIn()

	app.clock.Advance(30 * time.Second)
	r := app.client()
	assertStatus(t, r.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	link = app.lastLink("ada@example.com", "/reset-password")
	res = r.postForm("/reset-password", url.Values{"token": {tokenOf(t, link)}, "password": {"another long passphrase here"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login/2fa")
	r.assertSignedOut()
	assertStatus(t, r.code(app.codeAt(secret, 0)), http.StatusSeeOther)
	r.assertSignedIn()
}

// "Don't ask again": the browser skips the code after signing out, others
// don't; a password change, a reset and turning the factor off forget it.
func TestSecondFactorRememberedDevice(t *testing.T) {
	app := newTestApp(t, withTrustedProxy())
	secret, _ := app.enrolledUser("ada@example.com")
	password := strongPassword
	c := app.client().from("203.0.113.1")
	// signInFrom signs c in with the password; it reports whether the
	// code was skipped, and when it was not, gives it (remembering this
	// browser when remember is set). c ends signed out.
	signInFrom := func(remember bool) (skipped bool) {
		t.Helper()
		res := c.login("ada@example.com", password)
		assertStatus(t, res, http.StatusSeeOther)
		skipped = res.Header.Get("Location") == "/dashboard"
		if !skipped {
			assertLocation(t, res, "/login/2fa")
			form := []string{}
			if remember {
				form = []string{"remember_device", "on"}
			}
			res = c.code(app.codeAt(secret, 0), form...)
			assertStatus(t, res, http.StatusSeeOther)
			if ck := setCookie(res, "latchkey_device"); remember && (ck == nil || !ck.HttpOnly || ck.MaxAge < 29*24*3600) {
				t.Fatalf("no lasting device cookie: %+v", ck)
			}
			app.clock.Advance(30 * time.Second)
		}
		c.assertSignedIn()
		assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
		return skipped
	}
	if signInFrom(true) {
		t.Fatal("skipped before it was remembered")
	}
	if !signInFrom(false) {
		t.Fatal("a remembered browser was asked again after signing out")
	}
	app.client().firstFactor("ada@example.com") // another browser is asked

	// From a new address: it still skips, and the owner is told.
	c.from("198.51.100.7")
	if !signInFrom(false) {
		t.Fatal("a remembered browser was asked from a new address")
	}
	if s := app.lastSubjectTo("ada@example.com"); !strings.Contains(s, "new address") {
		t.Errorf("no notice of the mark used from a new address: %q", s)
	}

	// A password change forgets it.
	s := app.client()
	s.firstFactor("ada@example.com")
	assertStatus(t, s.code(app.codeAt(secret, 0)), http.StatusSeeOther)
	app.clock.Advance(30 * time.Second)
	password = "another long passphrase here"
	assertStatus(t, s.postForm("/settings/password", url.Values{"current_password": {strongPassword}, "password": {password}}), http.StatusSeeOther)
	if signInFrom(true) {
		t.Fatal("remembered after a password change")
	}
	if !signInFrom(false) {
		t.Fatal("not remembered again")
	}

	// So does a reset.
	r := app.client()
	assertStatus(t, r.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	link := app.lastLink("ada@example.com", "/reset-password")
	password = "a third long passphrase"
	assertStatus(t, r.postForm("/reset-password", url.Values{"token": {tokenOf(t, link)}, "password": {password}}), http.StatusSeeOther)
	if signInFrom(true) {
		t.Fatal("remembered after a reset")
	}
	if !signInFrom(false) {
		t.Fatal("not remembered again")
	}

	// And turning the factor off (then on again).
	s = app.client()
	s.firstFactor2(password, app.codeAt(secret, 0))
	app.clock.Advance(30 * time.Second)
	res := s.postForm("/settings/2fa/delete", url.Values{})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/settings/2fa")
	if sub := app.lastSubjectTo("ada@example.com"); !strings.Contains(sub, "turned off") {
		t.Errorf("no notice of the factor turned off: %q", sub)
	}
	secret, _ = s.enrol()
	app.clock.Advance(30 * time.Second)
	if signInFrom(false) {
		t.Fatal("remembered after the factor was turned off")
	}
}

// firstFactor2 signs in with password and code.
func (c *client) firstFactor2(password, code string) {
	c.t.Helper()
	res := c.login("ada@example.com", password)
	assertLocation(c.t, res, "/login/2fa")
	assertStatus(c.t, c.code(code), http.StatusSeeOther)
}

// Bad input at the code page is 422 (or 413 for a huge body) with a clear
// message, never 5xx; it counts as no guess and leaves the sign-in waiting.
func TestSecondFactorBadInput(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	c := app.client()
	c.firstFactor("ada@example.com")
	for _, tc := range []struct {
		name, code string
		want       int
		msg        string
	}{
		{"empty", "", http.StatusUnprocessableEntity, "Enter the code"},
		{"spaces only", "   ", http.StatusUnprocessableEntity, "Enter the code"},
		{"letters", "abcdef", http.StatusUnprocessableEntity, "6 digits"},
		{"five digits", "12345", http.StatusUnprocessableEntity, "6 digits"},
		{"seven digits", "1234567", http.StatusUnprocessableEntity, "6 digits"},
		{"arabic digits", "١٢٣٤٥٦", http.StatusUnprocessableEntity, "6 digits"},
		{"too long", strings.Repeat("1", 65), http.StatusUnprocessableEntity, "6 digits"},
		{"NUL", "123\x00456", http.StatusUnprocessableEntity, ""},
		{"not UTF-8", "\xff\xfe", http.StatusUnprocessableEntity, ""},
		{"huge", strings.Repeat("1", 70<<10), http.StatusRequestEntityTooLarge, ""},
	} {
		res := c.code(tc.code)
		if res.StatusCode != tc.want {
			t.Fatalf("%s: status %d, want %d\n%s", tc.name, res.StatusCode, tc.want, excerpt(res.body))
		}
		if tc.msg != "" {
			if got := fieldError(res.body, "code"); !strings.Contains(got, tc.msg) {
				t.Errorf("%s: message %q, want %q", tc.name, got, tc.msg)
			}
		}
	}
	var failures int
	if err := app.db.Read.QueryRow(`SELECT COUNT(*) FROM second_factor_failures`).Scan(&failures); err != nil {
		t.Fatal(err)
	}
	if failures != 0 {
		t.Fatalf("%d malformed codes counted as guesses", failures)
	}
	// The sign-in still waits, and the right code finishes it.
	assertStatus(t, c.code(app.codeAt(secret, 0)), http.StatusSeeOther)
	c.assertSignedIn()
}

// FuzzLoginCodeForm posts arbitrary codes and checkbox values to the code
// page of a waiting sign-in: whatever they are, the answer is one we meant
// (303, 422, 413 or the 429 of the limit), never a 5xx.
func FuzzLoginCodeForm(f *testing.F) {
	app := startTestApp(f, unlimited)
	app.t = f
	secret, codes := app.enrolledUser("ada@example.com")
	_ = secret
	for _, s := range []string{"", "000000", "123 456", "abcde-fghjk", codes[0], "\x00", "\xff", "١٢٣٤٥٦", strings.Repeat("-", 64)} {
		f.Add(s, "on")
	}
	f.Fuzz(func(t *testing.T, code, remember string) {
		app.clock.Advance(16 * time.Minute) // past the account's window: every try is a fresh one
		c := fuzzClient(t, app)
		c.firstFactor("ada@example.com")
		res := c.postForm("/login/2fa", url.Values{"code": {code}, "remember_device": {remember}})
		switch res.StatusCode {
		case http.StatusSeeOther:
			if err := staysOnSite(res.Header.Get("Location")); err != nil {
				t.Fatalf("Location %q: %v", res.Header.Get("Location"), err)
			}
		case http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		default:
			t.Fatalf("code %q: status %d\n%s", code, res.StatusCode, excerpt(res.body))
		}
	})
}

// The attempt has a limit of its own: after a right code elsewhere clears
// the account's count, this attempt's fifth wrong code still ends it.
func TestSecondFactorLimitPerAttempt(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	c := app.client()
	c.firstFactor("ada@example.com")
	for i := 0; i < 3; i++ {
		assertStatus(t, c.code("000000"), http.StatusUnprocessableEntity)
	}
	other := app.client()
	other.firstFactor("ada@example.com")
	assertStatus(t, other.code(app.codeAt(secret, 0)), http.StatusSeeOther)
	assertStatus(t, c.code("000000"), http.StatusUnprocessableEntity)
	assertTooMany(t, c.code("000000"))
	res := c.code(app.codeAt(secret, 30*time.Second))
	assertLocation(t, res, "/login")
	c.assertSignedOut()
}

// An identity provider is a first factor like the others: with the second
// factor on, the callback asks for the code, then goes on to next.
func TestSecondFactorAfterProvider(t *testing.T) {
	w := newProviderWorld(t)
	w.github.approveAs(&githubUser{ID: 7, Login: "ada", Emails: []githubEmail{{Email: "ada@example.com", Primary: true, Verified: true}}})
	assertLocation(t, w.app.client().signInWith("github"), "/dashboard")
	ctx := context.Background()
	u, err := w.app.acc.FindUser(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	e, err := w.app.acc.BeginEnrolment(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	w.app.t = t
	if _, err := w.app.acc.ConfirmEnrolment(ctx, u, w.app.codeAt(e.Secret, 0), accountsOrigin()); err != nil {
		t.Fatal(err)
	}
	w.app.clock.Advance(30 * time.Second)
	c := w.app.client()
	res := c.get(approve(t, c.startAt("/login/oauth/github", url.Values{"next": {"/notes"}})))
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login/2fa")
	c.assertSignedOut()
	res = c.code(w.app.codeAt(e.Secret, 0))
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/notes")
	c.assertSignedIn()
}

// The sudo window counts from the code, not the password: 4 minutes
// between them, then 7 more, and the empty password is still accepted.
func TestSecondFactorSudoWindowCountsFromTheCode(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	c := app.client()
	c.firstFactor("ada@example.com")
	app.clock.Advance(4 * time.Minute)
	assertStatus(t, c.code(app.codeAt(secret, 0)), http.StatusSeeOther)
	app.clock.Advance(7 * time.Minute)
	res := c.postForm("/settings/2fa/delete", url.Values{})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/settings/2fa")
}

// A browser remembered for one account is asked for the code of another.
func TestSecondFactorDeviceMarkIsPerUser(t *testing.T) {
	app := newTestApp(t)
	secretA, _ := app.enrolledUser("ada@example.com")
	secretB, _ := app.enrolledUser("bob@example.com")
	c := app.client()
	c.firstFactor("ada@example.com")
	assertStatus(t, c.code(app.codeAt(secretA, 0), "remember_device", "on"), http.StatusSeeOther)
	assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
	c.firstFactor("bob@example.com")
	assertStatus(t, c.code(app.codeAt(secretB, 0)), http.StatusSeeOther)
}

// FuzzEnrolForm posts arbitrary codes and passwords to the enrolment form
// of a signed-in user: the answer is one we meant (a page, 303, 413 or the
// limit's 429), never a 5xx, and the factor never turns on.
func FuzzEnrolForm(f *testing.F) {
	app := startTestApp(f, unlimited)
	app.t = f
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(f, c.get("/settings/2fa"), http.StatusOK)
	for _, s := range []string{"", "000000", "123 456", "abcdef", "\x00", "\xff", strings.Repeat("9", 64)} {
		f.Add(s, "")
	}
	f.Add("", "wrong password")
	f.Fuzz(func(t *testing.T, code, password string) {
		c.t = t
		res := c.postForm("/settings/2fa", url.Values{"code": {code}, "current_password": {password}})
		switch res.StatusCode {
		case http.StatusSeeOther, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		default:
			t.Fatalf("code %q: status %d\n%s", code, res.StatusCode, excerpt(res.body))
		}
		if on, err := app.acc.SecondFactorEnabled(context.Background(), 1); on || err != nil {
			t.Fatalf("the factor turned on (%v) with code %q", err, code)
		}
	})
}
