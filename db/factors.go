package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SecondFactor is an account's authenticator: the secret as sealed by
// accounts (never in clear here), when it was turned on (zero while the
// enrolment waits for its first code), and the last time step a code was
// accepted for.
type SecondFactor struct {
	UserID    int64
	Sealed    []byte
	EnabledAt time.Time
	LastStep  int64
}

// Enabled reports whether the factor is on.
func (f SecondFactor) Enabled() bool { return !f.EnabledAt.IsZero() }

// SecondFactor is the user's authenticator row, or ErrNotFound.
func (q *Queries) SecondFactor(ctx context.Context, userID int64) (SecondFactor, error) {
	f := SecondFactor{UserID: userID}
	var enabled sql.NullInt64
	err := q.r.QueryRowContext(ctx, `SELECT secret, enabled_at, last_step FROM second_factors WHERE user_id = ?`, userID).
		Scan(&f.Sealed, &enabled, &f.LastStep)
	if isNoRows(err) {
		return SecondFactor{}, ErrNotFound
	}
	if err != nil {
		return SecondFactor{}, fmt.Errorf("second factor: %w", err)
	}
	f.EnabledAt = fromUnix(enabled)
	return f, nil
}

// SecondStepOf is what the code step of a sign-in reads, in one query:
// the account, its authenticator row (a zero SecondFactor when it has
// none) and the wrong codes since since (how many, the oldest).
// ErrNotFound when there is no such account. The account's row is found
// in a subquery of its own, as SessionUser's session is, so the
// statement's plan does not depend on the id.
func (q *Queries) SecondStepOf(ctx context.Context, userID int64, since time.Time) (u User, f SecondFactor, failures int, oldest time.Time, err error) {
	var verified, disabled, enabled, step, first nullInt
	var created int64
	err = q.r.QueryRowContext(ctx, `SELECT u.id, u.name, u.email, u.password_hash, u.email_verified_at, u.disabled_at, u.created_at, u.role,
			f.secret, f.enabled_at, f.last_step,
			(SELECT COUNT(*) FROM second_factor_failures WHERE user_id = u.id AND failed_at >= ?),
			(SELECT MIN(failed_at) FROM second_factor_failures WHERE user_id = u.id AND failed_at >= ?)
		FROM (SELECT id, name, email, password_hash, email_verified_at, disabled_at, created_at, role FROM users WHERE id = ? LIMIT 1) u
		LEFT JOIN second_factors f ON f.user_id = u.id`, unix(since), unix(since), userID).
		Scan(&u.ID, &u.Name, &u.Email, &u.PasswordHash, &verified, &disabled, &created, &u.Role,
			&f.Sealed, &enabled, &step, &failures, &first)
	if isNoRows(err) {
		return User{}, SecondFactor{}, 0, time.Time{}, ErrNotFound
	}
	if err != nil {
		return User{}, SecondFactor{}, 0, time.Time{}, fmt.Errorf("second step: %w", err)
	}
	u.EmailVerifiedAt, u.DisabledAt, u.CreatedAt = fromUnix(verified), fromUnix(disabled), time.Unix(created, 0)
	if step.Valid {
		f.UserID, f.EnabledAt, f.LastStep = userID, fromUnix(enabled), step.Int64
	}
	return u, f, failures, fromUnix(first), nil
}

// SecondFactorEnabled reports whether the user's factor is on: the one
// query a sign-in adds.
func (q *Queries) SecondFactorEnabled(ctx context.Context, userID int64) (bool, error) {
	var n int
	err := q.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM second_factors WHERE user_id = ? AND enabled_at IS NOT NULL`, userID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("second factor enabled: %w", err)
	}
	return n > 0, nil
}

// StartSecondFactor stores the sealed secret of an enrolment that waits
// for its first code. It replaces a waiting one, never a factor that is
// on: false means the factor is already on and nothing changed.
func (q *Queries) StartSecondFactor(ctx context.Context, userID int64, sealed []byte, now time.Time) (bool, error) {
	res, err := q.w.ExecContext(ctx, `INSERT INTO second_factors (user_id, secret, enabled_at, last_step, created_at)
		VALUES (?, ?, NULL, 0, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at
		WHERE second_factors.enabled_at IS NULL`, userID, sealed, unix(now))
	if err != nil {
		return false, fmt.Errorf("start second factor: %w", err)
	}
	return affected(res)
}

// EnableSecondFactor turns the waiting factor on with the step its first
// code matched. False: there was no waiting factor, or that step (or a
// later one) was used already.
func (q *Queries) EnableSecondFactor(ctx context.Context, userID, step int64, now time.Time) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE second_factors SET enabled_at = ?, last_step = ?
		WHERE user_id = ? AND enabled_at IS NULL AND last_step < ?`, unix(now), step, userID, step)
	if err != nil {
		return false, fmt.Errorf("enable second factor: %w", err)
	}
	return affected(res)
}

// UseTOTPStep records that a code of step was accepted: false when that
// step or a later one was used already. The check and the write are one
// statement, so two requests with the same code cannot both pass.
func (q *Queries) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE second_factors SET last_step = ?
		WHERE user_id = ? AND enabled_at IS NOT NULL AND last_step < ?`, step, userID, step)
	if err != nil {
		return false, fmt.Errorf("use code: %w", err)
	}
	return affected(res)
}

// DeleteSecondFactor forgets the user's authenticator, recovery codes,
// wrong-code count and remembered browsers; it reports whether a factor
// was on.
func (q *Queries) DeleteSecondFactor(ctx context.Context, userID int64) (bool, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM second_factors WHERE user_id = ? AND enabled_at IS NOT NULL`, userID)
	if err != nil {
		return false, fmt.Errorf("delete second factor: %w", err)
	}
	was, err := affected(res)
	if err != nil {
		return false, err
	}
	for _, stmt := range []string{
		`DELETE FROM second_factors WHERE user_id = ?`,
		`DELETE FROM recovery_codes WHERE user_id = ?`,
		`DELETE FROM second_factor_failures WHERE user_id = ?`,
	} {
		if _, err := q.w.ExecContext(ctx, stmt, userID); err != nil {
			return false, fmt.Errorf("delete second factor: %w", err)
		}
	}
	if err := q.DeleteRememberedDevices(ctx, userID); err != nil {
		return false, err
	}
	return was, nil
}

