package handlers

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// assertNothingWritten fails when a refused request left a row or spent a
// hash.
func assertNothingWritten(t testing.TB, app *testApp, rowsBefore map[string]int, hashesBefore int64) {
	t.Helper()
	if after := app.rows(); !maps.Equal(after, rowsBefore) {
		t.Fatalf("refused requests wrote rows: before %v, after %v", rowsBefore, after)
	}
	if n := app.hashes() - hashesBefore; n != 0 {
		t.Fatalf("refused requests computed %d hashes, want 0", n)
	}
}

// TestBodyLimit: a form over 64 KiB is a 413 page, whether it declares its
// length or streams it chunked; a 1 MB name never reaches the hasher or
// the database.
func TestBodyLimit(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	tok := c.csrf()
	rows, hashes := app.rows(), app.hashes()

	bigName := url.Values{"_csrf": {tok}, "name": {strings.Repeat("a", 1<<20)}, "email": {"big@example.com"},
		"password": {strongPassword}}.Encode()
	justOver := url.Values{"_csrf": {tok}, "name": {"Ada"}, "email": {"ada@example.com"}, "password": {strongPassword},
		"pad": {""}}.Encode()
	justOver += strings.Repeat("x", 64<<10-len(justOver)+1)

	for _, body := range []string{bigName, justOver} {
		res := c.postRaw("/signup", body)
		assertStatus(t, res, http.StatusRequestEntityTooLarge)
		assertContains(t, res, "larger than we accept")

		// The same body without a Content-Length (chunked).
		req, err := http.NewRequest(http.MethodPost, app.srv.URL+"/signup", io.MultiReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if req.ContentLength != 0 {
			t.Fatal("the request would not be sent chunked")
		}
		res = c.do(req)
		assertStatus(t, res, http.StatusRequestEntityTooLarge)
		assertContains(t, res, "larger than we accept")
	}
	assertNothingWritten(t, app, rows, hashes)

	// Exactly at the limit is read as a form (and refused for its fields).
	atLimit := justOver[:len(justOver)-1]
	if res := c.postRaw("/signup", atLimit); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a form of exactly 64 KiB: status %d, want 422", res.StatusCode)
	}
}

// TestOversizeField: a field within the body limit but far over any field
// of ours (10 KB) is a 422 before validation, hashing or the database.
func TestOversizeField(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.csrf()
	rows, hashes := app.rows(), app.hashes()
	long := strings.Repeat("n", 10_000)
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/signup", url.Values{"name": {long}, "email": {"ada@example.com"}, "password": {strongPassword}}},
		{"/signup", url.Values{"name": {strings.Repeat("n", 101)}, "email": {"ada@example.com"}, "password": {strongPassword}}},
		{"/signup", url.Values{"name": {"Ada"}, "email": {long + "@example.com"}, "password": {strongPassword}}},
		{"/signup", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "password": {long}}},
		{"/login", url.Values{"email": {"ada@example.com"}, "password": {long}}},
		{"/login", url.Values{"email": {"ada@example.com"}, "password": {strongPassword}, "next": {"/" + long}}},
		{"/login/email", url.Values{"email": {long}}},
		{"/forgot-password", url.Values{"email": {long}}},
		{"/reset-password", url.Values{"token": {long}, "password": {strongPassword}}},
		{"/login/email/confirm", url.Values{"token": {long}}},
	} {
		res := c.postForm(tc.path, tc.form)
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertNotContains(t, res, long)
	}
	res := c.postForm("/signup", url.Values{"name": {long}, "email": {"ada@example.com"}, "password": {strongPassword}})
	assertContains(t, res, "far too long")
	assertNothingWritten(t, app, rows, hashes)
}

// TestInvalidUTF8: bytes that are not UTF-8 are a 422 with a message that
// says what is wrong, and are never echoed back.
func TestInvalidUTF8(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	tok := c.csrf()
	rows, hashes := app.rows(), app.hashes()
	const bad = "%ff%fe%C0%AF" // not UTF-8, and an overlong "/"
	for _, tc := range []struct{ path, body, message string }{
		{"/signup", "name=Ada" + bad + "&email=ada%40example.com&password=" + url.QueryEscape(strongPassword), "characters we can"},
		{"/signup", "name=Ada&email=ada" + bad + "%40example.com&password=" + url.QueryEscape(strongPassword), "characters we can"},
		{"/signup", "name=Ada&email=ada%40example.com&password=" + url.QueryEscape(strongPassword) + bad, "characters we can"},
		{"/login", "email=ada%40example.com&password=x" + bad, "characters we can"},
		{"/login/email", "email=ada" + bad + "%40example.com", "characters we can"},
		{"/forgot-password", "email=ada" + bad + "%40example.com", "characters we can"},
		{"/reset-password", "token=" + bad + "&password=" + url.QueryEscape(strongPassword), "no page of ours sends"},
		{"/login/email/confirm", "token=" + bad, "no page of ours sends"},
	} {
		res := c.postRaw(tc.path, tc.body+"&_csrf="+url.QueryEscape(tok))
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertContains(t, res, tc.message)
		if strings.Contains(res.body, "\xff") {
			t.Fatalf("POST %s echoed the invalid bytes back", tc.path)
		}
	}
	assertNothingWritten(t, app, rows, hashes)
}

