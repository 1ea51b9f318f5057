package db

import (
	"context"
	"fmt"
	"time"
)

// The JSON API's tokens (migrations/00009_api_tokens.sql). Only their
// SHA-256 is ever written or looked up.

// The kinds of api_tokens row.
const (
	APIAccess  = "access"
	APIRefresh = "refresh"
)

// CreateAPIToken stores the hash of a new access or refresh token of the
// token sign-in sessionID.
func (q *Queries) CreateAPIToken(ctx context.Context, hash []byte, kind, sessionID string, now, expires time.Time) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO api_tokens (hash, kind, session_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		hash, kind, sessionID, unix(now), unix(expires))
	if err != nil {
		return fmt.Errorf("create %s token: %w", kind, err)
	}
	return nil
}

// AccessTokenSession loads the sign-in and user of a live access token in
// one query, and when the token expires: the one read of a bearer request.
// It reads only what a bearer request uses (the sign-in's id, user and
// times; the user's id, name, email and its verified and disabled times):
// the password hash, the sign-in's user agent and IP stay zero, and
// copying them out of SQLite on every request was a good part of its cost.
// ErrNotFound when there is no such token or it has expired.
//
// The token is looked up in a subquery of its own, kept whole by LIMIT 1
// (a subquery with a LIMIT is never flattened into a join). Written as one
// three-table join, SQLite's planner marks the ? of t.hash = ? as "may
// change the plan" (whereLoopOutputAdjust); the driver's statement cache
// clears the bindings of a statement it keeps, and clearing a marked
// parameter expires the statement, so every request parsed and planned
// the join afresh: 64 µs a lookup against 9 µs now (docs/PERFORMANCE.md,
// "The bearer path"). A single-table lookup takes the planner's shortcut
// and marks nothing; the join around it has no parameter.
func (q *Queries) AccessTokenSession(ctx context.Context, hash []byte, now time.Time) (UserSession, User, time.Time, error) {
	row := q.r.QueryRowContext(ctx, `SELECT t.expires_at, s.id, s.created_at, s.last_seen_at, s.authenticated_at,
		u.id, u.name, u.email, u.email_verified_at, u.disabled_at, u.role
		FROM (SELECT session_id, expires_at FROM api_tokens WHERE hash = ? AND kind = 'access' AND expires_at > ? LIMIT 1) t
		JOIN user_sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id`, hash, unix(now))
	s := UserSession{Kind: SessionAPI}
	var u User
	var expires, created, seen, authed int64
	var verified, disabled nullInt
	err := row.Scan(&expires, &s.ID, &created, &seen, &authed, &u.ID, &u.Name, &u.Email, &verified, &disabled, &u.Role)
	if err != nil {
		if isNoRows(err) {
			return UserSession{}, User{}, time.Time{}, ErrNotFound
		}
		return UserSession{}, User{}, time.Time{}, fmt.Errorf("load access token: %w", err)
	}
	s.UserID = u.ID
	s.CreatedAt, s.LastSeenAt, s.AuthenticatedAt = time.Unix(created, 0), time.Unix(seen, 0), time.Unix(authed, 0)
	u.EmailVerifiedAt, u.DisabledAt = fromUnix(verified), fromUnix(disabled)
	return s, u, time.Unix(expires, 0), nil
}

