package db

import (
	"context"
	"fmt"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
)

// sessionStore is scs's sqlite3store split over our two pools: lookups on
// the reader pool, so signed-in page views run in parallel beside the
// writer; commits, deletes and the cleanup of expired rows on the single
// writer, so they queue instead of failing as busy.
//
// It keeps nothing in memory: every lookup reads the table, so what scs
// sees is always what the database holds. Whether someone is signed in is
// decided by the user_sessions record (accounts.SessionUser), which the
// scs row only points to.
type sessionStore struct {
	read, write *sqlite3store.SQLite3Store
}

// SessionStore returns the scs store for sessions. The writer side deletes
// expired sessions every five minutes until ctx ends.
func (d *DB) SessionStore(ctx context.Context) scs.Store {
	if d.dialect.postgres {
		return d.postgresSessionStore(ctx)
	}
	s := &sessionStore{
		// A cleanup interval of 0 starts no cleanup: the writer's does it.
		read:  sqlite3store.NewWithCleanupInterval(d.Read, 0),
		write: sqlite3store.NewWithCleanupInterval(d.Write, 5*time.Minute),
	}
	go func() {
		<-ctx.Done()
		s.write.StopCleanup()
	}()
	return s
}

// Find returns the session data for token, read from the reader pool.
func (s *sessionStore) Find(token string) ([]byte, bool, error) {
	b, ok, err := s.read.Find(token)
	if err != nil {
		return nil, false, fmt.Errorf("find session: %w", err)
	}
	return b, ok, nil
}

// Commit stores the session data and its expiry.
func (s *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	if err := s.write.Commit(token, b, expiry); err != nil {
		return fmt.Errorf("commit session: %w", err)
	}
	return nil
}

// Delete removes the session.
func (s *sessionStore) Delete(token string) error {
	if err := s.write.Delete(token); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
