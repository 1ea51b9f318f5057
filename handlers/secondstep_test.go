package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"latchkey/accounts"
	"latchkey/auth"
	"latchkey/db"
)

// The second step's proof and the session it opens are one transaction
// (accounts.CompleteSecondStep, accounts.CompletePasskeySignIn): these
// tests attack the seams that transaction closes.

// Four browsers that passed the password send the same right code at the
// same moment, round after round: exactly one is signed in, with one new
// session record and one sign-in line; the others get the wrong-code
// page, are not signed in, and each try counts as a wrong code (three,
// under the account's limit of five; the next round's winner clears them).
func TestSecondFactorSameCodeAtOnceOpensOneSession(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	id := app.userID(t, "ada@example.com")
	for round := range 10 {
		browsers := []*client{app.client(), app.client(), app.client(), app.client()}
		for _, b := range browsers {
			b.firstFactor("ada@example.com")
			b.csrf()
		}
		sessions := app.count(t, "user_sessions", "user_id = ?", id)
		signIns := app.count(t, "activity", "user_id = ? AND kind = 'sign_in'", id)
		code := app.codeAt(secret, 0)
		statuses := make([]int, len(browsers))
		errs := make([]error, len(browsers))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, b := range browsers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res, err := b.tryPostForm("/login/2fa", url.Values{"code": {code}})
				if err != nil {
					errs[i] = err
					return
				}
				statuses[i] = res.StatusCode
				if res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") != "/dashboard" {
					errs[i] = fmt.Errorf("303 to %q", res.Header.Get("Location"))
				}
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		won := 0
		for i, st := range statuses {
			switch st {
			case http.StatusSeeOther:
				won++
				browsers[i].assertSignedIn()
			case http.StatusUnprocessableEntity:
				browsers[i].assertSignedOut()
			default:
				t.Fatalf("round %d: status %d", round, st)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d browsers signed in with one code, want 1 (statuses %v)", round, won, statuses)
		}
		if n := app.count(t, "user_sessions", "user_id = ?", id); n != sessions+1 {
			t.Fatalf("round %d: %d session records, want %d", round, n, sessions+1)
		}
		if n := app.count(t, "activity", "user_id = ? AND kind = 'sign_in'", id); n != signIns+1 {
			t.Fatalf("round %d: %d sign-in lines, want %d", round, n, signIns+1)
		}
		if n := app.count(t, "second_factor_failures", "user_id = ?", id); n != len(browsers)-1 {
			t.Fatalf("round %d: %d wrong codes counted, want the losers' %d", round, n, len(browsers)-1)
		}
		app.clock.Advance(auth.TOTPPeriod * time.Second)
	}
}

// A code that checks against the factor as read, but whose time step
// another request claims before this one can: the claim fails, so nothing
// of the sign-in is written (no session record, no sign-in line), the try
// counts as a wrong code, and the answer is ErrWrongCode. The other
// request holds the writer with the step claimed until this one has read
// the factor and waits for the writer.
func TestSecondFactorLostClaimOpensNoSession(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	id := app.userID(t, "ada@example.com")
	ctx := context.Background()
	code, step := app.codeAt(secret, 0), app.clock.Now().Unix()/auth.TOTPPeriod
	sessions := app.count(t, "user_sessions", "user_id = ?", id)
	signIns := app.count(t, "activity", "user_id = ? AND kind = 'sign_in'", id)

	held, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- app.db.InTx(ctx, func(q *db.Queries) error {
			ok, err := q.UseTOTPStep(ctx, id, step)
			if err != nil || !ok {
				return fmt.Errorf("the other request's claim: %v, %v", ok, err)
			}
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-holder:
		t.Fatal(err)
	}
	waits := app.db.Write.Stats().WaitCount
	done := make(chan error, 1)
	go func() {
		_, _, err := app.acc.CompleteSecondStep(ctx, accounts.SecondStep{UserID: id, Method: accounts.MethodPassword, Code: code}, accountsOrigin())
		done <- err
	}()
	app.waitForBlockedWriter(waits, done)
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, accounts.ErrWrongCode) {
		t.Fatalf("a lost claim: %v, want ErrWrongCode", err)
	}
	if n := app.count(t, "user_sessions", "user_id = ?", id); n != sessions {
		t.Fatalf("%d session records after a lost claim, want %d", n, sessions)
	}
	if n := app.count(t, "activity", "user_id = ? AND kind = 'sign_in'", id); n != signIns {
		t.Fatalf("%d sign-in lines after a lost claim, want %d", n, signIns)
	}
	if n := app.count(t, "second_factor_failures", "user_id = ?", id); n != 1 {
		t.Fatalf("%d wrong codes counted after a lost claim, want 1", n)
	}
}

// waitForBlockedWriter waits until a write transaction of another
// goroutine waits for the one held: on SQLite for the writer connection
// (its pool's wait count moves past waits), on PostgreSQL for the row's
// lock. done reports the goroutine ending early.
func (a *testApp) waitForBlockedWriter(waits int64, done <-chan error) {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			a.t.Fatalf("ended without waiting for the writer: %v", err)
		default:
		}
		blocked := a.db.Write.Stats().WaitCount > waits
		if a.db.Postgres() {
			var n int
			if err := a.db.Read.QueryRow(`SELECT COUNT(*) FROM pg_locks WHERE NOT granted`).Scan(&n); err != nil {
				a.t.Fatal(err)
			}
			blocked = n > 0
		}
		if blocked {
			return
		}
		time.Sleep(time.Millisecond)
	}
	a.t.Fatal("no write transaction waited for the one held")
}

