package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"latchkey/static"
)

// assertForbiddenPage checks a CSRF refusal: 403, as an HTML page, not
// Echo's JSON error.
func assertForbiddenPage(t *testing.T, res *response) {
	t.Helper()
	assertStatus(t, res, http.StatusForbidden)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("403 Content-Type %q, want an HTML page", ct)
	}
	if json.Valid([]byte(res.body)) {
		t.Fatalf("403 body is JSON: %s", res.body)
	}
	assertContains(t, res, "<html")
	assertContains(t, res, "This form has expired")
}

// Every unsafe request needs the token, whatever Sec-Fetch-Site says, and
// a cross-site one is refused even with it.
func TestCSRF(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada", "ada@example.com", strongPassword)
	creds := func() url.Values {
		return url.Values{"email": {"ada@example.com"}, "password": {strongPassword}}
	}

	t.Run("missing token", func(t *testing.T) {
		c := app.client()
		c.csrf() // the browser has the cookie, the form lacks the field
		assertForbiddenPage(t, c.postRaw("/login", creds().Encode()))
	})
	t.Run("no cookie and no token", func(t *testing.T) {
		assertForbiddenPage(t, app.client().postRaw("/login", creds().Encode()))
	})
	t.Run("wrong token", func(t *testing.T) {
		c := app.client()
		c.csrf()
		f := creds()
		f.Set("_csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		assertForbiddenPage(t, c.postForm("/login", f))
	})
	t.Run("another browser's token", func(t *testing.T) {
		other := app.client().csrf()
		c := app.client()
		c.csrf()
		f := creds()
		f.Set("_csrf", other)
		assertForbiddenPage(t, c.postForm("/login", f))
	})
	t.Run("cross-site with a valid token", func(t *testing.T) {
		c := app.client()
		assertForbiddenPage(t, c.postWith("/login", creds(), map[string]string{"Sec-Fetch-Site": "cross-site"}))
	})
	t.Run("same-site with a valid token", func(t *testing.T) {
		c := app.client()
		assertForbiddenPage(t, c.postWith("/login", creds(), map[string]string{"Sec-Fetch-Site": "same-site"}))
	})
	t.Run("same-origin without a token", func(t *testing.T) {
		c := app.client()
		c.csrf()
		req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/login", strings.NewReader(creds().Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		assertForbiddenPage(t, c.do(req))
	})
	t.Run("signup and logout are protected too", func(t *testing.T) {
		c := app.client()
		c.signup("Bob", "bob@example.com", strongPassword)
		assertForbiddenPage(t, c.postRaw("/logout", ""))
		assertForbiddenPage(t, c.postRaw("/signup", url.Values{"name": {"Eve"}, "email": {"eve@example.com"},
			"password": {strongPassword}}.Encode()))
		// The refused logout left the session alone.
		assertStatus(t, c.get("/dashboard"), http.StatusOK)
		if n := app.countUsers(t, "email = ?", "eve@example.com"); n != 0 {
			t.Fatalf("a signup without a token created %d users", n)
		}
	})

	// The same requests pass with the token, so the refusals above are the
	// CSRF check and nothing else.
	t.Run("same-origin with the token", func(t *testing.T) {
		c := app.client()
		res := c.postWith("/login", creds(), map[string]string{"Sec-Fetch-Site": "same-origin"})
		assertStatus(t, res, http.StatusSeeOther)
	})
	t.Run("token in the X-CSRF-Token header", func(t *testing.T) {
		c := app.client()
		tok := c.csrf()
		res := c.postWith("/login", url.Values{"_csrf": {""}, "email": {"ada@example.com"}, "password": {strongPassword}},
			map[string]string{"X-CSRF-Token": tok})
		assertStatus(t, res, http.StatusSeeOther)
	})
}

// Session fixation: a session cookie planted in the victim's browser before
// sign-in is worthless afterwards. The planted value is a real session
// (the attacker's own, kept alive by the flash after signing out).
func TestSessionFixation(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada", "ada@example.com", strongPassword)

	attacker := app.client()
	attacker.signup("Mallory", "mallory@example.com", strongPassword)
	assertStatus(t, attacker.postForm("/logout", nil), http.StatusSeeOther)
	planted := attacker.session()
	if planted == "" {
		t.Fatal("the attacker has no session cookie after signing out")
	}

	for _, step := range []string{"login", "signup"} {
		t.Run(step, func(t *testing.T) {
			victim := app.client()
			victim.plantCookie("latchkey_session", planted)
			if step == "login" {
				assertStatus(t, victim.login("ada@example.com", strongPassword), http.StatusSeeOther)
			} else {
				victim.signup("Victim", "victim@example.com", strongPassword)
			}
			after := victim.session()
			if after == "" || after == planted {
				t.Fatalf("session cookie after %s = %q, the planted value was %q", step, after, planted)
			}
			assertStatus(t, victim.get("/dashboard"), http.StatusOK)
			// The attacker, still holding the planted value, is not signed in.
			res := attacker.get("/dashboard")
			assertStatus(t, res, http.StatusSeeOther)
			assertLocation(t, res, "/login?next=/dashboard")
		})
	}

	t.Run("sign-in from a browser that already has a session", func(t *testing.T) {
		c := app.client()
		c.signup("Carol", "carol@example.com", strongPassword)
		before := c.session()
		assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusSeeOther)
		if after := c.session(); after == before || after == "" {
			t.Fatalf("the session cookie did not change at sign-in")
		}
		// The old cookie does not carry Carol's sign-in any more.
		old := app.client()
		old.plantCookie("latchkey_session", before)
		assertStatus(t, old.get("/dashboard"), http.StatusSeeOther)
	})
}

