package handlers

import (
	"context"
	"net/http"
	"testing"
)

// Signing in as someone else in the same browser ends the first user's
// session record too: it must not linger in their list of active sessions.
func TestSigningInAsAnotherUserEndsTheFirstRecord(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	app.client().signup("Grace", "grace@example.com", strongPassword)
	ada, err := app.db.UserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := app.db.ListUserSessions(ctx, ada.ID); len(got) != 1 {
		t.Fatalf("Ada has %d sessions after signup, want 1", len(got))
	}

	assertStatus(t, c.login("grace@example.com", strongPassword), http.StatusSeeOther)
	if got, _ := app.db.ListUserSessions(ctx, ada.ID); len(got) != 0 {
		t.Fatalf("Ada still lists %d sessions after this browser signed in as Grace", len(got))
	}
	assertContains(t, c.get("/dashboard"), "Hello, Grace")
}