// ReplaceRecoveryCodes makes hashes the user's only recovery codes.
func (q *Queries) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := q.w.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, hash) VALUES (?, ?)`, userID, h); err != nil {
			return fmt.Errorf("replace recovery codes: %w", err)
		}
	}
	return nil
}

// UseRecoveryCode deletes the user's recovery code with this hash: false
// when there is none (wrong, or used already).
func (q *Queries) UseRecoveryCode(ctx context.Context, userID int64, hash []byte) (bool, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ? AND hash = ?`, userID, hash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	return affected(res)
}

// CountRecoveryCodes is how many unused recovery codes the user has.
func (q *Queries) CountRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := q.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

// RecordSecondFactorFailure counts one wrong code for the user, forgetting
// those older than since, which no longer count.
func (q *Queries) RecordSecondFactorFailure(ctx context.Context, userID int64, now, since time.Time) error {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM second_factor_failures WHERE user_id = ? AND failed_at < ?`, userID, unix(since)); err != nil {
		return fmt.Errorf("record wrong code: %w", err)
	}
	if _, err := q.w.ExecContext(ctx, `INSERT INTO second_factor_failures (user_id, failed_at) VALUES (?, ?)`, userID, unix(now)); err != nil {
		return fmt.Errorf("record wrong code: %w", err)
	}
	return nil
}

// SecondFactorFailures is how many wrong codes the user had since since,
// and when the oldest of them was.
func (q *Queries) SecondFactorFailures(ctx context.Context, userID int64, since time.Time) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := q.r.QueryRowContext(ctx, `SELECT COUNT(*), MIN(failed_at) FROM second_factor_failures WHERE user_id = ? AND failed_at >= ?`,
		userID, unix(since)).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count wrong codes: %w", err)
	}
	return n, fromUnix(oldest), nil
}

// ClearSecondFactorFailures forgets the user's wrong codes (after a right one).
func (q *Queries) ClearSecondFactorFailures(ctx context.Context, userID int64) error {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM second_factor_failures WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("clear wrong codes: %w", err)
	}
	return nil
}

// CreateRememberedDevice stores the hash of a remembered browser's token.
func (q *Queries) CreateRememberedDevice(ctx context.Context, hash []byte, userID int64, ip string, now, expires time.Time) error {
	if _, err := q.w.ExecContext(ctx, `INSERT INTO remembered_devices (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		hash, userID, unix(now), unix(expires)); err != nil {
		return fmt.Errorf("remember device: %w", err)
	}
	if _, err := q.w.ExecContext(ctx, `INSERT INTO remembered_device_ips (device_hash, ip) VALUES (?, ?)`, hash, ip); err != nil {
		return fmt.Errorf("remember device: %w", err)
	}
	return nil
}

// RememberedDeviceUser is the account a remembered browser's token is good
// for, or ErrNotFound when it is unknown or expired.
func (q *Queries) RememberedDeviceUser(ctx context.Context, hash []byte, now time.Time) (int64, error) {
	var uid int64
	err := q.r.QueryRowContext(ctx, `SELECT user_id FROM remembered_devices WHERE hash = ? AND expires_at > ?`, hash, unix(now)).Scan(&uid)
	if isNoRows(err) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("remembered device: %w", err)
	}
	return uid, nil
}

// AddRememberedDeviceIP records that the browser was used from ip; true
// when it had not been before.
func (q *Queries) AddRememberedDeviceIP(ctx context.Context, hash []byte, ip string) (bool, error) {
	res, err := q.w.ExecContext(ctx, `INSERT INTO remembered_device_ips (device_hash, ip) VALUES (?, ?) ON CONFLICT DO NOTHING`, hash, ip)
	if err != nil {
		return false, fmt.Errorf("remembered device address: %w", err)
	}
	return affected(res)
}

// DeleteRememberedDevices forgets every remembered browser of the user.
func (q *Queries) DeleteRememberedDevices(ctx context.Context, userID int64) error {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM remembered_device_ips WHERE device_hash IN
		(SELECT hash FROM remembered_devices WHERE user_id = ?)`, userID); err != nil {
		return fmt.Errorf("forget remembered devices: %w", err)
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM remembered_devices WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("forget remembered devices: %w", err)
	}
	return nil
}

// DeleteExpiredSecondFactorRows deletes remembered browsers past their
// expiry and wrong codes older than since.
func (q *Queries) DeleteExpiredSecondFactorRows(ctx context.Context, now, since time.Time) error {
	for _, s := range []struct {
		stmt string
		arg  int64
	}{
		{`DELETE FROM remembered_device_ips WHERE device_hash IN (SELECT hash FROM remembered_devices WHERE expires_at <= ?)`, unix(now)},
		{`DELETE FROM remembered_devices WHERE expires_at <= ?`, unix(now)},
		{`DELETE FROM second_factor_failures WHERE failed_at < ?`, unix(since)},
	} {
		if _, err := q.w.ExecContext(ctx, s.stmt, s.arg); err != nil {
			return fmt.Errorf("delete expired second-factor rows: %w", err)
		}
	}
	return nil
}

func affected(res sql.Result) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}