// Signing out ends the session on the server: a copy of the cookie taken
// before is signed out, with or without remember me.
func TestReplayedCookieAfterLogoutIsSignedOut(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada", "ada@example.com", strongPassword)
	for _, remember := range []string{"", "on"} {
		c := app.client()
		res := c.postForm("/login", url.Values{"email": {"ada@example.com"}, "password": {strongPassword}, "remember": {remember}})
		assertStatus(t, res, http.StatusSeeOther)
		stolen := c.session()
		thief := app.client()
		thief.plantCookie("latchkey_session", stolen)
		assertStatus(t, thief.get("/dashboard"), http.StatusOK) // the copy works while signed in

		assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
		if c.session() == stolen {
			t.Fatalf("remember=%q: logout kept the session token", remember)
		}
		res = thief.get("/dashboard")
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, "/login?next=/dashboard")
		// Even sent by hand, with no jar involved.
		req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/dashboard", nil)
		req.AddCookie(&http.Cookie{Name: "latchkey_session", Value: stolen})
		assertStatus(t, app.client().do(req), http.StatusSeeOther)
	}
}

// next is only ever a local path: none of these leave the site, whether
// given to the sign-in form or the sign-in page.
func TestOpenRedirectOnNext(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada", "ada@example.com", strongPassword)
	attacks := []string{
		"//evil.com",
		"//evil.com/dashboard",
		"/\\evil.com",
		"\\\\evil.com",
		"\\/evil.com",
		"https://evil.com",
		"http:evil.com",
		"https:/evil.com",
		"//evil.com@latchkey.test",
		"/%2F%2Fevil.com",
		"/%2F%2Fevil.com?",
		"/%5Cevil.com",
		"/%5C%5Cevil.com",
		"javascript:alert(1)",
		"JaVaScRiPt:alert(1)",
		"data:text/html,<script>alert(1)</script>",
		"\t//evil.com",
		"/\t/evil.com",
		"/\n/evil.com",
		" //evil.com",
		"///evil.com",
		"////evil.com",
		"evil.com",
		"@evil.com",
		"/%09/evil.com",
		"/%0d%0aLocation:%20https://evil.com",
		"%2F%2Fevil.com",
		"/．/evil.com",
		"/\u3002evil.com",
	}
	c := app.client()
	for _, next := range attacks {
		res := c.postForm("/login", url.Values{"email": {"ada@example.com"}, "password": {strongPassword}, "next": {next}})
		if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("next=%q: status %d", next, res.StatusCode)
		}
		if res.StatusCode == http.StatusSeeOther {
			if err := staysOnSite(res.Header.Get("Location")); err != nil {
				t.Errorf("next=%q: Location %q: %v", next, res.Header.Get("Location"), err)
			}
		}

		page := c.get("/login?next=" + url.QueryEscape(next))
		assertStatus(t, page, http.StatusOK)
		if v, ok := fieldValue(page.body, "next"); ok {
			if err := staysOnSite(v); err != nil {
				t.Errorf("next=%q: the sign-in page carries next=%q: %v", next, v, err)
			}
		}
	}

	// The plainly hostile ones fall back to the dashboard.
	for _, next := range []string{"//evil.com", "/\\evil.com", "https://evil.com", "/%2F%2Fevil.com?", "javascript:alert(1)", "\t//evil"} {
		res := c.postForm("/login", url.Values{"email": {"ada@example.com"}, "password": {strongPassword}, "next": {next}})
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, "/dashboard")
	}
}

