package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"latchkey/accounts"
	"latchkey/db"
)

// activityText is every column of every line of the activity log, as one
// text, for the tests that look for what must never be there.
func (a *testApp) activityText(t testing.TB) string {
	t.Helper()
	rows, err := a.db.Read.Query(`SELECT id, user_id, actor_id, actor_email, kind, method, device, ip, session_id, detail, created_at FROM activity`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, 11)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%v\t", v)
		}
		b.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// kindsOf is how many lines of each kind the user's log has.
func (a *testApp) kindsOf(t testing.TB, userID int64) map[string]int {
	t.Helper()
	rows, err := a.db.Read.Query(a.db.Rebind(`SELECT kind FROM activity WHERE user_id = ?`), userID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out[k]++
	}
	return out
}

var linkToken = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// TestActivityJourney: every kind of activity that exists today is
// recorded by the action that causes it, appears on /settings/activity in
// plain words, newest first; and after the whole journey no line holds a
// password, a token from a link, a session cookie or a CSRF token.
func TestActivityJourney(t *testing.T) {
	w := newProviderWorld(t)
	app := w.app
	secrets := []string{strongPassword}
	c := app.client()
	c.header.Set("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:128.0) Gecko/20100101 Firefox/128.0")
	c.signup("Ada Lovelace", "ada@example.com", strongPassword) // sign_in (link)
	id := app.userID(t, "ada@example.com")
	secrets = append(secrets, c.session(), c.cookie("_csrf"))

	assertStatus(t, c.postForm("/logout", url.Values{}), http.StatusSeeOther) // sign_out
	const wrong = "wrong horse battery staple"
	secrets = append(secrets, wrong)
	assertStatus(t, c.login("ada@example.com", wrong), http.StatusUnprocessableEntity) // sign_in_failed
	assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusSeeOther)   // sign_in (password)
	secrets = append(secrets, c.session(), c.cookie("_csrf"))

	assertStatus(t, c.postForm("/settings/name", url.Values{"name": {"Ada King"}}), http.StatusSeeOther) // name_changed

	other := app.client()
	assertStatus(t, other.login("ada@example.com", strongPassword), http.StatusSeeOther)
	secrets = append(secrets, other.session())
	assertStatus(t, c.postForm("/settings/sessions/revoke", url.Values{"session": {"all"}}), http.StatusSeeOther) // session_ended

	const newPassword = "violet marmalade skyline 42"
	secrets = append(secrets, newPassword)
	res := c.postForm("/settings/password", url.Values{"current_password": {strongPassword}, "password": {newPassword}}) // password_changed
	assertStatus(t, res, http.StatusSeeOther)

	assertStatus(t, c.postForm("/settings/email", url.Values{"email": {"ada@new.example"}, "current_password": {newPassword}}), http.StatusSeeOther)
	link := app.lastLink("ada@new.example", "/settings/email/confirm")
	secrets = append(secrets, tokenOf(t, link))
	assertStatus(t, c.postForm("/settings/email/confirm", url.Values{"token": {tokenOf(t, link)}}), http.StatusSeeOther) // email_changed

	assertStatus(t, c.postForm("/forgot-password", url.Values{"email": {"ada@new.example"}}), http.StatusSeeOther)
	link = app.lastLink("ada@new.example", "/reset-password")
	secrets = append(secrets, tokenOf(t, link))
	const resetPassword = "quiet lantern orbit 77"
	secrets = append(secrets, resetPassword)
	res = c.postForm("/reset-password", url.Values{"token": {tokenOf(t, link)}, "password": {resetPassword}}) // password_reset, sign_in
	assertStatus(t, res, http.StatusSeeOther)

	w.github.approveAs(&githubUser{ID: 77, Login: "ada-gh", Emails: []githubEmail{{Email: "ada@users.example", Primary: true, Verified: true}}})
	res = c.get(approve(t, c.startAt("/settings/connections/github", url.Values{}))) // provider_connected
	assertLocation(t, res, "/settings/connections")
	gh := app.client()
	assertLocation(t, gh.signInWith("github"), "/dashboard")                                              // sign_in (provider)
	assertStatus(t, c.postForm("/settings/connections/github/delete", url.Values{}), http.StatusSeeOther) // provider_disconnected

	kinds := app.kindsOf(t, id)
	for _, k := range []string{"sign_in", "sign_out", "sign_in_failed", "name_changed", "session_ended", "password_changed",
		"email_changed", "password_reset", "provider_connected", "provider_disconnected"} {
		if kinds[k] == 0 {
			t.Errorf("no %s line; the log has %v", k, kinds)
		}
	}
	if kinds["sign_in"] < 5 {
		t.Errorf("%d sign-ins logged, want 5 (link, password, the other browser, reset, GitHub)", kinds["sign_in"])
	}

	page := c.get("/settings/activity")
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, `aria-current="page">Activity`)
	for _, want := range []string{
		"Signed in with an emailed link — Firefox on macOS — 127.0.0.1 — ",
		"Signed in with a password — Firefox on macOS",
		"Signed in with GitHub",
		"Signed out",
		"Failed sign-in: wrong password",
		"Changed the name",
		"Ended a session",
		"Changed the password",
		"Changed the email address to ada@new.example",
		"Reset the password with an emailed link",
		"Connected GitHub",
		"Disconnected GitHub",
		"just now",
	} {
		assertContains(t, page, want)
	}
	// Newest first.
	if strings.Index(page.body, "Disconnected GitHub") > strings.Index(page.body, "Signed in with an emailed link") {
		t.Error("the log is not newest first")
	}

	// Nothing secret anywhere in the table.
	msgs, err := app.db.RecentMail(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		for _, sm := range linkToken.FindAllStringSubmatch(m.Text, -1) {
			secrets = append(secrets, sm[1])
		}
	}
	text := app.activityText(t)
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("the activity log holds a secret (%.6s…):\n%s", s, text)
		}
	}
}

