package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"latchkey/auth"
)

// Failed passwords per account (the password_failures table): how many in
// the current run, and when the last one was. A run ends once no failure
// has come for a window; the next failure starts a new one. The queries
// are one text for both databases, and each is one statement, so instances
// on one PostgreSQL count together without a lock.

// PasswordFailures is the state of one account's run of failures.
type PasswordFailures struct {
	Failures    int
	LastFailure time.Time
	Noticed     bool // the owner has been told of this run
}

// PasswordFailuresOf returns the run of failures under key, or a zero
// value when there is none or it ended before since.
func (q *Queries) PasswordFailuresOf(ctx context.Context, key string, since time.Time) (PasswordFailures, error) {
	var f PasswordFailures
	var last int64
	err := q.r.QueryRowContext(ctx, `SELECT failures, last_failure_ms, noticed FROM password_failures WHERE key = ? AND last_failure_ms > ?`,
		key, since.UnixMilli()).Scan(&f.Failures, &last, &f.Noticed)
	if isNoRows(err) {
		return PasswordFailures{}, nil
	}
	if err != nil {
		return PasswordFailures{}, fmt.Errorf("read password failures: %w", err)
	}
	f.LastFailure = time.UnixMilli(last)
	return f, nil
}

// AddPasswordFailure counts one more failure under key at now and returns
// the run as it stands. A run whose last failure came before since is over:
// this failure starts a new one, not yet noticed.
func (q *Queries) AddPasswordFailure(ctx context.Context, key string, now, since time.Time) (PasswordFailures, error) {
	var f PasswordFailures
	var last int64
	cut := since.UnixMilli()
	err := q.w.QueryRowContext(ctx, `INSERT INTO password_failures AS p (key, failures, last_failure_ms, noticed) VALUES (?, 1, ?, false)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN p.last_failure_ms > ? THEN p.failures + 1 ELSE 1 END,
			noticed = CASE WHEN p.last_failure_ms > ? THEN p.noticed ELSE false END,
			last_failure_ms = excluded.last_failure_ms
		RETURNING failures, last_failure_ms, noticed`, key, now.UnixMilli(), cut, cut).Scan(&f.Failures, &last, &f.Noticed)
	if err != nil {
		return PasswordFailures{}, fmt.Errorf("count password failure: %w", err)
	}
	f.LastFailure = time.UnixMilli(last)
	return f, nil
}

// MarkPasswordFailuresNoticed records that the owner was told of the run
// under key, and reports whether this call did it: of several instances
// crossing the threshold at once, one sends the notice.
func (q *Queries) MarkPasswordFailuresNoticed(ctx context.Context, key string) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE password_failures SET noticed = true WHERE key = ? AND NOT noticed`, key)
	if err != nil {
		return false, fmt.Errorf("mark password failures noticed: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark password failures noticed: %w", err)
	}
	return n == 1, nil
}

// DeleteOldPasswordFailures forgets the runs that ended before since (the
// cleanup): they count as none already.
func (q *Queries) DeleteOldPasswordFailures(ctx context.Context, since time.Time) error {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM password_failures WHERE last_failure_ms <= ?`, since.UnixMilli()); err != nil {
		return fmt.Errorf("delete old password failures: %w", err)
	}
	return nil
}

// SignInRead is what a password sign-in reads before its hash.
type SignInRead struct {
	User     User
	Failures PasswordFailures
	// SecondFactor: the account has a second factor turned on. It is read
	// here so that a sign-in without one asks nothing more of the database
	// before it writes its session (on PostgreSQL a round trip costs the
	// server more CPU than the query itself).
	SecondFactor bool
}

// UserForSignIn is UserByEmail, PasswordFailuresOf and SecondFactorEnabled
// in one statement, the one read a password sign-in makes before its
// hash: the account with this address (ErrNotFound when none), the run of
// failures under key, and whether its second factor is on. The failures
// come back whether or not the account exists, so an address without an
// account costs the same one round trip.
func (q *Queries) UserForSignIn(ctx context.Context, email, key string, since time.Time) (SignInRead, error) {
	emailKey, err := auth.EmailKey(email)
	if err != nil {
		return SignInRead{}, ErrNotFound
	}
	var id, created, failures, last sql.NullInt64
	var name, addr, hash, role sql.NullString
	var verified, disabled sql.NullInt64
	var noticed sql.NullBool
	var secondFactor bool
	err = q.r.QueryRowContext(ctx, `SELECT u.id, u.name, u.email, u.password_hash, u.email_verified_at, u.disabled_at, u.created_at, u.role,
			p.failures, p.last_failure_ms, p.noticed,
			EXISTS (SELECT 1 FROM second_factors f WHERE f.user_id = u.id AND f.enabled_at IS NOT NULL)
		FROM (SELECT 1 AS one) AS o
		LEFT JOIN users u ON u.email_key = ?
		LEFT JOIN password_failures p ON p.key = ? AND p.last_failure_ms > ?`, emailKey, key, since.UnixMilli()).
		Scan(&id, &name, &addr, &hash, &verified, &disabled, &created, &role, &failures, &last, &noticed, &secondFactor)
	if err != nil {
		return SignInRead{}, fmt.Errorf("user for sign-in: %w", err)
	}
	var r SignInRead
	if failures.Valid {
		r.Failures = PasswordFailures{Failures: int(failures.Int64), LastFailure: time.UnixMilli(last.Int64), Noticed: noticed.Bool}
	}
	if !id.Valid {
		return r, ErrNotFound
	}
	r.User = User{ID: id.Int64, Name: name.String, Email: addr.String, PasswordHash: hash.String,
		EmailVerifiedAt: fromUnix(verified), DisabledAt: fromUnix(disabled), CreatedAt: time.Unix(created.Int64, 0), Role: role.String}
	r.SecondFactor = secondFactor
	return r, nil
}