// A name is text: HTML in it is shown, not run.
func TestNameIsEscapedOnDashboard(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	name := `<script>alert("pwned")</script><img src=x onerror=alert(1)>`
	c.signup(name, "ada@example.com", strongPassword)
	res := c.get("/dashboard")
	assertStatus(t, res, http.StatusOK)
	assertNotContains(t, res, "<script>alert")
	assertNotContains(t, res, "<img src=x")
	assertContains(t, res, "&lt;script&gt;")
	assertContains(t, res, "&lt;img src=x onerror=alert(1)&gt;")
}

// Pages carry the security headers, and nothing on them needs the inline
// script or style the CSP forbids.
func TestSecurityHeadersOnPages(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>`)
	for _, path := range []string{"/", "/login", "/signup", "/dashboard", "/forgot-password", "/auth/error?error=Verification", "/no-such-page"} {
		res := c.get(path)
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		switch {
		case csp == "":
			t.Errorf("%s: no CSP", path)
		case strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval"):
			t.Errorf("%s: CSP allows inline code: %s", path, csp)
		case !strings.Contains(csp, "frame-ancestors 'none'"):
			t.Errorf("%s: CSP without frame-ancestors 'none': %s", path, csp)
		case !strings.Contains(csp, "script-src 'self'") && !strings.Contains(csp, "default-src 'self'"):
			t.Errorf("%s: CSP does not restrict scripts: %s", path, csp)
		}
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", path, got)
		}
		if got := h.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", path, got)
		}
		if got := h.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("%s: HSTS %q on plain http", path, got)
		}
		if got := h.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, got)
		}
		for _, tag := range inlineScript.FindAllString(res.body, -1) {
			if !strings.Contains(tag, " src=") {
				t.Errorf("%s: inline script %s", path, tag)
			}
		}
		if regexp.MustCompile(`\s(style|on[a-z]+)="`).MatchString(res.body) {
			t.Errorf("%s: inline style or event handler attribute", path)
		}
	}
}

func TestHSTSOnlyInProduction(t *testing.T) {
	app := newTestApp(t, func(c *testConfig) { c.handlers.Secure, c.handlers.HSTS = true, true })
	res := app.client().get("/login")
	assertStatus(t, res, http.StatusOK)
	hsts := res.Header.Get("Strict-Transport-Security")
	if !strings.Contains(hsts, "max-age=") || strings.Contains(hsts, "max-age=0") {
		t.Fatalf("HSTS %q in production", hsts)
	}
}

