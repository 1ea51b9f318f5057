package handlers

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var csrfFieldRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// The token counts only from the form body or the X-CSRF-Token header. A
// token in the query string (which ends up in logs, history and Referer)
// is refused, also when the body or header carries a wrong one.
func TestCSRFTokenNeverFromQueryString(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	tok := c.csrf()

	post := func(path, body string, hdr map[string]string) *response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, app.srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return c.do(req)
	}
	q := "?" + url.Values{"_csrf": {tok}}.Encode()
	for _, tc := range []struct {
		name, path, body string
		hdr              map[string]string
	}{
		{"query only", "/settings/name" + q, "name=Eve", nil},
		{"query, wrong body", "/settings/name" + q, "name=Eve&_csrf=wrong", nil},
		{"query, empty body field", "/settings/name" + q, "name=Eve&_csrf=", nil},
		{"query, wrong header", "/settings/name" + q, "name=Eve", map[string]string{"X-CSRF-Token": "wrong"}},
		{"query under another name", "/settings/name?X-CSRF-Token=" + tok, "name=Eve", nil},
		{"our internal header, sent by the client", "/settings/name", "name=Eve", map[string]string{csrfBodyHeader: tok}},
		{"logout, query only", "/logout" + q, "", nil},
	} {
		res := post(tc.path, tc.body, tc.hdr)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tc.name, res.StatusCode)
		}
	}
	c.signedIn()
	if name := app.user("ada@example.com").Name; name != "Ada Lovelace" {
		t.Fatalf("a refused request changed the name to %q", name)
	}

	// The body and the header still work, urlencoded and multipart.
	assertStatus(t, post("/settings/name", "name=Ada+B&_csrf="+url.QueryEscape(tok), nil), http.StatusSeeOther)
	assertStatus(t, post("/settings/name", "name=Ada+C", map[string]string{"X-CSRF-Token": tok}), http.StatusSeeOther)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("name", "Ada D")
	_ = mw.WriteField("_csrf", tok)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/settings/name", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	assertStatus(t, c.do(req), http.StatusSeeOther)
	if name := app.user("ada@example.com").Name; name != "Ada D" {
		t.Fatalf("name %q, want Ada D", name)
	}
}

// Under https the CSRF cookie is __Host-csrf: Secure, Path=/, no Domain,
// so a sibling subdomain cannot plant one. There is no _csrf cookie, and
// the token it holds is the one that works.
func TestCSRFCookieIsHostPrefixedUnderHTTPS(t *testing.T) {
	app := newTestApp(t, func(c *testConfig) { c.handlers.Secure = true })
	c := app.client()
	res := c.get("/login")
	ck := setCookie(res, "__Host-csrf")
	if ck == nil || !ck.Secure || ck.Path != "/" || ck.Domain != "" || !ck.HttpOnly {
		t.Fatalf("CSRF cookie %q: want __Host-csrf, Secure, Path=/, no Domain, HttpOnly", res.Header.Values("Set-Cookie"))
	}
	if line := setCookieLine(res, "_csrf"); line != "" {
		t.Fatalf("a _csrf cookie under https: %s", line)
	}
	// The jar keeps Secure cookies off plain http: send it by hand.
	cookie := map[string]string{"Cookie": "__Host-csrf=" + ck.Value}
	assertStatus(t, c.postWith("/logout", url.Values{"_csrf": {ck.Value}}, cookie), http.StatusSeeOther)
	// A planted _csrf cookie (what a subdomain could set) is no token.
	planted := map[string]string{"Cookie": "_csrf=planted"}
	assertStatus(t, c.postWith("/logout", url.Values{"_csrf": {"planted"}}, planted), http.StatusForbidden)

	// Without https the name stays _csrf (browsers refuse __Host- on http).
	plain := newTestApp(t).client()
	if setCookie(plain.get("/login"), "_csrf") == nil {
		t.Fatal("no _csrf cookie on plain http")
	}
}

// Signing in gives the browser a new CSRF token: the page after sign-in
// carries it, and the token from before is refused.
func TestCSRFTokenIsNewAfterSignIn(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
	before := c.csrf()

	res := c.login("ada@example.com", strongPassword)
	assertStatus(t, res, http.StatusSeeOther)
	n := 0
	for _, line := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "_csrf=") {
			n++
		}
	}
	after := c.cookie("_csrf")
	if n != 1 || after == "" || after == before {
		t.Fatalf("sign-in sent %d CSRF cookies, token %q → %q: want one new token", n, before, after)
	}
	m := csrfFieldRe.FindStringSubmatch(c.get("/settings").body)
	if m == nil || m[1] != after {
		t.Fatalf("the page after sign-in carries %v, want the new token %q", m, after)
	}

	assertStatus(t, c.postForm("/logout", url.Values{"_csrf": {before}}), http.StatusForbidden)
	c.signedIn()
	assertStatus(t, c.postForm("/logout", url.Values{"_csrf": {after}}), http.StatusSeeOther)
	c.signedOut()
}

// /dev/mailbox answers only a client on this machine, judged by the
// connection's address. X-Forwarded-For: 127.0.0.1 from a trusted proxy's
// address does not make a remote client local; the others get the 404 of
// a path that does not exist.
func TestDevMailboxOnlyForLoopbackClients(t *testing.T) {
	app := newTestApp(t, func(c *testConfig) {
		c.handlers.TrustedProxies = []string{"203.0.113.5", "2001:db8::5", "10.0.0.0/8"}
	})
	e, err := app.h.Server()
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, remote, xff string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct{ remote, xff string }{
		{"203.0.113.5:4321", "127.0.0.1"},
		{"203.0.113.5:4321", "::1"},
		{"[2001:db8::5]:443", "127.0.0.1"},
		{"10.1.2.3:5555", "127.0.0.1"},
		{"192.168.1.20:5555", ""},
		{"198.51.100.7:80", "127.0.0.1, 127.0.0.1"},
		{"garbage", "127.0.0.1"},
	} {
		rec := get("/dev/mailbox", tc.remote, tc.xff)
		missing := get("/no-such-page", tc.remote, tc.xff)
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "Development mailbox") {
			t.Errorf("%s (X-Forwarded-For %q): status %d, want the 404 page", tc.remote, tc.xff, rec.Code)
		}
		if title := regexp.MustCompile(`<title>[^<]*</title>`); title.FindString(rec.Body.String()) != title.FindString(missing.Body.String()) {
			t.Errorf("%s: the mailbox's 404 differs from a missing page's", tc.remote)
		}
	}
	for _, remote := range []string{"127.0.0.1:5555", "127.8.9.10:1", "[::1]:5555", "[::ffff:127.0.0.1]:5555"} {
		if rec := get("/dev/mailbox", remote, ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Development mailbox") {
			t.Errorf("%s: status %d, want the mailbox", remote, rec.Code)
		}
	}
	// The test server listens on loopback: its browser sees the mailbox.
	assertContains(t, app.client().get("/dev/mailbox"), "Development mailbox")
}
