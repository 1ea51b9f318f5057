package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/db"
)

// rememberedLogin signs a confirmed account in again with "remember me"
// ticked and returns the answer (its session cookie is the remembered one).
func (c *client) rememberedLogin(email, password string) *response {
	c.t.Helper()
	assertStatus(c.t, c.postForm("/logout", nil), http.StatusSeeOther)
	res := c.postForm("/login", url.Values{"email": {email}, "password": {password}, "remember": {"on"}})
	assertStatus(c.t, res, http.StatusSeeOther)
	return res
}

// sessionRowCount is how many rows scs's table holds.
func (a *testApp) sessionRowCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := a.db.Read.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The attack: 300 POST /logout from a browser that is not signed in used to
// write 300 thirty-day session rows (a flash each). Now they write nothing,
// and send no session cookie.
func TestAnonymousLogoutsWriteNoSessionRows(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.csrf()
	for i := range 300 {
		res := c.postForm("/logout", nil)
		assertStatus(t, res, http.StatusSeeOther)
		if line := setCookieLine(res, "latchkey_session"); line != "" {
			t.Fatalf("anonymous logout %d set a session cookie: %s", i, line)
		}
	}
	if n := app.sessionRowCount(t); n != 0 {
		t.Fatalf("300 anonymous logouts left %d session rows, want 0", n)
	}
	// Anonymous page views write nothing either.
	for _, path := range []string{"/", "/login", "/signup", "/forgot-password", "/verify-request"} {
		assertStatus(t, c.get(path), http.StatusOK)
	}
	if n := app.sessionRowCount(t); n != 0 {
		t.Fatalf("anonymous page views left %d session rows, want 0", n)
	}

	// A real sign-out still says goodbye, from a row that lives an hour.
	owner := app.client()
	owner.signup("Ada Lovelace", "ada@example.com", strongPassword)
	owner.followFlash(owner.postForm("/logout", nil), "You've been signed out.")
	if n := app.sessionRowCount(t); n != 0 {
		t.Fatalf("%d session rows once the goodbye was shown, want 0", n)
	}
}

// A visitor who is not signed in gets a row only while it carries something
// ("we sent a link to …"), for at most an hour, and the row goes once the
// message has been shown.
func TestAnonymousSessionRowLivesAnHour(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	res := c.postForm("/forgot-password", url.Values{"email": {"nobody@example.com"}})
	assertStatus(t, res, http.StatusSeeOther)
	if n := app.sessionRowCount(t); n != 1 {
		t.Fatalf("%d session rows after a link request, want 1", n)
	}
	var left float64 // seconds until the row expires
	if err := app.db.Read.QueryRow(`SELECT ` + app.sessionExpiryUnix() + ` FROM sessions`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	left -= float64(time.Now().UnixNano()) / 1e9
	if left > time.Hour.Seconds()+1 || left < time.Hour.Seconds()-60 {
		t.Fatalf("the anonymous row expires in %.0fs, want at most an hour", left)
	}
	if ck := setCookie(res, "latchkey_session"); ck == nil || !ck.Expires.IsZero() || ck.MaxAge != 0 {
		t.Fatalf("anonymous session cookie %q: want a browser-session cookie", setCookieLine(res, "latchkey_session"))
	}

	page := c.get("/verify-request")
	assertSays(t, page, "nobody@example.com")
	if n := app.sessionRowCount(t); n != 0 {
		t.Fatalf("%d session rows once the address was shown, want 0", n)
	}
	if ck := setCookie(page, "latchkey_session"); ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("the emptied session's cookie was not dropped: %q", setCookieLine(page, "latchkey_session"))
	}
}

// SESSION_LIFETIME counts from sign-in and is checked on every request: a
// session still in use is refused one second past it, with the cleanup
// never run, and its record is gone.
func TestSessionLifetimeCheckedOnEveryRequest(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	user := app.user("ada@example.com")
	signedIn := app.sessionsOf(user.ID)[0].CreatedAt
	lifetime := app.h.cfg.SessionLifetime

	// Active every six days, so the idle timeout never ends it first.
	for app.clock.Now().Add(6 * 24 * time.Hour).Before(signedIn.Add(lifetime)) {
		app.clock.Advance(6 * 24 * time.Hour)
		c.signedIn()
	}
	app.clock.Advance(signedIn.Add(lifetime - time.Second).Sub(app.clock.Now()))
	c.signedIn()

	app.clock.Advance(2 * time.Second) // lifetime + 1s
	res := c.get("/settings")
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login?next=/settings")
	if s := app.sessionsOf(user.ID); len(s) != 0 {
		t.Fatalf("the session past its lifetime is still recorded: %+v", s)
	}
	c.signedOut()
}