// The stylesheet is served under its content-hash name and cached for a
// year; the plain name is not served (it would be cached stale forever).
func TestStaticAssetsImmutable(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	home := c.get("/")
	css := static.Path("app.css")
	if !regexp.MustCompile(`^/static/app\.[0-9a-f]{6,}\.css$`).MatchString(css) {
		t.Fatalf("CSS path %q has no content hash", css)
	}
	assertContains(t, home, `href="`+css+`"`)
	res := c.get(css)
	assertStatus(t, res, http.StatusOK)
	cc := res.Header.Get("Cache-Control")
	if !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Fatalf("Cache-Control %q", cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Fatalf("Content-Type %q", ct)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("static file without nosniff")
	}
	if setCookie(res, "latchkey_session") != nil || setCookie(res, "_csrf") != nil {
		t.Fatal("a static file set a cookie")
	}
	assertStatus(t, c.get("/static/app.css"), http.StatusNotFound)
	assertStatus(t, c.get("/static/app.0000000000.css"), http.StatusNotFound)
}

func TestHealthz(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	res := c.get("/healthz")
	assertStatus(t, res, http.StatusOK)
	if setCookie(res, "latchkey_session") != nil {
		t.Fatal("the health check set a session cookie")
	}
	if err := app.db.Close(); err != nil {
		t.Fatal(err)
	}
	res = c.get("/healthz")
	assertStatus(t, res, http.StatusServiceUnavailable)
	assertNotContains(t, res, "sql:")
}

// 404 and 405 are pages, with their codes.
func TestNotFoundAndMethodNotAllowedPages(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	for _, tc := range []struct {
		path, method string
		status       int
		text         string
	}{
		{"/no-such-page", http.MethodGet, http.StatusNotFound, "Page not found"}, // signed out: not a redirect to /login
		{"/logout", http.MethodGet, http.StatusMethodNotAllowed, "Not allowed"},
		{"/dashboard", http.MethodPut, http.StatusForbidden, "This form has expired"}, // unsafe: CSRF first
	} {
		req, _ := http.NewRequest(tc.method, app.srv.URL+tc.path, nil)
		res := c.do(req)
		assertStatus(t, res, tc.status)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("%s %s: Content-Type %q", tc.method, tc.path, ct)
		}
		assertContains(t, res, "<html")
		assertContains(t, res, tc.text)
		assertContains(t, res, "Go to the home page")
		if res.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("%s %s: error page without CSP", tc.method, tc.path)
		}
	}
}

// A panic becomes a 500 page that shows the request id, the same id is in
// the log with the panic, and nothing of the panic reaches the page.
func TestPanicIsA500PageWithTheRequestID(t *testing.T) {
	app := newTestApp(t, func(c *testConfig) {
		c.routes = func(e *echo.Echo) {
			e.GET("/test/panic", func(echo.Context) error { panic("secret internals: db at /var/lib/x") })
		}
	})
	c := app.client()
	res := c.get("/test/panic")
	assertStatus(t, res, http.StatusInternalServerError)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q", ct)
	}
	assertContains(t, res, "Something went wrong")
	assertNotContains(t, res, "secret internals")
	assertNotContains(t, res, "goroutine")
	rid := res.Header.Get(echo.HeaderXRequestID)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(rid) {
		t.Fatalf("X-Request-Id %q", rid)
	}
	assertContains(t, res, "<code>"+rid+"</code>")
	logs := app.logs.String()
	var panicLine, requestLine bool
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, "request_id="+rid) {
			continue
		}
		panicLine = panicLine || strings.Contains(line, "msg=panic") && strings.Contains(line, "secret internals")
		requestLine = requestLine || strings.Contains(line, "msg=request") && strings.Contains(line, "status=500")
	}
	if !panicLine || !requestLine {
		t.Fatalf("log lacks the panic (%v) or the request line (%v) with request_id=%s:\n%s", panicLine, requestLine, rid, logs)
	}
	// The server is still up.
	assertStatus(t, c.get("/login"), http.StatusOK)
	// An id sent by the client is not used.
	req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/test/panic", nil)
	req.Header.Set(echo.HeaderXRequestID, "forged")
	if got := c.do(req).Header.Get(echo.HeaderXRequestID); got == "forged" {
		t.Fatal("the client chose the request id")
	}
}
