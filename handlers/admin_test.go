package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/accounts"
	"latchkey/db"
	"latchkey/internal/timetext"
)

// adminWorld is an app with an administrator and an ordinary user, each
// signed in in a browser of their own.
type adminWorld struct {
	app         *testApp
	admin, user *client
	adminID     int64
	userID      int64
}

func newAdminWorld(t *testing.T, opts ...func(*testConfig)) *adminWorld {
	t.Helper()
	app := newTestApp(t, opts...)
	w := &adminWorld{app: app, admin: app.client(), user: app.client()}
	w.admin.signup("Alice Admin", "alice@example.com", strongPassword)
	w.user.signup("Bob User", "bob@example.com", strongPassword)
	w.adminID = app.userID(t, "alice@example.com")
	w.userID = app.userID(t, "bob@example.com")
	app.setRole(t, "alice@example.com", db.RoleAdmin)
	return w
}

func (a *testApp) userID(t testing.TB, email string) int64 {
	t.Helper()
	u, err := a.db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func (a *testApp) setRole(t testing.TB, email, role string) {
	t.Helper()
	if _, err := a.acc.SetRole(context.Background(), email, role); err != nil {
		t.Fatal(err)
	}
}

func userPath(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

var adminActions = []string{"disable", "enable", "signout", "reset-2fa", "resend-confirmation", "delete"}

// TestAdminAreaGuards: every admin route, attacked by a signed-out
// visitor (303 to sign in), by a signed-in user without the role (403),
// and every action by an administrator without the CSRF token (403):
// nothing changes.
func TestAdminAreaGuards(t *testing.T) {
	w := newAdminWorld(t)
	target := userPath(w.userID)
	gets := []string{"/admin/users", "/admin/users?q=bob", target}

	anon := w.app.client()
	for _, p := range gets {
		res := anon.get(p)
		assertStatus(t, res, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/login?next=/admin/users") {
			t.Errorf("GET %s signed out: Location %q", p, loc)
		}
	}
	for _, a := range adminActions {
		res := anon.postForm(target+"/"+a, url.Values{})
		assertStatus(t, res, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
			t.Errorf("POST %s signed out: Location %q", a, loc)
		}
	}

	for _, p := range append(gets, userPath(w.adminID)) {
		res := w.user.get(p)
		assertStatus(t, res, http.StatusForbidden)
		assertContains(t, res, "for administrators")
	}
	for _, a := range adminActions {
		res := w.user.postForm(userPath(w.adminID)+"/"+a, url.Values{})
		assertStatus(t, res, http.StatusForbidden)
	}

	for _, a := range adminActions {
		res := w.admin.postWith(target+"/"+a, url.Values{"_csrf": {""}}, nil)
		assertStatus(t, res, http.StatusForbidden)
		res = w.admin.postWith(target+"/"+a, url.Values{"_csrf": {"forged-token"}}, nil)
		assertStatus(t, res, http.StatusForbidden)
	}
	// Bob is still there, enabled and signed in, and nothing was logged.
	assertStatus(t, w.user.get("/dashboard"), http.StatusOK)
	if n := w.app.count(t, "activity", "actor_id IS NOT NULL"); n != 0 {
		t.Fatalf("%d admin actions logged by refused requests", n)
	}
}

// TestAdminRoleAnswersJSONUnderAPI: under /api/ the wrong role is a JSON
// 403, never an HTML page.
func TestAdminRoleAnswersJSONUnderAPI(t *testing.T) {
	var app *testApp
	probe := func(c echo.Context) error { return c.String(http.StatusOK, "ok") }
	app = newTestApp(t, func(c *testConfig) {
		c.routes = func(e *echo.Echo) {
			e.GET("/api/admin-probe", func(c echo.Context) error {
				return app.h.RequireRole(db.RoleAdmin)(probe)(c)
			})
		}
	})
	c := app.client()
	c.signup("Bob", "bob@example.com", strongPassword)
	res := c.get("/api/admin-probe")
	assertStatus(t, res, http.StatusForbidden)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || strings.TrimSpace(res.body) != `{"error":"forbidden"}` {
		t.Fatalf("Content-Type %q, body %q", ct, res.body)
	}
	app.setRole(t, "bob@example.com", db.RoleAdmin)
	assertStatus(t, c.get("/api/admin-probe"), http.StatusOK)
}

// TestRoleChangeCountsAtNextRequest: promoting and demoting take effect on
// the very next request of a session already signed in.
func TestRoleChangeCountsAtNextRequest(t *testing.T) {
	w := newAdminWorld(t)
	assertStatus(t, w.user.get("/admin/users"), http.StatusForbidden)
	assertNotContains(t, w.user.get("/dashboard"), `href="/admin/users"`)
	w.app.setRole(t, "bob@example.com", db.RoleAdmin)
	assertContains(t, w.user.get("/dashboard"), `href="/admin/users"`)
	assertStatus(t, w.user.get("/admin/users"), http.StatusOK)
	w.app.setRole(t, "bob@example.com", db.RoleUser)
	assertStatus(t, w.user.get("/admin/users"), http.StatusForbidden)
	w.app.setRole(t, "alice@example.com", db.RoleUser)
	assertStatus(t, w.admin.get("/admin/users"), http.StatusForbidden)
}

// TestAdminSelfActionsRefused: an administrator cannot disable, sign out,
// reset or delete their own account from the admin area.
func TestAdminSelfActionsRefused(t *testing.T) {
	w := newAdminWorld(t)
	self := userPath(w.adminID)
	res := w.admin.get(self)
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "This is your own account")
	for _, a := range adminActions {
		res := w.admin.postForm(self+"/"+a, url.Values{"current_password": {strongPassword}})
		assertStatus(t, res, http.StatusForbidden)
		assertContains(t, res, "your own account")
	}
	assertStatus(t, w.admin.get("/admin/users"), http.StatusOK)
	if n := w.app.count(t, "activity", "actor_id IS NOT NULL"); n != 0 {
		t.Fatalf("%d admin actions logged", n)
	}
}

// TestAdminActionsNeedSudoWindow: past the sudo window an action needs the
// administrator's current password (422 without it or with a wrong one,
// nothing done); with it, it goes ahead.
func TestAdminActionsNeedSudoWindow(t *testing.T) {
	w := newAdminWorld(t)
	w.app.clock.Advance(11 * time.Minute)
	target := userPath(w.userID)
	for _, a := range adminActions {
		res := w.admin.postForm(target+"/"+a, url.Values{})
		assertStatus(t, res, http.StatusUnprocessableEntity)
		assertContains(t, res, "Enter your current password")
		res = w.admin.postForm(target+"/"+a, url.Values{"current_password": {"not the password at all"}})
		assertStatus(t, res, http.StatusUnprocessableEntity)
	}
	if n := w.app.count(t, "activity", "actor_id IS NOT NULL"); n != 0 {
		t.Fatalf("%d admin actions done outside the sudo window", n)
	}
	assertStatus(t, w.user.get("/dashboard"), http.StatusOK)
	res := w.admin.postForm(target+"/signout", url.Values{"current_password": {strongPassword}})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, target)
	assertStatus(t, w.user.get("/dashboard"), http.StatusSeeOther)
}

