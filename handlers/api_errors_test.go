package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// TestAPIBadBodies: unknown fields, wrong types, malformed JSON, a body
// over the limit and a Content-Type that is neither JSON nor a form each
// get their JSON error, on every endpoint that reads a body.
func TestAPIBadBodies(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	p := app.program()
	pair := p.signInForTokens("ada@example.com", strongPassword)
	n := p.apiJSON(http.MethodPost, "/api/notes", pair.AccessToken, map[string]string{"body": "first"})
	assertStatus(t, n, http.StatusCreated)
	var note apiNote
	decodeAnswer(t, n, &note)
	notePath := "/api/notes/" + idText(note.ID)

	huge := `{"body":"` + strings.Repeat("a", maxBodyBytes) + `"}`
	cases := []struct {
		name          string
		ctype, body   string
		status        int
		field         string // the field a 422 must name
		tokenEndpoint bool   // also sent to the token endpoints
	}{
		{"unknown field", "application/json", `{"body":"x","owner":7}`, http.StatusUnprocessableEntity, "owner", false},
		{"wrong type", "application/json", `{"body":42}`, http.StatusUnprocessableEntity, "body", false},
		{"array body", "application/json", `{"body":["a"]}`, http.StatusUnprocessableEntity, "body", false},
		{"empty note", "application/json", `{"body":"   "}`, http.StatusUnprocessableEntity, "body", false},
		{"note too long", "application/json", `{"body":"` + strings.Repeat("é", 1001) + `"}`, http.StatusUnprocessableEntity, "body", false},
		{"control character", "application/json", `{"body":"a\u0000b"}`, http.StatusUnprocessableEntity, "body", false},
		{"malformed", "application/json", `{"body":`, http.StatusBadRequest, "", true},
		{"not an object", "application/json", `"body"`, http.StatusBadRequest, "", true},
		{"two objects", "application/json", `{"body":"a"}{"body":"b"}`, http.StatusBadRequest, "", false},
		{"empty", "application/json", ``, http.StatusBadRequest, "", true},
		{"text/plain", "text/plain", `body=a`, http.StatusBadRequest, "", true},
		{"xml", "application/xml", `<body>a</body>`, http.StatusBadRequest, "", true},
		{"no content type", "", `{"body":"a"}`, http.StatusBadRequest, "", true},
		{"bad content type", "application/json; charset", `{"body":"a"}`, http.StatusBadRequest, "", true},
		{"form for notes", "application/x-www-form-urlencoded", `body=a`, http.StatusBadRequest, "", false},
		{"too large", "application/json", huge, http.StatusRequestEntityTooLarge, "", true},
	}
	for _, tc := range cases {
		for _, target := range []struct{ method, path string }{{http.MethodPost, "/api/notes"}, {http.MethodPatch, notePath}} {
			res := p.apiCall(apiReq{method: target.method, path: target.path, ctype: tc.ctype, body: tc.body, header: bearerHeader(pair.AccessToken)})
			checkBadBody(t, tc.name, res, tc.status, tc.field)
		}
		if tc.tokenEndpoint {
			for _, path := range []string{"/api/auth/token", "/api/auth/refresh"} {
				res := p.apiCall(apiReq{method: http.MethodPost, path: path, ctype: tc.ctype, body: tc.body})
				checkBadBody(t, tc.name, res, tc.status, "")
			}
		}
	}
	// The token endpoints' own fields.
	for _, tc := range []struct{ path, body, field string }{
		{"/api/auth/token", `{"email":"ada@example.com","password":"x","remember":true}`, "remember"},
		{"/api/auth/token", `{"email":"ada@example.com","password":7}`, "password"},
		{"/api/auth/token", `{"email":"not an address","password":"x"}`, "email"},
		{"/api/auth/token", `{"password":"x"}`, "email"},
		{"/api/auth/refresh", `{"refresh_token":true}`, "refresh_token"},
		{"/api/auth/refresh", `{}`, "refresh_token"},
	} {
		res := p.apiCall(apiReq{method: http.MethodPost, path: tc.path, ctype: "application/json", body: tc.body})
		checkBadBody(t, tc.body, res, http.StatusUnprocessableEntity, tc.field)
	}
	// Nothing of it reached the note.
	res := p.apiGet(notePath, pair.AccessToken)
	decodeAnswer(t, res, &note)
	if note.Body != "first" {
		t.Fatalf("the note became %q", note.Body)
	}
}

