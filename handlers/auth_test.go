package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignupDashboardLogoutLogin(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)

	res := c.get("/dashboard")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "Hello, Ada Lovelace")

	res = c.postForm("/logout", nil)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login")
	res = c.get("/dashboard")
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login?next=/dashboard")

	res = c.postForm("/login", url.Values{"email": {"ADA@example.com"}, "password": {strongPassword}, "next": {"/dashboard?tab=1"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard?tab=1")
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
}

// The whole story of the issue: sign up from the home page, see the name on
// the dashboard, sign out with the button, sign in again.
func TestFullFlowFromHomePage(t *testing.T) {
	app := newTestApp(t)
	c := app.client()

	res := c.get("/")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, `href="/signup"`)
	res = c.get("/signup")
	assertStatus(t, res, http.StatusOK)
	for _, name := range []string{"name", "email", "password", "_csrf"} {
		if _, ok := fieldValue(res.body, name); !ok {
			t.Fatalf("/signup has no field %q", name)
		}
	}

	c.signup("Grace Hopper", "grace@example.com", strongPassword)
	res = c.get("/dashboard")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "Hello, Grace Hopper")
	assertContains(t, res, "grace@example.com")
	assertContains(t, res, `action="/logout"`)
	if app.countUsers(t, "") != 1 {
		t.Fatalf("users = %d, want 1", app.countUsers(t, ""))
	}

	// Signed in, the home page points to the dashboard.
	assertContains(t, c.get("/"), `href="/dashboard"`)

	res = c.postForm("/logout", nil)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login")
	res = c.get("/login")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "You've been signed out.")
	// The flash is shown once.
	assertNotContains(t, c.get("/login"), "been signed out")

	res = c.get("/dashboard")
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login?next=/dashboard")

	res = c.login("grace@example.com", strongPassword)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
	assertContains(t, c.get("/dashboard"), "Hello, Grace Hopper")
}

// The next path travels from the redirect, through the login page's hidden
// field, to the Location after sign-in.
func TestLoginHonoursLocalNext(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada", "ada@example.com", strongPassword)
	c := app.client()

	res := c.get("/dashboard?tab=security")
	assertStatus(t, res, http.StatusSeeOther)
	loginURL := res.Header.Get("Location")
	if loginURL != "/login?next=/dashboard%3Ftab%3Dsecurity" {
		t.Fatalf("Location %q", loginURL)
	}
	res = c.get(loginURL)
	assertStatus(t, res, http.StatusOK)
	next, ok := fieldValue(res.body, "next")
	if !ok || next != "/dashboard?tab=security" {
		t.Fatalf("hidden next = %q (present %v)", next, ok)
	}
	res = c.postForm("/login", url.Values{"email": {"ada@example.com"}, "password": {strongPassword}, "next": {next}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard?tab=security")

	// A failed attempt keeps next in the re-rendered form.
	c2 := app.client()
	res = c2.postForm("/login", url.Values{"email": {"ada@example.com"}, "password": {"not the password"}, "next": {"/dashboard?x=1"}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	if next, _ := fieldValue(res.body, "next"); next != "/dashboard?x=1" {
		t.Fatalf("next after a failed attempt = %q", next)
	}
}

// Remember me on: a cookie that outlives the browser (Expires and Max-Age).
// Off: a browser-session cookie with neither. Both HttpOnly, SameSite=Lax.
func TestRememberMeCookieShapes(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada", "ada@example.com", strongPassword)

	for _, tc := range []struct {
		name       string
		remember   []string
		persistent bool
	}{
		{"on", []string{"on"}, true},
		{"off (unticked checkbox sends nothing)", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := app.client()
			form := url.Values{"email": {"ada@example.com"}, "password": {strongPassword}}
			if tc.remember != nil {
				form["remember"] = tc.remember
			}
			res := c.postForm("/login", form)
			assertStatus(t, res, http.StatusSeeOther)
			ck := setCookie(res, "latchkey_session")
			if ck == nil {
				t.Fatalf("no session cookie set at sign-in; Set-Cookie: %q", res.Header.Values("Set-Cookie"))
			}
			line := setCookieLine(res, "latchkey_session")
			hasExpires := !ck.Expires.IsZero() || strings.Contains(line, "Expires=")
			hasMaxAge := ck.MaxAge != 0 || strings.Contains(line, "Max-Age=")
			if tc.persistent {
				if !hasExpires || ck.MaxAge <= 0 {
					t.Fatalf("remember me on: cookie %q has no Expires/Max-Age", line)
				}
				// scs moves the cookie's expiry with the 7-day idle
				// timeout, capped by the 30-day lifetime.
				if d := time.Until(ck.Expires); d < 6*24*time.Hour || d > 31*24*time.Hour {
					t.Fatalf("remember me on: cookie expires in %v, want 7 to 30 days", d)
				}
			} else if hasExpires || hasMaxAge {
				t.Fatalf("remember me off: cookie %q should be a browser-session cookie", line)
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
				t.Fatalf("cookie %q: want HttpOnly, SameSite=Lax, Path=/", line)
			}
			if ck.Secure {
				t.Fatalf("cookie %q is Secure on plain http", line)
			}
			assertStatus(t, c.get("/dashboard"), http.StatusOK)
		})
	}
}

// Under https the session and CSRF cookies are Secure. (The test server is
// plain http, so the browser's jar would not send Secure cookies back: the
// CSRF cookie is sent by hand.)
func TestCookiesSecureUnderHTTPS(t *testing.T) {
	app := newTestApp(t, func(c *testConfig) { c.handlers.Secure = true })
	app.createUser(t, "Ada", "ada@example.com", strongPassword)
	c := app.client()
	res := c.get("/login")
	// Under https the CSRF cookie is __Host- prefixed (docs/ARCHITECTURE.md,
	// "CSRF").
	csrf := setCookie(res, "__Host-csrf")
	if csrf == nil || !csrf.Secure || !csrf.HttpOnly {
		t.Fatalf("CSRF cookie %q: want Secure and HttpOnly", setCookieLine(res, "__Host-csrf"))
	}
	res = c.postWith("/login", url.Values{"_csrf": {csrf.Value}, "email": {"ada@example.com"},
		"password": {strongPassword}, "remember": {"on"}}, map[string]string{"Cookie": "__Host-csrf=" + csrf.Value})
	assertStatus(t, res, http.StatusSeeOther)
	ck := setCookie(res, "latchkey_session")
	if ck == nil || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %q: want Secure, HttpOnly, SameSite=Lax", setCookieLine(res, "latchkey_session"))
	}
}