// TestAdminBadIDs: an id that is no account's, or not a number, is 404 on
// every admin route, never a 5xx.
func TestAdminBadIDs(t *testing.T) {
	w := newAdminWorld(t)
	for _, id := range []string{"999999", "0", "-1", "abc", "1.5", "99999999999999999999999", "%00", "1%20OR%201=1"} {
		assertStatus(t, w.admin.get("/admin/users/"+id), http.StatusNotFound)
		for _, a := range adminActions {
			res := w.admin.postForm("/admin/users/"+id+"/"+a, url.Values{})
			assertStatus(t, res, http.StatusNotFound)
		}
	}
}

// TestAdminActions: each action does what it says, is logged with the
// administrator as actor, and tells the user by email.
func TestAdminActions(t *testing.T) {
	w := newAdminWorld(t)
	target := userPath(w.userID)
	page := w.admin.get(target)
	assertStatus(t, page, http.StatusOK)
	for _, want := range []string{"bob@example.com", "Bob User", "Confirmed", "Active", "Second factor", "Off", "Passkeys", "Signed in with an emailed link"} {
		assertContains(t, page, want)
	}

	res := w.admin.postForm(target+"/disable", url.Values{})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, target)
	assertStatus(t, w.user.get("/dashboard"), http.StatusSeeOther) // signed out
	res = w.app.client().login("bob@example.com", strongPassword)
	assertStatus(t, res, http.StatusUnprocessableEntity)
	assertContains(t, res, "disabled")
	w.app.assertMailSubject(t, "bob@example.com", "was disabled")
	assertContains(t, w.admin.get(target), "Disabled")

	res = w.admin.postForm(target+"/enable", url.Values{})
	assertStatus(t, res, http.StatusSeeOther)
	w.app.assertMailSubject(t, "bob@example.com", "was enabled")
	bob := w.app.client()
	assertStatus(t, bob.login("bob@example.com", strongPassword), http.StatusSeeOther)

	res = w.admin.postForm(target+"/signout", url.Values{})
	assertStatus(t, res, http.StatusSeeOther)
	assertStatus(t, bob.get("/dashboard"), http.StatusSeeOther)
	w.app.assertMailSubject(t, "bob@example.com", "signed out")

	res = w.admin.postForm(target+"/reset-2fa", url.Values{})
	assertStatus(t, res, http.StatusSeeOther)
	w.app.assertMailSubject(t, "bob@example.com", "second factor")

	// Bob reads what the administrator did, naming them.
	bob = w.app.client()
	assertStatus(t, bob.login("bob@example.com", strongPassword), http.StatusSeeOther)
	log := bob.get("/settings/activity")
	for _, want := range []string{"Disabled the account — by an administrator (alice@example.com)",
		"Enabled the account — by an administrator (alice@example.com)",
		"Signed out every session — by an administrator (alice@example.com)",
		"Reset the second factor — by an administrator (alice@example.com)"} {
		assertContains(t, log, want)
	}
	for _, kind := range []string{"account_disabled", "account_enabled", "signed_out_everywhere", "second_factor_reset"} {
		if n := w.app.count(t, "activity", "user_id = ? AND kind = ? AND actor_id = ?", w.userID, kind, w.adminID); n != 1 {
			t.Errorf("%d %s lines with the admin as actor", n, kind)
		}
	}

	res = w.admin.postForm(target+"/delete", url.Values{})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, "/admin/users")
	assertStatus(t, w.admin.get(target), http.StatusNotFound)
	assertStatus(t, bob.get("/dashboard"), http.StatusSeeOther)
	w.app.assertMailSubject(t, "bob@example.com", "was deleted")
	if n := w.app.count(t, "activity", "user_id = ? AND kind = 'account_deleted' AND detail = 'bob@example.com'", w.adminID); n != 1 {
		t.Fatalf("the deletion is not on the administrator's log (%d)", n)
	}
	assertContains(t, w.admin.get("/settings/activity"), "Deleted the account of bob@example.com")
}

