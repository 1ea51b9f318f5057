package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a querier that notes every statement it passes on, with its
// arguments, so the plan test asks the database about exactly the SQL the
// methods send (rebinding for PostgreSQL happens below it, as in the app).
type recorder struct {
	q   querier
	mu  *sync.Mutex
	got *[]recorded
}

type recorded struct {
	query string
	args  []any
}

func (r recorder) note(query string, args []any) {
	r.mu.Lock()
	*r.got = append(*r.got, recorded{query, args})
	r.mu.Unlock()
}

func (r recorder) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r.note(query, args)
	return r.q.ExecContext(ctx, query, args...)
}

func (r recorder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.note(query, args)
	return r.q.QueryContext(ctx, query, args...)
}

func (r recorder) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.note(query, args)
	return r.q.QueryRowContext(ctx, query, args...)
}

// requestPathQueries calls every query a request (or the mail sender, or a
// cleanup batch) sends, in an order in which each finds the rows it needs.
// A new query on a request path gets a line here.
func requestPathQueries(ctx context.Context, t *testing.T, d *DB, q *Queries) {
	t.Helper()
	now := time.Now()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	u, err := q.CreateUser(ctx, "Ada", "ada@example.com", "hash", now)
	must("CreateUser", err)
	_, err = q.UserByEmail(ctx, "ADA@example.com")
	must("UserByEmail", err)
	_, err = q.UserByID(ctx, u.ID)
	must("UserByID", err)
	must("SetName", q.SetName(ctx, u.ID, "Ada L", now))
	must("SetPasswordHash", q.SetPasswordHash(ctx, u.ID, "hash2", now))
	must("MarkEmailVerified", q.MarkEmailVerified(ctx, u.ID, now))
	must("SetEmail", q.SetEmail(ctx, u.ID, "ada@example.org", now))
	must("SetDisabled", q.SetDisabled(ctx, u.ID, false, now))
	_, _, _, _, err = q.SecondStepOf(ctx, u.ID, now)
	must("SecondStepOf", err)
	_, _, err = q.PasskeyOwner(ctx, []byte("credential"), []byte("handle"))
	if !errors.Is(err, ErrNotFound) {
		must("PasskeyOwner", err)
	}

	for _, id := range []string{"s1", "s2", "s3"} {
		must("CreateUserSession", q.CreateUserSession(ctx, UserSession{ID: id, UserID: u.ID, CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now}))
	}
	_, _, err = q.SessionUser(ctx, "s1")
	must("SessionUser", err)
	// The activity page: a page of the user's log, each sign-in's
	// session looked up by its key.
	must("AddActivity", q.AddActivity(ctx, Activity{UserID: u.ID, Kind: "sign_in", SessionID: "s1", CreatedAt: now}))
	_, err = q.UserActivity(ctx, u.ID, 26, 0)
	must("UserActivity", err)
	_, err = q.LastActivityOf(ctx, u.ID, "sign_in")
	must("LastActivityOf", err)
	// The admin area's search, its first page and a later one.
	_, err = q.SearchUsers(ctx, "ada", 51, 0)
	must("SearchUsers", err)
	_, err = q.SearchUsers(ctx, "ada", 51, 50)
	must("SearchUsers (page 2)", err)
	_, err = q.UserPasskeys(ctx, u.ID)
	must("UserPasskeys", err)

	// The JSON API's tokens: a bearer request reads one of the first two.
	at, rt := []byte("access-token-hash-0123456789abcd"), []byte("refresh-token-hash-0123456789abc")
	must("CreateAPIToken (access)", q.CreateAPIToken(ctx, at, APIAccess, "s2", now, now.Add(time.Hour)))
	must("CreateAPIToken (refresh)", q.CreateAPIToken(ctx, rt, APIRefresh, "s2", now, now.Add(time.Hour)))
	_, _, _, err = q.AccessTokenSession(ctx, at, now)
	must("AccessTokenSession", err)
	_, _, err = q.UseRefreshToken(ctx, rt, now)
	must("UseRefreshToken", err)
	pt, err := q.CreatePersonalToken(ctx, u.ID, "script", []byte("personal-token-hash-0123456789ab"), now, now.Add(time.Hour))
	must("CreatePersonalToken", err)
	_, _, err = q.PersonalTokenUser(ctx, []byte("personal-token-hash-0123456789ab"), now)
	must("PersonalTokenUser", err)
	must("TouchPersonalToken", q.TouchPersonalToken(ctx, pt.ID, now.Add(2*time.Minute)))
	_, err = q.PersonalTokensByUser(ctx, u.ID, now)
	must("PersonalTokensByUser", err)
	must("DeletePersonalToken", q.DeletePersonalToken(ctx, u.ID, pt.ID))
	must("TouchUserSession", q.TouchUserSession(ctx, "s1", now.Add(2*time.Minute)))
	must("MarkSessionAuthenticated", q.MarkSessionAuthenticated(ctx, "s1", now))
	_, err = q.OtherUserSessions(ctx, u.ID, "s1", 50, 0)
	must("OtherUserSessions", err)
	_, err = q.ListUserSessions(ctx, u.ID)
	must("ListUserSessions", err)
	must("DeleteUserSession", q.DeleteUserSession(ctx, u.ID, "s3"))
	_, err = q.DeleteOtherUserSessions(ctx, u.ID, "s1")
	must("DeleteOtherUserSessions", err)
	must("DeleteUserSessionByID", q.DeleteUserSessionByID(ctx, "s1"))

	hash := []byte("0123456789abcdef0123456789abcdef")
	must("CreateToken (user)", q.CreateToken(ctx, hash, "login", u.ID, "ada@example.org", now, now.Add(time.Hour)))
	must("CreateToken (no account)", q.CreateToken(ctx, []byte("other-token-hash-0123456789abcde"), "signup", 0, "bob@example.com", now, now.Add(time.Hour)))
	_, err = q.PeekToken(ctx, hash, "login", now)
	must("PeekToken", err)
	_, err = q.PendingEmail(ctx, u.ID, "change_email", now)
	must("PendingEmail", err)
	_, err = q.ConsumeToken(ctx, hash, "login", now)
	must("ConsumeToken", err)
	must("DeleteUserTokens", q.DeleteUserTokens(ctx, u.ID, "login"))

	_, err = q.CountMailSince(ctx, "ada@example.org", now.Add(-time.Hour), false)
	must("CountMailSince", err)
	must("EnqueueMail", q.EnqueueMail(ctx, "ada@example.org", "s", "t", "h", now, false))
	claimed, err := q.ClaimMail(ctx, now, time.Minute, 10)
	must("ClaimMail", err)
	if len(claimed) > 0 {
		must("MarkMailSent", q.MarkMailSent(ctx, claimed[0].ID, now, true))
		must("MarkMailFailed", q.MarkMailFailed(ctx, claimed[0].ID, "x", now))
	}

	must("CreateIdentity", q.CreateIdentity(ctx, Identity{Provider: "github", Subject: "1", UserID: u.ID, Email: "ada@example.org"}, now))
	_, err = q.IdentityBySubject(ctx, "github", "1")
	must("IdentityBySubject", err)
	must("TouchIdentity", q.TouchIdentity(ctx, "github", "1", "ada@example.org", now))
	_, err = q.UserIdentities(ctx, u.ID)
	must("UserIdentities", err)
	_, err = q.DeleteUserIdentity(ctx, u.ID, "github")
	must("DeleteUserIdentity", err)

	n, err := q.CreateNote(ctx, u.ID, "note", now)
	must("CreateNote", err)
	_, err = q.NotesByUser(ctx, u.ID)
	must("NotesByUser", err)
	_, err = q.NoteByID(ctx, u.ID, n.ID)
	must("NoteByID", err)
	_, err = q.UpdateNote(ctx, u.ID, n.ID, "note 2", now)
	must("UpdateNote", err)
	must("DeleteNote", q.DeleteNote(ctx, u.ID, n.ID))

	if d.Postgres() {
		_, _, err = q.TakeRateToken(ctx, "login:1", 5, time.Second, now)
		must("TakeRateToken", err)
		_, err = q.PeekRateTokens(ctx, "login:1", 5, time.Second, now)
		must("PeekRateTokens", err)
		must("DeleteIdleRateBuckets", q.DeleteIdleRateBuckets(ctx, "login:", now.Add(-time.Hour)))
	}

	// The cleanup's batches: not a request path, but they run beside the
	// requests, and a scan of a million rows holds the writer.
	_, err = q.DeleteExpiredTokens(ctx, now, 500)
	must("DeleteExpiredTokens", err)
	_, err = q.DeleteExpiredSessions(ctx, now, 500)
	must("DeleteExpiredSessions", err)
	_, err = q.DeleteStaleUserSessions(ctx, now.Add(-time.Hour), now.Add(-time.Hour), 500)
	must("DeleteStaleUserSessions", err)
	_, err = q.DeleteOldMail(ctx, now, 500)
	must("DeleteOldMail", err)
	_, err = q.DeleteUnconfirmedUsers(ctx, now, 500)
	must("DeleteUnconfirmedUsers", err)

	must("DeleteUser", q.DeleteUser(ctx, u.ID))
}

