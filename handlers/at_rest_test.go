package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
)

// A copy of the database cannot be turned into working links or sessions:
// the tokens table holds only SHA-256 hashes of emailed tokens, and the
// sessions table only hashes of session cookies (scs HashTokenInStore:
// SHA-256, base64url).
func TestSecretsAreHashedAtRest(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	assertStatus(t, c.postForm("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusSeeOther)

	raw, err := base64.RawURLEncoding.DecodeString(tokenOf(t, app.lastLink("ada@example.com", "/login/email/confirm")))
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(raw)
	var hashed, plain int
	if err := app.db.Read.QueryRow(app.db.Rebind(`SELECT count(*) FROM tokens WHERE hash = ?`), want[:]).Scan(&hashed); err != nil {
		t.Fatal(err)
	}
	if err := app.db.Read.QueryRow(app.db.Rebind(`SELECT count(*) FROM tokens WHERE hash = ?`), raw).Scan(&plain); err != nil {
		t.Fatal(err)
	}
	if hashed != 1 || plain != 0 {
		t.Fatalf("tokens table: %d rows by SHA-256, %d by the raw token; want 1 and 0", hashed, plain)
	}

	cookie := c.cookie("latchkey_session")
	if cookie == "" {
		t.Fatal("no session cookie after signup")
	}
	sum := sha256.Sum256([]byte(cookie))
	var byHash, byValue int
	if err := app.db.Read.QueryRow(app.db.Rebind(`SELECT count(*) FROM sessions WHERE token = ?`), base64.RawURLEncoding.EncodeToString(sum[:])).Scan(&byHash); err != nil {
		t.Fatal(err)
	}
	if err := app.db.Read.QueryRow(app.db.Rebind(`SELECT count(*) FROM sessions WHERE token = ?`), cookie).Scan(&byValue); err != nil {
		t.Fatal(err)
	}
	if byHash != 1 || byValue != 0 {
		t.Fatalf("sessions table: %d rows by hash, %d by the cookie value; want 1 and 0", byHash, byValue)
	}
}
