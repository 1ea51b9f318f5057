package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pressly/goose/v3"

	"latchkey/auth"
)

// emailKeysVersion is migration 4, the canonical email keys. It is Go, not
// SQL, because its backfill needs auth.EmailKey (Unicode case folding and
// IDNA), which SQLite cannot compute; it is registered beside the embedded
// SQL files in Migrate. A fork's next migration is 00006.
const emailKeysVersion = 4

func emailKeysMigration() *goose.Migration {
	return goose.NewGoMigration(emailKeysVersion,
		&goose.GoFunc{RunTx: addEmailKeys}, &goose.GoFunc{RunTx: dropEmailKeys})
}

// ErrEmailKeyConflict is why migration 4 refused to run: existing accounts
// that the canonical key makes one address, or whose address has no key.
var ErrEmailKeyConflict = errors.New("existing accounts conflict under canonical email keys")

// addEmailKeys gives users, tokens and the outbox a column with the
// canonical key of their address (auth.EmailKey): users.email_key is what
// is unique from now on, and tokens and outbox are counted by it. An
// account's address is rewritten as auth.NormalizeEmail writes new ones (a
// domain outside ASCII in its UTS #46 form, so that mail to it resolves).
//
// Under the old rule (ASCII case only) "Ä@example.com" and "ä@example.com"
// could be two accounts. Which one the address belongs to is not the
// migration's to decide, so when any two accounts share a key, or an
// account's address has none (its domain is not a valid domain name), it
// changes nothing and fails with a message naming every such row; it runs
// in goose's transaction, so the columns it added go too.
func addEmailKeys(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range []string{
		`ALTER TABLE users ADD COLUMN email_key TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE tokens ADD COLUMN email_key TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE outbox ADD COLUMN to_key TEXT NOT NULL DEFAULT ''`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("email keys: %w", err)
		}
	}
	if err := keyUsers(ctx, tx); err != nil {
		return err
	}
	if err := keyTokens(ctx, tx); err != nil {
		return err
	}
	if err := keyOutbox(ctx, tx); err != nil {
		return err
	}
	for _, stmt := range []string{
		// The old UNIQUE COLLATE NOCASE on users.email stays (SQLite cannot
		// drop it without rebuilding the table); it is implied by this one.
		`CREATE UNIQUE INDEX users_email_key_idx ON users(email_key)`,
		`CREATE INDEX tokens_email_key_idx ON tokens(email_key, purpose)`,
		`DROP INDEX outbox_to_created_idx`,
		`CREATE INDEX outbox_to_key_created_idx ON outbox(to_key, created_at)`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("email keys: %w", err)
		}
	}
	return nil
}

type keyedRow struct {
	id         int64
	addr, norm string
	key        string
}

// keyUsers backfills users.email_key, or refuses with every conflict.
func keyUsers(ctx context.Context, tx *sql.Tx) error {
	rows, err := readAddresses(ctx, tx, `SELECT id, email FROM users ORDER BY id`)
	if err != nil {
		return fmt.Errorf("email keys: read users: %w", err)
	}
	byKey := map[string][]keyedRow{}
	var keyless []string
	for _, r := range rows {
		if r.key == "" {
			keyless = append(keyless, fmt.Sprintf("  user %d <%s> has an address whose domain is not a valid domain name", r.id, r.addr))
			continue
		}
		byKey[r.key] = append(byKey[r.key], r)
	}
	var shared []string
	for key, group := range byKey {
		if len(group) < 2 {
			continue
		}
		names := make([]string, len(group))
		for i, r := range group {
			names[i] = fmt.Sprintf("user %d <%s>", r.id, r.addr)
		}
		shared = append(shared, fmt.Sprintf("  %s are one address (%s)", strings.Join(names, ", "), key))
	}
	if len(shared) > 0 || len(keyless) > 0 {
		sort.Strings(shared)
		return fmt.Errorf("%w: nothing was changed.\n"+
			"From this version one address is one account: the case of its letters and the way its domain is written no longer make another address (docs/ARCHITECTURE.md, \"Email addresses\"). These accounts break that rule:\n%s\n"+
			"Keep one account for each address, and delete the others or give them another address, for example with\n"+
			"  sqlite3 DATABASE_PATH \"DELETE FROM users WHERE id = N\"\n"+
			"  sqlite3 DATABASE_PATH \"UPDATE users SET email = 'another@example.com' WHERE id = N\"\n"+
			"then run the migration again", ErrEmailKeyConflict, strings.Join(append(shared, keyless...), "\n"))
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE users SET email = ?, email_key = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("email keys: %w", err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r.norm, r.key, r.id); err != nil {
			return fmt.Errorf("email keys: user %d: %w", r.id, err)
		}
	}
	return nil
}

// keyTokens backfills tokens.email_key; a token keeps the address it was
// sent to as it was written. A live link to an address without
// a key (an email change typed before domains were checked) could only
// make such an account, so it is retired.
func keyTokens(ctx context.Context, tx *sql.Tx) error {
	rows, err := readAddresses(ctx, tx, `SELECT rowid, email FROM tokens`)
	if err != nil {
		return fmt.Errorf("email keys: read tokens: %w", err)
	}
	for _, r := range rows {
		var err error
		if r.key == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE rowid = ?`, r.id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE tokens SET email_key = ? WHERE rowid = ?`, r.key, r.id)
		}
		if err != nil {
			return fmt.Errorf("email keys: token: %w", err)
		}
	}
	return nil
}

// keyOutbox backfills outbox.to_key, so that the per-address mail limit
// counts the messages of the last window across the upgrade. A message to
// an address without a key keeps an empty one: no address is counted by it.
func keyOutbox(ctx context.Context, tx *sql.Tx) error {
	rows, err := readAddresses(ctx, tx, `SELECT id, to_addr FROM outbox`)
	if err != nil {
		return fmt.Errorf("email keys: read outbox: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `UPDATE outbox SET to_key = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("email keys: %w", err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if r.key == "" {
			continue
		}
		if _, err := stmt.ExecContext(ctx, r.key, r.id); err != nil {
			return fmt.Errorf("email keys: outbox: %w", err)
		}
	}
	return nil
}

// readAddresses reads (id, address) rows whole before any is updated:
// SQLite leaves undefined what a cursor sees of a table changed under it.
func readAddresses(ctx context.Context, tx *sql.Tx, query string) ([]keyedRow, error) {
	rs, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []keyedRow
	for rs.Next() {
		var r keyedRow
		if err := rs.Scan(&r.id, &r.addr); err != nil {
			return nil, err
		}
		r.norm = auth.NormalizeEmail(r.addr)
		if k, err := auth.EmailKey(r.addr); err == nil {
			r.key = k
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// dropEmailKeys undoes addEmailKeys but for the addresses' domains, which
// stay in their IDNA form (the same addresses, written as an older release
// also accepts them).
func dropEmailKeys(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range []string{
		`DROP INDEX outbox_to_key_created_idx`,
		`CREATE INDEX outbox_to_created_idx ON outbox(to_addr, created_at)`,
		`DROP INDEX tokens_email_key_idx`,
		`DROP INDEX users_email_key_idx`,
		`ALTER TABLE outbox DROP COLUMN to_key`,
		`ALTER TABLE tokens DROP COLUMN email_key`,
		`ALTER TABLE users DROP COLUMN email_key`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("drop email keys: %w", err)
		}
	}
	return nil
}
