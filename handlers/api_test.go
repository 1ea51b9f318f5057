package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"latchkey/auth"
)

type sessionAnswer struct {
	User *struct {
		ID            int64  `json:"id"`
		Name          string `json:"name"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Role          string `json:"role"`
	} `json:"user"`
	Expires string `json:"expires"`
}

// TestAPISessionForCookieAndBearer: /api/auth/session answers {} with no
// credentials, and the user with the end of the credentials for a cookie
// and a bearer alike.
func TestAPISessionForCookieAndBearer(t *testing.T) {
	app := newTestApp(t)
	res := app.program().apiGet("/api/auth/session", "")
	assertStatus(t, res, http.StatusOK)
	if strings.TrimSpace(res.body) != "{}" {
		t.Fatalf("no credentials: %s, want {}", res.body)
	}

	browser := app.client()
	browser.signup("Ada Lovelace", "ada@example.com", strongPassword)
	var s sessionAnswer
	decodeAnswer(t, browser.apiGet("/api/auth/session", ""), &s)
	if s.User == nil || s.User.Email != "ada@example.com" || s.User.Name != "Ada Lovelace" || !s.User.EmailVerified || s.User.Role != "user" {
		t.Fatalf("cookie session: %+v", s.User)
	}
	end, err := time.Parse(time.RFC3339, s.Expires)
	if err != nil || end.Before(app.clock.Now().Add(700*time.Hour)) {
		t.Fatalf("cookie session expires %q (%v), want the session's end, about 720h away", s.Expires, err)
	}

	p := app.program().signInForTokens("ada@example.com", strongPassword)
	if p.TokenType != "Bearer" || p.ExpiresIn != 900 || !strings.HasPrefix(p.AccessToken, "lk_at_") || !strings.HasPrefix(p.RefreshToken, "lk_rt_") {
		t.Fatalf("token answer: %+v", p)
	}
	s = sessionAnswer{}
	decodeAnswer(t, app.program().apiGet("/api/auth/session", p.AccessToken), &s)
	if s.User == nil || s.User.Email != "ada@example.com" {
		t.Fatalf("bearer session: %+v", s)
	}
	end, err = time.Parse(time.RFC3339, s.Expires)
	if want := app.clock.Now().Add(15 * time.Minute); err != nil || end.Sub(want).Abs() > 2*time.Second {
		t.Fatalf("bearer session expires %q, want the access token's end %v", s.Expires, want)
	}
}

// TestAPITokenSignInAnswers: every answer of POST /api/auth/token, by JSON
// and by form: a wrong password and an unknown address are the same
// invalid_grant, an unconfirmed address is unconfirmed, a disabled account
// invalid_grant.
func TestAPITokenSignInAnswers(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	app.createUnconfirmedUser(t, "Grace Hopper", "grace@example.com", strongPassword)
	app.createUser(t, "Off Account", "off@example.com", strongPassword)
	off, err := app.acc.FindUser(context.Background(), "off@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := app.acc.SetDisabled(context.Background(), off.ID, true); err != nil {
		t.Fatal(err)
	}
	p := app.program()
	for _, tc := range []struct {
		email, password string
		status          int
		code            string
	}{
		{"ada@example.com", "wrong password", http.StatusUnauthorized, "invalid_grant"},
		{"nobody@example.com", strongPassword, http.StatusUnauthorized, "invalid_grant"},
		{"grace@example.com", strongPassword, http.StatusUnauthorized, "unconfirmed"},
		{"off@example.com", strongPassword, http.StatusUnauthorized, "invalid_grant"},
	} {
		res := p.apiJSON(http.MethodPost, "/api/auth/token", "", map[string]string{"email": tc.email, "password": tc.password})
		assertAPIError(t, res, tc.status, tc.code)
		res = p.apiForm("/api/auth/token", url.Values{"email": {tc.email}, "password": {tc.password}})
		assertAPIError(t, res, tc.status, tc.code)
	}
	res := p.apiForm("/api/auth/token", url.Values{"email": {"ada@example.com"}, "password": {strongPassword}})
	assertStatus(t, res, http.StatusOK)
	var pair tokenPair
	decodeAnswer(t, res, &pair)
	assertStatus(t, p.apiGet("/api/notes", pair.AccessToken), http.StatusOK)
}

// TestAPIRefreshRotatesAndDetectsReuse: a refresh gives a new pair and uses
// the old refresh token up; presenting the used one again ends the whole
// sign-in, so even the newest tokens of it stop working.
func TestAPIRefreshRotatesAndDetectsReuse(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	p := app.program()
	first := p.signInForTokens("ada@example.com", strongPassword)

	res := p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken})
	assertStatus(t, res, http.StatusOK)
	var second tokenPair
	decodeAnswer(t, res, &second)
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatal("refresh gave the same tokens back")
	}
	assertStatus(t, p.apiGet("/api/notes", second.AccessToken), http.StatusOK)

	// By form too, as OAuth clients send it.
	res = p.apiForm("/api/auth/refresh", url.Values{"refresh_token": {second.RefreshToken}})
	assertStatus(t, res, http.StatusOK)
	var third tokenPair
	decodeAnswer(t, res, &third)

	// The first refresh token again: someone has a copy.
	res = p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
	assertAPIError(t, p.apiGet("/api/notes", third.AccessToken), http.StatusUnauthorized, "unauthorized")
	res = p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": third.RefreshToken})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
	if n := app.countRows(t, "user_sessions", "kind = 'api'"); n != 0 {
		t.Fatalf("%d token sign-ins left after reuse, want 0", n)
	}
}

// TestAPIBadBearerTokens: every token that must not work is a 401 JSON
// answer with WWW-Authenticate: Bearer, on /api/notes and on
// /api/auth/session alike, never a page and never a 5xx.
func TestAPIBadBearerTokens(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	app.createUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	p := app.program()
	live := p.signInForTokens("ada@example.com", strongPassword)
	revoked := p.signInForTokens("ada@example.com", strongPassword)
	assertStatus(t, p.apiCall(apiReq{method: http.MethodPost, path: "/api/auth/revoke", header: bearerHeader(revoked.AccessToken)}), http.StatusNoContent)
	unknown, _, _ := auth.NewAPIToken(auth.AccessToken)
	unknownPAT, _, _ := auth.NewAPIToken(auth.PersonalToken)

	app.createUser(t, "Disabled Later", "off@example.com", strongPassword)
	offPair := p.signInForTokens("off@example.com", strongPassword)
	off, _ := app.acc.FindUser(ctx, "off@example.com")
	if err := app.acc.SetDisabled(ctx, off.ID, true); err != nil {
		t.Fatal(err)
	}
	app.createUser(t, "Deleted Later", "gone@example.com", strongPassword)
	gonePair := p.signInForTokens("gone@example.com", strongPassword)
	gone, _ := app.acc.FindUser(ctx, "gone@example.com")
	if err := app.db.DeleteUser(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}

	cases := []struct{ name, header string }{
		{"malformed", "Bearer not-a-token"},
		{"empty", "Bearer "},
		{"another scheme", "Basic YWRhOnB3"},
		{"no prefix", "Bearer " + strings.TrimPrefix(live.AccessToken, "lk_at_")},
		{"unknown access token", "Bearer " + unknown},
		{"unknown personal token", "Bearer " + unknownPAT},
		{"refresh token as bearer", "Bearer " + live.RefreshToken},
		{"revoked", "Bearer " + revoked.AccessToken},
		{"revoked sign-in's refresh token", "Bearer " + revoked.RefreshToken},
		{"disabled user", "Bearer " + offPair.AccessToken},
		{"deleted user", "Bearer " + gonePair.AccessToken},
		{"junk bytes", "Bearer lk_at_\xff\xfe"},
	}
	for _, tc := range cases {
		for _, path := range []string{"/api/notes", "/api/auth/session"} {
			res := p.apiCall(apiReq{method: http.MethodGet, path: path, header: map[string]string{"Authorization": tc.header}})
			if res.StatusCode != http.StatusUnauthorized || apiErrorCode(res) != "unauthorized" {
				t.Errorf("%s on %s: %d %s, want 401 unauthorized", tc.name, path, res.StatusCode, res.body)
			}
		}
	}
	// The live token still works, until it expires.
	assertStatus(t, p.apiGet("/api/notes", live.AccessToken), http.StatusOK)
	app.clock.Advance(15*time.Minute + time.Second)
	assertAPIError(t, p.apiGet("/api/notes", live.AccessToken), http.StatusUnauthorized, "unauthorized")
	// No credentials at all on a guarded route.
	assertAPIError(t, p.apiGet("/api/notes", ""), http.StatusUnauthorized, "unauthorized")
}

// TestAPIAccessTokenIsNotARefreshToken: an access token (or junk) sent to
// /api/auth/refresh is invalid_grant, and the sign-in is not harmed.
func TestAPIAccessTokenIsNotARefreshToken(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	p := app.program()
	pair := p.signInForTokens("ada@example.com", strongPassword)
	for _, tok := range []string{pair.AccessToken, "lk_rt_junk", "", strings.Repeat("A", 100)} {
		res := p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok})
		if res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("refresh with %q: %d, want 401 or 422", tok, res.StatusCode)
		}
	}
	res := p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": pair.AccessToken})
	assertAPIError(t, res, http.StatusUnauthorized, "invalid_grant")
	res = p.apiJSON(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": pair.RefreshToken})
	assertStatus(t, res, http.StatusOK)
}

// countRows counts rows of table matching where.
func (a *testApp) countRows(t *testing.T, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if err := a.db.Read.QueryRow(a.db.Rebind(q), args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
