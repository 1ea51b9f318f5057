package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// signupAll posts one signup per client at the same moment and returns the
// statuses. Every client has its CSRF token before the start.
func signupAll(t *testing.T, app *testApp, emails []string) []int {
	t.Helper()
	clients := make([]*client, len(emails))
	for i := range clients {
		clients[i] = app.client()
		clients[i].csrf()
	}
	statuses := make([]int, len(emails))
	errs := make([]error, len(emails))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, email := range emails {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := clients[i].tryPostForm("/signup", url.Values{"name": {fmt.Sprintf("User %d", i)},
				"email": {email}, "password": {strongPassword}})
			if err != nil {
				errs[i] = err
				return
			}
			statuses[i] = res.StatusCode
			if res.StatusCode >= 500 {
				errs[i] = fmt.Errorf("%s: %d\n%s", email, res.StatusCode, excerpt(res.body))
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	return statuses
}

func assertNoLockErrors(t *testing.T, app *testApp) {
	t.Helper()
	logs := app.logs.String()
	for _, bad := range []string{"database is locked", "SQLITE_BUSY", "database table is locked", "level=ERROR"} {
		if strings.Contains(logs, bad) {
			t.Fatalf("the log contains %q:\n%s", bad, logs)
		}
	}
}

// 50 people signing up at once all get their account: the single writer
// connection queues them instead of failing with SQLITE_BUSY. Nobody is
// signed in before confirming the address, and each gets its link.
func TestConcurrentSignupsDistinctEmails(t *testing.T) {
	app := newTestApp(t)
	const n = 50
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("user%02d@example.com", i)
	}
	for i, status := range signupAll(t, app, emails) {
		if status != http.StatusSeeOther {
			t.Errorf("%s: status %d, want 303", emails[i], status)
		}
	}
	if got := app.countUsers(t, ""); got != n {
		t.Fatalf("%d users, want %d", got, n)
	}
	var sessions int
	if err := app.db.Read.QueryRow("SELECT COUNT(*) FROM user_sessions").Scan(&sessions); err != nil {
		t.Fatal(err)
	}
	if sessions != 0 {
		t.Fatalf("%d signed-in sessions, want none before confirmation", sessions)
	}
	for _, e := range emails {
		app.lastLink(e, "/verify-email")
	}
	assertNoLockErrors(t, app)
}

// 20 signups racing for one address, typed in different cases, make
// exactly one account; every one of them gets the same answer.
func TestConcurrentSignupsSameEmail(t *testing.T) {
	app := newTestApp(t)
	emails := make([]string, 20)
	for i := range emails {
		e := []byte("ada.lovelace@example.com")
		for j := range e {
			if (i>>(j%5))&1 == 1 && e[j] >= 'a' && e[j] <= 'z' {
				e[j] -= 'a' - 'A'
			}
		}
		emails[i] = string(e)
		if i%3 == 0 {
			emails[i] = " " + emails[i] + " "
		}
	}
	for i, status := range signupAll(t, app, emails) {
		if status != http.StatusSeeOther {
			t.Errorf("%q: status %d, want 303", emails[i], status)
		}
	}
	if got := app.countUsers(t, ""); got != 1 {
		t.Fatalf("%d users for one address, want 1", got)
	}
	if got := app.countUsers(t, "email = ?", "ADA.LOVELACE@EXAMPLE.COM"); got != 1 {
		t.Fatalf("the one user is not found case-insensitively (%d)", got)
	}
	var stored string
	if err := app.db.Read.QueryRow("SELECT email FROM users").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != strings.TrimSpace(stored) {
		t.Fatalf("email stored untrimmed: %q", stored)
	}
	assertNoLockErrors(t, app)
}
