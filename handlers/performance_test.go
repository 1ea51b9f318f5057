package handlers

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// sessionRows is what the database holds for the sessions: scs's rows and
// the per-user records.
func (a *testApp) sessionRows(t *testing.T) (scsRows string, records string) {
	t.Helper()
	rows, err := a.db.Read.Query(`SELECT token, data, ` + a.sessionExpiryUnix() + ` FROM sessions ORDER BY token`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var token string
		var data []byte
		var expiry float64
		if err := rows.Scan(&token, &data, &expiry); err != nil {
			t.Fatal(err)
		}
		scsRows += token + " " + hex.EncodeToString(data) + " " + strconv.FormatFloat(expiry, 'f', -1, 64) + "\n"
	}
	recs, err := a.db.Read.Query(`SELECT id, last_seen_at FROM user_sessions ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer recs.Close()
	for recs.Next() {
		var id string
		var seen int64
		if err := recs.Scan(&id, &seen); err != nil {
			t.Fatal(err)
		}
		records += id + " " + strconv.FormatInt(seen, 10) + ";"
	}
	return scsRows, records
}

// TestSignedInPageViewsWriteNothing: reading pages while signed in changes
// no row and sends no new cookie; only the once-a-minute touch of the
// session record writes.
func TestSignedInPageViewsWriteNothing(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
	scsBefore, recordsBefore := app.sessionRows(t)
	for _, path := range []string{"/dashboard", "/settings", "/", "/dashboard"} {
		res := c.get(path)
		assertStatus(t, res, http.StatusOK)
		if line := setCookieLine(res, "latchkey_session"); line != "" {
			t.Errorf("GET %s sent a new session cookie: %s", path, line)
		}
	}
	scsAfter, recordsAfter := app.sessionRows(t)
	if scsAfter != scsBefore {
		t.Errorf("signed-in page views rewrote the session:\nbefore %s\nafter  %s", scsBefore, scsAfter)
	}
	if recordsAfter != recordsBefore {
		t.Errorf("page views within a minute touched the session record: %s → %s", recordsBefore, recordsAfter)
	}

	app.clock.Advance(2 * time.Minute)
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
	if _, records := app.sessionRows(t); records == recordsBefore {
		t.Error("a page view after two minutes did not record the activity")
	}
}

// TestIdleSessionEnds: a session is signed out after the idle timeout
// (168 h in the test app) without a request, and kept alive by requests.
func TestIdleSessionEnds(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	for range 3 {
		app.clock.Advance(6 * 24 * time.Hour)
		assertStatus(t, c.get("/dashboard"), http.StatusOK)
	}
	app.clock.Advance(168*time.Hour + 2*time.Minute)
	res := c.get("/dashboard")
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/login?next=/dashboard")
	if _, records := app.sessionRows(t); records != "" {
		t.Errorf("the idle session's record is still there: %q", records)
	}
	// Signing in again works as usual.
	assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusSeeOther)
	assertStatus(t, c.get("/dashboard"), http.StatusOK)
}

// TestPagesAreSentWhole: a page goes out in one piece with its length, not
// in chunks (templ flushes after each component; render buffers the page).
func TestPagesAreSentWhole(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	for _, path := range []string{"/login", "/signup", "/no-such-page"} {
		res := c.get(path)
		if res.ContentLength != int64(len(res.body)) || len(res.TransferEncoding) > 0 {
			t.Errorf("GET %s: Content-Length %d, Transfer-Encoding %v, body %d bytes",
				path, res.ContentLength, res.TransferEncoding, len(res.body))
		}
	}
}