// A remembered session slides like Auth.js's updateAge: its cookie is
// re-issued with a later expiry at most once a day (and read-only requests
// in between write nothing), never past SESSION_LIFETIME from sign-in.
func TestRememberedSessionSlides(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	res := c.rememberedLogin("ada@example.com", strongPassword)
	user := app.user("ada@example.com")
	signedIn := app.sessionsOf(user.ID)[0].CreatedAt
	lifetime, idle := app.h.cfg.SessionLifetime, app.h.cfg.SessionIdleTimeout
	ck := setCookie(res, "latchkey_session")
	if ck == nil || !ck.Expires.Equal(signedIn.Add(idle)) {
		t.Fatalf("remembered cookie %q, want it to expire at sign-in + %v", setCookieLine(res, "latchkey_session"), idle)
	}
	expires := ck.Expires

	// Within the day: no new cookie, no write.
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
	rowsBefore, _ := app.sessionRows(t)
	for _, step := range []time.Duration{time.Minute, time.Hour, 20 * time.Hour} {
		app.clock.Advance(step)
		res := c.get("/dashboard")
		assertStatus(t, res, http.StatusOK)
		if line := setCookieLine(res, "latchkey_session"); line != "" {
			t.Fatalf("re-issued within the same day: %s", line)
		}
	}
	if rowsAfter, _ := app.sessionRows(t); rowsAfter != rowsBefore {
		t.Fatalf("page views within the day rewrote the session:\nbefore %s\nafter  %s", rowsBefore, rowsAfter)
	}

	// A day on: re-issued once, a day or more later.
	app.clock.Advance(3 * time.Hour)
	res = c.get("/dashboard")
	assertStatus(t, res, http.StatusOK)
	ck = setCookie(res, "latchkey_session")
	if ck == nil || ck.Expires.Sub(expires) < 24*time.Hour {
		t.Fatalf("a day on: cookie %q, want one expiring a day or more after %v", setCookieLine(res, "latchkey_session"), expires)
	}
	if want := app.clock.Now().Add(idle).Truncate(time.Second); !ck.Expires.Equal(want) {
		t.Fatalf("re-issued cookie expires %v, want %v", ck.Expires, want)
	}
	if line := setCookieLine(c.get("/dashboard"), "latchkey_session"); line != "" {
		t.Fatalf("re-issued twice in a row: %s", line)
	}

	// Used every six days: it slides each time, never past the lifetime.
	var last time.Time
	for app.clock.Now().Add(6 * 24 * time.Hour).Before(signedIn.Add(lifetime)) {
		app.clock.Advance(6 * 24 * time.Hour)
		res := c.get("/dashboard")
		assertStatus(t, res, http.StatusOK)
		ck := setCookie(res, "latchkey_session")
		if ck == nil {
			t.Fatalf("at %v after sign-in: not re-issued", app.clock.Now().Sub(signedIn))
		}
		if end := signedIn.Add(lifetime); ck.Expires.After(end) ||
			app.clock.Now().Add(time.Duration(ck.MaxAge)*time.Second).After(end) {
			t.Fatalf("cookie %q passes sign-in + lifetime (%v)", setCookieLine(res, "latchkey_session"), end)
		}
		last = ck.Expires
	}
	if !last.Equal(signedIn.Add(lifetime)) {
		t.Fatalf("the last re-issue expires %v, want exactly sign-in + lifetime %v", last, signedIn.Add(lifetime))
	}
	var rowExpiry float64
	if err := app.db.Read.QueryRow(`SELECT ` + app.sessionExpiryUnix() + ` FROM sessions`).Scan(&rowExpiry); err != nil {
		t.Fatal(err)
	}
	if end := signedIn.Add(lifetime); time.Unix(int64(rowExpiry+0.5), 0).After(end) {
		t.Fatalf("the session row outlives sign-in + lifetime: %v > %v", time.Unix(int64(rowExpiry), 0), end)
	}
	app.clock.Advance(signedIn.Add(lifetime + time.Second).Sub(app.clock.Now()))
	c.signedOut()
}

// A signed-in visitor to /login or /signup is sent to the dashboard; one
// whose session record has ended, and one who never signed in, get the page.
func TestSignedInVisitorSkipsLoginAndSignup(t *testing.T) {
	app := newTestApp(t)
	for _, path := range []string{"/login", "/signup"} {
		assertStatus(t, app.client().get(path), http.StatusOK)
	}

	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	for _, path := range []string{"/login", "/signup"} {
		res := c.get(path)
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, "/dashboard")
	}

	// Ended from another device: not signed in any more.
	if _, err := app.db.DeleteOtherUserSessions(context.Background(), app.user("ada@example.com").ID, ""); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/login", "/signup"} {
		res := c.get(path)
		assertStatus(t, res, http.StatusOK)
		assertContains(t, res, `action="`+path+`"`)
	}
	c.signedOut()

	// Signed out: the pages again.
	c = app.client()
	assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusSeeOther)
	assertStatus(t, c.get("/login"), http.StatusSeeOther)
	assertStatus(t, c.postForm("/logout", nil), http.StatusSeeOther)
	for _, path := range []string{"/login", "/signup"} {
		assertStatus(t, c.get(path), http.StatusOK)
	}
}

