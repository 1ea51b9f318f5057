package db

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Passkey is one WebAuthn credential of a user: what verifying its
// assertions needs (the public key, the signature counter, the flags the
// authenticator reported) and what the settings page shows.
type Passkey struct {
	ID              int64
	UserID          int64
	CredentialID    []byte
	PublicKey       []byte
	AttestationType string
	AAGUID          []byte
	SignCount       uint32
	Transports      []string
	UserVerified    bool
	BackupEligible  bool
	BackupState     bool
	Name            string
	CreatedAt       time.Time
	LastUsedAt      time.Time // zero: never used to sign in
}

// ErrPasskeyTaken is a credential id that is already registered (to any
// account).
var ErrPasskeyTaken = errors.New("passkey already registered")

const passkeyColumns = `id, user_id, credential_id, public_key, attestation_type, aaguid, sign_count, transports,
	user_verified, backup_eligible, backup_state, name, created_at, last_used_at`

func scanPasskey(row interface{ Scan(...any) error }) (Passkey, error) {
	var p Passkey
	var transports string
	var signCount, created int64
	var used nullInt
	err := row.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.PublicKey, &p.AttestationType, &p.AAGUID, &signCount, &transports,
		&p.UserVerified, &p.BackupEligible, &p.BackupState, &p.Name, &created, &used)
	if err != nil {
		if isNoRows(err) {
			return Passkey{}, ErrNotFound
		}
		return Passkey{}, err
	}
	p.SignCount = uint32(signCount)
	if transports != "" {
		p.Transports = strings.Split(transports, ",")
	}
	p.CreatedAt, p.LastUsedAt = time.Unix(created, 0), fromUnix(used)
	return p, nil
}

// WebAuthnHandle returns the user's WebAuthn user handle, making one (32
// random bytes) the first time. Call it inside a transaction when the
// handle is about to be given to an authenticator.
func (q *Queries) WebAuthnHandle(ctx context.Context, userID int64) ([]byte, error) {
	var h []byte
	err := q.w.QueryRowContext(ctx, `SELECT handle FROM webauthn_handles WHERE user_id = ?`, userID).Scan(&h)
	if err == nil {
		return h, nil
	}
	if !isNoRows(err) {
		return nil, fmt.Errorf("webauthn handle: %w", err)
	}
	h = make([]byte, 32)
	_, _ = rand.Read(h)
	if _, err := q.w.ExecContext(ctx, `INSERT INTO webauthn_handles (user_id, handle) VALUES (?, ?)`, userID, h); err != nil {
		return nil, fmt.Errorf("webauthn handle: %w", err)
	}
	return h, nil
}

// CreatePasskey stores a new passkey and returns it with its id;
// ErrPasskeyTaken when the credential is registered already.
func (q *Queries) CreatePasskey(ctx context.Context, p Passkey, now time.Time) (Passkey, error) {
	row := q.w.QueryRowContext(ctx, `INSERT INTO passkeys (user_id, credential_id, public_key, attestation_type, aaguid,
		sign_count, transports, user_verified, backup_eligible, backup_state, name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+passkeyColumns,
		p.UserID, p.CredentialID, p.PublicKey, p.AttestationType, nonNil(p.AAGUID), int64(p.SignCount),
		strings.Join(p.Transports, ","), p.UserVerified, p.BackupEligible, p.BackupState, p.Name, unix(now))
	created, err := scanPasskey(row)
	if isUniqueViolation(err) {
		return Passkey{}, ErrPasskeyTaken
	}
	if err != nil {
		return Passkey{}, fmt.Errorf("create passkey: %w", err)
	}
	return created, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// UserPasskeys lists a user's passkeys, oldest first.
func (q *Queries) UserPasskeys(ctx context.Context, userID int64) ([]Passkey, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = CAST(? AS BIGINT) ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("user passkeys: %w", err)
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, fmt.Errorf("user passkeys: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PasskeyOwner finds the passkey with this credential id and its
// account, only when handle is that account's user handle: what a
// discoverable sign-in presents. ErrNotFound when there is no such
// passkey, or it belongs to another account than the handle's. One
// query: the passkey is found in a subquery of its own, as SessionUser's
// session is, and joined to its account by id. (The plain join of the
// three tables cost three times two queries on SQLite; this shape costs
// two thirds of them.)
func (q *Queries) PasskeyOwner(ctx context.Context, credentialID, handle []byte) (Passkey, User, error) {
	var u User
	var verified, disabled nullInt
	var created int64
	row := q.r.QueryRowContext(ctx, `SELECT p.id, p.user_id, p.credential_id, p.public_key, p.attestation_type, p.aaguid,
			p.sign_count, p.transports, p.user_verified, p.backup_eligible, p.backup_state, p.name, p.created_at, p.last_used_at,
			u.id, u.name, u.email, u.password_hash, u.email_verified_at, u.disabled_at, u.created_at, u.role
		FROM (SELECT `+passkeyColumns+` FROM passkeys
			WHERE credential_id = ? AND user_id = (SELECT user_id FROM webauthn_handles WHERE handle = ?) LIMIT 1) p
		JOIN users u ON u.id = p.user_id`, credentialID, handle)
	p, err := scanPasskey(scanAlso{row, []any{&u.ID, &u.Name, &u.Email, &u.PasswordHash, &verified, &disabled, &created, &u.Role}})
	if errors.Is(err, ErrNotFound) {
		return Passkey{}, User{}, err
	}
	if err != nil {
		return Passkey{}, User{}, fmt.Errorf("passkey owner: %w", err)
	}
	u.EmailVerifiedAt, u.DisabledAt, u.CreatedAt = fromUnix(verified), fromUnix(disabled), time.Unix(created, 0)
	return p, u, nil
}

// scanAlso scans a row into what its scanner asks, then into more.
type scanAlso struct {
	row  interface{ Scan(...any) error }
	more []any
}

func (s scanAlso) Scan(dest ...any) error { return s.row.Scan(append(dest, s.more...)...) }

// RecordPasskeyUse stores the counter and flags of a verified assertion.
// It changes nothing, and reports false, when the stored counter has moved
// on since the caller read it (two assertions raced, or one was replayed):
// the counter only ever goes up, except for authenticators that keep none
// (always 0).
func (q *Queries) RecordPasskeyUse(ctx context.Context, id int64, before, after uint32, backupState, userVerified bool, now time.Time) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE passkeys SET sign_count = ?, backup_state = ?, user_verified = ?, last_used_at = ?
		WHERE id = ? AND sign_count = ?`, int64(after), backupState, userVerified, unix(now), id, int64(before))
	if err != nil {
		return false, fmt.Errorf("record passkey use: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record passkey use: %w", err)
	}
	return n == 1, nil
}

// DeleteUserPasskey removes the user's passkey with this id and returns
// it; ErrNotFound when the user has none by that id.
func (q *Queries) DeleteUserPasskey(ctx context.Context, userID, id int64) (Passkey, error) {
	p, err := scanPasskey(q.w.QueryRowContext(ctx, `DELETE FROM passkeys WHERE user_id = ? AND id = ? RETURNING `+passkeyColumns, userID, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Passkey{}, fmt.Errorf("delete passkey: %w", err)
	}
	return p, err
}
