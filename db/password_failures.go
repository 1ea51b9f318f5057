package db

import (
	"context"
	"fmt"
	"time"
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
