package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Fuzz tests for every form, through the real middleware and handlers
// against a real SQLite file: whatever is typed or sent, the answer is
// never a 5xx. Run one longer with, for example:
//
//	go test -run '^$' -fuzz '^FuzzAbuseSignup$' -fuzztime 60s ./handlers

// fuzzApp is one app per fuzzing process (not per input: migrating a
// database per input would leave no time for fuzzing). The rate limits are
// out of the way so every input reaches its handler.
func fuzzApp(f *testing.F) (*testApp, *client, string) {
	app := newTestApp(f, withRateLimit(1<<30, time.Millisecond))
	c := app.client()
	return app, c, c.csrf()
}

// postFuzzed posts a form (or a raw body) as this input's browser and fails
// on a 5xx.
func postFuzzed(t *testing.T, app *testApp, c *client, path, body string) *response {
	c.t = t
	res := c.postRaw(path, body)
	if res.StatusCode >= 500 {
		t.Fatalf("POST %s %q: status %d\n%s\nlog:\n%s", path, body, res.StatusCode, excerpt(res.body), tail(app.logs.String(), 3000))
	}
	return res
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// fuzzTokens returns a live sign-in and reset token, as seeds.
func fuzzTokens(f *testing.F, app *testApp) (login, reset string) {
	setup := app.client()
	setup.signup("Ada Lovelace", "ada@example.com", strongPassword)
	setup.postForm("/login/email", url.Values{"email": {"ada@example.com"}})
	setup.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}})
	return tokenOf(f, app.lastLink("ada@example.com", "/login/email/confirm")),
		tokenOf(f, app.lastLink("ada@example.com", "/reset-password"))
}

func FuzzAbuseSignup(f *testing.F) {
	app, c, csrf := fuzzApp(f)
	f.Add("Ada Lovelace", "ada@example.com", strongPassword)
	f.Add("", "", "")
	f.Add("Ada\x00", "ada@example.com\xff", "pässwörd ünïcödé 🔑🔑")
	f.Add(strings.Repeat("n", 101), "a@"+strings.Repeat("b", 260)+".com", strings.Repeat("p", 129))
	f.Add("ada@example.com", " ADA@EXAMPLE.COM ", "ada@example.com")
	f.Fuzz(func(t *testing.T, name, email, password string) {
		form := url.Values{"_csrf": {csrf}, "name": {name}, "email": {email}, "password": {password}}
		postFuzzed(t, app, c, "/signup", form.Encode())
	})
}

func FuzzAbuseLogin(f *testing.F) {
	app, c, csrf := fuzzApp(f)
	app.client().signup("Ada Lovelace", "ada@example.com", strongPassword)
	f.Add("ada@example.com", strongPassword, "on", "/dashboard")
	f.Add("ada@example.com", "wrong", "", "//evil.example")
	f.Add("", "", "\x00", "https://evil.example/")
	f.Add("nobody@example.com\xff", strings.Repeat("p", 2000), "off", "/\\evil")
	f.Fuzz(func(t *testing.T, email, password, remember, next string) {
		form := url.Values{"_csrf": {csrf}, "email": {email}, "password": {password}, "remember": {remember}, "next": {next}}
		res := postFuzzed(t, app, c, "/login", form.Encode())
		if loc := res.Header.Get("Location"); res.StatusCode == http.StatusSeeOther &&
			(!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\")) {
			t.Fatalf("sign-in redirected off-site to %q (next %q)", loc, next)
		}
	})
}

func FuzzAbuseLoginLink(f *testing.F) {
	app, c, csrf := fuzzApp(f)
	f.Add("ada@example.com")
	f.Add("")
	f.Add("\x00@\xff")
	f.Add(strings.Repeat("a", 300) + "@example.com")
	f.Fuzz(func(t *testing.T, email string) {
		postFuzzed(t, app, c, "/login/email", url.Values{"_csrf": {csrf}, "email": {email}}.Encode())
	})
}

func FuzzAbuseForgotPassword(f *testing.F) {
	app, c, csrf := fuzzApp(f)
	f.Add("ada@example.com")
	f.Add("")
	f.Add("ada@example.com\r\nBcc: victim@example.com")
	f.Fuzz(func(t *testing.T, email string) {
		postFuzzed(t, app, c, "/forgot-password", url.Values{"_csrf": {csrf}, "email": {email}}.Encode())
	})
}

func FuzzAbuseResetPassword(f *testing.F) {
	app, c, csrf := fuzzApp(f)
	_, reset := fuzzTokens(f, app)
	f.Add(reset, "a brand new passphrase here")
	f.Add(reset, "short")
	f.Add("", "")
	f.Add(reset[:20]+"\x00", strongPassword)
	f.Add(strings.Repeat("A", 43), strongPassword)
	f.Fuzz(func(t *testing.T, token, password string) {
		postFuzzed(t, app, c, "/reset-password", url.Values{"_csrf": {csrf}, "token": {token}, "password": {password}}.Encode())
	})
}

func FuzzAbuseConfirmLogin(f *testing.F) {
	app, c, csrf := fuzzApp(f)
	login, _ := fuzzTokens(f, app)
	f.Add(login)
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add(login + "=")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, token string) {
		postFuzzed(t, app, c, "/login/email/confirm", url.Values{"_csrf": {csrf}, "token": {token}}.Encode())
	})
}

// FuzzAbuseFormBody sends raw bodies, not built by url.Values: broken
// escapes, repeated and unknown fields, odd separators, to every form.
func FuzzAbuseFormBody(f *testing.F) {
	app, c, csrf := fuzzApp(f)
	paths := []string{"/signup", "/login", "/login/email", "/forgot-password", "/reset-password", "/login/email/confirm"}
	f.Add(uint8(0), "name=Ada&email=ada%40example.com&password=correct+horse+battery+staple")
	f.Add(uint8(1), "email=%zz&password=%&email=b&&==&;")
	f.Add(uint8(2), "email=a%00b%40example.com")
	f.Add(uint8(4), "token=a&token=b&password=x&password=y")
	f.Add(uint8(5), "token=%C0%AF")
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		path := paths[int(route)%len(paths)]
		postFuzzed(t, app, c, path, body+"&_csrf="+url.QueryEscape(csrf))
	})
}
