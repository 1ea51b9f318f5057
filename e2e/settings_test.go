package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Forms of /settings and the notes example, by the action they post to.
const (
	nameButton         = `form[action="/settings/name"] button[type=submit]`
	emailButton        = `form[action="/settings/email"] button[type=submit]`
	passwordButton     = `form[action="/settings/password"] button[type=submit]`
	deleteButton       = `form[action="/settings/delete"] button[type=submit]`
	confirmEmailButton = `form[action="/settings/email/confirm"] button[type=submit]`
	// The Sign out button of one session in the list: the other
	// browser's, as this device's has none.
	revokeRowButton = `.session form[action="/settings/sessions/revoke"] button[type=submit]`
	addNoteButton   = `form[action="/notes"] button[type=submit]`
)

// TestSettingsJourney walks /settings with JavaScript on: every change a
// person makes to their account, a second browser signed out from the
// first, and the account deleted at the end. The pages are audited on the
// way.
func TestSettingsJourney(t *testing.T) {
	s := shared(t)
	in := s.inbox
	const email, newEmail = "mary@example.com", "mary.somerville@example.com"
	b := newTab(t, s, true)
	b.signUp("Mary Somerville", email, firstPassword)

	// The dashboard leads to settings.
	b.expect(b.press(`main a[href="/settings"]`), http.StatusOK, "/settings")
	b.see("main h1", "Account settings")
	b.see(".lead", email)

	// Name.
	b.replace("#name-name", "Mary Fairfax Somerville")
	b.expect(b.press(nameButton), http.StatusOK, "/settings")
	b.see(".flash", "Your name has been saved")
	if v := b.attr("#name-name", "value"); v != "Mary Fairfax Somerville" {
		t.Fatalf("after saving, the name field holds %q", v)
	}

	// Password: a wrong current password is refused with 422 and the
	// error shows at the field; then the right one changes it.
	b.typeInto("#password-current-password", "not my password")
	b.typeInto("#password-new", newPassword)
	b.expect(b.press(passwordButton), http.StatusUnprocessableEntity, "/settings/password")
	b.see(".summary", "isn't your current password")
	b.see("#password-current-password-error", "isn't your current password")
	b.check("settings-errors")
	b.typeInto("#password-current-password", firstPassword)
	b.typeInto("#password-new", newPassword)
	b.expect(b.press(passwordButton), http.StatusOK, "/settings")
	b.see(".flash", "Your password has been changed")

	// A second browser: the old password no longer signs in, the new one
	// does.
	other := newTab(t, s, true)
	other.expect(other.open("/login"), http.StatusOK, "/login")
	other.typeInto("#f-email", email)
	other.typeInto("#f-password", firstPassword)
	other.expect(other.press(loginButton), http.StatusUnprocessableEntity, "/login")
	other.typeInto("#f-password", newPassword)
	other.expect(other.press(loginButton), http.StatusOK, "/dashboard")

	// The first browser lists both sessions, itself first and marked.
	b.expect(b.open("/settings"), http.StatusOK, "/settings")
	if n := b.count(".session"); n != 2 {
		t.Fatalf("the sessions list has %d entries, want 2 (this browser and the other)", n)
	}
	b.see(".session:first-child .session-device", "This device")
	if n := b.count(".session .badge"); n != 1 {
		t.Fatalf("%d sessions are marked as this device, want 1", n)
	}
	if n := b.count(revokeRowButton); n != 1 {
		t.Fatalf("%d rows have a Sign out button, want 1 (not this device's)", n)
	}
	b.check("settings")

	// Ending the other session from here signs that browser out on its
	// next page.
	b.expect(b.press(revokeRowButton), http.StatusOK, "/settings")
	b.see(".flash", "That session has been signed out")
	if n := b.count(".session"); n != 1 {
		t.Fatalf("after signing the other browser out, the list has %d entries, want 1", n)
	}
	other.expect(other.open("/settings"), http.StatusOK, "/login?next=/settings")

	// Email: a link goes to the new address; opening it changes nothing,
	// its button does.
	b.typeInto("#email-email", newEmail)
	b.expect(b.press(emailButton), http.StatusOK, "/settings")
	b.see(".flash", "We've sent a link to "+newEmail)
	b.see("main", "Your address changes when you use it")
	link := in.next(t, newEmail, "Confirm your new email address").link(t, s.URL, "/settings/email/confirm")
	b.expect(b.openURL(link), http.StatusOK, strings.TrimPrefix(link, s.URL))
	b.see("main", newEmail)
	b.see(".lead", newEmail)
	b.check("confirm-email-change")
	b.expect(b.press(confirmEmailButton), http.StatusOK, "/settings")
	b.see(".flash", "Your email address is now "+newEmail)
	b.see("main .lead", "Signed in as "+newEmail)

	deleteAccount(t, b, newEmail, newPassword)
}