// UseRefreshToken spends a refresh token and returns its sign-in. reused
// is true, with the sign-in, when the token had been spent before: someone
// holds a copy, and the caller ends the sign-in. ErrNotFound when there is
// no such refresh token or it has expired. The spending is one conditional
// UPDATE, so of two requests racing with one token exactly one wins and
// the other is seen as a reuse.
func (q *Queries) UseRefreshToken(ctx context.Context, hash []byte, now time.Time) (sessionID string, reused bool, err error) {
	var expires int64
	var used nullInt
	err = q.w.QueryRowContext(ctx, `SELECT session_id, expires_at, used_at FROM api_tokens WHERE hash = ? AND kind = 'refresh'`, hash).
		Scan(&sessionID, &expires, &used)
	if isNoRows(err) {
		return "", false, ErrNotFound
	}
	if err != nil {
		return "", false, fmt.Errorf("use refresh token: %w", err)
	}
	if used.Valid {
		return sessionID, true, nil
	}
	if unix(now) >= expires {
		return "", false, ErrNotFound
	}
	res, err := q.w.ExecContext(ctx, `UPDATE api_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL`, unix(now), hash)
	if err != nil {
		return "", false, fmt.Errorf("use refresh token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sessionID, true, nil
	}
	return sessionID, false, nil
}

// PersonalToken is a personal access token of /settings/tokens.
type PersonalToken struct {
	ID         int64
	UserID     int64
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time // zero when never used
}

const personalTokenColumns = `id, user_id, name, created_at, expires_at, last_used_at`

func scanPersonalToken(row interface{ Scan(...any) error }) (PersonalToken, error) {
	var p PersonalToken
	var created, expires int64
	var used nullInt
	if err := row.Scan(&p.ID, &p.UserID, &p.Name, &created, &expires, &used); err != nil {
		if isNoRows(err) {
			return PersonalToken{}, ErrNotFound
		}
		return PersonalToken{}, err
	}
	p.CreatedAt, p.ExpiresAt, p.LastUsedAt = time.Unix(created, 0), time.Unix(expires, 0), fromUnix(used)
	return p, nil
}

// CreatePersonalToken stores a new personal access token of userID.
func (q *Queries) CreatePersonalToken(ctx context.Context, userID int64, name string, hash []byte, now, expires time.Time) (PersonalToken, error) {
	p, err := scanPersonalToken(q.w.QueryRowContext(ctx, `INSERT INTO personal_access_tokens (user_id, name, hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?) RETURNING `+personalTokenColumns, userID, name, hash, unix(now), unix(expires)))
	if err != nil {
		return PersonalToken{}, fmt.Errorf("create personal token: %w", err)
	}
	return p, nil
}

// PersonalTokensByUser lists the live personal access tokens of userID,
// newest first.
func (q *Queries) PersonalTokensByUser(ctx context.Context, userID int64, now time.Time) ([]PersonalToken, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+personalTokenColumns+` FROM personal_access_tokens
		WHERE user_id = CAST(? AS BIGINT) AND expires_at > ? ORDER BY id DESC`, userID, unix(now))
	if err != nil {
		return nil, fmt.Errorf("personal tokens: %w", err)
	}
	defer rows.Close()
	var out []PersonalToken
	for rows.Next() {
		p, err := scanPersonalToken(rows)
		if err != nil {
			return nil, fmt.Errorf("personal tokens: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PersonalTokenUser loads a live personal access token by its hash, with
// its user, in one query; ErrNotFound when missing or expired. Like
// AccessTokenSession it reads only the user's columns a bearer request
// uses (the password hash and creation time stay zero), and it looks the
// token up in a subquery of its own for the same reason.
func (q *Queries) PersonalTokenUser(ctx context.Context, hash []byte, now time.Time) (PersonalToken, User, error) {
	row := q.r.QueryRowContext(ctx, `SELECT p.id, p.name, p.created_at, p.expires_at, p.last_used_at,
		u.id, u.name, u.email, u.email_verified_at, u.disabled_at, u.role
		FROM (SELECT id, user_id, name, created_at, expires_at, last_used_at FROM personal_access_tokens
			WHERE hash = ? AND expires_at > ? LIMIT 1) p
		JOIN users u ON u.id = p.user_id`, hash, unix(now))
	var p PersonalToken
	var u User
	var created, expires int64
	var used, verified, disabled nullInt
	err := row.Scan(&p.ID, &p.Name, &created, &expires, &used, &u.ID, &u.Name, &u.Email, &verified, &disabled, &u.Role)
	if err != nil {
		if isNoRows(err) {
			return PersonalToken{}, User{}, ErrNotFound
		}
		return PersonalToken{}, User{}, fmt.Errorf("load personal token: %w", err)
	}
	p.UserID = u.ID
	p.CreatedAt, p.ExpiresAt, p.LastUsedAt = time.Unix(created, 0), time.Unix(expires, 0), fromUnix(used)
	u.EmailVerifiedAt, u.DisabledAt = fromUnix(verified), fromUnix(disabled)
	return p, u, nil
}

// TouchPersonalToken records that a token was used, at most once a minute,
// so a busy script does not turn every request into a write.
func (q *Queries) TouchPersonalToken(ctx context.Context, id int64, now time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE personal_access_tokens SET last_used_at = ?
		WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`, unix(now), id, unix(now.Add(-time.Minute)))
	if err != nil {
		return fmt.Errorf("touch personal token: %w", err)
	}
	return nil
}

// DeletePersonalToken deletes token id of userID; the owner is part of the
// match, so another user's id is ErrNotFound.
func (q *Queries) DeletePersonalToken(ctx context.Context, userID, id int64) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM personal_access_tokens WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("delete personal token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteUserPersonalTokens deletes every personal access token of userID
// (a password reset, disabling).
func (q *Queries) DeleteUserPersonalTokens(ctx context.Context, userID int64) error {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM personal_access_tokens WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("delete personal tokens: %w", err)
	}
	return nil
}

// DeleteExpiredAPITokens removes access, refresh and personal access
// tokens past their expiry. A used refresh token is kept until then, so
// that its reuse is still recognised.
func (q *Queries) DeleteExpiredAPITokens(ctx context.Context, now time.Time) error {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM api_tokens WHERE expires_at <= ?`, unix(now)); err != nil {
		return fmt.Errorf("delete expired api tokens: %w", err)
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM personal_access_tokens WHERE expires_at <= ?`, unix(now)); err != nil {
		return fmt.Errorf("delete expired personal tokens: %w", err)
	}
	return nil
}
