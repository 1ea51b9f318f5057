package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"latchkey/auth"
)

// User is an account.
type User struct {
	ID              int64
	Name            string
	Email           string
	PasswordHash    string
	EmailVerifiedAt time.Time // zero when not verified
	DisabledAt      time.Time // zero when enabled
	CreatedAt       time.Time
	// Role is RoleUser or RoleAdmin.
	Role string
}

// The roles an account can have (users.role).
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// IsAdmin reports whether the account may use the admin area.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

// Verified reports whether the user has followed a verification link.
func (u User) Verified() bool { return !u.EmailVerifiedAt.IsZero() }

// Disabled reports whether an operator has disabled the account.
func (u User) Disabled() bool { return !u.DisabledAt.IsZero() }

// HasPassword reports whether the user ever set a password.
func (u User) HasPassword() bool { return u.PasswordHash != "" }

var (
	// ErrNotFound is returned when a row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrEmailTaken is returned when an address already has an account.
	ErrEmailTaken = errors.New("email already has an account")
)

const userColumns = `id, name, email, password_hash, email_verified_at, disabled_at, created_at, role`

// listedColumns are userColumns for lists, which never check a password:
// the hash is not read (an empty one in its place).
const listedColumns = `id, name, email, '', email_verified_at, disabled_at, created_at, role`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	return newUserRow().scan(row)
}

// userRow is where a row of userColumns is scanned to. Scanning escapes
// every destination to the heap, so a loop over a page of users (the admin
// search's 51) scans into one userRow rather than allocating its eight
// destinations again for each row.
type userRow struct {
	u                  User
	verified, disabled sql.NullInt64
	created            int64
	dest               []any
}

func newUserRow() *userRow {
	r := &userRow{}
	r.dest = []any{&r.u.ID, &r.u.Name, &r.u.Email, &r.u.PasswordHash, &r.verified, &r.disabled, &r.created, &r.u.Role}
	return r
}

// scan reads the next row; the User it returns is a copy, its own.
func (r *userRow) scan(row interface{ Scan(...any) error }) (User, error) {
	if err := row.Scan(r.dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, ErrNotFound
		}
		return User{}, err
	}
	u := r.u
	u.EmailVerifiedAt = fromUnix(r.verified)
	u.DisabledAt = fromUnix(r.disabled)
	u.CreatedAt = time.Unix(r.created, 0)
	return u, nil
}

