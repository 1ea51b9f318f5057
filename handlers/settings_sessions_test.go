package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"latchkey/accounts"
	"latchkey/db"
)

// addSessions records n more sessions of the user, the i-th last seen i
// minutes ago, with ids "<prefix>-0000" … in that order.
func (a *testApp) addSessions(userID int64, prefix string, n int) {
	a.t.Helper()
	now := a.clock.Now()
	err := a.db.InTx(context.Background(), func(q *db.Queries) error {
		for i := range n {
			at := now.Add(-time.Duration(i+1) * time.Minute)
			if err := q.CreateUserSession(context.Background(), db.UserSession{ID: fmt.Sprintf("%s-%04d", prefix, i), UserID: userID,
				CreatedAt: at, LastSeenAt: at, AuthenticatedAt: at, UserAgent: uaFirefoxLin, IP: "192.0.2.9"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		a.t.Fatal(err)
	}
}

var revokeField = regexp.MustCompile(`name="session" value="([^"]+)"`)

// listedSessions are the ids of the sessions a /settings page offers to
// sign out, "all" left out.
func listedSessions(res *response) []string {
	var ids []string
	for _, m := range revokeField.FindAllStringSubmatch(res.body, -1) {
		if m[1] != "all" {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// TestSettingsPagesSessions: a user signed in on 2P+20 other browsers (P
// a page) sees this device and the P most recently active others, with
// plain links to the older pages; each page lists the next P in order, the
// last the rest; any other ?sessions= is the first page; "sign out all
// other sessions" is on every page and ends them all, not only the page's.
// Another user's sessions are never listed.
func TestSettingsPagesSessions(t *testing.T) {
	app := newTestApp(t)
	c := app.browser(uaChromeMac)
	c.signup("Ada Lovelace", "ada@example.com", strongPassword)
	ada := app.user("ada@example.com").ID
	p := accounts.SessionsPerPage
	others := 2*p + p/2 // three pages, the last one part full
	app.addSessions(ada, "ada", others)
	bob := app.client()
	bob.signup("Bob", "bob@example.com", strongPassword)
	app.addSessions(app.user("bob@example.com").ID, "bob", 60)

	want := func(from, to int) []string {
		var ids []string
		for i := from; i < to; i++ {
			ids = append(ids, fmt.Sprintf("ada-%04d", i))
		}
		return ids
	}
	for _, tc := range []struct {
		query        string
		ids          []string
		newer, older string
	}{
		{"", want(0, p), "", "/settings?sessions=2#sessions-title"},
		{"?sessions=1", want(0, p), "", "/settings?sessions=2#sessions-title"},
		{"?sessions=2", want(p, 2*p), "/settings?sessions=1#sessions-title", "/settings?sessions=3#sessions-title"},
		{"?sessions=3", want(2*p, others), "/settings?sessions=2#sessions-title", ""},
		// Past the last page, and anything that is not a page: the first.
		{"?sessions=4", want(0, p), "", "/settings?sessions=2#sessions-title"},
		{"?sessions=0", want(0, p), "", "/settings?sessions=2#sessions-title"},
		{"?sessions=-3", want(0, p), "", "/settings?sessions=2#sessions-title"},
		{"?sessions=two", want(0, p), "", "/settings?sessions=2#sessions-title"},
		{"?sessions=99999999999999999999", want(0, p), "", "/settings?sessions=2#sessions-title"},
	} {
		res := c.get("/settings" + tc.query)
		assertStatus(t, res, http.StatusOK)
		assertContains(t, res, "This device")
		assertContains(t, res, "Sign out all other sessions")
		if got := listedSessions(res); strings.Join(got, " ") != strings.Join(tc.ids, " ") {
			t.Errorf("/settings%s lists %d sessions %v…, want %d from %s", tc.query, len(got), got[:min(3, len(got))], len(tc.ids), tc.ids[0])
		}
		for rel, href := range map[string]string{"prev": tc.newer, "next": tc.older} {
			link := fmt.Sprintf(`href="%s" rel="%s"`, href, rel)
			if href != "" {
				if !strings.Contains(res.body, link) {
					t.Errorf("/settings%s has no %s", tc.query, link)
				}
			} else {
				if strings.Contains(res.body, `rel="`+rel+`"`) {
					t.Errorf("/settings%s has a %s link, want none", tc.query, rel)
				}
			}
		}
		assertNotContains(t, res, "bob-")
	}

	// The links work without JavaScript: a plain GET of the href.
	res := c.get("/settings?sessions=3#sessions-title")
	assertStatus(t, res, http.StatusOK)

	res = c.postForm("/settings/sessions/revoke", url.Values{"session": {"all"}})
	c.followFlash(res, fmt.Sprintf("Signed out %d other sessions.", others))
	if left := app.sessionsOf(ada); len(left) != 1 {
		t.Fatalf("%d sessions left after signing out all others, want 1", len(left))
	}
	if left := app.sessionsOf(app.user("bob@example.com").ID); len(left) != 61 {
		t.Fatalf("bob has %d sessions left, want 61: ending Ada's touched his", len(left))
	}
	res = c.get("/settings")
	assertNotContains(t, res, "Sign out all other sessions")
	assertNotContains(t, res, `class="pager"`)
	if got := listedSessions(res); len(got) != 0 {
		t.Errorf("a user with one session is offered %v to sign out", got)
	}
}

// TestSettingsSessionsPageSize: exactly accounts.SessionsPerPage others
// make one page, one more makes two.
func TestSettingsSessionsPageSize(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	ada := app.user("ada@example.com").ID
	app.addSessions(ada, "a", accounts.SessionsPerPage)
	res := c.get("/settings")
	assertNotContains(t, res, `class="pager"`)
	if got := listedSessions(res); len(got) != accounts.SessionsPerPage {
		t.Fatalf("%d sessions listed, want %d", len(got), accounts.SessionsPerPage)
	}
	app.addSessions(ada, "b", 1)
	res = c.get("/settings")
	assertContains(t, res, `rel="next"`)
}

// FuzzSettingsSessionsPage: whatever ?sessions= holds, /settings answers
// 200 with this device listed.
func FuzzSettingsSessionsPage(f *testing.F) {
	app := newTestApp(f)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	app.addSessions(app.user("ada@example.com").ID, "a", 60)
	for _, s := range []string{"1", "2", "0", "-1", "9223372036854775807", "2e3", "", "%00", "1 2", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, page string) {
		c.t = t
		res := c.get("/settings?sessions=" + url.QueryEscape(page))
		if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "This device") {
			t.Fatalf("/settings?sessions=%q: status %d", page, res.StatusCode)
		}
	})
}