// sessionStoreQueries are the statements of the scs stores, which do not go
// through Queries: the lookup of sessionStore and those of sqlite3store and
// pgxstore (copied from their sources; a row is always found by its token).
func sessionStoreQueries(postgres bool) []recorded {
	tok := "0123456789abcdef"
	if postgres {
		return []recorded{
			{`SELECT data FROM sessions WHERE token = ? AND current_timestamp < expiry`, []any{tok}},
			{`INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?) ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry`, []any{tok, []byte("x"), time.Now()}},
			{`DELETE FROM sessions WHERE token = ?`, []any{tok}},
		}
	}
	return []recorded{
		{sessionLookupQuery, []any{tok}},
		{`REPLACE INTO sessions (token, data, expiry) VALUES (?, ?, julianday(?))`, []any{tok, []byte("x"), "2030-01-01T00:00:00"}},
		{`DELETE FROM sessions WHERE token = ?`, []any{tok}},
		{sessionRenewQuery, []any{"fedcba9876543210", []byte("x"), "2030-01-01T00:00:00", tok}},
	}
}

// bigTables are the tables that grow with the users: none may be read
// whole by a query of a request path.
var bigTables = []string{"users", "sessions", "user_sessions", "tokens", "outbox", "identities", "notes", "rate_limits", "api_tokens", "personal_access_tokens", "activity"}