func checkBadBody(t *testing.T, name string, res *response, status int, field string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("%s: %s %s answered %d %s, want %d", name, res.Request.Method, res.Request.URL.Path, res.StatusCode, excerpt(res.body), status)
		return
	}
	if field != "" {
		var e struct {
			Error  string            `json:"error"`
			Fields map[string]string `json:"fields"`
		}
		decodeAnswer(t, res, &e)
		if e.Error != "invalid_request" || e.Fields[field] == "" {
			t.Errorf("%s: %s %s: %s, want invalid_request naming %q", name, res.Request.Method, res.Request.URL.Path, res.body, field)
		}
	}
}

// TestAPIErrorsAreJSON: the error answers of DESIGN.md's "API" section
// that do not depend on a body: an unknown path is a 404 before any
// credential is looked at, a wrong method 405, a failure 500 with the
// request id; none is a page.
func TestAPIErrorsAreJSON(t *testing.T) {
	app := newTestApp(t, func(c *testConfig) {
		c.routes = func(e *echo.Echo) {
			e.GET("/api/test/panic", func(echo.Context) error { panic("boom") })
			e.GET("/api/test/fail", func(echo.Context) error { return errSentinelForTest })
		}
	})
	p := app.program()
	for _, path := range []string{"/api/nothing", "/api/", "/api", "/api/notes/1/extra", "/api/auth/session/x"} {
		for _, hdr := range []map[string]string{nil, {"Authorization": "Bearer junk"}} {
			res := p.apiCall(apiReq{method: http.MethodGet, path: path, header: hdr})
			assertAPIError(t, res, http.StatusNotFound, "not_found")
		}
	}
	assertAPIError(t, p.apiCall(apiReq{method: http.MethodPut, path: "/api/notes"}), http.StatusMethodNotAllowed, "method_not_allowed")
	assertAPIError(t, p.apiCall(apiReq{method: http.MethodGet, path: "/api/auth/token"}), http.StatusMethodNotAllowed, "method_not_allowed")
	assertAPIError(t, p.apiCall(apiReq{method: http.MethodDelete, path: "/api/auth/session"}), http.StatusMethodNotAllowed, "method_not_allowed")
	for _, path := range []string{"/api/test/panic", "/api/test/fail"} {
		res := p.apiCall(apiReq{method: http.MethodGet, path: path})
		assertAPIError(t, res, http.StatusInternalServerError, "internal")
		var e struct {
			RequestID string `json:"request_id"`
		}
		decodeAnswer(t, res, &e)
		if e.RequestID == "" || e.RequestID != res.Header.Get("X-Request-Id") {
			t.Fatalf("%s: request_id %q, header %q", path, e.RequestID, res.Header.Get("X-Request-Id"))
		}
		if strings.Contains(res.body, "boom") || strings.Contains(res.body, "sentinel") {
			t.Fatalf("%s: the 500 shows internals: %s", path, res.body)
		}
	}
	// The pages keep their HTML error pages.
	res := p.get("/nothing")
	assertStatus(t, res, http.StatusNotFound)
	if !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("a page's 404 is %s", res.Header.Get("Content-Type"))
	}
}

var errSentinelForTest = &sentinelError{}

type sentinelError struct{}

func (*sentinelError) Error() string { return "sentinel failure" }

