package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Identity is an account's identity at a provider: the provider's own,
// stable id for the person (Subject), and the address it reported.
type Identity struct {
	Provider   string
	Subject    string
	UserID     int64
	Email      string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// ErrIdentityTaken is returned when the identity, or an identity at the
// same provider for the same account, is already connected.
var ErrIdentityTaken = errors.New("identity already connected")

const identityColumns = `provider, subject, user_id, email, created_at, last_used_at`

func scanIdentity(row interface{ Scan(...any) error }) (Identity, error) {
	var i Identity
	var created, used int64
	if err := row.Scan(&i.Provider, &i.Subject, &i.UserID, &i.Email, &created, &used); err != nil {
		if isNoRows(err) {
			return Identity{}, ErrNotFound
		}
		return Identity{}, err
	}
	i.CreatedAt, i.LastUsedAt = time.Unix(created, 0), time.Unix(used, 0)
	return i, nil
}

// IdentityBySubject finds the identity the provider calls subject.
func (q *Queries) IdentityBySubject(ctx context.Context, provider, subject string) (Identity, error) {
	i, err := scanIdentity(q.r.QueryRowContext(ctx, `SELECT `+identityColumns+` FROM identities
		WHERE provider = ? AND subject = ?`, provider, subject))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Identity{}, fmt.Errorf("identity by subject: %w", err)
	}
	return i, err
}

// CreateIdentity connects an identity to an account; ErrIdentityTaken when
// it is connected already (to any account), or the account has an identity
// at this provider.
func (q *Queries) CreateIdentity(ctx context.Context, i Identity, now time.Time) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO identities (`+identityColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		i.Provider, i.Subject, i.UserID, i.Email, unix(now), unix(now))
	if isUniqueViolation(err) {
		return ErrIdentityTaken
	}
	if err != nil {
		return fmt.Errorf("create identity: %w", err)
	}
	return nil
}

// TouchIdentity records a sign-in with the identity and the address the
// provider reports now.
func (q *Queries) TouchIdentity(ctx context.Context, provider, subject, email string, now time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE identities SET email = ?, last_used_at = ? WHERE provider = ? AND subject = ?`,
		email, unix(now), provider, subject)
	if err != nil {
		return fmt.Errorf("touch identity: %w", err)
	}
	return nil
}

// UserIdentities lists an account's identities, in the order connected.
func (q *Queries) UserIdentities(ctx context.Context, userID int64) ([]Identity, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+identityColumns+` FROM identities WHERE user_id = CAST(? AS BIGINT)
		ORDER BY created_at, provider`, userID)
	if err != nil {
		return nil, fmt.Errorf("user identities: %w", err)
	}
	defer rows.Close()
	var out []Identity
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, fmt.Errorf("user identities: %w", err)
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// DeleteUserIdentity disconnects the account's identity at provider and
// returns it; ErrNotFound when there was none.
func (q *Queries) DeleteUserIdentity(ctx context.Context, userID int64, provider string) (Identity, error) {
	i, err := scanIdentity(q.w.QueryRowContext(ctx, `DELETE FROM identities WHERE user_id = ? AND provider = ?
		RETURNING `+identityColumns, userID, provider))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Identity{}, fmt.Errorf("delete identity: %w", err)
	}
	return i, err
}
