package handlers

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// servedPage is one HTML page the app answered, and how it was reached.
type servedPage struct {
	what string
	res  *response
}

// everyPage visits every page the app serves and returns each HTML answer:
// every GET route of routes.go, signed out and signed in (the link pages
// with real tokens, the note editor with a real note), forms showing their
// errors, and every error page: 403, 404, 405, 413, 422, 429, 500 (also the
// last-resort one), /auth/error. opts configure the app (APP_NAME).
func everyPage(t *testing.T, opts ...func(*testConfig)) (*testApp, []servedPage) {
	t.Helper()
	opts = append(opts, func(c *testConfig) {
		c.routes = func(e *echo.Echo) {
			e.GET("/test/fail", func(echo.Context) error { return errors.New("database on fire") })
			e.GET("/test/panic", func(echo.Context) error { panic("kaboom") })
			e.GET("/test/too-many", func(echo.Context) error { return tooManyRequests(5 * time.Second) })
			e.GET("/test/broken-error", func(echo.Context) error { return panickyError{} })
		}
	})
	app := newTestApp(t, opts...)
	var pages []servedPage
	keep := func(what string, res *response) {
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			return
		}
		pages = append(pages, servedPage{what: what, res: res})
	}

	// Both browsers ask for compression, as every browser does: the pages
	// must come back uncompressed all the same (TestPagesAreNeverCompressed).
	owner := app.client()
	owner.header.Set("Accept-Encoding", browserAcceptEncoding)
	owner.signup("Ada Lovelace", "ada@example.com", strongPassword)
	note := owner.addNote("Buy milk")
	stranger := app.client()
	stranger.header.Set("Accept-Encoding", browserAcceptEncoding)
	assertStatus(t, stranger.postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	assertStatus(t, stranger.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
	assertStatus(t, owner.postForm("/settings/email", url.Values{"email": {"ada.new@example.com"}, "current_password": {strongPassword}}),
		http.StatusSeeOther)
	tokens := map[string]string{
		"/verify-email":           app.lastLink("ada@example.com", "/verify-email"),
		"/login/email/confirm":    app.lastLink("ada@example.com", "/login/email/confirm"),
		"/reset-password":         app.lastLink("ada@example.com", "/reset-password"),
		"/settings/email/confirm": app.lastLink("ada.new@example.com", "/settings/email/confirm"),
	}

	e, err := app.h.Server()
	if err != nil {
		t.Fatal(err)
	}
	var gets []string
	for _, r := range e.Routes() {
		if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/static/") {
			continue
		}
		p := strings.ReplaceAll(r.Path, ":id", note)
		// No provider is configured here: its pages are the 404 page.
		p = strings.ReplaceAll(p, ":provider", "github")
		if link, ok := tokens[p]; ok {
			p = link
		}
		if strings.Contains(p, ":") || strings.Contains(p, "*") {
			t.Fatalf("route %s: a parameter this test does not fill in", r.Path)
		}
		gets = append(gets, p)
	}
	slices.Sort(gets)
	// A GET of /verify-email uses its link up; it goes last.
	slices.SortStableFunc(gets, func(a, b string) int {
		return boolInt(strings.HasPrefix(a, "/verify-email")) - boolInt(strings.HasPrefix(b, "/verify-email"))
	})
	for _, who := range []struct {
		name string
		c    *client
	}{{"signed out", stranger}, {"signed in", owner}} {
		for _, p := range gets {
			keep(who.name+" GET "+p, who.c.get(p))
		}
		for _, p := range []string{"/no-such-page", "/auth/error?error=Verification", "/auth/error?error=AccessDenied",
			"/auth/error?error=Configuration", "/auth/error?error=Unknown", "/test/fail", "/test/panic", "/test/too-many",
			"/test/broken-error", "/static/no-such-file.css"} {
			keep(who.name+" GET "+p, who.c.get(p))
		}
		keep(who.name+" GET /logout (405)", who.c.get("/logout"))
		keep(who.name+" POST /login without a CSRF token", who.c.postRaw("/login", "email=a%40example.com&password=x"))
		keep(who.name+" POST /signup over the body limit", who.c.postRaw("/signup", strings.Repeat("x", 64<<10+1)))
	}
	// Forms showing their errors.
	keep("signup with errors", stranger.postForm("/signup", url.Values{"name": {""}, "email": {"nope"}, "password": {"x"}}))
	keep("login with a wrong password", stranger.postForm("/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong wrong wrong"}}))
	keep("forgot password with errors", stranger.postForm("/forgot-password", url.Values{"email": {"nope"}}))
	keep("a refused form", stranger.postForm("/login", url.Values{"email": {"a@example.com"}, "password": {"x"}, "next": {"\xff"}}))
	keep("an empty note", owner.postForm("/notes", url.Values{"body": {""}}))
	keep("settings with errors", owner.postForm("/settings/name", url.Values{"name": {""}}))

	if len(pages) < 30 {
		t.Fatalf("only %d pages visited", len(pages))
	}
	statuses := map[int]bool{}
	for _, p := range pages {
		statuses[p.res.StatusCode] = true
	}
	for _, want := range []int{200, 403, 404, 405, 413, 422, 429, 500} {
		if !statuses[want] {
			t.Fatalf("no page with status %d was visited", want)
		}
	}
	return app, pages
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