// TestNotMeEndsThatSession: "this wasn't me" next to another browser's
// sign-in ends that session and sends the user to change their password;
// another user's line is 404 and ends nothing.
func TestNotMeEndsThatSession(t *testing.T) {
	app := newTestApp(t)
	ada := app.client()
	ada.signup("Ada", "ada@example.com", strongPassword)
	thief := app.client()
	thief.header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
	assertStatus(t, thief.login("ada@example.com", strongPassword), http.StatusSeeOther)
	grace := app.client()
	grace.signup("Grace", "grace@example.com", strongPassword)

	page := ada.get("/settings/activity")
	assertContains(t, page, "Signed in with a password — Chrome on Windows")
	if n := strings.Count(page.body, "This wasn't me"); n != 1 {
		t.Fatalf("%d \"this wasn't me\" buttons, want 1 (not on this browser's own sign-in)", n)
	}
	m := regexp.MustCompile(`name="activity" value="(\d+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no activity id in the form")
	}

	// Grace cannot end Ada's session with Ada's line.
	assertStatus(t, grace.postForm("/settings/activity/not-me", url.Values{"activity": {m[1]}}), http.StatusNotFound)
	assertStatus(t, thief.get("/dashboard"), http.StatusOK)
	for _, bad := range []string{"", "abc", "-1", "99999999", "99999999999999999999999"} {
		res := ada.postForm("/settings/activity/not-me", url.Values{"activity": {bad}})
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("activity=%q: %d", bad, res.StatusCode)
		}
	}
	assertStatus(t, ada.postWith("/settings/activity/not-me", url.Values{"activity": {m[1]}, "_csrf": {""}}, nil), http.StatusForbidden)
	assertStatus(t, thief.get("/dashboard"), http.StatusOK)

	res := ada.postForm("/settings/activity/not-me", url.Values{"activity": {m[1]}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/settings#password-title")
	assertContains(t, ada.get("/settings"), "Change your password now")
	assertStatus(t, thief.get("/dashboard"), http.StatusSeeOther)
	assertStatus(t, ada.get("/dashboard"), http.StatusOK)
	page = ada.get("/settings/activity")
	assertContains(t, page, "Ended a session")
	// The sign-in stays in the log, its session gone: no button for it.
	assertContains(t, page, "Signed in with a password — Chrome on Windows")
	if n := strings.Count(page.body, "This wasn't me"); n != 0 {
		t.Fatalf("%d \"this wasn't me\" buttons after that session ended, want 0", n)
	}
}

// TestActivityPages: 25 a page, newest first, a link to older ones.
func TestActivityPages(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	id := app.userID(t, "ada@example.com")
	base := app.clock.Now().Add(-time.Hour)
	for i := range 120 {
		if err := app.db.AddActivity(context.Background(), db.Activity{UserID: id, Kind: "name_changed", Detail: "", IP: fmt.Sprintf("192.0.2.%d", i),
			CreatedAt: base.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	first := c.get("/settings/activity")
	if n := strings.Count(first.body, "<li><span>"); n != 25 {
		t.Fatalf("page 1 has %d lines", n)
	}
	assertContains(t, first, `href="/settings/activity?page=2"`)
	last := c.get("/settings/activity?page=5")
	if n := strings.Count(last.body, "<li><span>"); n != 21 {
		t.Fatalf("page 5 has %d lines, want 21 (120 and the sign-up's)", n)
	}
	assertContains(t, last, "192.0.2.0 ")
	assertContains(t, last, `href="/settings/activity?page=4"`)
	assertNotContains(t, last, `href="/settings/activity?page=6"`)
	assertContains(t, c.get("/settings/activity?page=6"), "Nothing yet")
}

// TestActivityRetention: the cleanup deletes lines older than
// ACTIVITY_RETENTION, in batches, and keeps the rest.
func TestActivityRetention(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	id := app.userID(t, "ada@example.com")
	old := app.clock.Now().Add(-2161 * time.Hour).Unix()
	_, err := app.db.Write.Exec(app.db.Rebind(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
		INSERT INTO activity (user_id, kind, created_at) SELECT ?, 'sign_in', ? FROM n`), id, old)
	if err != nil {
		t.Fatal(err)
	}
	kept := app.count(t, "activity", "created_at > ?", old)
	if kept == 0 {
		t.Fatal("no recent line to keep")
	}
	if err := app.acc.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := app.count(t, "activity", ""); n != kept {
		t.Fatalf("%d lines after the cleanup, want the %d recent ones", n, kept)
	}
}

