package db

import (
	"context"
	"fmt"
	"time"

	"latchkey/auth"
)

// Token is what a consumed one-time token stood for.
type Token struct {
	Purpose string
	UserID  int64 // 0 when the token belongs to no account
	Email   string
}

// CreateToken stores the hash of a new one-time token, retiring any earlier
// token of the same purpose for the same user (or, for a token of no
// account, for the same address): only the newest link works. email is the
// address the link goes to, kept as written and under its canonical key.
func (q *Queries) CreateToken(ctx context.Context, hash []byte, purpose string, userID int64, email string, now, expires time.Time) error {
	key, err := auth.EmailKey(email)
	if err != nil {
		return fmt.Errorf("create %s token: %w", purpose, err)
	}
	retire, args := `DELETE FROM tokens WHERE user_id = ? AND purpose = ?`, []any{userID, purpose}
	owner := fmt.Sprintf("user:%d", userID)
	if userID == 0 {
		retire, args = `DELETE FROM tokens WHERE user_id IS NULL AND purpose = ? AND email_key = ?`, []any{purpose, key}
		owner = "email:" + key
	}
	// Two links requested at once must still leave only the newer one.
	if err := q.d.serialize(ctx, q.w, "tokens:"+purpose+":"+owner); err != nil {
		return fmt.Errorf("create %s token: %w", purpose, err)
	}
	if _, err := q.w.ExecContext(ctx, retire, args...); err != nil {
		return fmt.Errorf("retire old %s tokens: %w", purpose, err)
	}
	var uid any
	if userID != 0 {
		uid = userID
	}
	_, err = q.w.ExecContext(ctx, `INSERT INTO tokens (hash, purpose, user_id, email, email_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		hash, purpose, uid, email, key, unix(now), unix(expires))
	if err != nil {
		return fmt.Errorf("create %s token: %w", purpose, err)
	}
	return nil
}

// ConsumeToken deletes the token with this hash and purpose and returns what
// it stood for. It is ErrNotFound when there is none, or it has expired (the
// row is deleted either way). Run it in the transaction that applies the
// token's effect, so a token is used exactly once.
func (q *Queries) ConsumeToken(ctx context.Context, hash []byte, purpose string, now time.Time) (Token, error) {
	var t Token
	var uid nullInt
	var expires int64
	err := q.w.QueryRowContext(ctx, `DELETE FROM tokens WHERE hash = ? AND purpose = ? RETURNING purpose, user_id, email, expires_at`,
		hash, purpose).Scan(&t.Purpose, &uid, &t.Email, &expires)
	if isNoRows(err) {
		return Token{}, ErrNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("consume %s token: %w", purpose, err)
	}
	if unix(now) >= expires {
		return Token{}, ErrNotFound
	}
	t.UserID = uid.Int64
	return t, nil
}

// PeekToken returns what a live token stands for without using it up: for
// the page that shows the button, and to check a new password against the
// account before the token is spent. ErrNotFound when missing or expired.
func (q *Queries) PeekToken(ctx context.Context, hash []byte, purpose string, now time.Time) (Token, error) {
	var t Token
	var uid nullInt
	err := q.r.QueryRowContext(ctx, `SELECT purpose, user_id, email FROM tokens WHERE hash = ? AND purpose = ? AND expires_at > ?`,
		hash, purpose, unix(now)).Scan(&t.Purpose, &uid, &t.Email)
	if isNoRows(err) {
		return Token{}, ErrNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("peek %s token: %w", purpose, err)
	}
	t.UserID = uid.Int64
	return t, nil
}

// PendingEmail returns the address of a user's live token of this purpose
// (the newest), or "" when there is none: the email change waiting for its
// link to be followed.
func (q *Queries) PendingEmail(ctx context.Context, userID int64, purpose string, now time.Time) (string, error) {
	var email string
	err := q.r.QueryRowContext(ctx, `SELECT email FROM tokens WHERE user_id = CAST(? AS BIGINT) AND purpose = CAST(? AS TEXT) AND expires_at > ?
		ORDER BY created_at DESC LIMIT 1`, userID, purpose, unix(now)).Scan(&email)
	if isNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("pending %s: %w", purpose, err)
	}
	return email, nil
}

// DeleteUserTokens removes every token of a user (after a password reset or
// change, older links must stop working).
func (q *Queries) DeleteUserTokens(ctx context.Context, userID int64, purposes ...string) error {
	for _, p := range purposes {
		if _, err := q.w.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = ? AND purpose = ?`, userID, p); err != nil {
			return fmt.Errorf("delete %s tokens: %w", p, err)
		}
	}
	return nil
}

// DeleteExpiredTokens removes up to limit tokens past their expiry and
// returns how many went. The cleanup calls it until fewer than limit go: a
// million expired links are deleted a batch at a time, each a short write
// transaction, so the single writer is never held for long.
func (q *Queries) DeleteExpiredTokens(ctx context.Context, now time.Time, limit int) (int64, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM tokens WHERE hash IN
		(SELECT hash FROM tokens WHERE expires_at <= ? LIMIT ?)`, unix(now), limit)
	if err != nil {
		return 0, fmt.Errorf("delete expired tokens: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
