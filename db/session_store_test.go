package db

import (
	"context"
	"testing"
	"time"

	"latchkey/internal/dbtest"
)

func openTestDB(t *testing.T) *DB {
	t.Helper()
	url, path := dbtest.Target(t)
	d, err := Connect(context.Background(), url, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func newTestStore(t *testing.T, d *DB) *sessionStore {
	t.Helper()
	if d.Postgres() {
		t.Skip("the in-memory copy is SQLite's alone (several instances share PostgreSQL)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return d.SessionStore(ctx).(*sessionStore)
}

func find(t *testing.T, s *sessionStore, token string) (string, bool) {
	t.Helper()
	b, ok, err := s.Find(token)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), ok
}

// TestSessionStoreRoundTrip: what is committed is found, a newer commit
// replaces it, a delete or an expiry ends it, from memory and from disk.
func TestSessionStoreRoundTrip(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d)
	hour := time.Now().Add(time.Hour)
	if err := s.Commit("a", []byte("one"), hour); err != nil {
		t.Fatal(err)
	}
	if got, ok := find(t, s, "a"); !ok || got != "one" {
		t.Fatalf("Find a = %q %v, want one", got, ok)
	}
	if err := s.Commit("a", []byte("two"), hour); err != nil {
		t.Fatal(err)
	}
	if got, _ := find(t, s, "a"); got != "two" {
		t.Fatalf("after a second commit Find a = %q, want two", got)
	}
	// A fresh store (a restart) reads the same from the database.
	if got, ok := find(t, newTestStore(t, d), "a"); !ok || got != "two" {
		t.Fatalf("from the database Find a = %q %v, want two", got, ok)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := find(t, s, "a"); ok {
		t.Fatal("a deleted session is still found")
	}
	if err := s.Commit("b", []byte("soon gone"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, ok := find(t, s, "b"); ok {
		t.Fatal("an expired session is found")
	}
	if _, ok := find(t, newTestStore(t, d), "b"); ok {
		t.Fatal("an expired session is found in the database")
	}
	if _, ok := find(t, s, "never"); ok {
		t.Fatal("an unknown token is found")
	}
}

// TestSessionStoreAnswersFromMemory: once a session has been read or
// written, finding it again needs no query (the reader pool is closed here
// to prove it), while an unknown token still goes to the database.
func TestSessionStoreAnswersFromMemory(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d)
	if err := s.Commit("written", []byte("w"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := newTestStore(t, d).Commit("read", []byte("r"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := find(t, s, "read"); got != "r" {
		t.Fatalf("Find read = %q", got)
	}
	if err := d.Read.Close(); err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]string{"written": "w", "read": "r"} {
		if got, ok := find(t, s, token); !ok || got != want {
			t.Errorf("Find %s with the reader pool closed = %q %v, want %q", token, got, ok, want)
		}
	}
	if _, _, err := s.Find("unknown"); err == nil {
		t.Error("an unknown token was answered without the database")
	}
}

// TestSessionStoreStaysBounded: past its bound the copy forgets sessions,
// which are then read from the database again.
func TestSessionStoreStaysBounded(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d)
	s.max = 3
	tokens := []string{"t0", "t1", "t2", "t3", "t4", "t5"}
	for _, tok := range tokens {
		if err := s.Commit(tok, []byte("data "+tok), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range tokens {
		if got, ok := find(t, s, tok); !ok || got != "data "+tok {
			t.Errorf("Find %s = %q %v", tok, got, ok)
		}
	}
	if n := len(s.cached); n > 3 {
		t.Fatalf("%d sessions in memory, want at most 3", n)
	}
}

// TestSessionStoreFindCannotCacheStaleData: a lookup that read the
// database before a commit landed must not put its older copy in memory.
func TestSessionStoreFindCannotCacheStaleData(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d)
	s.mu.Lock()
	before := s.version
	s.mu.Unlock()
	if err := s.Commit("a", []byte("new"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A Find that started before the commit now tries to remember "old".
	s.remember("a", cachedSession{data: []byte("old"), expiry: time.Now().Add(time.Hour)}, before)
	if got, _ := find(t, s, "a"); got != "new" {
		t.Fatalf("Find a = %q after a stale lookup, want new", got)
	}
}
