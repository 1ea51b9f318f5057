package db

import (
	"context"
	"testing"
	"time"
)

// inTable reports whether the sessions table itself (not the copy in
// memory) has a row for token.
func inTable(t *testing.T, d *DB, token string) bool {
	t.Helper()
	var n int
	if err := d.Read.QueryRow(`SELECT COUNT(*) FROM sessions WHERE token = ?`, token).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// A renewal's delete waits for the renewed session's commit and goes with
// it: afterwards the old row is gone from the table and from memory, the
// new one is in both. A delete that is not a renewal's happens at once,
// and so does one without SessionRenewals.
func TestSessionRenewalDeletesWithTheCommit(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d)
	hour := time.Now().Add(time.Hour)
	for _, tok := range []string{"old", "plain", "bare"} {
		if err := s.Commit(tok, []byte(tok), hour); err != nil {
			t.Fatal(err)
		}
	}
	ctx := SessionRenewals(context.Background())
	if err := s.DeleteCtx(Renewing(ctx), "old"); err != nil {
		t.Fatal(err)
	}
	if !inTable(t, d, "old") {
		t.Fatal("a renewal's delete did not wait for the commit")
	}
	if err := s.CommitCtx(ctx, "new", []byte("data"), hour); err != nil {
		t.Fatal(err)
	}
	if inTable(t, d, "old") {
		t.Fatal("the renewed session's commit left the old row")
	}
	if _, ok := find(t, s, "old"); ok {
		t.Fatal("the old token is still found after the commit")
	}
	if got, ok := find(t, s, "new"); !ok || got != "data" || !inTable(t, d, "new") {
		t.Fatalf("the renewed session: %q %v", got, ok)
	}

	// The old row gone meanwhile (ended elsewhere, cleaned up): the
	// renewed session is stored all the same.
	if err := s.DeleteCtx(Renewing(ctx), "never-stored"); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitCtx(ctx, "newer", []byte("more"), hour); err != nil {
		t.Fatal(err)
	}
	if got, ok := find(t, s, "newer"); !ok || got != "more" || !inTable(t, d, "newer") {
		t.Fatalf("the renewed session of a row gone meanwhile: %q %v", got, ok)
	}

	if err := s.DeleteCtx(ctx, "plain"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCtx(Renewing(context.Background()), "bare"); err != nil {
		t.Fatal(err)
	}
	if inTable(t, d, "plain") || inTable(t, d, "bare") {
		t.Fatal("a delete that is not a held renewal waited")
	}
}

// A request that renews and never commits its session (an error before
// the answer, a panic) deletes the old row when it ends.
func TestSessionRenewalFlushedWithoutACommit(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d)
	if err := s.Commit("old", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ctx := SessionRenewals(context.Background())
	if err := s.DeleteCtx(Renewing(ctx), "old"); err != nil {
		t.Fatal(err)
	}
	if err := FlushSessionRenewals(ctx); err != nil {
		t.Fatal(err)
	}
	if inTable(t, d, "old") {
		t.Fatal("the flush left the renewed session's old row")
	}
	if _, ok := find(t, s, "old"); ok {
		t.Fatal("the old token is still found after the flush")
	}
	if err := FlushSessionRenewals(context.Background()); err != nil {
		t.Fatalf("a flush with nothing held: %v", err)
	}
}
