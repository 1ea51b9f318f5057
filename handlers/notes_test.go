package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"latchkey/db"
)

// noteIDs returns the ids of the notes on the user's /notes page, newest
// first, read from the edit links.
func (c *client) noteIDs() []string {
	c.t.Helper()
	res := c.get("/notes")
	assertStatus(c.t, res, http.StatusOK)
	var ids []string
	for _, m := range regexp.MustCompile(`href="/notes/(\d+)/edit"`).FindAllStringSubmatch(res.body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// addNote adds a note through the form and returns its id.
func (c *client) addNote(body string) string {
	c.t.Helper()
	res := c.postForm("/notes", url.Values{"body": {body}})
	assertStatus(c.t, res, http.StatusSeeOther)
	assertLocation(c.t, res, "/notes")
	res = c.get("/notes")
	assertContains(c.t, res, "Note added.")
	ids := c.noteIDs()
	if len(ids) == 0 {
		c.t.Fatalf("no note on /notes after adding %q", body)
	}
	return ids[0]
}

func TestNotesAddListEditDelete(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)

	res := c.get("/notes")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "No notes yet.")

	first := c.addNote("Buy milk")
	assertContains(t, c.get("/notes"), "Buy milk")
	second := c.addNote("Call <Charles> & \"friends\"")
	res = c.get("/notes")
	// Escaped, never raw HTML, and newest first.
	assertContains(t, res, "Call &lt;Charles&gt; &amp; &#34;friends&#34;")
	if i, j := strings.Index(res.body, "Call &lt;"), strings.Index(res.body, "Buy milk"); i > j {
		t.Fatalf("the newest note is not first")
	}

	res = c.get("/notes/" + first + "/edit")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, ">Buy milk</textarea>")
	res = c.postForm("/notes/"+first, url.Values{"body": {"  Buy oat milk\n"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/notes")
	res = c.get("/notes")
	assertContains(t, res, "Note saved.")
	assertContains(t, res, "Buy oat milk")
	assertNotContains(t, res, "Buy milk")

	res = c.postForm("/notes/"+second+"/delete", nil)
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/notes")
	res = c.get("/notes")
	assertContains(t, res, "Note deleted.")
	assertNotContains(t, res, "Charles")
	if ids := c.noteIDs(); len(ids) != 1 || ids[0] != first {
		t.Fatalf("notes after delete: %v, want [%s]", ids, first)
	}
	// A deleted note is gone for good.
	assertStatus(t, c.get("/notes/"+second+"/edit"), http.StatusNotFound)
	assertStatus(t, c.postForm("/notes/"+second+"/delete", nil), http.StatusNotFound)
}

func TestNotesValidation(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	id := c.addNote("keep me")

	for _, tc := range []struct{ name, body, message string }{
		{"empty", "", "Enter your note."},
		{"only spaces", " \n\t ", "Enter your note."},
		{"1001 characters", strings.Repeat("a", 1001), "Note must be a maximum of 1,000 characters"},
		{"1001 characters of two bytes", strings.Repeat("é", 1001), "Note must be a maximum of 1,000 characters"},
		{"a NUL byte", "a\x00b", "characters we can't accept"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.postForm("/notes", url.Values{"body": {tc.body}})
			assertStatus(t, res, http.StatusUnprocessableEntity)
			assertContains(t, res, tc.message)
			assertContains(t, res, `aria-invalid="true"`)

			res = c.postForm("/notes/"+id, url.Values{"body": {tc.body}})
			assertStatus(t, res, http.StatusUnprocessableEntity)
			assertContains(t, res, tc.message)
		})
	}
	// 1000 characters is the limit, counted in characters, not bytes.
	c.addNote(strings.Repeat("é", 1000))
	res := c.get("/notes")
	assertContains(t, res, "keep me")
	if n := len(c.noteIDs()); n != 2 {
		t.Fatalf("%d notes, want 2: no invalid note may be stored", n)
	}
	// A missing CSRF token is refused before anything is stored.
	res = c.postRaw("/notes", url.Values{"body": {"no token"}}.Encode())
	assertStatus(t, res, http.StatusForbidden)
}

// TestNotesOfOthersAreNotFound: user B changes the id in the URL to user A's
// note. Every attempt is a 404, the same answer as for a note that does not
// exist, and A's note is untouched.
func TestNotesOfOthersAreNotFound(t *testing.T) {
	app := newTestApp(t)
	a := app.client()
	a.signup("Ada Lovelace", "ada@example.com", strongPassword)
	secret := a.addNote("Ada's secret")
	b := app.client()
	b.signup("Charles Babbage", "charles@example.com", strongPassword)
	own := b.addNote("Charles's note")

	res := b.get("/notes")
	assertNotContains(t, res, "Ada&#39;s secret")
	assertNotContains(t, res, "/notes/"+secret+"/")

	for _, attempt := range []struct {
		name string
		do   func() *response
	}{
		{"see", func() *response { return b.get("/notes/" + secret + "/edit") }},
		{"edit", func() *response { return b.postForm("/notes/"+secret, url.Values{"body": {"pwned"}}) }},
		{"edit with an invalid form", func() *response { return b.postForm("/notes/"+secret, url.Values{"body": {""}}) }},
		{"delete", func() *response { return b.postForm("/notes/"+secret+"/delete", nil) }},
	} {
		res := attempt.do()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s another user's note: status %d, want 404", attempt.name, res.StatusCode)
		}
		if strings.Contains(res.body, "secret") {
			t.Errorf("%s another user's note: the page shows its text", attempt.name)
		}
	}

	res = a.get("/notes")
	assertContains(t, res, "Ada&#39;s secret")
	assertNotContains(t, res, "pwned")
	assertNotContains(t, res, "Charles")
	// B's own note still works with the same handlers.
	assertStatus(t, b.get("/notes/"+own+"/edit"), http.StatusOK)
	// And A cannot reach B's either.
	assertStatus(t, a.get("/notes/"+own+"/edit"), http.StatusNotFound)
}