// TestActivityOfFactorsPasskeysAndTokens: the capabilities that came with
// the second factor, passkeys and the API write their lines too, each in
// the transaction of its change: the authenticator turned on, a recovery
// code used, new codes, the factor off; a passkey added, a sign-in with
// it, removed; a personal token made and revoked; a token sign-in.
func TestActivityOfFactorsPasskeysAndTokens(t *testing.T) {
	app := newTestApp(t)
	_, codes := app.enrolledUser("ada@example.com")
	id := app.userID(t, "ada@example.com")

	c := app.client()
	c.firstFactor("ada@example.com")
	assertStatus(t, c.code(codes[0]), http.StatusSeeOther)
	assertStatus(t, c.postForm("/settings/2fa/recovery-codes", url.Values{}), http.StatusOK)
	assertStatus(t, c.postForm("/settings/2fa/delete", url.Values{}), http.StatusSeeOther)

	d := newPasskeyDevice()
	c.addPasskey(d, "Laptop")
	other := app.client()
	assertStatus(t, other.passkeySignIn(d), http.StatusOK)
	ids := passkeyDeleteRe.FindStringSubmatch(c.get("/settings/passkeys").body)
	if ids == nil {
		t.Fatal("no passkey to remove")
	}
	assertStatus(t, c.postForm("/settings/passkeys/"+ids[1]+"/delete", nil), http.StatusSeeOther)

	c.patOf("ci", "30")
	pats := regexp.MustCompile(`action="/settings/tokens/(\d+)/delete"`).FindStringSubmatch(c.get("/settings/tokens").body)
	if pats == nil {
		t.Fatal("no personal token to revoke")
	}
	assertStatus(t, c.postForm("/settings/tokens/"+pats[1]+"/delete", nil), http.StatusSeeOther)
	app.program().signInForTokens("ada@example.com", strongPassword)

	got := app.kindsOf(t, id)
	for _, k := range []accounts.ActivityKind{accounts.KindSecondFactorOn, accounts.KindRecoveryCodeUsed, accounts.KindRecoveryCodesNew,
		accounts.KindSecondFactorOff, accounts.KindPasskeyAdded, accounts.KindPasskeyRemoved, accounts.KindTokenCreated, accounts.KindTokenRevoked} {
		if got[string(k)] != 1 {
			t.Errorf("%d lines of %s, want 1 (all: %v)", got[string(k)], k, got)
		}
	}
	methods := map[string]bool{}
	rows, err := app.db.Read.Query(app.db.Rebind(`SELECT method FROM activity WHERE user_id = ? AND kind = ?`), id, string(accounts.KindSignIn))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			t.Fatal(err)
		}
		methods[m] = true
	}
	for _, m := range []string{accounts.MethodPassword, accounts.MethodPasskey, accounts.MethodToken} {
		if !methods[m] {
			t.Errorf("no sign-in with method %q recorded (have %v)", m, methods)
		}
	}
	page := c.get("/settings/activity")
	for _, words := range []string{"Turned on the authenticator app", "Used a recovery code", "Added a passkey", "Made an access token", "Signed in with a passkey"} {
		assertContains(t, page, words)
	}
}
