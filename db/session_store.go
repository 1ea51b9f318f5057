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
	// writer is write's connection, for commitRenewed's transaction.
	writer *sql.DB
}

// SessionStore returns the scs store for sessions. Expired rows are
// deleted by the cleanup (DeleteExpiredSessions, in batches), not by the
// store: sqlite3store's own cleanup deletes them all in one statement.
func (d *DB) SessionStore(ctx context.Context) scs.Store {
	if d.dialect.postgres {
		return d.postgresSessionStore(ctx)
	}
	s := &sessionStore{read: d.Read, write: sqlite3store.NewWithCleanupInterval(d.Write, 0), writer: d.Write}
	return newSessionCache(s, sessionCacheSize)
}

// lookup returns the data of the live session under token and when its
// row expires (which sqlite3store keeps as a Julian day number).
func (s *sessionStore) lookup(token string) ([]byte, time.Time, bool, error) {
	var data []byte
	var julian float64
	err := s.read.QueryRow(sessionLookupQuery, token).
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

const sessionLookupQuery = `SELECT data, expiry FROM sessions WHERE token = ? AND julianday('now') < expiry`

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

// commitRenewed is Commit of a renewed session together with the delete
// of the rows its renewal retired: the first of them becomes the renewed
// session's row, its token, data and expiry all replaced, in one
// statement and so one write transaction where scs makes two (an explicit
// transaction around a DELETE and sqlite3store's REPLACE cost more than
// the two apart: BEGIN IMMEDIATE is a statement of its own). When that row
// is gone already, the commit is sqlite3store's; any other retired row is
// deleted on its own.
func (s *sessionStore) commitRenewed(retired []string, token string, b []byte, expiry time.Time) error {
	res, err := s.writer.Exec(sessionRenewQuery, token, b, expiry.UTC().Format("2006-01-02T15:04:05.999"), retired[0])
	if err != nil {
		return fmt.Errorf("commit renewed session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err := s.Commit(token, b, expiry); err != nil {
			return err
		}
	}
	for _, old := range retired[1:] {
		if err := s.Delete(old); err != nil {
			return err
		}
	}
	return nil
}

const sessionRenewQuery = `UPDATE sessions SET token = ?, data = ?, expiry = julianday(?) WHERE token = ?`

// DeleteExpiredSessions removes up to limit scs rows past their expiry and
// returns how many went; the cleanup calls it until fewer than limit go.
// It replaces the stores' own cleanups, which delete every expired row in
// one statement: with a million of them that held the single writer for
// seconds. The expiry is a Julian day number on SQLite (sqlite3store's
// format) and a timestamptz on PostgreSQL.
func (q *Queries) DeleteExpiredSessions(ctx context.Context, now time.Time, limit int) (int64, error) {
	query, at := `DELETE FROM sessions WHERE token IN (SELECT token FROM sessions WHERE expiry < ? LIMIT ?)`, any(julianDay(now))
	if q.d.postgres {
		query, at = `DELETE FROM sessions WHERE token IN (SELECT token FROM sessions WHERE expiry < to_timestamp(?) LIMIT ?)`, float64(now.UnixMicro())/1e6
	}
	res, err := q.w.ExecContext(ctx, query, at, limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// julianDay is t as sqlite3store writes expiries: days since noon UTC,
// 24 November 4714 BC, as julianday() computes them.
func julianDay(t time.Time) float64 {
	return float64(t.UnixMicro())/86400e6 + 2440587.5
}
