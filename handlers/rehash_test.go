package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"
)

// A hash made with weaker parameters than today's is replaced on the next
// successful sign-in (docs/ARCHITECTURE.md, "Passwords"), and a failed
// sign-in leaves it alone.
func TestSignInRehashesOldParameters(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	old, err := argon2id.CreateHash(strongPassword, &argon2id.Params{Memory: 8 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	user, err := app.db.CreateUser(ctx, "Ada", "ada@example.com", old, app.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := app.db.MarkEmailVerified(ctx, user.ID, app.clock.Now()); err != nil {
		t.Fatal(err)
	}

	c := app.client()
	assertStatus(t, c.login("ada@example.com", "not the password at all"), http.StatusUnprocessableEntity)
	if u, _ := app.db.UserByID(ctx, user.ID); u.PasswordHash != old {
		t.Fatal("a failed sign-in changed the stored hash")
	}

	assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusSeeOther)
	u, err := app.db.UserByID(ctx, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash == old || !strings.Contains(u.PasswordHash, "m=19456,t=2,p=1") {
		t.Fatalf("hash not renewed with today's parameters: %s", u.PasswordHash)
	}
	// The renewed hash still signs in.
	assertStatus(t, app.client().login("ada@example.com", strongPassword), http.StatusSeeOther)
}
