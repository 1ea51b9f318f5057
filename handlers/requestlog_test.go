package handlers

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"latchkey/static"
)

// TestRequestLogHasNoSecrets sends every route of routes.go, signed out and
// signed in, with a real password, real link tokens, the session cookie and
// the CSRF token in every place they could travel (query, form), then
// scans the whole log: none of them may appear. Every route must still be
// logged with its method, path, status, duration and request id, and a
// signed-in page with the user id.
func TestRequestLogHasNoSecrets(t *testing.T) {
	app := newTestApp(t)
	e, err := app.h.Server()
	if err != nil {
		t.Fatal(err)
	}
	type route struct{ method, path string }
	var routes []route
	for _, r := range e.Routes() {
		if !slices.Contains([]string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete}, r.Method) {
			t.Fatalf("route %s %s: a method this test does not send", r.Method, r.Path)
		}
		routes = append(routes, route{r.Method, strings.Replace(r.Path, ":file", strings.TrimPrefix(static.Path("app.css"), "/static/"), 1)})
	}
	// Signing out ends the pass, and deleting the account would end the
	// test: they go last, deletion after sign-out.
	last := func(r route) int {
		switch r.path {
		case "/logout":
			return 1
		case "/settings/delete":
			return 2
		}
		return 0
	}
	// e.Routes() comes from a map: sort, so every run walks the same order
	// (a password change retires reset links, so /reset-password must come
	// before /settings/password, as it does alphabetically).
	slices.SortFunc(routes, func(a, b route) int {
		if d := last(a) - last(b); d != 0 {
			return d
		}
		return strings.Compare(a.method+" "+a.path, b.method+" "+b.path)
	})
	if len(routes) < 15 {
		t.Fatalf("only %d routes found", len(routes))
	}

	const password = "Hunter2 is not my passphrase, Zebra"
	const newPassword = "another wholly secret passphrase, Quokka"
	secrets := map[string]string{"password": password, "new password": newPassword}
	link := func(path string) string {
		l := app.lastLink("ada@example.com", path)
		secrets[path+" link"] = app.h.cfg.BaseURL + l
		tok := tokenOf(t, l)
		secrets[path+" token"] = tok
		return tok
	}

	owner := app.client()
	owner.signup("Ada Lovelace", "ada@example.com", password)
	verifyToken := link("/verify-email")

	pass := func(name string, c *client) {
		assertStatus(t, c.postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
		assertStatus(t, c.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
		for _, r := range routes {
			// A sign-in renews the CSRF token: take this browser's current one.
			csrf := c.csrf()
			secrets[name+" csrf "+csrf[:6]] = csrf
			token := verifyToken
			switch r.path {
			case "/login/email/confirm", "/reset-password":
				token = link(r.path) // the newest: a newer request may retire older links
			}
			q := url.Values{"token": {token}, "next": {"/dashboard?secret=" + token}, "password": {password}}
			switch r.method {
			case http.MethodGet:
				c.get(r.path + "?" + q.Encode())
			case http.MethodPatch, http.MethodDelete: // the JSON API's: the token in the header
				req, _ := http.NewRequest(r.method, c.app.srv.URL+r.path+"?"+q.Encode(), strings.NewReader(`{"body":"`+password+`"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-CSRF-Token", csrf)
				c.do(req)
			default:
				pw := password
				if r.path == "/reset-password" {
					pw = newPassword
				}
				c.postForm(r.path+"?"+q.Encode(), url.Values{"_csrf": {csrf}, "email": {"ada@example.com"},
					"password": {pw}, "current_password": {password}, "name": {"Ada Lovelace"}, "token": {token},
					"next": {"/dashboard?t=" + token}, "remember": {"on"}})
			}
			if v := c.cookie("latchkey_session"); v != "" {
				secrets[name+" session cookie "+v[:6]] = v
			}
		}
	}
	pass("signed out", app.client())
	signedIn := app.client()
	assertStatus(t, signedIn.login("ada@example.com", newPassword), http.StatusSeeOther)
	secrets["signed in session cookie"] = signedIn.cookie("latchkey_session")
	pass("signed in", signedIn)

	logs := app.logs.String()
	for what, secret := range secrets {
		if secret == "" {
			t.Fatalf("%s: empty secret", what)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s", what)
		}
	}
	if strings.Contains(logs, "secret=") || strings.Contains(logs, "?token") || strings.Contains(logs, "_csrf") {
		t.Error("the log contains a query string or a form field")
	}

	// Every route is logged in full.
	line := regexp.MustCompile(`(?m)^.*msg=request method=(GET|POST|PATCH|DELETE) path=(\S+) status=(\d+) duration=\S+ request_id=[0-9a-f]{16} ip=127\.0\.0\.1.*$`)
	logged := map[route]bool{}
	for _, m := range line.FindAllStringSubmatch(logs, -1) {
		logged[route{m[1], m[2]}] = true
	}
	for _, r := range routes {
		if !logged[r] {
			t.Errorf("no request line for %s %s", r.method, r.path)
		}
	}
	user, err := app.db.UserByEmail(t.Context(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"method=GET path=/dashboard status=200",
		"method=POST path=/login status=303",
	} {
		re := regexp.MustCompile(regexp.QuoteMeta(want) + `.* user_id=` + regexp.QuoteMeta(itoa(user.ID)) + `(\s|$)`)
		if !re.MatchString(logs) {
			t.Errorf("no log line %q with the user id", want)
		}
	}
	if n := strings.Count(logs, "msg=request "); n < 2*len(routes) {
		t.Errorf("%d request lines for %d requests", n, 2*len(routes))
	}
	t.Logf("%d routes × 2 passes, %d secrets checked against %d bytes of log", len(routes), len(secrets), len(logs))
}

// TestStaticFilesLoggedOnlyWhenWrong: at the default level a static file
// answered 200 or 304 writes no line, one that fails does, and a page
// always does.
func TestStaticFilesLoggedOnlyWhenWrong(t *testing.T) {
	var buf strings.Builder
	h := &Handlers{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	e := echo.New()
	for _, tc := range []struct {
		path   string
		status int
		logged bool
	}{
		{"/static/app.0123abcd.css", http.StatusOK, false},
		{"/static/app.0123abcd.css", http.StatusNotModified, false},
		{"/static/nothing.css", http.StatusNotFound, true},
		{"/login", http.StatusOK, true},
		{"/static-looking-page", http.StatusOK, true},
	} {
		buf.Reset()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, tc.path, nil), httptest.NewRecorder())
		err := h.logRequests(func(c echo.Context) error { return c.NoContent(tc.status) })(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "path="+tc.path); got != tc.logged {
			t.Errorf("GET %s answered %d: logged %v, want %v\n%s", tc.path, tc.status, got, tc.logged, buf.String())
		}
	}
}
