package db

import (
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

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

// newTestStore is the store as the app gets it: the cache in front of the
// table.
func newTestStore(t *testing.T, d *DB) *sessionCache {
	t.Helper()
	if d.Postgres() {
		t.Skip("the in-memory copy is SQLite's alone (several instances share PostgreSQL)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return d.SessionStore(ctx).(*sessionCache)
}

func find(t *testing.T, s scs.Store, token string) (string, bool) {
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

// TestSessionStoreReadsTheTable: the store under the cache keeps no copy
// of its own, so a change made by another writer of the same file shows
// at once, and a row read before it is not served.
func TestSessionStoreReadsTheTable(t *testing.T) {
	d := openTestDB(t)
	s := newTestStore(t, d).store
	other := newTestStore(t, d).store
	hour := time.Now().Add(time.Hour)
	if err := s.Commit("a", []byte("one"), hour); err != nil {
		t.Fatal(err)
	}
	if got, _ := find(t, s, "a"); got != "one" {
		t.Fatalf("Find a = %q, want one", got)
	}
	if err := other.Commit("a", []byte("two"), hour); err != nil {
		t.Fatal(err)
	}
	if got, _ := find(t, s, "a"); got != "two" {
		t.Fatalf("after another writer's commit Find a = %q, want two", got)
	}
	if err := other.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if got, ok := find(t, s, "a"); ok {
		t.Fatalf("after another writer's delete Find a = %q, want nothing", got)
	}
}
