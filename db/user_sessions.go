package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// UserSession is one signed-in browser of a user.
type UserSession struct {
	ID              string
	UserID          int64
	CreatedAt       time.Time
	LastSeenAt      time.Time
	AuthenticatedAt time.Time
	UserAgent       string
	IP              string
	// Kind is SessionBrowser (a cookie) or SessionAPI (a token sign-in of
	// POST /api/auth/token, whose access and refresh tokens go with it).
	Kind string
}

// The kinds of session record.
const (
	SessionBrowser = "browser"
	SessionAPI     = "api"
)

// insertUserSession writes one session record, with sessionArgs.
const insertUserSession = `INSERT INTO user_sessions
	(id, user_id, created_at, last_seen_at, authenticated_at, user_agent, ip, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// sessionArgs are insertUserSession's values for s (a browser's when
// s.Kind is empty).
func sessionArgs(s UserSession) []any {
	if s.Kind == "" {
		s.Kind = SessionBrowser
	}
	return []any{s.ID, s.UserID, unix(s.CreatedAt), unix(s.LastSeenAt), unix(s.AuthenticatedAt), s.UserAgent, s.IP, s.Kind}
}

// CreateUserSession records a new signed-in browser.
func (q *Queries) CreateUserSession(ctx context.Context, s UserSession) error {
	_, err := q.w.ExecContext(ctx, insertUserSession, sessionArgs(s)...)
	if err != nil {
		return fmt.Errorf("create user session: %w", err)
	}
	return nil
}

// OpenUserSession writes a new session record and the line of the
// activity log that says how it was signed in to, in q's transaction. On
// PostgreSQL they are one statement (the session's INSERT in a WITH), so
// they commit together even outside a transaction; SQLite has no INSERT
// inside a WITH and runs the two, which commit together only inside InTx:
// outside one, use DB.CommitUserSession.
func (q *Queries) OpenUserSession(ctx context.Context, s UserSession, a Activity) error {
	if !q.d.postgres {
		if err := q.CreateUserSession(ctx, s); err != nil {
			return err
		}
		return q.AddActivity(ctx, a)
	}
	_, err := q.w.ExecContext(ctx, `WITH s AS (`+insertUserSession+`) `+insertActivity, append(sessionArgs(s), activityArgs(a)...)...)
	if err != nil {
		return fmt.Errorf("open user session: %w", err)
	}
	return nil
}

// CommitUserSession is OpenUserSession committed on its own, for a
// sign-in that writes nothing else. On PostgreSQL its one statement is
// its own transaction: without BEGIN and COMMIT, one round trip instead
// of four, and on a busy server each round trip costs it more CPU than
// these INSERTs do. On SQLite it is InTx.
func (d *DB) CommitUserSession(ctx context.Context, s UserSession, a Activity) error {
	if d.dialect.postgres {
		return d.OpenUserSession(ctx, s, a)
	}
	return d.InTx(ctx, func(q *Queries) error { return q.OpenUserSession(ctx, s, a) })
}

// SessionUser loads a live session and its user in one query: the only
// database read a signed-in page needs besides scs's own.
func (q *Queries) SessionUser(ctx context.Context, sessionID string) (UserSession, User, error) {
	// The session row is found in a subquery of its own: with the "?" in a
	// join's WHERE, SQLite marks the statement as one whose plan depends on
	// the value, and the driver's statement cache, clearing the binding,
	// made it prepare the join again on every request (see the bearer
	// lookups in api_tokens.go, and PERFORMANCE.md).
	row := q.r.QueryRowContext(ctx, `SELECT s.user_id, s.created_at, s.last_seen_at, s.authenticated_at, s.user_agent, s.ip, s.kind,
		u.id, u.name, u.email, u.password_hash, u.email_verified_at, u.disabled_at, u.created_at, u.role
		FROM (SELECT user_id, created_at, last_seen_at, authenticated_at, user_agent, ip, kind FROM user_sessions WHERE id = ? LIMIT 1) s
		JOIN users u ON u.id = s.user_id`, sessionID)
	var s UserSession
	var created, seen, authed int64
	var u User
	var verified, disabled nullInt
	var ucreated int64
	err := row.Scan(&s.UserID, &created, &seen, &authed, &s.UserAgent, &s.IP, &s.Kind,
		&u.ID, &u.Name, &u.Email, &u.PasswordHash, &verified, &disabled, &ucreated, &u.Role)
	if err != nil {
		if isNoRows(err) {
			return UserSession{}, User{}, ErrNotFound
		}
		return UserSession{}, User{}, fmt.Errorf("load session user: %w", err)
	}
	s.ID = sessionID
	s.CreatedAt, s.LastSeenAt, s.AuthenticatedAt = time.Unix(created, 0), time.Unix(seen, 0), time.Unix(authed, 0)
	u.EmailVerifiedAt, u.DisabledAt, u.CreatedAt = fromUnix(verified), fromUnix(disabled), time.Unix(ucreated, 0)
	return s, u, nil
}

// TouchUserSession records activity, at most once a minute per session so a
// busy reader does not turn every page view into a write.
func (q *Queries) TouchUserSession(ctx context.Context, sessionID string, now time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE user_sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at <= ?`,
		unix(now), sessionID, unix(now.Add(-time.Minute)))
	if err != nil {
		return fmt.Errorf("touch user session: %w", err)
	}
	return nil
}