// TestSettingsWithoutJavaScript changes the name and deletes the account
// with scripts off: the settings forms need no script.
func TestSettingsWithoutJavaScript(t *testing.T) {
	s := shared(t)
	b := newTab(t, s, false)
	const email = "emmy@example.com"
	b.signUp("Emmy Noether", email, firstPassword)
	b.expect(b.open("/settings"), http.StatusOK, "/settings")
	b.replace("#name-name", "Amalie Emmy Noether")
	b.expect(b.press(nameButton), http.StatusOK, "/settings")
	b.see(".flash", "Your name has been saved")
	b.expect(b.open("/dashboard"), http.StatusOK, "/dashboard")
	b.see("main h1", "Amalie Emmy Noether")
	b.expect(b.open("/settings"), http.StatusOK, "/settings")
	deleteAccount(t, b, email, firstPassword)
}

// deleteAccount deletes the account from /settings (the tab is there): the
// button alone is refused until the box is ticked, then the browser is
// signed out and the password no longer signs in.
func deleteAccount(t *testing.T, b *tab, email, password string) {
	t.Helper()
	b.expect(b.press(deleteButton), http.StatusUnprocessableEntity, "/settings/delete")
	b.see("#delete-confirm-error", "Tick the box")
	if v := b.attr("#delete-confirm", "ariaInvalid"); v != "true" {
		t.Fatalf("the unticked confirmation box has aria-invalid=%q", v)
	}
	b.do(clickOnly("#delete-confirm"))
	b.typeInto("#delete-current-password", password)
	b.expect(b.press(deleteButton), http.StatusOK, "/")
	b.see(".flash", "Your account has been deleted")
	if n := b.count(logoutButton); n != 0 {
		t.Fatal("still signed in after deleting the account")
	}
	b.expect(b.open("/settings"), http.StatusOK, "/login?next=/settings")
	b.typeInto("#f-email", email)
	b.typeInto("#f-password", password)
	b.expect(b.press(loginButton), http.StatusUnprocessableEntity, "/login")
	b.see(".summary", "don't match")
}

// TestNotes walks the notes example: empty, a refused empty note, notes
// added, one edited and one deleted, auditing each page.
func TestNotes(t *testing.T) {
	s := shared(t)
	b := newTab(t, s, true)
	b.signUp("Ida Rhodes", "ida@example.com", firstPassword)
	b.expect(b.press(`header a[href="/notes"]`), http.StatusOK, "/notes")
	b.see("main h1", "Your notes")
	b.see("main", "No notes yet")
	b.check("notes-empty")

	b.expect(b.press(addNoteButton), http.StatusUnprocessableEntity, "/notes")
	b.see(".summary", "There's a problem")
	if v := b.attr("#f-body", "ariaInvalid"); v != "true" {
		t.Fatalf("the empty note field has aria-invalid=%q", v)
	}
	b.check("notes-errors")

	for _, body := range []string{"Buy a new notebook for the census tables.", "Check the\nsecond column twice."} {
		b.typeInto("#f-body", body)
		b.expect(b.press(addNoteButton), http.StatusOK, "/notes")
	}
	if n := b.count(".note"); n != 2 {
		t.Fatalf("%d notes listed, want 2", n)
	}
	b.see(".notes", "census tables")
	b.check("notes")

	// Edit the first note listed (the newest).
	if status := b.press(`.note:first-child .note-meta a`); status != http.StatusOK || !strings.HasSuffix(b.path(), "/edit") {
		t.Fatalf("the Edit link went to %s (%d)", b.path(), status)
	}
	if v := b.attr("#f-body", "value"); v != "Check the\nsecond column twice." {
		t.Fatalf("the edit form holds %q, want the newest note", v)
	}
	b.see("main h1", "Edit note")
	b.check("note-edit")
	b.replace("#f-body", "Check every column twice.")
	b.expect(b.press(`main form button[type=submit]`), http.StatusOK, "/notes")
	b.see(".notes", "Check every column twice.")

	// Delete the other.
	b.expect(b.press(`.note:last-child .note-meta button[type=submit]`), http.StatusOK, "/notes")
	if n := b.count(".note"); n != 1 {
		t.Fatalf("after deleting one, %d notes listed, want 1", n)
	}
	if strings.Contains(b.text(".notes"), "census") {
		t.Fatal("the deleted note is still listed")
	}
}

// signUp creates an account through the signup form, confirms it with the
// emailed link and lands on the dashboard, signed in.
func (b *tab) signUp(name, email, password string) {
	b.t.Helper()
	b.expect(b.open("/signup"), http.StatusOK, "/signup")
	b.typeInto("#f-name", name)
	b.typeInto("#f-email", email)
	b.typeInto("#f-password", password)
	b.expect(b.press(signupButton), http.StatusOK, "/verify-request")
	verify := b.srv.inbox.next(b.t, email, "Confirm your email address").link(b.t, b.srv.URL, "/verify-email")
	b.expect(b.openURL(verify), http.StatusOK, strings.TrimPrefix(verify, b.srv.URL))
	b.expect(b.press(verifyButton), http.StatusOK, "/dashboard")
}

// replace empties a field, then types text into it.
func (b *tab) replace(sel, text string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.CSS(sel), chromedp.NodeReady))
	b.typeInto(sel, text)
}
