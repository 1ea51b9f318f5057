package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"latchkey/accounts"
)

const newPasswordForAPI = "a different long passphrase"

// patOf makes a personal access token on /settings/tokens in browser c
// and returns its text, read from the page that shows it once.
func (c *client) patOf(name, days string) string {
	c.t.Helper()
	res := c.postForm("/settings/tokens", url.Values{"name": {name}, "expires_in": {days}})
	assertStatus(c.t, res, http.StatusOK)
	m := regexp.MustCompile(`lk_pat_[A-Za-z0-9_-]{43}`).FindString(res.body)
	if m == "" {
		c.t.Fatalf("no token on the page:\n%s", excerpt(res.body))
	}
	return m
}

// TestTokenSignInIsASession: a token sign-in is listed on /settings with
// its device words and as an API sign-in, and ending it there ends its
// tokens.
func TestTokenSignInIsASession(t *testing.T) {
	app := newTestApp(t)
	browser := app.client()
	browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
	p := app.program()
	p.header.Set("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15")
	pair := p.signInForTokens("ada@example.com", strongPassword)

	page := browser.get("/settings")
	assertContains(t, page, "API sign-in")
	assertContains(t, page, "Safari on macOS")
	m := regexp.MustCompile(`name="session" value="([0-9a-f]{32})"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no sign-out button for the token sign-in")
	}
	res := browser.postForm("/settings/sessions/revoke", url.Values{"session": {m[1]}})
	assertStatus(t, res, http.StatusSeeOther)
	assertAPIError(t, p.apiGet("/api/notes", pair.AccessToken), http.StatusUnauthorized, "unauthorized")
	res = p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": pair.RefreshToken})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
	assertNotContains(t, browser.get("/settings"), "API sign-in")

	// "Sign out all other sessions" ends token sign-ins too.
	pair = p.signInForTokens("ada@example.com", strongPassword)
	assertStatus(t, browser.postForm("/settings/sessions/revoke", url.Values{"session": {"all"}}), http.StatusSeeOther)
	assertAPIError(t, p.apiGet("/api/notes", pair.AccessToken), http.StatusUnauthorized, "unauthorized")
}

// TestPasswordChangeEndsTokenSignInsNotPersonalTokens: a password change
// ends every token sign-in (access and refresh tokens) but keeps personal
// access tokens: the user is signed in and chose them.
func TestPasswordChangeEndsTokenSignInsNotPersonalTokens(t *testing.T) {
	app := newTestApp(t)
	browser := app.client()
	browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
	pat := browser.patOf("backup script", "30")
	p := app.program()
	pair := p.signInForTokens("ada@example.com", strongPassword)

	res := browser.postForm("/settings/password", url.Values{"current_password": {strongPassword}, "password": {newPasswordForAPI}})
	assertStatus(t, res, http.StatusSeeOther)
	assertAPIError(t, p.apiGet("/api/notes", pair.AccessToken), http.StatusUnauthorized, "unauthorized")
	res = p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": pair.RefreshToken})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
	assertStatus(t, p.apiGet("/api/notes", pat), http.StatusOK)
}

// TestResetDisableDeleteEndEveryToken: a password reset, disabling and
// deleting the account each end token sign-ins and personal access tokens.
func TestResetDisableDeleteEndEveryToken(t *testing.T) {
	for _, how := range []string{"reset", "disable", "delete"} {
		t.Run(how, func(t *testing.T) {
			app := newTestApp(t)
			browser := app.client()
			browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
			pat := browser.patOf("backup script", "7")
			p := app.program()
			pair := p.signInForTokens("ada@example.com", strongPassword)
			assertStatus(t, p.apiGet("/api/notes", pat), http.StatusOK)
			assertStatus(t, p.apiGet("/api/notes", pair.AccessToken), http.StatusOK)

			switch how {
			case "reset":
				other := app.client()
				assertStatus(t, other.postForm("/forgot-password", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)
				link := app.lastLink("ada@example.com", "/reset-password")
				res := other.postForm("/reset-password", url.Values{"token": {tokenOf(t, link)}, "password": {newPasswordForAPI}})
				assertStatus(t, res, http.StatusSeeOther)
			case "disable":
				u, _ := app.acc.FindUser(context.Background(), "ada@example.com")
				if err := app.acc.SetDisabled(context.Background(), u.ID, true); err != nil {
					t.Fatal(err)
				}
			case "delete":
				res := browser.postForm("/settings/delete", url.Values{"current_password": {strongPassword}})
				assertStatus(t, res, http.StatusSeeOther)
			}
			for _, tok := range []string{pat, pair.AccessToken} {
				assertAPIError(t, p.apiGet("/api/notes", tok), http.StatusUnauthorized, "unauthorized")
				assertAPIError(t, p.apiGet("/api/auth/session", tok), http.StatusUnauthorized, "unauthorized")
			}
			res := p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": pair.RefreshToken})
			assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
			if n := app.countRows(t, "personal_access_tokens", ""); n != 0 {
				t.Fatalf("%d personal access tokens left", n)
			}
		})
	}
}

// TestRevokeEndsTheBearersSignIn: POST /api/auth/revoke ends an access
// token's whole sign-in (its refresh token too) and deletes a personal
// access token; another sign-in of the user is untouched, and a cookie
// alone cannot revoke.
func TestRevokeEndsTheBearersSignIn(t *testing.T) {
	app := newTestApp(t)
	browser := app.client()
	browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
	p := app.program()
	one := p.signInForTokens("ada@example.com", strongPassword)
	two := p.signInForTokens("ada@example.com", strongPassword)
	revoke := func(tok string) *response {
		return p.apiCall(apiReq{method: http.MethodPost, path: "/api/auth/revoke", header: bearerHeader(tok)})
	}
	assertStatus(t, revoke(one.AccessToken), http.StatusNoContent)
	assertAPIError(t, revoke(one.AccessToken), http.StatusUnauthorized, "unauthorized")
	res := p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": one.RefreshToken})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
	assertStatus(t, p.apiGet("/api/notes", two.AccessToken), http.StatusOK)

	pat := browser.patOf("ci", "90")
	assertStatus(t, revoke(pat), http.StatusNoContent)
	assertAPIError(t, p.apiGet("/api/notes", pat), http.StatusUnauthorized, "unauthorized")
	assertNotContains(t, browser.get("/settings/tokens"), "<strong>ci</strong>")

	res = browser.apiCall(apiReq{method: http.MethodPost, path: "/api/auth/revoke", header: map[string]string{"X-CSRF-Token": browser.apiCSRF()}})
	assertAPIError(t, res, http.StatusUnauthorized, "unauthorized")
	browser.signedIn()
}

// TestPersonalTokensPage: /settings/tokens makes a token with a name and an
// expiry, shows it once, tells the owner by email, lists it with when it
// was last used, and revokes it; another user's token cannot be revoked.
func TestPersonalTokensPage(t *testing.T) {
	app := newTestApp(t)
	browser := app.client()
	browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
	page := browser.get("/settings/tokens")
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, `aria-current="page">Tokens</a>`)
	assertContains(t, page, "no personal access tokens")

	for _, bad := range []url.Values{
		{"name": {""}, "expires_in": {"30"}},
		{"name": {"x"}, "expires_in": {"31"}},
		{"name": {"x"}, "expires_in": {""}},
		{"name": {strings.Repeat("n", 101)}, "expires_in": {"7"}},
		{"name": {"a\u202eb"}, "expires_in": {"7"}},
	} {
		assertStatus(t, browser.postForm("/settings/tokens", bad), http.StatusUnprocessableEntity)
	}
	if n := app.countRows(t, "personal_access_tokens", ""); n != 0 {
		t.Fatalf("refused forms made %d tokens", n)
	}

	pat := browser.patOf("backup script", "365")
	if body := app.notice("ada@example.com", "A personal access token was made", "a Go program"); !strings.Contains(body, "backup script") || strings.Contains(body, pat) {
		t.Fatalf("the notice should name the token, never carry it:\n%s", body)
	}
	page = browser.get("/settings/tokens")
	assertContains(t, page, "backup script")
	assertContains(t, page, "Never")
	assertNotContains(t, page, pat)
	if n := app.countRows(t, "personal_access_tokens", "hash = ?", []byte(pat)); n != 0 {
		t.Fatal("the token's text is stored")
	}

	p := app.program()
	var s sessionAnswer
	decodeAnswer(t, p.apiGet("/api/auth/session", pat), &s)
	if s.User == nil || s.User.Email != "ada@example.com" {
		t.Fatalf("personal token session: %+v", s)
	}
	assertNotContains(t, browser.get("/settings/tokens"), ">Never<")

	id := regexp.MustCompile(`/settings/tokens/(\d+)/delete`).FindStringSubmatch(page.body)
	if id == nil {
		t.Fatal("no revoke button")
	}
	mallory := app.client()
	mallory.signup("Mallory", "mallory@example.com", strongPassword)
	res := mallory.postForm("/settings/tokens/"+id[1]+"/delete", nil)
	assertStatus(t, res, http.StatusSeeOther)
	assertStatus(t, p.apiGet("/api/notes", pat), http.StatusOK)

	res = browser.postForm("/settings/tokens/"+id[1]+"/delete", nil)
	assertStatus(t, res, http.StatusSeeOther)
	browser.followFlash(res, "Token revoked")
	assertAPIError(t, p.apiGet("/api/notes", pat), http.StatusUnauthorized, "unauthorized")

	// Signed out, the page sends you to sign in.
	res = app.client().get("/settings/tokens")
	assertStatus(t, res, http.StatusSeeOther)
}

// TestAPINotesOwnerRule: the JSON notes follow the pages' owner rule: the
// whole life of a note, and another user's note is 404 to every method.
func TestAPINotesOwnerRule(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	app.createUser(t, "Mallory", "mallory@example.com", strongPassword)
	p := app.program()
	ada := p.signInForTokens("ada@example.com", strongPassword).AccessToken
	mallory := p.signInForTokens("mallory@example.com", strongPassword).AccessToken

	var list struct {
		Notes []apiNote `json:"notes"`
	}
	decodeAnswer(t, p.apiGet("/api/notes", ada), &list)
	if list.Notes == nil || len(list.Notes) != 0 {
		t.Fatalf("empty list: %+v, want []", list)
	}
	res := p.apiJSON(http.MethodPost, "/api/notes", ada, map[string]string{"body": "  buy milk  "})
	assertStatus(t, res, http.StatusCreated)
	var n apiNote
	decodeAnswer(t, res, &n)
	if n.Body != "buy milk" || n.ID == 0 || n.CreatedAt == "" {
		t.Fatalf("created %+v", n)
	}
	path := "/api/notes/" + idText(n.ID)
	res = p.apiJSON(http.MethodPatch, path, ada, map[string]string{"body": "buy oat milk"})
	assertStatus(t, res, http.StatusOK)
	decodeAnswer(t, res, &n)
	if n.Body != "buy oat milk" {
		t.Fatalf("patched %+v", n)
	}
	// The page shows what the API wrote: one db/notes.go behind both.
	web := app.client()
	assertStatus(t, web.login("ada@example.com", strongPassword), http.StatusSeeOther)
	assertContains(t, web.get("/notes"), "buy oat milk")

	for _, r := range []apiReq{
		{method: http.MethodGet, path: path},
		{method: http.MethodPatch, path: path, ctype: "application/json", body: `{"body":"mine now"}`},
		{method: http.MethodPatch, path: path, ctype: "application/json", body: `{"body":""}`},
		{method: http.MethodDelete, path: path},
		{method: http.MethodGet, path: "/api/notes/999999"},
		{method: http.MethodGet, path: "/api/notes/abc"},
		{method: http.MethodDelete, path: "/api/notes/0"},
	} {
		r.header = bearerHeader(mallory)
		assertAPIError(t, p.apiCall(r), http.StatusNotFound, "not_found")
	}
	decodeAnswer(t, p.apiGet("/api/notes", mallory), &list)
	if len(list.Notes) != 0 {
		t.Fatalf("mallory sees %+v", list.Notes)
	}
	assertStatus(t, p.apiCall(apiReq{method: http.MethodDelete, path: path, header: bearerHeader(ada)}), http.StatusNoContent)
	assertAPIError(t, p.apiGet(path, ada), http.StatusNotFound, "not_found")
}

// TestAPILogHasNoTokens: a program's whole life (sign-in, calls, refresh,
// a reuse, revoke) and a personal access token leave no token, password or
// body in the log, while each request is logged with its user.
func TestAPILogHasNoTokens(t *testing.T) {
	app := newTestApp(t)
	browser := app.client()
	browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
	pat := browser.patOf("backup script", "30")
	p := app.program()
	first := p.signInForTokens("ada@example.com", strongPassword)
	assertStatus(t, p.apiJSON(http.MethodPost, "/api/notes", first.AccessToken, map[string]string{"body": "a private note"}), http.StatusCreated)
	res := p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken})
	var second tokenPair
	decodeAnswer(t, res, &second)
	assertStatus(t, p.apiGet("/api/notes", pat), http.StatusOK)
	assertStatus(t, p.apiCall(apiReq{method: http.MethodPost, path: "/api/auth/revoke", header: bearerHeader(second.AccessToken)}), http.StatusNoContent)
	p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken})

	logs := app.logs.String()
	for what, secret := range map[string]string{"password": strongPassword, "access token": first.AccessToken, "refresh token": first.RefreshToken,
		"second access token": second.AccessToken, "second refresh token": second.RefreshToken, "personal token": pat, "note": "a private note",
		"token body": strings.TrimPrefix(first.AccessToken, "lk_at_")} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s", what)
		}
	}
	u := app.user("ada@example.com")
	if !regexp.MustCompile(`method=GET path=/api/notes status=200 .*user_id=` + idText(u.ID)).MatchString(logs) {
		t.Error("a bearer request is not logged with its user id")
	}
}

// TestPersonalTokenExpires: a personal access token works until the end of
// the days it was given, then is 401 and leaves the list.
func TestPersonalTokenExpires(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	u := app.user("ada@example.com")
	text, _, err := app.acc.CreatePersonalToken(context.Background(), u, "weekly job", 7, accounts.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := app.acc.CreatePersonalToken(context.Background(), u, "odd", 8, accounts.Origin{}); err == nil {
		t.Fatal("a lifetime of 8 days was accepted")
	}
	p := app.program()
	app.clock.Advance(7*24*time.Hour - time.Minute)
	assertStatus(t, p.apiGet("/api/notes", text), http.StatusOK)
	app.clock.Advance(2 * time.Minute)
	assertAPIError(t, p.apiGet("/api/notes", text), http.StatusUnauthorized, "unauthorized")
	if list, err := app.acc.ListPersonalTokens(context.Background(), u.ID); err != nil || len(list) != 0 {
		t.Fatalf("expired tokens listed: %v, %v", list, err)
	}
}