func TestNotesBadIDsAreNotFound(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	c.addNote("a note")
	for _, id := range []string{"abc", "0", "-1", "1.0", "1e3", "0x1", "%20", "99999999999999999999", "999999"} {
		t.Run(id, func(t *testing.T) {
			for _, res := range []*response{
				c.get("/notes/" + id + "/edit"),
				c.postForm("/notes/"+id, url.Values{"body": {"x"}}),
				c.postForm("/notes/"+id+"/delete", nil),
			} {
				if res.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s: status %d, want 404", res.Request.Method, res.Request.URL.Path, res.StatusCode)
				}
			}
		})
	}
	if n := len(c.noteIDs()); n != 1 {
		t.Fatalf("%d notes, want 1", n)
	}
}

func TestNotesNeedSignIn(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	for path, next := range map[string]string{
		"/notes":        "/login?next=/notes",
		"/notes/1/edit": "/login?next=/notes/1/edit",
	} {
		res := c.get(path)
		assertStatus(t, res, http.StatusSeeOther)
		assertLocation(t, res, next)
	}
	// A POST from a signed-out browser (valid CSRF token) stores nothing.
	for _, path := range []string{"/notes", "/notes/1", "/notes/1/delete"} {
		res := c.postForm(path, url.Values{"body": {"anonymous"}})
		assertStatus(t, res, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
			t.Fatalf("POST %s: Location %q, want /login?next=…", path, loc)
		}
	}

	// Signing in from there lands on the notes page.
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	c.postForm("/logout", nil)
	res := c.postForm("/login", url.Values{"email": {"ada@example.com"}, "password": {strongPassword}, "next": {"/notes"}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/notes")
	res = c.get("/notes")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "No notes yet.")
	assertNotContains(t, res, "anonymous")

	// Signed out again, the page is closed; signed in again, it is open.
	c.postForm("/logout", nil)
	assertStatus(t, c.get("/notes"), http.StatusSeeOther)
	assertStatus(t, c.login("ada@example.com", strongPassword), http.StatusSeeOther)
	assertStatus(t, c.get("/notes"), http.StatusOK)
}

// TestNotesGoWithTheirUser: deleting an account deletes its notes (ON
// DELETE CASCADE), and the queries never cross users.
func TestNotesGoWithTheirUser(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	now := app.clock.Now()
	ada, err := app.db.CreateUser(ctx, "Ada", "ada@example.com", "", now)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := app.db.CreateUser(ctx, "Bob", "bob@example.com", "", now)
	if err != nil {
		t.Fatal(err)
	}
	n, err := app.db.CreateNote(ctx, ada.ID, "mine", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.db.NoteByID(ctx, bob.ID, n.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("NoteByID as another user: %v, want ErrNotFound", err)
	}
	if _, err := app.db.UpdateNote(ctx, bob.ID, n.ID, "theirs", now); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("UpdateNote as another user: %v, want ErrNotFound", err)
	}
	if err := app.db.DeleteNote(ctx, bob.ID, n.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("DeleteNote as another user: %v, want ErrNotFound", err)
	}
	if got, err := app.db.NoteByID(ctx, ada.ID, n.ID); err != nil || got.Body != "mine" {
		t.Fatalf("NoteByID as owner: %+v, %v", got, err)
	}
	if _, err := app.db.CreateNote(ctx, ada.ID, strings.Repeat("x", 1001), now); err == nil {
		t.Errorf("the table accepted a note of 1001 characters")
	}
	if err := app.db.DeleteUser(ctx, ada.ID); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := app.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM notes`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d notes left after their user was deleted", left)
	}
}