// TestQueryPlansUseIndexes: every query a request sends, and every batch of
// the cleanup, finds its rows through an index: on SQLite no plan step is
// a SCAN of a table that grows with the users (EXPLAIN QUERY PLAN), not
// even "SCAN … USING COVERING INDEX", which reads the whole index; on
// PostgreSQL (TEST_DATABASE_URL), with sequential scans priced out
// (enable_seqscan = off, so that an empty test table does not make the
// planner prefer one), no plan has a Seq Scan of one (EXPLAIN).
func TestQueryPlansUseIndexes(t *testing.T) {
	d := openTestDB(t)
	ctx := context.Background()
	var mu sync.Mutex
	var got []recorded
	q := &Queries{r: recorder{d.Queries.r, &mu, &got}, w: recorder{d.Queries.w, &mu, &got}, d: d.dialect}
	requestPathQueries(ctx, t, d, q)
	got = append(got, sessionStoreQueries(d.Postgres())...)

	seen := map[string]bool{}
	scan := regexp.MustCompile(`\bSCAN (\w+)`)
	seq := regexp.MustCompile(`Seq Scan on (\w+)`)
	for _, r := range got {
		if seen[r.query] || strings.Contains(r.query, "pg_advisory_xact_lock") {
			continue
		}
		seen[r.query] = true
		plan, err := explain(ctx, d, r)
		if err != nil {
			t.Errorf("explain %s: %v", flat(r.query), err)
			continue
		}
		t.Logf("%s\n%s", flat(r.query), plan)
		for _, line := range strings.Split(plan, "\n") {
			m := scan.FindStringSubmatch(line)
			if d.Postgres() {
				m = seq.FindStringSubmatch(line)
			}
			if m == nil || !isBig(m[1]) {
				continue
			}
			t.Errorf("%s\nreads all of %s: %s\nplan:\n%s", flat(r.query), m[1], strings.TrimSpace(line), plan)
		}
	}
	if len(seen) < 40 {
		t.Errorf("only %d queries explained: the list of request paths lost some", len(seen))
	}
}

func isBig(table string) bool {
	for _, b := range bigTables {
		if strings.EqualFold(table, b) {
			return true
		}
	}
	return false
}