// TestAPITokenEndpointsAreLimited: the token endpoints are limited like
// /login: per IP, and failed passwords per (IP, email), where a refusal is
// a 429 JSON answer with Retry-After that costs no hash.
func TestAPITokenEndpointsAreLimited(t *testing.T) {
	app := newTestApp(t, withRateLimit(1000, time.Millisecond), withPasswordLimit(3, 6*time.Second), withTrustedProxy())
	app.createUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	p := app.program().from("203.0.113.1")
	for i := range 3 {
		res := p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": "guess " + idText(int64(i))})
		assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
	}
	before := app.hashes()
	res := p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": "ada@example.com", "password": strongPassword})
	wait := assertAPITooMany(t, res)
	if n := app.hashes() - before; n != 0 {
		t.Fatalf("the refused attempt computed %d hashes, want 0", n)
	}
	// Another IP is not locked out.
	app.program().from("198.51.100.7").signInForTokens("ada@example.com", strongPassword)
	app.clock.Advance(wait)
	p.signInForTokens("ada@example.com", strongPassword)

	// Per IP, on both token endpoints.
	limited := newTestApp(t, withRateLimit(2, time.Minute), withTrustedProxy())
	q := limited.program().from("203.0.113.9")
	for _, path := range []string{"/api/auth/token", "/api/auth/refresh"} {
		var last *response
		for range 3 {
			last = q.apiCall(apiReq{method: http.MethodPost, path: path, ctype: "application/json", body: `{}`})
		}
		assertAPITooMany(t, last)
		q = limited.program().from("203.0.113.10")
	}
}

// TestAPICSRF: a request with a cookie needs X-CSRF-Token on an unsafe
// method; one without cookies (a bearer) needs none. A cookie beside a
// bearer token does not buy the bearer's exemption: that is the forged
// request a hostile page would send.
func TestAPICSRF(t *testing.T) {
	app := newTestApp(t)
	browser := app.client()
	browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
	create := func(c *client, hdr map[string]string) *response {
		return c.apiCall(apiReq{method: http.MethodPost, path: "/api/notes", ctype: "application/json", body: `{"body":"hello"}`, header: hdr})
	}
	assertAPIError(t, create(browser, nil), http.StatusForbidden, "forbidden")
	assertAPIError(t, create(browser, map[string]string{"X-CSRF-Token": "wrong"}), http.StatusForbidden, "forbidden")
	tok := browser.apiCSRF()
	assertStatus(t, create(browser, map[string]string{"X-CSRF-Token": tok}), http.StatusCreated)
	// From another site, even with the token.
	assertAPIError(t, create(browser, map[string]string{"X-CSRF-Token": tok, "Sec-Fetch-Site": "cross-site"}), http.StatusForbidden, "forbidden")

	p := app.program()
	pair := p.signInForTokens("ada@example.com", strongPassword)
	assertStatus(t, create(p, bearerHeader(pair.AccessToken)), http.StatusCreated)

	// A cookie and a bearer: the CSRF check runs. (A browser's cookies
	// and an attacker's own token, or any token at all.)
	attack := map[string]string{"Authorization": "Bearer " + pair.AccessToken}
	assertAPIError(t, create(browser, attack), http.StatusForbidden, "forbidden")
	res := p.apiCall(apiReq{method: http.MethodPost, path: "/api/notes", ctype: "application/json", body: `{"body":"x"}`,
		header: map[string]string{"Authorization": "Bearer " + pair.AccessToken, "Cookie": "latchkey_session=anything"}})
	assertAPIError(t, res, http.StatusForbidden, "forbidden")
	if n := app.countRows(t, "notes", ""); n != 2 {
		t.Fatalf("%d notes, want the 2 allowed", n)
	}
	// The pages still need their token without cookies too.
	res = p.postRaw("/notes", url.Values{"body": {"x"}}.Encode())
	assertStatus(t, res, http.StatusForbidden)
}

// assertAPITooMany checks a 429 of the API: rate_limited, with a
// Retry-After of whole seconds, which it returns.
func assertAPITooMany(t testing.TB, res *response) time.Duration {
	t.Helper()
	assertAPIError(t, res, http.StatusTooManyRequests, "rate_limited")
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("%s %s: Retry-After %q, want a whole number of seconds", res.Request.Method, res.Request.URL.Path, res.Header.Get("Retry-After"))
	}
	return time.Duration(secs) * time.Second
}
