package e2e

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"latchkey/internal/apptest"
)

// runCommand runs the built binary's command line (latchkey user …) on
// the server's database, as an operator on that machine would.
func (s *server) runCommand(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bin, err := apptest.Binary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = apptest.Env(s.Database, s.Addr, "LOG_LEVEL=warn")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("latchkey %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestAdminJourney: the first administrator is made with the binary's
// `user promote`; they find a user in the admin area, disable them, and
// the user's browser is signed out at its next request. The admin pages
// and the activity log are audited on the way.
func TestAdminJourney(t *testing.T) {
	s := shared(t)
	admin := newTab(t, s, true)
	admin.signUp("Hypatia Admin", "hypatia.admin@example.com", firstPassword)
	user := newTab(t, s, true)
	user.signUp("Theon Target", "theon.target@example.com", firstPassword)

	// Not an administrator yet: the admin area is refused.
	admin.expect(admin.open("/admin/users"), http.StatusForbidden, "/admin/users")
	if out := s.runCommand(t, "user", "promote", "hypatia.admin@example.com"); !strings.Contains(out, "role admin") {
		t.Fatalf("promote said: %s", out)
	}

	// Search, by the start of the address, then the account.
	admin.expect(admin.open("/admin/users"), http.StatusOK, "/admin/users")
	admin.typeInto("#f-q", "THEON.tar")
	admin.expect(admin.press(`form.search button[type=submit]`), http.StatusOK, "/admin/users?q=THEON.tar")
	if n := admin.count(`table.list tbody tr`); n != 1 {
		t.Fatalf("the search lists %d accounts, want 1", n)
	}
	admin.see("table.list", "theon.target@example.com")
	admin.check("admin-users")
	status := admin.press(`table.list a`)
	if status != http.StatusOK || !strings.HasPrefix(admin.path(), "/admin/users/") {
		t.Fatalf("the account link answered %d at %s", status, admin.path())
	}
	account := admin.path()
	admin.see("main h1", "theon.target@example.com")
	admin.see(".facts", "Active")
	admin.see(".activity", "Signed in with an emailed link")
	admin.check("admin-user")

	// Disable: the user's browser is signed out at once.
	admin.expect(admin.press(`form[action$="/disable"] button[type=submit]`), http.StatusOK, account)
	admin.see(".flash", "has been disabled")
	admin.see(".facts", "Disabled")
	user.expect(user.open("/dashboard"), http.StatusOK, "/login?next=/dashboard")

	// The user's log shows it, naming the administrator, once enabled again.
	admin.expect(admin.press(`form[action$="/enable"] button[type=submit]`), http.StatusOK, account)
	user.expect(user.open("/login"), http.StatusOK, "/login")
	user.typeInto("#f-email", "theon.target@example.com")
	user.typeInto("#f-password", firstPassword)
	user.expect(user.press(loginButton), http.StatusOK, "/dashboard")
	user.expect(user.open("/settings/activity"), http.StatusOK, "/settings/activity")
	user.see(".activity", "Disabled the account — by an administrator (hypatia.admin@example.com)")
	user.see(".activity", "Signed in with a password")
	user.check("activity")

	// An account whose address was never confirmed: the administrator
	// sends a new link, and it is the one that confirms it.
	late := newTab(t, s, true)
	late.expect(late.open("/signup"), http.StatusOK, "/signup")
	late.typeInto("#f-name", "Lena Late")
	late.typeInto("#f-email", "lena.late@example.com")
	late.typeInto("#f-password", firstPassword)
	late.expect(late.press(signupButton), http.StatusOK, "/verify-request")
	s.inbox.next(t, "lena.late@example.com", "Confirm your email address")
	admin.expect(admin.open("/admin/users?q=lena.late"), http.StatusOK, "/admin/users?q=lena.late")
	if status := admin.press(`table.list a`); status != http.StatusOK || !strings.HasPrefix(admin.path(), "/admin/users/") {
		t.Fatalf("the account link answered %d at %s", status, admin.path())
	}
	account = admin.path()
	admin.see(".facts", "Not confirmed")
	admin.check("admin-user-unconfirmed")
	admin.expect(admin.press(`form[action$="/resend-confirmation"] button[type=submit]`), http.StatusOK, account)
	admin.see(".flash", "new confirmation link has been sent")
	verify := s.inbox.next(t, "lena.late@example.com", "Confirm your email address").link(t, s.URL, "/verify-email")
	late.expect(late.openURL(verify), http.StatusOK, strings.TrimPrefix(verify, s.URL))
	late.expect(late.press(verifyButton), http.StatusOK, "/dashboard")
	late.expect(late.open("/settings/activity"), http.StatusOK, "/settings/activity")
	late.see(".activity", "Sent a new confirmation link — by an administrator (hypatia.admin@example.com)")
}