// TestNULInEveryField puts a NUL byte (and other control characters) in
// each field of each form in turn, the rest of the form valid — valid
// enough that it would succeed without the bad byte. Every answer is a
// 4xx; nothing is written, hashed, or used up.
func TestNULInEveryField(t *testing.T) {
	app := newTestApp(t)
	setup := app.client()
	setup.signup("Ada Lovelace", "ada@example.com", strongPassword)
	assertStatus(t, setup.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	assertStatus(t, setup.postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	resetToken := tokenOf(t, app.lastLink("ada@example.com", "/reset-password"))
	loginToken := tokenOf(t, app.lastLink("ada@example.com", "/login/email/confirm"))

	forms := []struct {
		path string
		form url.Values
	}{
		{"/signup", url.Values{"name": {"Grace Hopper"}, "email": {"grace@example.com"}, "password": {strongPassword}}},
		{"/login", url.Values{"email": {"ada@example.com"}, "password": {strongPassword}, "remember": {"on"}, "next": {"/dashboard"}}},
		{"/login/email", url.Values{"email": {"ada@example.com"}}},
		{"/forgot-password", url.Values{"email": {"ada@example.com"}}},
		{"/reset-password", url.Values{"token": {resetToken}, "password": {"a brand new passphrase here"}}},
		{"/login/email/confirm", url.Values{"token": {loginToken}}},
	}
	c := app.client()
	tok := c.csrf()
	rows, hashes := app.rows(), app.hashes()
	tried := 0
	for _, f := range forms {
		for field := range f.form {
			for _, ctl := range []string{"\x00", "\x01", "\x1b", "\x7f"} {
				form := maps.Clone(f.form)
				form.Set(field, form.Get(field)+ctl)
				form.Set("_csrf", tok)
				res := c.postForm(f.path, form)
				if res.StatusCode < 400 || res.StatusCode >= 500 {
					t.Fatalf("POST %s with %q in %s: status %d, want 4xx", f.path, ctl, field, res.StatusCode)
				}
				tried++
			}
		}
		// The CSRF field too.
		form := maps.Clone(f.form)
		form.Set("_csrf", tok+"\x00")
		assertStatus(t, c.postForm(f.path, form), http.StatusForbidden)
	}
	assertNothingWritten(t, app, rows, hashes)
	t.Logf("%d requests with a control character, all 4xx", tried)

	// Nothing was used up: both links still work.
	assertStatus(t, c.postForm("/login/email/confirm", url.Values{"token": {loginToken}}), http.StatusSeeOther)
	res := c.postForm("/reset-password", url.Values{"token": {resetToken}, "password": {"a brand new passphrase here"}})
	assertStatus(t, res, http.StatusSeeOther)
}

func tokenOf(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no token in %q", link)
	}
	return u.Query().Get("token")
}

// TestUnknownRouteAndWrongMethod: 404 and 405 are pages, not bare text.
func TestUnknownRouteAndWrongMethod(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	tok := c.csrf()
	for _, tc := range []struct {
		method, path string
		status       int
		heading      string
	}{
		{http.MethodGet, "/no-such-page", http.StatusNotFound, "Page not found"},
		{http.MethodGet, "/static/no-such-file.css", http.StatusNotFound, "Page not found"},
		{http.MethodPost, "/no-such-page", http.StatusNotFound, "Page not found"},
		{http.MethodGet, "/logout", http.StatusMethodNotAllowed, "Not allowed"},
		{http.MethodGet, "/login/email", http.StatusMethodNotAllowed, "Not allowed"},
		{http.MethodPut, "/login", http.StatusMethodNotAllowed, "Not allowed"},
		{http.MethodDelete, "/signup", http.StatusMethodNotAllowed, "Not allowed"},
		{http.MethodPatch, "/reset-password", http.StatusMethodNotAllowed, "Not allowed"},
	} {
		req, err := http.NewRequest(tc.method, app.srv.URL+tc.path, strings.NewReader("_csrf="+url.QueryEscape(tok)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", tok)
		res := c.do(req)
		assertStatus(t, res, tc.status)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("%s %s: Content-Type %q, want a page", tc.method, tc.path, ct)
		}
		assertContains(t, res, "<h1>"+tc.heading+"</h1>")
		assertContains(t, res, `href="/"`)
	}
}

// TestPanicIsA500PageWithRequestID: a panicking handler behind the real
// middleware gives a 500 page naming a request id, the same id is in the
// log with the panic, and the server keeps serving.
func TestPanicIsA500PageWithRequestID(t *testing.T) {
	app := newTestApp(t)
	e, err := app.h.Server()
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/boom", func(echo.Context) error { panic("kaboom") })
	srv := newServer(t, e)

	res, err := http.Get(srv + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", res.StatusCode)
	}
	m := regexp.MustCompile(`Reference: <code>([0-9a-f]{16})</code>`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no request id on the 500 page:\n%s", excerpt(string(body)))
	}
	id := string(m[1])
	if got := res.Header.Get(echo.HeaderXRequestID); got != id {
		t.Fatalf("X-Request-Id %q, page says %q", got, id)
	}
	if strings.Contains(string(body), "kaboom") {
		t.Fatal("the 500 page shows the panic")
	}
	logs := app.logs.String()
	for _, want := range []string{
		fmt.Sprintf(`msg=panic request_id=%s panic=kaboom`, id),
		`msg=request method=GET path=/boom status=500`,
		"request_id=" + id + " ip=",
	} {
		if !strings.Contains(logs, want) {
			t.Fatalf("log lacks %q:\n%s", want, logs)
		}
	}
	res, err = http.Get(srv + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("after the panic: %v %v", res, err)
	}
	res.Body.Close()
}
