package handlers

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// The form fuzzers post arbitrary values through the real stack (CSRF,
// session, binding, validation, policy, database). Whatever comes in, the
// answer is a page we meant to give: never a 5xx, never the password sent
// back, never a redirect off the site. One app serves the whole run; inputs
// that pass validation cost a real argon2id hash, so the seeds are few.

// unlimited lifts the rate limits: the test clock stands still, so the
// default burst would run out after a thousand iterations.
func unlimited(c *testConfig) { c.handlers.RateBurst = 1 << 30 }

// fuzzClient is a fresh browser for one fuzz iteration.
func fuzzClient(t *testing.T, app *testApp) *client {
	c := app.client()
	c.t = t
	return c
}

func checkFuzzAnswer(t *testing.T, res *response) {
	t.Helper()
	switch res.StatusCode {
	case http.StatusSeeOther:
		if err := staysOnSite(res.Header.Get("Location")); err != nil {
			t.Fatalf("Location %q: %v", res.Header.Get("Location"), err)
		}
	case http.StatusUnprocessableEntity:
		if v, ok := fieldValue(res.body, "password"); !ok || v != "" {
			t.Fatalf("password field re-rendered with %q (present %v)", v, ok)
		}
	case http.StatusRequestEntityTooLarge:
	default:
		t.Fatalf("status %d\n%s", res.StatusCode, excerpt(res.body))
	}
}

func FuzzSignupForm(f *testing.F) {
	app := startTestApp(f, unlimited)
	f.Add("Ada", "ada@example.com", "short")
	f.Add("", "", "")
	f.Add("<script>", "not-an-email", "password1")
	f.Add("Ada\x00", "ada@example.com\r\n", "\xff\xfe")
	f.Add("Zoë", "zoe@example.com", "zoe@example.com")
	f.Add("Ada", " ada@example.com ", "tangerine lighthouse ferry")
	f.Fuzz(func(t *testing.T, name, email, password string) {
		res := fuzzClient(t, app).postForm("/signup", url.Values{"name": {name}, "email": {email}, "password": {password}})
		checkFuzzAnswer(t, res)
		if res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") != "/verify-request" {
			t.Fatalf("signup redirected to %q", res.Header.Get("Location"))
		}
	})
}

func FuzzLoginForm(f *testing.F) {
	app := startTestApp(f, unlimited)
	const email, password = "ada@example.com", "tangerine lighthouse ferry"
	u, _, err := app.acc.Register(context.Background(), "Ada", email, password)
	if err != nil {
		f.Fatal(err)
	}
	if err := app.db.MarkEmailVerified(context.Background(), u.ID, app.clock.Now()); err != nil {
		f.Fatal(err)
	}
	f.Add(email, password, "on", "/dashboard")
	f.Add(email, password, "", "//evil.com")
	f.Add(email, password, "1", "/\\evil.com")
	f.Add(email, password, "on", "/%2F%2Fevil.com")
	f.Add("ADA@example.com", password, "off", "\t//evil.com")
	f.Add("nobody@example.com", "x", "", "")
	f.Add("", "", "", "javascript:alert(1)")
	f.Add("ada@example.com\x00", "\xff", "on", "/\x00")
	f.Fuzz(func(t *testing.T, email, password, remember, next string) {
		res := fuzzClient(t, app).postForm("/login", url.Values{"email": {email}, "password": {password},
			"remember": {remember}, "next": {next}})
		checkFuzzAnswer(t, res)
	})
}

// FuzzFormBody posts raw bodies — broken escapes, repeated fields, odd
// separators — to both forms, with a valid CSRF token in front.
func FuzzFormBody(f *testing.F) {
	app := startTestApp(f, unlimited)
	f.Add(false, "email=ada%40example.com&password=x")
	f.Add(true, "name=%zz&email=%&password=%%")
	f.Add(false, "email=a&email=b&password=1&password=2&next=//x&next=/y")
	f.Add(true, "name;email;password")
	f.Add(false, "=&&=&==")
	f.Fuzz(func(t *testing.T, signup bool, body string) {
		c := fuzzClient(t, app)
		path := "/login"
		if signup {
			path = "/signup"
		}
		res := c.postRaw(path, "_csrf="+url.QueryEscape(c.csrf())+"&"+body)
		checkFuzzAnswer(t, res)
	})
}