// TestAdminResendConfirmation: an administrator sends a new confirmation
// link to an account whose address is not confirmed. One email arrives with
// a link that confirms the account, the link sent before stops working, and
// the log names the administrator. A confirmed address, a disabled account
// and an address over its mail limit get a 409 page: nothing sent, nothing
// logged. The attacks every action gets (signed out, no role, no CSRF, no
// sudo window, the administrator's own id, unknown ids) are in the tests
// that loop over adminActions.
func TestAdminResendConfirmation(t *testing.T) {
	w := newAdminWorld(t)
	carol := w.app.client()
	carol.signupUnconfirmed("Carol", "carol@example.com", strongPassword)
	carolID := w.app.userID(t, "carol@example.com")
	target := userPath(carolID)
	oldLink := w.app.lastLink("carol@example.com", "/verify-email")
	resent := func(userID int64) int {
		return w.app.count(t, "activity", "user_id = ? AND kind = 'confirmation_resent'", userID)
	}

	page := w.admin.get(target)
	assertContains(t, page, "Not confirmed")
	assertContains(t, page, "Send a new confirmation link")
	before := w.app.mailTo("carol@example.com")
	res := w.admin.postForm(target+"/resend-confirmation", url.Values{})
	assertStatus(t, res, http.StatusSeeOther)
	assertLocation(t, res, target)
	assertContains(t, w.admin.get(target), "A new confirmation link has been sent")
	if n := w.app.mailTo("carol@example.com"); n != before+1 {
		t.Fatalf("%d emails to carol after the resend, want %d", n, before+1)
	}
	w.app.assertMailSubject(t, "carol@example.com", "Confirm")
	newLink := w.app.lastLink("carol@example.com", "/verify-email")
	if newLink == oldLink {
		t.Fatal("the resend sent the old link again")
	}
	if n := w.app.count(t, "activity", "user_id = ? AND kind = 'confirmation_resent' AND actor_id = ? AND actor_email = ?",
		carolID, w.adminID, "alice@example.com"); n != 1 {
		t.Fatalf("%d confirmation_resent lines with the administrator as actor", n)
	}

	// The link sent before is retired, as by the user's own "send it again".
	other := w.app.client()
	res = other.postForm("/verify-email", url.Values{"token": {tokenOf(t, oldLink)}, "password": {strongPassword}})
	if res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") == "/dashboard" {
		t.Fatal("the link sent before the resend still confirms the account")
	}
	if n := w.app.countUsers(t, "id = ? AND email_verified_at IS NOT NULL", carolID); n != 0 {
		t.Fatal("the old link confirmed the account")
	}
	// The new one confirms it, from another browser with the password.
	confirmer := w.app.client()
	confirmer.confirmSignup(newLink, strongPassword)
	if n := w.app.countUsers(t, "id = ? AND email_verified_at IS NOT NULL", carolID); n != 1 {
		t.Fatal("the new link did not confirm the account")
	}
	log := confirmer.get("/settings/activity")
	assertContains(t, log, "Sent a new confirmation link — by an administrator (alice@example.com)")

	// Confirmed now (and Bob always was): no button, and a POST is a 409
	// that sends and logs nothing.
	assertNotContains(t, w.admin.get(target), "Send a new confirmation link")
	for _, a := range []struct {
		id    int64
		email string
	}{{carolID, "carol@example.com"}, {w.userID, "bob@example.com"}} {
		mails, lines := w.app.mailTo(a.email), resent(a.id)
		res := w.admin.postForm(userPath(a.id)+"/resend-confirmation", url.Values{})
		assertStatus(t, res, http.StatusConflict)
		assertContains(t, res, "already confirmed: no link was sent")
		if n := w.app.mailTo(a.email); n != mails {
			t.Fatalf("a resend to the confirmed %s sent %d emails", a.email, n-mails)
		}
		if n := resent(a.id); n != lines {
			t.Fatalf("a refused resend to %s was logged", a.email)
		}
	}
}