// Sessions written before the sliding rules (a 30-day deadline from
// sign-in, remembered or not) keep working after the upgrade, and keep
// their cookie; an old anonymous row still shows its message, then goes.
func TestSessionsFromBeforeTheUpgradeSurvive(t *testing.T) {
	app := newTestApp(t)
	owner := app.client()
	owner.signup("Ada Lovelace", "ada@example.com", strongPassword)
	user := app.user("ada@example.com")
	ctx := context.Background()

	// What the old code stored: scs's gob of the values, under the hash of
	// the cookie's token, expiring 720 h after sign-in.
	legacy := func(values map[string]any) *client {
		t.Helper()
		token := rand.Text()
		b, err := app.h.sessions.Codec.Encode(app.clock.Now().Add(720*time.Hour), values)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(token))
		if err := app.h.sessions.Store.Commit(base64.RawURLEncoding.EncodeToString(sum[:]), b, time.Now().Add(720*time.Hour)); err != nil {
			t.Fatal(err)
		}
		c := app.client()
		c.plantCookie("latchkey_session", token)
		return c
	}
	for _, remember := range []bool{true, false} {
		sid, err := app.acc.RecordSession(ctx, user.ID, "old browser", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		c := legacy(map[string]any{"sid": sid, "__rememberMe": remember})
		for range 2 {
			app.clock.Advance(25 * time.Hour)
			res := c.get("/dashboard")
			assertStatus(t, res, http.StatusOK)
			if line := setCookieLine(res, "latchkey_session"); line != "" {
				t.Errorf("remember=%v: the old session's cookie was replaced: %s", remember, line)
			}
		}
	}

	c := legacy(map[string]any{"flash": "Kept across the upgrade."})
	assertSays(t, c.get("/login"), "Kept across the upgrade.")
	c.signedOut()
}

// A handler that panics after changing the session (here: half way through
// something that would sign in) saves none of the change: the 500 page goes
// out without a session cookie and no row is written.
func TestPanickedRequestSavesNoSession(t *testing.T) {
	var h *Handlers
	app := newTestApp(t, func(c *testConfig) {
		c.routes = func(e *echo.Echo) {
			e.GET("/test/half-sign-in", func(c echo.Context) error {
				h.sessions.Put(c.Request().Context(), sessionKeyID, "planted")
				h.flash(c, "half way")
				panic("half way")
			})
		}
	})
	h = app.h
	res := app.client().get("/test/half-sign-in")
	assertStatus(t, res, http.StatusInternalServerError)
	if line := setCookieLine(res, "latchkey_session"); line != "" {
		t.Fatalf("the panicked request set a session cookie: %s", line)
	}
	if n := app.sessionRowCount(t); n != 0 {
		t.Fatalf("the panicked request wrote %d session rows", n)
	}
}

// legacyGobRow is a session row's data as the release before this one
// wrote it: deadline 2100-01-01, sid "sid-written-before-the-change",
// flash "Welcome back.". These are fixed bytes, not today's encoder's, so
// a codec that could no longer read the rows already in the table fails.
const legacyGobRow = "257f030102ff800001020108446561646c696e6501ff8200010656616c75657301ff8400000010ff810501010454696d6501ff8200000027ff83040101176d61705b737472696e675d696e74657266616365207b7d01ff8400010c0110000060ff80010f010000000f6c184e0000000000ffff01020373696406737472696e670c1f001d7369642d7772697474656e2d6265666f72652d7468652d6368616e676505666c61736806737472696e670c0f000d57656c636f6d65206261636b2e00"

// A browser signed in before the session caches moved stays signed in:
// its row, as the old release wrote it (legacyGobRow), loads, shows its
// message once, and the session record it points to is still the
// authority.
func TestSessionRowFromTheOldReleaseLoads(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	u := app.createUnconfirmedUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	if err := app.db.MarkEmailVerified(ctx, u.ID, app.clock.Now()); err != nil {
		t.Fatal(err)
	}
	now := app.clock.Now()
	if err := app.db.CreateUserSession(ctx, db.UserSession{ID: "sid-written-before-the-change", UserID: u.ID,
		CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now, UserAgent: "old browser", IP: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	data, err := hex.DecodeString(legacyGobRow)
	if err != nil {
		t.Fatal(err)
	}
	token := rand.Text()
	sum := sha256.Sum256([]byte(token))
	if err := app.h.sessions.Store.Commit(base64.RawURLEncoding.EncodeToString(sum[:]), data, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := app.client()
	c.plantCookie("latchkey_session", token)

	res := c.get("/dashboard")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "Ada Lovelace")
	assertSays(t, res, "Welcome back.")
	res = c.get("/dashboard")
	assertStatus(t, res, http.StatusOK)
	assertNotContains(t, res, "Welcome back.")

	// The record decides: ended elsewhere, the old row signs in no one.
	if err := app.acc.EndSession(ctx, "sid-written-before-the-change"); err != nil {
		t.Fatal(err)
	}
	assertLocation(t, c.get("/dashboard"), "/login?next=/dashboard")
}