// CreateUser inserts a user; ErrEmailTaken when the address, under its
// canonical key (auth.EmailKey), already has one, and a wrapped
// auth.ErrInvalidEmail when it has no key. email is stored as given.
// passwordHash may be empty for link-only accounts.
func (q *Queries) CreateUser(ctx context.Context, name, email, passwordHash string, now time.Time) (User, error) {
	key, err := auth.EmailKey(email)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	// ON CONFLICT DO NOTHING rather than catching the violation: on
	// PostgreSQL a failed statement aborts its transaction, and Register
	// goes on in the same one to mail the address's owner. No row back is
	// the address taken (the id is the database's own, so only the keys
	// of the address can conflict).
	row := q.w.QueryRowContext(ctx, `INSERT INTO users (name, name_key, email, email_key, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING `+userColumns, name, auth.SearchKey(name), email, key, passwordHash, unix(now), unix(now))
	u, err := scanUser(row)
	if errors.Is(err, ErrNotFound) || isUniqueViolation(err) {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserByEmail finds the user whose address has the same canonical key as
// email: "Ä@EXAMPLE.com" finds "ä@example.com". An address without a key
// is ErrNotFound, as no account can have it.
func (q *Queries) UserByEmail(ctx context.Context, email string) (User, error) {
	key, err := auth.EmailKey(email)
	if err != nil {
		return User{}, ErrNotFound
	}
	u, err := scanUser(q.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = ?`, key))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("user by email: %w", err)
	}
	return u, err
}

// UserByID finds a user by id.
func (q *Queries) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(q.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("user by id: %w", err)
	}
	return u, err
}

// ListUsers returns every user, oldest first.
func (q *Queries) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (q *Queries) updateUser(ctx context.Context, what, set string, args ...any) error {
	res, err := q.w.ExecContext(ctx, `UPDATE users SET `+set+` WHERE id = ?`, args...)
	if isUniqueViolation(err) {
		return ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetPasswordHash replaces a user's password hash.
func (q *Queries) SetPasswordHash(ctx context.Context, userID int64, hash string, now time.Time) error {
	return q.updateUser(ctx, "set password", `password_hash = ?, updated_at = ?`, hash, unix(now), userID)
}

// SetName changes a user's display name.
func (q *Queries) SetName(ctx context.Context, userID int64, name string, now time.Time) error {
	return q.updateUser(ctx, "set name", `name = ?, name_key = ?, updated_at = ?`, name, auth.SearchKey(name), unix(now), userID)
}

// SetEmail changes a user's address and marks it verified: the only way to
// change it is to follow a link sent to the new address. ErrEmailTaken when
// another account has the address under its canonical key.
func (q *Queries) SetEmail(ctx context.Context, userID int64, email string, now time.Time) error {
	key, err := auth.EmailKey(email)
	if err != nil {
		return fmt.Errorf("set email: %w", err)
	}
	return q.updateUser(ctx, "set email", `email = ?, email_key = ?, email_verified_at = ?, updated_at = ?`,
		email, key, unix(now), unix(now), userID)
}

// MarkEmailVerified records that the user followed a link sent to their address.
func (q *Queries) MarkEmailVerified(ctx context.Context, userID int64, now time.Time) error {
	return q.updateUser(ctx, "mark email verified", `email_verified_at = COALESCE(email_verified_at, ?), updated_at = ?`, unix(now), unix(now), userID)
}

// SetDisabled disables (true) or enables (false) an account.
func (q *Queries) SetDisabled(ctx context.Context, userID int64, disabled bool, now time.Time) error {
	var at any
	if disabled {
		at = unix(now)
	}
	return q.updateUser(ctx, "set disabled", `disabled_at = ?, updated_at = ?`, at, unix(now), userID)
}

// DeleteUnconfirmedUsers removes accounts created before createdBefore whose
// address was never confirmed, except those still signed in somewhere (an
// account from before confirmation was required, kept while its session
// lives), and returns how many went.
//
// At most limit go at a time (their sessions and tokens go with them); the
// cleanup calls it until fewer than limit go.
func (q *Queries) DeleteUnconfirmedUsers(ctx context.Context, createdBefore time.Time, limit int) (int64, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM users WHERE id IN (SELECT id FROM users
		WHERE email_verified_at IS NULL AND created_at < ?
		AND NOT EXISTS (SELECT 1 FROM user_sessions WHERE user_sessions.user_id = users.id) LIMIT ?)`, unix(createdBefore), limit)
	if err != nil {
		return 0, fmt.Errorf("delete unconfirmed users: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteUser removes a user; their sessions and tokens go with them
// (ON DELETE CASCADE).
func (q *Queries) DeleteUser(ctx context.Context, userID int64) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, userID)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetRole gives a user a role (RoleUser or RoleAdmin).
func (q *Queries) SetRole(ctx context.Context, userID int64, role string, now time.Time) error {
	return q.updateUser(ctx, "set role", `role = ?, updated_at = ?`, role, unix(now), userID)
}

// SearchUsers returns up to limit users (without their password hash),
// from offset on, whose email key or name key starts with prefix (a
// SearchKey): first those whose address
// does, by address, then those whose name alone does, by name. The prefix
// is compared as bytes in a range, never as a LIKE pattern, so % and _ are
// literal.
//
// Each part is one range on one index, read in the index's order and
// stopped at the page (users_email_key_idx, users_name_key_idx; on
// PostgreSQL their COLLATE "C" twins): the work is bounded by offset+limit
// (plus, past the last address, the address matches it skips), never by
// the number of users or of matches (TestSearchUsersUsesIndexes). One
// WHERE … OR … ORDER BY would sort every match, and PostgreSQL would walk
// the whole email index for a name.
func (q *Queries) SearchUsers(ctx context.Context, prefix string, limit, offset int) ([]User, error) {
	if prefix == "" {
		return q.queryUsers(ctx, `SELECT `+listedColumns+` FROM users ORDER BY email_key`+q.d.bytewise()+` LIMIT CAST(? AS BIGINT) OFFSET CAST(? AS BIGINT)`, limit, offset)
	}
	top := prefix + searchTop
	byEmail, byName, countEmail := q.searchQueries()
	users, err := q.queryUsers(ctx, byEmail, prefix, top, limit, offset)
	if err != nil || len(users) == limit {
		return users, err
	}
	// The address matches end on this page or before it: the rest of the
	// page is the name matches, after as many as the pages before it took.
	emailMatches := offset + len(users)
	if len(users) == 0 && offset > 0 {
		if err := q.r.QueryRowContext(ctx, countEmail, prefix, top, offset).Scan(&emailMatches); err != nil {
			return nil, fmt.Errorf("search users: %w", err)
		}
	}
	more, err := q.queryUsers(ctx, byName, prefix, top, prefix, top, limit-len(users), max(0, offset-emailMatches))
	if err != nil {
		return nil, err
	}
	return append(users, more...), nil
}

func (q *Queries) queryUsers(ctx context.Context, query string, args ...any) ([]User, error) {
	rows, err := q.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	defer rows.Close()
	// Sized for a page, which is what the searches ask for.
	out := make([]User, 0, 64)
	into := newUserRow()
	for rows.Next() {
		u, err := into.scan(rows)
		if err != nil {
			return nil, fmt.Errorf("search users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// searchQueries are SearchUsers' queries in this database's words: the
// address matches, the name matches whose address does not match, and how
// many address matches there are up to a bound.
func (q *Queries) searchQueries() (byEmail, byName, countEmail string) {
	c := q.d.bytewise()
	email := `email_key` + c + ` >= ? AND email_key` + c + ` < ?`
	byEmail = `SELECT ` + listedColumns + ` FROM users WHERE ` + email + ` ORDER BY email_key` + c + ` LIMIT CAST(? AS BIGINT) OFFSET CAST(? AS BIGINT)`
	byName = `SELECT ` + listedColumns + ` FROM users WHERE name_key` + c + ` >= ? AND name_key` + c + ` < ? AND NOT (` + email + `)
		ORDER BY name_key` + c + ` LIMIT CAST(? AS BIGINT) OFFSET CAST(? AS BIGINT)`
	countEmail = `SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE ` + email + ` LIMIT CAST(? AS BIGINT)) AS m`
	return byEmail, byName, countEmail
}

// searchTop is above every character, so key >= p AND key < p+searchTop
// holds exactly for the keys that start with p: both databases compare
// these keys byte by byte (SQLite's BINARY, PostgreSQL's COLLATE "C"), and
// U+10FFFF's UTF-8 is greater than any character's that could follow p.
const searchTop = "\U0010FFFF"

// ExplainSearchUsers is the database's plan for SearchUsers' queries with a
// prefix, one line per step, for the tests that hold them to their indexes.
func (d *DB) ExplainSearchUsers(ctx context.Context, prefix string) ([]string, error) {
	byEmail, byName, countEmail := d.searchQueries()
	top := prefix + searchTop
	var out []string
	for _, e := range []struct {
		query string
		args  []any
	}{{byEmail, []any{prefix, top, 51, 0}}, {byName, []any{prefix, top, prefix, top, 51, 0}}, {countEmail, []any{prefix, top, 50_000}}} {
		plan, err := d.explain(ctx, e.query, e.args...)
		if err != nil {
			return nil, err
		}
		out = append(out, plan...)
	}
	return out, nil
}

// explain is the plan of query with args: EXPLAIN QUERY PLAN's details on
// SQLite, EXPLAIN's lines on PostgreSQL.
func (d *DB) explain(ctx context.Context, query string, args ...any) ([]string, error) {
	explain := `EXPLAIN QUERY PLAN `
	if d.dialect.postgres {
		explain = `EXPLAIN `
	}
	rows, err := d.Read.QueryContext(ctx, explain+d.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		// SQLite: id, parent, notused, detail; PostgreSQL: one text column.
		out = append(out, fmt.Sprint(vals[len(vals)-1]))
	}
	return out, rows.Err()
}
