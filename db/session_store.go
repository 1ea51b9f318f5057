package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
)

// sessionStore is scs's sqlite3store split over our two pools, with the
// sessions it has seen kept in memory.
//
// Writes (commits, deletes, the cleanup of expired rows) go to the single
// writer, so they queue instead of failing as busy. Lookups are answered
// from a bounded in-memory copy when they can and from the reader pool when
// not: scs looks the session up on every request that carries a cookie,
// and without the copy a signed-in page view would cost two queries (this
// one and accounts.SessionUser's) instead of one.
//
// The copy is safe because this store is the only writer of the sessions
// table: every Commit and Delete passes here and updates it, and an entry
// past its expiry is treated as gone. Whether someone is signed in is
// decided by the user_sessions record, which is read from the database on
// every signed-in request, so ending a session from the command line (which
// deletes records, not scs rows) takes effect at once.
type sessionStore struct {
	read  *sql.DB
	write *sqlite3store.SQLite3Store

	// writing serializes a write with its update of the copy, so the copy
	// ends in the same state as the table (the writer connection
	// serializes the writes themselves anyway).
	writing sync.Mutex
	mu      sync.Mutex
	cached  map[string]cachedSession
	max     int
	version uint64 // bumped by every write, so a slow Find cannot cache stale data
}

type cachedSession struct {
	data   []byte
	expiry time.Time
}

// sessionCacheSize bounds the copy: about 300 bytes a session, so at most
// a few MiB however many sessions there are.
const sessionCacheSize = 10_000

// SessionStore returns the scs store for sessions. The writer side deletes
// expired sessions every five minutes until ctx ends.
func (d *DB) SessionStore(ctx context.Context) scs.Store {
	if d.dialect.postgres {
		return d.postgresSessionStore(ctx)
	}
	s := &sessionStore{
		read:   d.Read,
		write:  sqlite3store.NewWithCleanupInterval(d.Write, 5*time.Minute),
		cached: map[string]cachedSession{},
		max:    sessionCacheSize,
	}
	go func() {
		<-ctx.Done()
		s.write.StopCleanup()
	}()
	return s
}

// Find returns the session data for token, from memory when it is there.
func (s *sessionStore) Find(token string) ([]byte, bool, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.cached[token]
	version := s.version
	s.mu.Unlock()
	if ok {
		if now.Before(c.expiry) {
			return c.data, true, nil
		}
		s.mu.Lock()
		if c2, still := s.cached[token]; still && !now.Before(c2.expiry) {
			delete(s.cached, token)
		}
		s.mu.Unlock()
		return nil, false, nil
	}
	// sqlite3store keeps expiry as a Julian day number.
	var data []byte
	var julian float64
	err := s.read.QueryRow(`SELECT data, expiry FROM sessions WHERE token = ? AND julianday('now') < expiry`, token).
		Scan(&data, &julian)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("find session: %w", err)
	}
	sec, frac := math.Modf((julian - 2440587.5) * 86400)
	s.remember(token, cachedSession{data: data, expiry: time.Unix(int64(sec), int64(frac*1e9))}, version)
	return data, true, nil
}

// Commit stores the session data and its expiry.
func (s *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	s.writing.Lock()
	defer s.writing.Unlock()
	if err := s.write.Commit(token, b, expiry); err != nil {
		s.written(token, nil)
		return err
	}
	s.written(token, &cachedSession{data: b, expiry: expiry})
	return nil
}

// Delete removes the session.
func (s *sessionStore) Delete(token string) error {
	s.writing.Lock()
	defer s.writing.Unlock()
	err := s.write.Delete(token)
	s.written(token, nil)
	return err
}

// written records a write that has reached the database: token now holds
// c (nil: nothing known), and every Find that started before it may have
// read older data, so none of them may fill the copy.
func (s *sessionStore) written(token string, c *cachedSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	delete(s.cached, token)
	if c != nil {
		s.put(token, *c)
	}
}

// remember keeps what Find read for token, unless a write happened since
// it read version.
func (s *sessionStore) remember(token string, c cachedSession, version uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version == version {
		s.put(token, c)
	}
}

// put stores c; at the bound an arbitrary entry makes room (it is only read
// from the database again). s.mu is held.
func (s *sessionStore) put(token string, c cachedSession) {
	if _, ok := s.cached[token]; !ok && len(s.cached) >= s.max {
		for k := range s.cached {
			delete(s.cached, k)
			break
		}
	}
	s.cached[token] = c
}
