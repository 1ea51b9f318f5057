package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The whole flow — signup, logout, login, a wrong password, a sign-in link —
// runs with every log record captured; no secret may be in any of them:
// not a password, a session cookie, a CSRF token, a session record id or a
// token from an emailed link.
func TestLogsNeverHoldSecrets(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	const (
		password      = "violet tangerine lighthouse"
		wrongPassword = "violet tangerine lighthouses"
		email         = "secretive@example.com"
	)
	secrets := map[string]string{"password": password, "wrong password": wrongPassword}
	keep := func(what string) {
		if v := c.session(); v != "" {
			secrets["session cookie "+what] = v
		}
		if v := c.cookie("_csrf"); v != "" {
			secrets["CSRF token"] = v
		}
	}

	c.signup("Secretive", email, password)
	keep("after signup")
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
	assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
	keep("after logout")
	assertStatus(t, c.login(email, wrongPassword), http.StatusUnprocessableEntity)
	assertStatus(t, c.login("nobody@example.com", password), http.StatusUnprocessableEntity)
	res := c.postForm("/login", url.Values{"email": {email}, "password": {password}, "remember": {"on"}})
	assertStatus(t, res, http.StatusSeeOther)
	keep("after login")
	assertStatus(t, c.get("/dashboard?x=1"), http.StatusOK)

	// A sign-in link, requested and followed: its token is in the query
	// string, which the request log must leave out.
	other := app.client()
	assertStatus(t, other.postForm("/login/email", url.Values{"email": {email}}), http.StatusSeeOther)
	link := app.lastLink(email, "/login/email/confirm")
	assertStatus(t, other.get(link), http.StatusOK)
	tok := strings.TrimPrefix(link[strings.Index(link, "?"):], "?token=")
	secrets["sign-in link token"] = tok
	secrets["email verification token"] = strings.TrimPrefix(app.lastLink(email, "/verify-email")[len("/verify-email"):], "?token=")

	rows, err := app.db.Read.Query("SELECT id FROM user_sessions")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		secrets["session record id "+id[:4]] = id
	}
	rows.Close()

	logs := app.logs.String()
	if !strings.Contains(logs, "path=/login") || !strings.Contains(logs, "path=/login/email/confirm") {
		t.Fatalf("the request log is missing, the test would prove nothing:\n%s", logs)
	}
	for what, secret := range secrets {
		if len(secret) < 8 {
			t.Fatalf("%s %q is too short to search for", what, secret)
		}
		if strings.Contains(logs, secret) || strings.Contains(logs, url.QueryEscape(secret)) {
			t.Errorf("the log contains the %s", what)
		}
	}
	if t.Failed() {
		t.Log(logs)
	}
}
