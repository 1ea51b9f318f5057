package db

import (
	"context"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
)

// sessionStore is scs's sqlite3store split over our two pools: lookups on
// the reader pool, so signed-in page views run in parallel; commits and
// deletes on the single writer, so they queue instead of failing as busy.
type sessionStore struct {
	read, write *sqlite3store.SQLite3Store
}

// SessionStore returns the scs store for sessions. The writer side deletes
// expired sessions every five minutes until ctx ends.
func (d *DB) SessionStore(ctx context.Context) scs.Store {
	s := &sessionStore{
		read:  sqlite3store.NewWithCleanupInterval(d.Read, 0),
		write: sqlite3store.NewWithCleanupInterval(d.Write, 5*time.Minute),
	}
	go func() {
		<-ctx.Done()
		s.write.StopCleanup()
	}()
	return s
}

func (s *sessionStore) Find(token string) ([]byte, bool, error) { return s.read.Find(token) }
func (s *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.write.Commit(token, b, expiry)
}
func (s *sessionStore) Delete(token string) error { return s.write.Delete(token) }