// TestAdminResendConfirmationRefusals: a disabled account, and an address
// that has had its MAIL_LIMIT_PER_ADDRESS of links, get no new link; the
// administrator is told why (409) and nothing is logged.
func TestAdminResendConfirmationRefusals(t *testing.T) {
	w := newAdminWorld(t, func(c *testConfig) { c.mailLimit = 3 })
	w.app.client().signupUnconfirmed("Dan", "dan@example.com", strongPassword)
	danID := w.app.userID(t, "dan@example.com")
	target := userPath(danID)
	// The signup sent one link: two more reach the limit of three.
	for range 2 {
		assertStatus(t, w.admin.postForm(target+"/resend-confirmation", url.Values{}), http.StatusSeeOther)
	}
	mails := w.app.mailTo("dan@example.com")
	res := w.admin.postForm(target+"/resend-confirmation", url.Values{})
	assertStatus(t, res, http.StatusConflict)
	assertContains(t, res, "no link was sent")
	if n := w.app.mailTo("dan@example.com"); n != mails {
		t.Fatal("a link went out over the mail limit")
	}
	if n := w.app.count(t, "activity", "user_id = ? AND kind = 'confirmation_resent'", danID); n != 2 {
		t.Fatalf("%d confirmation_resent lines, want the 2 that were sent", n)
	}

	w.app.clock.Advance(16 * time.Minute)
	if err := w.app.acc.SetDisabled(context.Background(), danID, true); err != nil {
		t.Fatal(err)
	}
	w.admin.login("alice@example.com", strongPassword) // a fresh sudo window
	assertNotContains(t, w.admin.get(target), "Send a new confirmation link")
	res = w.admin.postForm(target+"/resend-confirmation", url.Values{})
	assertStatus(t, res, http.StatusConflict)
	assertContains(t, res, "disabled")
	if n := w.app.mailTo("dan@example.com"); n != mails {
		t.Fatal("a link went to a disabled account")
	}
	if n := w.app.count(t, "activity", "user_id = ? AND kind = 'confirmation_resent'", danID); n != 2 {
		t.Fatalf("%d confirmation_resent lines after the refusal", n)
	}
}