// MarkSessionAuthenticated records that the user proved who they are again
// in this session (for actions that need a recent sign-in).
func (q *Queries) MarkSessionAuthenticated(ctx context.Context, sessionID string, now time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE user_sessions SET authenticated_at = ? WHERE id = ?`, unix(now), sessionID)
	if err != nil {
		return fmt.Errorf("mark session authenticated: %w", err)
	}
	return nil
}

// ListUserSessions returns a user's sessions, most recently seen first.
func (q *Queries) ListUserSessions(ctx context.Context, userID int64) ([]UserSession, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT id, user_id, created_at, last_seen_at, authenticated_at, user_agent, ip, kind
		FROM user_sessions WHERE user_id = CAST(? AS BIGINT) ORDER BY last_seen_at DESC, created_at DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("list user sessions: %w", err)
	}
	defer rows.Close()
	var out []UserSession
	for rows.Next() {
		var s UserSession
		var created, seen, authed int64
		if err := rows.Scan(&s.ID, &s.UserID, &created, &seen, &authed, &s.UserAgent, &s.IP, &s.Kind); err != nil {
			return nil, fmt.Errorf("list user sessions: %w", err)
		}
		s.CreatedAt, s.LastSeenAt, s.AuthenticatedAt = time.Unix(created, 0), time.Unix(seen, 0), time.Unix(authed, 0)
		out = append(out, s)
	}
	return out, rows.Err()
}

// OtherUserSessions returns one page of a user's sessions other than
// exceptID, most recently seen first: up to limit of them after skipping
// offset. The index on (user_id, last_seen_at, created_at, id) gives them in
// this order, so a page reads its own rows, not all of a user's sessions.
//
// It reads only what the sessions list shows (AuthenticatedAt is left
// zero, UserID is the one asked for, and the kind comes back as a
// comparison, not a string to copy): each column read through the driver
// costs an allocation or two, and a page reads them for every row.
func (q *Queries) OtherUserSessions(ctx context.Context, userID int64, exceptID string, limit, offset int) ([]UserSession, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT id, created_at, last_seen_at, user_agent, ip, kind = ?
		FROM user_sessions WHERE user_id = CAST(? AS BIGINT) AND id != ?
		ORDER BY last_seen_at DESC, created_at DESC, id LIMIT CAST(? AS BIGINT) OFFSET CAST(? AS BIGINT)`, SessionAPI, userID, exceptID, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list user sessions: %w", err)
	}
	defer rows.Close()
	out := make([]UserSession, 0, min(limit, 64))
	// One set of destinations for every row: each one given to Scan
	// escapes to the heap, once here rather than once a row.
	var s UserSession
	var created, seen int64
	var api bool
	dest := []any{&s.ID, &created, &seen, &s.UserAgent, &s.IP, &api}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("list user sessions: %w", err)
		}
		r := UserSession{ID: s.ID, UserID: userID, CreatedAt: time.Unix(created, 0), LastSeenAt: time.Unix(seen, 0),
			UserAgent: s.UserAgent, IP: s.IP, Kind: SessionBrowser}
		if api {
			r.Kind = SessionAPI
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteUserSession ends one session of a user. The user id is part of the
// match so that one user can never end another's session by guessing an id.
func (q *Queries) DeleteUserSession(ctx context.Context, userID int64, sessionID string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM user_sessions WHERE id = ? AND user_id = ?`, sessionID, userID)
	if err != nil {
		return fmt.Errorf("delete user session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteOtherUserSessions ends every session of a user but keepID (which may
// be empty to end them all). It returns how many were ended.
func (q *Queries) DeleteOtherUserSessions(ctx context.Context, userID int64, keepID string) (int64, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = ? AND id != ?`, userID, keepID)
	if err != nil {
		return 0, fmt.Errorf("delete other user sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteStaleUserSessions removes up to limit sessions idle since before
// idleSince and up to limit signed in before createdBefore (scs has
// already forgotten them), and returns how many went; the cleanup calls it
// until fewer than limit go, which means both kinds are done. The two are
// separate statements so that each finds its rows through its own index.
func (q *Queries) DeleteStaleUserSessions(ctx context.Context, idleSince, createdBefore time.Time, limit int) (int64, error) {
	var total int64
	for _, step := range []struct {
		query  string
		cutoff time.Time
	}{
		{`DELETE FROM user_sessions WHERE id IN (SELECT id FROM user_sessions WHERE last_seen_at < ? LIMIT ?)`, idleSince},
		{`DELETE FROM user_sessions WHERE id IN (SELECT id FROM user_sessions WHERE created_at < ? LIMIT ?)`, createdBefore},
	} {
		res, err := q.w.ExecContext(ctx, step.query, unix(step.cutoff), limit)
		if err != nil {
			return total, fmt.Errorf("delete stale user sessions: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }

// DeleteUserSessionByID ends a session by its id alone (at sign-out, when
// the id comes from the server-side session itself).
func (q *Queries) DeleteUserSessionByID(ctx context.Context, sessionID string) error {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM user_sessions WHERE id = ?`, sessionID); err != nil {
		return fmt.Errorf("delete user session: %w", err)
	}
	return nil
}

// DeleteUserSessionReturningUser ends a session by its id and returns
// whose it was (0 when there was none), so the sign-out can be logged in
// the same transaction.
func (q *Queries) DeleteUserSessionReturningUser(ctx context.Context, sessionID string) (int64, error) {
	var userID int64
	err := q.w.QueryRowContext(ctx, `DELETE FROM user_sessions WHERE id = ? RETURNING user_id`, sessionID).Scan(&userID)
	if isNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("delete user session: %w", err)
	}
	return userID, nil
}