var (
	titleRe       = regexp.MustCompile(`<title>([^<]*)</title>`)
	metaDescRe    = regexp.MustCompile(`(?i)<meta\s[^>]*name="description"[^>]*>`)
	metaContentRe = regexp.MustCompile(`content="([^"]*)"`)
)

// TestEveryPageHasOneDescription: every page the app serves, error pages
// included, has exactly one <meta name="description">, not empty, and a
// description says what one page is for: pages of different titles do not
// share one.
func TestEveryPageHasOneDescription(t *testing.T) {
	_, pages := everyPage(t)
	titlesOf := map[string]map[string]bool{}
	for _, p := range pages {
		metas := metaDescRe.FindAllString(p.res.body, -1)
		if len(metas) != 1 {
			t.Errorf("%s (%d): %d meta descriptions, want 1", p.what, p.res.StatusCode, len(metas))
			continue
		}
		m := metaContentRe.FindStringSubmatch(metas[0])
		if m == nil || strings.TrimSpace(m[1]) == "" {
			t.Errorf("%s (%d): empty meta description %s", p.what, p.res.StatusCode, metas[0])
			continue
		}
		desc := html.UnescapeString(m[1])
		title := titleRe.FindStringSubmatch(p.res.body)
		if title == nil {
			t.Errorf("%s: no <title>", p.what)
			continue
		}
		if titlesOf[desc] == nil {
			titlesOf[desc] = map[string]bool{}
		}
		titlesOf[desc][title[1]] = true
	}
	for desc, titles := range titlesOf {
		if len(titles) > 1 {
			t.Errorf("pages %v share the description %q", titles, desc)
		}
	}
}

// TestAppNameRebrandsPagesAndEmail: with APP_NAME=Acme, every page's title
// and header say Acme, and no page and no email (subject, text or HTML) of
// any kind says Latchkey.
func TestAppNameRebrandsPagesAndEmail(t *testing.T) {
	app, pages := everyPage(t, func(c *testConfig) { c.handlers.AppName = "Acme" })
	for _, p := range pages {
		title := titleRe.FindStringSubmatch(p.res.body)
		if title == nil || !strings.HasSuffix(title[1], " · Acme") && title[1] != "Something went wrong · Acme" {
			t.Errorf("%s (%d): title %v, want it to end in · Acme", p.what, p.res.StatusCode, title)
		}
		if strings.Contains(p.res.body, "Latchkey") {
			t.Errorf("%s (%d) says Latchkey", p.what, p.res.StatusCode)
		}
		if p.res.StatusCode == http.StatusOK && !strings.Contains(p.res.body, `height="28"/>Acme</a>`) &&
			!strings.Contains(p.res.body, `height="28">Acme</a>`) {
			t.Errorf("%s: the header does not name Acme", p.what)
		}
	}

	// Every kind of email: the ones everyPage sent (confirmation, sign-in
	// link, reset, email change), then a duplicate signup, a signup with
	// an address another account is moving to, and the notices of a
	// sign-in by link, an email change, a password change and a deletion.
	c := app.client()
	assertStatus(t, c.postForm("/signup", url.Values{"name": {"Eve"}, "email": {"ada@example.com"}, "password": {strongPassword}}),
		http.StatusSeeOther)
	bea := app.client()
	bea.signup("Bea", "bea@example.com", strongPassword)
	assertStatus(t, bea.postForm("/settings/email", url.Values{"email": {"claimed@example.com"}, "current_password": {strongPassword}}),
		http.StatusSeeOther)
	assertStatus(t, app.client().postForm("/signup", url.Values{"name": {"Cy"}, "email": {"claimed@example.com"}, "password": {strongPassword}}),
		http.StatusSeeOther)
	assertStatus(t, bea.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, app.lastLink("claimed@example.com", "/settings/email/confirm"))}}),
		http.StatusSeeOther)
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"claimed@example.com"}}), http.StatusSeeOther)
	assertStatus(t, c.postForm("/login/email/confirm", url.Values{"token": {tokenOf(t, app.lastLink("claimed@example.com", "/login/email/confirm"))}}),
		http.StatusSeeOther)
	assertStatus(t, c.postForm("/settings/password", url.Values{"current_password": {strongPassword}, "password": {"another fine passphrase here"}}),
		http.StatusSeeOther)
	assertStatus(t, c.postForm("/settings/delete", url.Values{"confirm": {"yes"}, "current_password": {"another fine passphrase here"}}),
		http.StatusSeeOther)

	msgs, err := app.db.RecentMail(context.Background(), 500)
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]bool{}
	for _, m := range msgs {
		subjects[m.Subject] = true
		for part, s := range map[string]string{"subject": m.Subject, "text": m.Text, "HTML": m.HTML} {
			if strings.Contains(s, "Latchkey") {
				t.Errorf("email %q to %s: its %s says Latchkey", m.Subject, m.To, part)
			}
		}
		if !strings.Contains(m.Text, "Acme") || !strings.Contains(m.HTML, "Acme") {
			t.Errorf("email %q to %s does not name Acme in both parts", m.Subject, m.To)
		}
	}
	for _, want := range []string{"Confirm your email address", "Your Acme sign-in link", "Reset your Acme password",
		"Confirm your new email address", "Someone tried to sign up with your address", "New sign-in to your Acme account",
		"Your Acme account was deleted"} {
		if !subjects[want] {
			t.Errorf("no email %q was sent; sent: %v", want, subjects)
		}
	}
	if len(subjects) < 9 {
		t.Errorf("only %d kinds of email were sent: %v", len(subjects), subjects)
	}
}
