package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"
)

// Weak passwords in disguise are refused at signup like the plain ones, with
// a reason, before any hash is spent: fullwidth letters, and invisible
// characters inside or instead of a password.
func TestSignupRefusesDisguisedWeakPasswords(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	for _, tc := range []struct{ desc, password, want string }{
		{"fullwidth", "ｐａｓｓｗｏｒｄ１", "This is one of the most common passwords"},
		{"a zero-width space inside", "pass\u200bword1", "Don't use invisible or control characters"},
		{"eight zero-width spaces", strings.Repeat("\u200b", 8), "Don't use invisible or control characters"},
		{"the name in fullwidth", "ＬＯＶＥＬＡＣＥ１８１５", "Don't use your name in your password."},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			hashes := app.hashes()
			res := c.postForm("/signup", url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.com"}, "password": {tc.password}})
			assertStatus(t, res, http.StatusUnprocessableEntity)
			assertContains(t, res, tc.want)
			if n := app.hashes() - hashes; n != 0 {
				t.Errorf("a refused password cost %d hashes", n)
			}
		})
	}
	if n := app.countUsers(t, ""); n != 0 {
		t.Fatalf("%d users created", n)
	}
}

// An account whose hash was made from a password as typed, before
// passwords were prepared (here an "é" typed as "e" and an accent), still
// signs in; that sign-in stores a hash of the prepared form, after which
// either spelling signs in.
func TestSignInRehashesUnpreparedPassword(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	const typed = "cafe\u0301 tangerine lighthouse"
	legacy, err := argon2id.CreateHash(typed, &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	user, err := app.db.CreateUser(ctx, "Ada", "ada@example.com", legacy, app.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	// An account from before, so a confirmed one.
	if err := app.db.MarkEmailVerified(ctx, user.ID, app.clock.Now()); err != nil {
		t.Fatal(err)
	}
	res := app.client().login("ada@example.com", typed)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/dashboard")
	u, err := app.db.UserByID(ctx, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash == legacy {
		t.Fatal("the hash of the unprepared password was kept")
	}
	for _, spelling := range []string{typed, "caf\u00e9 tangerine lighthouse"} {
		res := app.client().login("ada@example.com", spelling)
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, "/dashboard")
	}
}