// explain is the plan of r, one step a line.
func explain(ctx context.Context, d *DB, r recorded) (string, error) {
	var lines []string
	err := d.InTx(ctx, func(q *Queries) error {
		query := "EXPLAIN QUERY PLAN " + r.query
		if d.Postgres() {
			if _, err := q.w.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
				return err
			}
			query = "EXPLAIN " + r.query
		}
		rows, err := q.w.QueryContext(ctx, query, r.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			// SQLite: id, parent, notused, detail; PostgreSQL: one text column.
			lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return errRollback
	})
	if err != nil && err != errRollback {
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}

// errRollback ends explain's transaction without committing: an EXPLAIN
// changes nothing, and SET LOCAL goes with it.
var errRollback = fmt.Errorf("rollback")

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestEndingAllOtherSessionsIsOneStatement: "sign out all other sessions"
// of a user signed in on 10,000 browsers is one DELETE, however many rows
// it ends, and leaves the current session and other users' sessions.
func TestEndingAllOtherSessionsIsOneStatement(t *testing.T) {
	d := openTestDB(t)
	ctx := context.Background()
	now := time.Now()
	ada, err := d.CreateUser(ctx, "Ada", "ada@example.com", "h", now)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := d.CreateUser(ctx, "Bob", "bob@example.com", "h", now)
	if err != nil {
		t.Fatal(err)
	}
	err = d.InTx(ctx, func(q *Queries) error {
		for i := range 10_000 {
			if err := q.CreateUserSession(ctx, UserSession{ID: fmt.Sprintf("ada-%05d", i), UserID: ada.ID, CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now}); err != nil {
				return err
			}
		}
		return q.CreateUserSession(ctx, UserSession{ID: "bob", UserID: bob.ID, CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []recorded
	q := &Queries{r: recorder{d.Queries.r, &mu, &got}, w: recorder{d.Queries.w, &mu, &got}, d: d.dialect}
	n, err := q.DeleteOtherUserSessions(ctx, ada.ID, "ada-00000")
	if err != nil {
		t.Fatal(err)
	}
	if n != 9_999 || len(got) != 1 {
		t.Fatalf("ended %d sessions in %d statements, want 9999 in 1", n, len(got))
	}
	left, err := d.ListUserSessions(ctx, ada.ID)
	if err != nil || len(left) != 1 || left[0].ID != "ada-00000" {
		t.Fatalf("left %v (%v), want the current session alone", left, err)
	}
	if _, _, err := d.SessionUser(ctx, "bob"); err != nil {
		t.Fatalf("another user's session went too: %v", err)
	}
}

// TestRequestPathQueriesArePreparedOnce: a request-path SELECT, run again
// from the driver's statement cache with new values bound, is not
// prepared again. SQLite's planner, where it looks at a bound value to
// choose a plan (a bare "col = ?" it checks against the ORDER BY, an
// OFFSET ? that may be 0), marks the statement to be prepared again each
// time that parameter is bound: every run, from a cache that no longer
// saves anything (about 15 µs a query; PERFORMANCE.md, "A plan prepared
// once"). The driver reads the columns again after such a prepare, so
// one run's allocations tell it apart without a clock: the query as sent
// may cost no more than the same query with its values written in (never
// prepared again) plus what binding as many values costs where no plan
// can depend on them.
func TestRequestPathQueriesArePreparedOnce(t *testing.T) {
	d := openTestDB(t)
	if d.Postgres() {
		t.Skip("SQLite's planner: a PostgreSQL statement keeps its plan whatever is bound")
	}
	ctx := context.Background()
	var mu sync.Mutex
	var got []recorded
	q := &Queries{r: recorder{d.Queries.r, &mu, &got}, w: recorder{d.Queries.w, &mu, &got}, d: d.dialect}
	requestPathQueries(ctx, t, d, q)

	conn, err := d.Read.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	allocs := func(query string, args []any) float64 {
		return testing.AllocsPerRun(20, func() {
			rows, err := conn.QueryContext(ctx, query, args...)
			if err != nil {
				t.Fatalf("%s: %v", flat(query), err)
			}
			for rows.Next() {
			}
			rows.Close()
		})
	}
	checked := 0
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.query] || !strings.HasPrefix(strings.TrimSpace(r.query), "SELECT") {
			continue
		}
		seen[r.query] = true
		written, ok := withValues(r.query, r.args)
		if !ok {
			continue
		}
		// The same values bound where no plan looks at them.
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(r.args)), ", ")
		free, _ := withValues("SELECT 1 WHERE coalesce("+marks+", 1) IS NOT NULL", r.args)
		bindCost := allocs("SELECT 1 WHERE coalesce("+marks+", 1) IS NOT NULL", r.args) - allocs(free, nil)
		sent, inlined := allocs(r.query, r.args), allocs(written, nil)
		if sent > inlined+bindCost {
			t.Errorf("%s\n%v allocations a run, %v with its values written in, %v to bind them: SQLite prepares it again on every run", flat(r.query), sent, inlined, bindCost)
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("only %d queries checked: the list of request paths lost some", checked)
	}
}

// withValues is query with each ? replaced by its value written as SQL;
// false for a value of a kind it does not write.
func withValues(query string, args []any) (string, bool) {
	var b strings.Builder
	for _, a := range args {
		at := strings.IndexByte(query, '?')
		if at < 0 {
			return "", false
		}
		b.WriteString(query[:at])
		query = query[at+1:]
		switch v := a.(type) {
		case int:
			fmt.Fprintf(&b, "%d", v)
		case int64:
			fmt.Fprintf(&b, "%d", v)
		case string:
			b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
		case []byte:
			fmt.Fprintf(&b, "X'%x'", v)
		default:
			return "", false
		}
	}
	b.WriteString(query)
	return b.String(), true
}
