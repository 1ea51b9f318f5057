package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
)

// sessionStore is scs's sqlite3store split over our two pools: lookups on
// the reader pool, so signed-in page views run in parallel beside the
// writer; commits, deletes and the cleanup of expired rows on the single
// writer, so they queue instead of failing as busy. It keeps nothing in
// memory: SessionStore puts the copy of session_cache.go in front of it.
type sessionStore struct {
	read  *sql.DB
	write *sqlite3store.SQLite3Store
}

// SessionStore returns the scs store for sessions. The writer side deletes
// expired sessions every five minutes until ctx ends.
func (d *DB) SessionStore(ctx context.Context) scs.Store {
	if d.dialect.postgres {
		return d.postgresSessionStore(ctx)
	}
	s := &sessionStore{read: d.Read, write: sqlite3store.NewWithCleanupInterval(d.Write, 5*time.Minute)}
	go func() {
		<-ctx.Done()
		s.write.StopCleanup()
	}()
	return newSessionCache(s, sessionCacheSize)
}

// lookup returns the data of the live session under token and when its
// row expires (which sqlite3store keeps as a Julian day number).
func (s *sessionStore) lookup(token string) ([]byte, time.Time, bool, error) {
	var data []byte
	var julian float64
	err := s.read.QueryRow(`SELECT data, expiry FROM sessions WHERE token = ? AND julianday('now') < expiry`, token).
		Scan(&data, &julian)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("find session: %w", err)
	}
	sec, frac := math.Modf((julian - 2440587.5) * 86400)
	return data, time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

// Find returns the session data for token.
func (s *sessionStore) Find(token string) ([]byte, bool, error) {
	b, _, ok, err := s.lookup(token)
	return b, ok, err
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