// TestOperatorActivityShown: what the operator does from the command line
// (the same accounts functions "latchkey user …" calls) reads, on
// /settings/activity and on the admin area's account page, as "the
// operator (command line)", never as an administrator or as the user.
func TestOperatorActivityShown(t *testing.T) {
	w := newAdminWorld(t)
	ctx := context.Background()
	w.app.setRole(t, "bob@example.com", db.RoleAdmin)
	w.app.setRole(t, "bob@example.com", db.RoleUser)
	for _, a := range []accounts.AdminAction{accounts.ActionSignOut, accounts.ActionDisable, accounts.ActionEnable} {
		if err := w.app.acc.OperatorAct(ctx, w.userID, a); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	bob := w.app.client()
	assertStatus(t, bob.login("bob@example.com", strongPassword), http.StatusSeeOther)
	for _, page := range []*response{bob.get("/settings/activity"), w.admin.get(userPath(w.userID))} {
		for _, want := range []string{"Changed the role to admin — by the operator (command line)",
			"Changed the role to user — by the operator (command line)",
			"Signed out every session — by the operator (command line)",
			"Disabled the account — by the operator (command line)",
			"Enabled the account — by the operator (command line)"} {
			assertContains(t, page, want)
		}
		assertNotContains(t, page, "by an administrator")
	}
	w.app.assertMailSubject(t, "bob@example.com", "was disabled")
	w.app.assertMailSubject(t, "bob@example.com", "was enabled")
	if n := w.app.count(t, "activity", "user_id = ? AND actor_id IS NULL AND actor_email = '(command line)'", w.userID); n != 5 {
		t.Fatalf("%d operator lines, want 5", n)
	}

	// The marker is no address: nobody can sign up with it and pass for
	// the operator.
	res := w.app.client().postForm("/signup", url.Values{"name": {"Mallory"}, "email": {"(command line)"}, "password": {strongPassword}})
	assertStatus(t, res, http.StatusUnprocessableEntity)
	// And a line whose actor is an account is that account's, whatever
	// address it names.
	if _, err := w.app.db.Write.Exec(w.app.db.Rebind(`INSERT INTO activity (user_id, actor_id, actor_email, kind, created_at) VALUES (?, ?, ?, 'account_enabled', ?)`),
		w.userID, w.adminID, "(command line)", w.app.clock.Now().Unix()+60); err != nil {
		t.Fatal(err)
	}
	assertContains(t, bob.get("/settings/activity"), "Enabled the account — by an administrator ((command line))")
	if n := strings.Count(bob.get("/settings/activity").body, "by the operator (command line)"); n != 5 {
		t.Fatalf("%d lines read as the operator's, want 5", n)
	}
}

// TestAdminSearch: a prefix of the address or name, case aside, 50 a
// page; % and _ are literal.
func TestAdminSearch(t *testing.T) {
	w := newAdminWorld(t)
	ctx := context.Background()
	for i := range 60 {
		if _, err := w.app.db.CreateUser(ctx, "Carol "+strconv.Itoa(i), "carol"+strconv.Itoa(100+i)+"@example.com", "", w.app.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.app.db.CreateUser(ctx, "Dan_100%", "dan@example.com", "", w.app.clock.Now()); err != nil {
		t.Fatal(err)
	}
	res := w.admin.get("/admin/users?q=BOB")
	assertStatus(t, res, http.StatusOK)
	assertContains(t, res, "bob@example.com")
	assertNotContains(t, res, "alice@example.com")
	assertContains(t, w.admin.get("/admin/users?q=bob+u"), "bob@example.com")

	res = w.admin.get("/admin/users?q=carol")
	if n := strings.Count(res.body, `href="/admin/users/`); n != 50 {
		t.Fatalf("page 1 lists %d accounts, want 50", n)
	}
	assertContains(t, res, `href="/admin/users?page=2&amp;q=carol"`)
	// Each row's facts, written as the rows are (rowText): escaped text
	// with its words apart.
	assertContains(t, res, `<td>Carol 0</td><td>Not confirmed<br><span class="muted small">since&nbsp;`+timetext.Date(w.app.clock.Now())+`</span>`)
	res = w.admin.get("/admin/users?q=carol&page=2")
	if n := strings.Count(res.body, `href="/admin/users/`); n != 10 {
		t.Fatalf("page 2 lists %d accounts, want 10", n)
	}
	assertContains(t, res, "carol159@example.com")

	for q, want := range map[string]int{"%": 0, "_": 0, "dan_": 1, "dan_100%": 1, "car_l": 0, "c%": 0} {
		res := w.admin.get("/admin/users?q=" + url.QueryEscape(q))
		assertStatus(t, res, http.StatusOK)
		if n := strings.Count(res.body, `href="/admin/users/`); n != want {
			t.Errorf("q=%q lists %d accounts, want %d", q, n, want)
		}
	}
}

// TestAdminSearchBadInput: any q and any page answer 200 with a page.
func TestAdminSearchBadInput(t *testing.T) {
	w := newAdminWorld(t)
	for _, q := range []string{"", "'", `"; DROP TABLE users; --`, "' OR 1=1 --", "%", "_", "%%%", "\\", "\x00", "a\x00b",
		"\xff\xfe", "\U0010FFFF", strings.Repeat("a", 10<<10), strings.Repeat("é", 5000), "<script>alert(1)</script>", "\r\n", "\t"} {
		for _, page := range []string{"", "1", "0", "-1", "-99999999999999999999", "2", "1000", "1001", "abc", "1e3", "99999999999999999999", " 3 ", "0x10"} {
			res := w.admin.get("/admin/users?q=" + url.QueryEscape(q) + "&page=" + url.QueryEscape(page))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("q=%.40q page=%q: %d", q, page, res.StatusCode)
			}
			assertNotContains(t, res, "<script>alert(1)</script>")
		}
	}
	for _, page := range []string{"-1", "abc", "99999999999999999999", "1001"} {
		res := w.user.get("/settings/activity?page=" + url.QueryEscape(page))
		assertStatus(t, res, http.StatusOK)
	}
}

func TestParsePage(t *testing.T) {
	for in, want := range map[string]int{"": 1, "1": 1, "7": 7, " 7 ": 7, "0": 1, "-3": 1, "abc": 1, "1e3": 1, "0x10": 1,
		"99999999999999999999": 1001, "-99999999999999999999": 1} {
		if got := parsePage(in); got != want {
			t.Errorf("parsePage(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzAdminSearchQuery: whatever the query string, the search's parsing
// gives a page from 1 on and a box value that is valid text; and the page
// itself answers 200.
func FuzzAdminSearchQuery(f *testing.F) {
	for _, s := range []string{"q=ada", "q=%25&page=2", "q=%00&page=-1", "page=99999999999999999999", "q=%ff%fe", "q=_&q=%", "&&&=", "q=" + strings.Repeat("x", 300)} {
		f.Add(s)
	}
	app := startTestApp(f)
	app.t = f
	admin := app.client()
	admin.signup("Alice Admin", "alice@example.com", strongPassword)
	app.setRole(f, "alice@example.com", db.RoleAdmin)
	f.Fuzz(func(t *testing.T, raw string) {
		values, _ := url.ParseQuery(raw)
		s := parseSearch(values)
		if s.Page < 1 {
			t.Fatalf("page %d from %q", s.Page, raw)
		}
		if q := shownQuery(s.Q); !validText(q) || len([]rune(q)) > 254 {
			t.Fatalf("shown query %q from %q", q, raw)
		}
		c := *admin
		c.t = t
		res := c.get("/admin/users?" + values.Encode())
		if res.StatusCode != http.StatusOK {
			t.Fatalf("/admin/users?%s: %d", values.Encode(), res.StatusCode)
		}
	})
}
