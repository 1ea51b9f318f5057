package db

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestUserForSignInReadsTheSecondFactor: the one read of a password
// sign-in says whether the account asks for a code next, on both
// databases. Were it wrong, a password alone would sign in to an account
// whose second factor is on; an enrolment still waiting for its first
// code asks for none.
func TestUserForSignInReadsTheSecondFactor(t *testing.T) {
	d := openTestDB(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	since := now.Add(-time.Hour)
	users := map[string]User{}
	for _, name := range []string{"none", "waiting", "on", "other"} {
		u, err := d.CreateUser(ctx, name, name+"@example.com", "hash", now)
		if err != nil {
			t.Fatal(err)
		}
		users[name] = u
	}
	for _, name := range []string{"waiting", "on"} {
		if _, err := d.StartSecondFactor(ctx, users[name].ID, []byte("sealed"), now); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := d.EnableSecondFactor(ctx, users["on"].ID, 1, now); !ok || err != nil {
		t.Fatalf("enable: %v, %v", ok, err)
	}
	for _, c := range []struct {
		email string
		want  bool
	}{
		{"none@example.com", false},
		{"waiting@example.com", false},
		{"on@example.com", true},
		{"ON@Example.com", true},
		{"other@example.com", false},
	} {
		read, err := d.UserForSignIn(ctx, c.email, "key", since)
		if err != nil {
			t.Fatalf("%s: %v", c.email, err)
		}
		if read.SecondFactor != c.want {
			t.Errorf("%s: second factor %v, want %v", c.email, read.SecondFactor, c.want)
		}
	}
	if read, err := d.UserForSignIn(ctx, "nobody@example.com", "key", since); !errors.Is(err, ErrNotFound) || read.SecondFactor {
		t.Errorf("no account: %+v, %v; want ErrNotFound and no second factor", read, err)
	}
}

// TestCommitUserSessionIsAtomic: a sign-in's session record and its line
// of the activity log commit together or not at all, although on
// PostgreSQL no transaction is begun for them: whichever of the two
// fails, neither is written.
func TestCommitUserSessionIsAtomic(t *testing.T) {
	d := openTestDB(t)
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	u, err := d.CreateUser(ctx, "Ada", "ada@example.com", "hash", now)
	if err != nil {
		t.Fatal(err)
	}
	session := func(id string, userID int64) UserSession {
		return UserSession{ID: id, UserID: userID, CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now, UserAgent: "ua", IP: "192.0.2.1"}
	}
	line := func(sessionID string, userID int64) Activity {
		return Activity{UserID: userID, Kind: "sign_in", Method: "password", Device: "Firefox on Linux", IP: "192.0.2.1", SessionID: sessionID, CreatedAt: now}
	}
	if err := d.CommitUserSession(ctx, session("taken", u.ID), line("taken", u.ID)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		s    UserSession
		a    Activity
	}{
		{"the line's user does not exist", session("s1", u.ID), line("s1", u.ID+1000)},
		{"the session's user does not exist", session("s2", u.ID+1000), line("s2", u.ID)},
		{"the session id is taken", session("taken", u.ID), line("taken-again", u.ID)},
	} {
		if err := d.CommitUserSession(ctx, c.s, c.a); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	var sessions, lines int
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_sessions`).Scan(&sessions); err != nil {
		t.Fatal(err)
	}
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM activity`).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	if sessions != 1 || lines != 1 {
		t.Fatalf("%d session records and %d activity lines, want the first sign-in's alone: one half of a failed sign-in was kept", sessions, lines)
	}
}

// TestOpeningASessionIsOneStatementOnPostgres: on PostgreSQL the session
// record and its activity line are one statement, so a sign-in pays one
// round trip for them and needs no transaction of its own.
func TestOpeningASessionIsOneStatementOnPostgres(t *testing.T) {
	d := openTestDB(t)
	if !d.Postgres() {
		t.Skip("SQLite has no INSERT inside a WITH: two statements in InTx")
	}
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	u, err := d.CreateUser(ctx, "Ada", "ada@example.com", "hash", now)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []recorded
	q := &Queries{r: recorder{d.Queries.r, &mu, &got}, w: recorder{d.Queries.w, &mu, &got}, d: d.dialect}
	s := UserSession{ID: "one", UserID: u.ID, CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now}
	if err := q.OpenUserSession(ctx, s, Activity{UserID: u.ID, Kind: "sign_in", SessionID: "one", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d statements, want 1", len(got))
	}
	lines, err := d.UserActivity(ctx, u.ID, 10, 0)
	if err != nil || len(lines) != 1 || lines[0].SessionID != "one" || !lines[0].Live {
		t.Fatalf("activity %+v (%v), want one line for the live session", lines, err)
	}
}
