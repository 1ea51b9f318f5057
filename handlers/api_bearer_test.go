package handlers

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"latchkey/db"
)

// The bearer path's shortcuts (docs/PERFORMANCE.md, "The bearer path"):
// the session answer written without reflection, and no browser session
// for a request that carries a bearer token and no cookie.

// encodedSessionAnswer is what c.JSON made of a signed-in answer.
func encodedSessionAnswer(t testing.TB, u db.User, expires time.Time) string {
	t.Helper()
	b, err := json.Marshal(apiSessionAnswer{
		User:    &apiUser{ID: u.ID, Name: u.Name, Email: u.Email, EmailVerified: u.Verified(), Role: userRole(u)},
		Expires: expires.UTC().Format(time.RFC3339),
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// TestSessionAnswerIsEncodingJSON: appendSessionAnswer writes the bytes
// encoding/json writes, for names and addresses that need escaping.
func TestSessionAnswerIsEncodingJSON(t *testing.T) {
	verified := time.Unix(1_700_000_000, 0)
	expires := time.Date(2026, 12, 1, 15, 4, 5, 0, time.FixedZone("CET", 3600))
	for _, name := range []string{
		"Ada Lovelace", "", `Ada "the first" \ Lovelace`, "<script>alert(1)</script>", "Tom & Jerry",
		"Zoë Ñúñez 李小龍", "line\nbreak\ttab\r", "\x00\x01\x1f\x7f", "\u2028\u2029", "\xff\xfe bad UTF-8",
		"emoji 👩‍💻", "\b\f", "/slashes/",
	} {
		for _, u := range []db.User{
			{ID: 1, Name: name, Email: "ada@example.com", EmailVerifiedAt: verified},
			{ID: 1 << 53, Name: "Ada", Email: name},
		} {
			got := string(appendSessionAnswer(nil, u, expires))
			if want := encodedSessionAnswer(t, u, expires); got != want {
				t.Errorf("user %+v:\n got %s\nwant %s", u, got, want)
			}
		}
	}
}

func FuzzSessionAnswer(f *testing.F) {
	f.Add(int64(1), "Ada Lovelace", "ada@example.com", true, int64(1_800_000_000))
	f.Add(int64(-1), "<\u2028>&\"\\", "\xff@x", false, int64(0))
	f.Fuzz(func(t *testing.T, id int64, name, email string, verified bool, expires int64) {
		if expires < -1e11 || expires > 1e11 {
			t.Skip() // beyond four-digit years, which RFC 3339 cannot write
		}
		u := db.User{ID: id, Name: name, Email: email}
		if verified {
			u.EmailVerifiedAt = time.Unix(1, 0)
		}
		end := time.Unix(expires, 0)
		if end.UTC().Year() < 0 || end.UTC().Year() > 9999 {
			t.Skip()
		}
		got := string(appendSessionAnswer(nil, u, end))
		if want := encodedSessionAnswer(t, u, end); got != want {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}

// TestBearerRequestHasNoBrowserSession: a request with a bearer token and
// no cookie is answered without the session middleware (no Vary: Cookie,
// no cookie set), while a browser's request still has it; and the bearer
// is still judged on every request: revoked, it is refused at once.
func TestBearerRequestHasNoBrowserSession(t *testing.T) {
	app := newTestApp(t)
	app.createUser(t, "Ada Lovelace", "ada@example.com", strongPassword)
	p := app.program()
	pair := p.signInForTokens("ada@example.com", strongPassword)
	for _, path := range []string{"/api/auth/session", "/api/notes", "/api/notes/999", "/api/nowhere"} {
		res := p.apiGet(path, pair.AccessToken)
		if v := res.Header.Values("Vary"); len(v) != 0 {
			t.Errorf("GET %s with a bearer: Vary %q, want none (no session loaded)", path, v)
		}
		if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("GET %s with a bearer: Set-Cookie %q", path, c)
		}
	}
	if res := app.program().apiGet("/api/auth/session", ""); len(res.Header.Values("Vary")) == 0 {
		t.Errorf("GET /api/auth/session without a bearer: no Vary: Cookie, want the session loaded")
	}
	assertStatus(t, p.apiJSON(http.MethodPost, "/api/auth/revoke", pair.AccessToken, nil), http.StatusNoContent)
	assertAPIError(t, p.apiGet("/api/auth/session", pair.AccessToken), http.StatusUnauthorized, "unauthorized")
	assertAPIError(t, p.apiGet("/api/notes", pair.AccessToken), http.StatusUnauthorized, "unauthorized")
}