// A browser signed in as one session that signs in again (here with a
// passkey, and with a code) ends its old session record in the sign-in's
// own transaction: the old record is gone, the log says signed out, then
// signed in, and only the new record is this browser's.
func TestSignInAgainEndsTheOldSessionRecord(t *testing.T) {
	app := newTestApp(t)
	c := app.client()
	c.signup("Ada", "ada@example.com", strongPassword)
	id := app.userID(t, "ada@example.com")
	dev := newPasskeyDevice()
	c.addPasskey(dev, "Laptop")
	ctx := context.Background()
	lastTwo := func() []db.Activity {
		t.Helper()
		lines, err := app.db.UserActivity(ctx, id, 2, 0)
		if err != nil || len(lines) != 2 {
			t.Fatalf("activity: %v, %v", lines, err)
		}
		return lines
	}
	before := app.count(t, "user_sessions", "user_id = ?", id)
	assertStatus(t, c.passkeySignIn(dev), http.StatusOK)
	c.assertSignedIn()
	if n := app.count(t, "user_sessions", "user_id = ?", id); n != before {
		t.Fatalf("%d session records after signing in again, want %d", n, before)
	}
	lines := lastTwo()
	if lines[0].Kind != string(accounts.KindSignIn) || lines[0].Method != accounts.MethodPasskey || lines[1].Kind != string(accounts.KindSignOut) {
		t.Fatalf("newest lines %+v, want the passkey's sign-in after the old session's sign-out", lines)
	}
	if n := app.count(t, "user_sessions", "id = ?", lines[0].SessionID); n != 1 {
		t.Fatalf("the sign-in line names session %q, which has %d records", lines[0].SessionID, n)
	}

	// The second factor's way: a browser signed in as Ada, with the
	// factor on, passes the password again and gives the code.
	secret, _ := c.enrol()
	app.clock.Advance(auth.TOTPPeriod * time.Second)
	c.firstFactor("ada@example.com")
	assertStatus(t, c.code(app.codeAt(secret, 0)), http.StatusSeeOther)
	c.assertSignedIn()
	if n := app.count(t, "user_sessions", "user_id = ?", id); n != before {
		t.Fatalf("%d session records after the code, want %d", n, before)
	}
	lines = lastTwo()
	if lines[0].Kind != string(accounts.KindSignIn) || lines[0].Method != accounts.MethodPassword || lines[1].Kind != string(accounts.KindSignOut) {
		t.Fatalf("newest lines %+v, want the code's sign-in after the old session's sign-out", lines)
	}
}

// storedSession reports whether the sessions table has a row for the
// session cookie's value (scs keeps tokens hashed: HashTokenInStore).
func (a *testApp) storedSession(t testing.TB, token string) bool {
	t.Helper()
	sum := sha256.Sum256([]byte(token))
	return a.count(t, "sessions", "token = ?", base64.RawURLEncoding.EncodeToString(sum[:])) > 0
}

// Session fixation through the second step: the session token that
// carries a sign-in up to its code (or its passkey ceremony), which an
// attacker who planted or copied it knows, is worthless once the sign-in
// succeeds. Its row is gone from the table, not only from memory (it is
// deleted in the transaction that commits the new session, db.Renewing),
// and its holder is neither signed in nor half way to the code.
func TestSessionFixationThroughTheSecondStep(t *testing.T) {
	app := newTestApp(t)
	secret, _ := app.enrolledUser("ada@example.com")
	dev := newPasskeyDevice()
	bob := app.client()
	bob.signup("Bob", "bob@example.com", strongPassword)
	bob.addPasskey(dev, "Laptop")
	assertStatus(t, bob.postForm("/logout", nil), http.StatusSeeOther)

	for _, step := range []string{"code", "passkey"} {
		t.Run(step, func(t *testing.T) {
			victim := app.client()
			var answer string
			if step == "code" {
				victim.firstFactor("ada@example.com")
			} else {
				answer = victim.passkeyAssertion(dev)
			}
			held := victim.session()
			if held == "" || !app.storedSession(t, held) {
				t.Fatalf("no stored session carries the %s step", step)
			}
			attacker := app.client()
			attacker.plantCookie("latchkey_session", held)

			if step == "code" {
				assertStatus(t, victim.code(app.codeAt(secret, 0)), http.StatusSeeOther)
				app.clock.Advance(auth.TOTPPeriod * time.Second)
			} else {
				assertStatus(t, victim.postJSON("/login/passkey", answer), http.StatusOK)
			}
			victim.assertSignedIn()
			if after := victim.session(); after == "" || after == held {
				t.Fatalf("the session cookie after the %s is %q, the one before was %q", step, after, held)
			}
			if app.storedSession(t, held) {
				t.Fatalf("the row of the session before the %s outlived it", step)
			}
			attacker.assertSignedOut()
			res := attacker.get("/login/2fa")
			assertStatus(t, res, http.StatusSeeOther)
			assertLocation(t, res, "/login")
		})
	}
}
