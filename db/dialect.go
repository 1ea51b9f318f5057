package db

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"

	"github.com/pressly/goose/v3"
)

// dialect is everything that differs between SQLite and PostgreSQL, in one
// place: the queries themselves are written once, with ? placeholders and
// the SQL both databases share (INSERT … RETURNING, DELETE … RETURNING,
// COALESCE, integer Unix times), and pass through here on their way out.
//
//   - placeholders: PostgreSQL numbers them ($1, $2 …); rebind rewrites
//     each query once and remembers the result.
//   - locking: SQLite has one writer (one connection, BEGIN IMMEDIATE set
//     in its DSN), so a row read in a write transaction is already the
//     writer's; PostgreSQL needs FOR UPDATE SKIP LOCKED (skipLocked) so
//     that workers on several instances claim different rows, and an
//     advisory lock (serialize) where a count decides an insert.
//   - pragmas, VACUUM INTO, the sessions table's expiry type and the
//     unique-violation code are SQLite's or PostgreSQL's alone: see dsn,
//     Backup, SessionStore and isUniqueViolation.
//   - migrations: each database has its own directory (migrations/ and
//     migrations/postgres/).
type dialect struct {
	postgres bool
}

var (
	sqlite   = &dialect{}
	postgres = &dialect{postgres: true}
)

// Name is how logs and messages call the database.
func (d *dialect) Name() string {
	if d.postgres {
		return "postgres"
	}
	return "sqlite"
}

func (d *dialect) goose() goose.Dialect {
	if d.postgres {
		return goose.DialectPostgres
	}
	return goose.DialectSQLite3
}

// skipLocked ends the SELECT of a claim: on PostgreSQL rows another
// transaction holds are passed over rather than waited for.
func (d *dialect) skipLocked() string {
	if d.postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// serialize makes the rest of the current write transaction the only one
// for key, as SQLite's single writer makes every write transaction: on
// PostgreSQL a transaction-scoped advisory lock (pg_advisory_xact_lock),
// released at commit or rollback, so that a count followed by an insert
// (the per-address mail cap) cannot be interleaved with another's. Outside
// a transaction it holds nothing.
func (d *dialect) serialize(ctx context.Context, q querier, key string) error {
	if !d.postgres {
		return nil
	}
	_, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, key)
	return err
}

// bytewise follows a text column where it must compare byte by byte, as
// SQLite's default BINARY collation does: on PostgreSQL COLLATE "C", which
// the prefix searches' indexes are built with too (migration 00010).
func (d *dialect) bytewise() string {
	if d.postgres {
		return ` COLLATE "C"`
	}
	return ""
}

// wrap gives q the dialect's placeholders.
func (d *dialect) wrap(q querier) querier {
	if !d.postgres {
		return q
	}
	return rebinding{q}
}

// rebinding is a querier that numbers the ? placeholders of every query.
type rebinding struct{ q querier }

func (r rebinding) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return r.q.ExecContext(ctx, rebind(query), args...)
}

func (r rebinding) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.q.QueryContext(ctx, rebind(query), args...)
}

func (r rebinding) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.q.QueryRowContext(ctx, rebind(query), args...)
}

// rebound caches rebind's results: the queries are a fixed set of
// constants, so this stays small.
var rebound sync.Map

// rebind turns each ? outside a quoted string or identifier into $1, $2 …
func rebind(query string) string {
	if v, ok := rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}

// Rebind is rebind for the tests of other packages, which query the
// database directly with ? placeholders.
func (d *DB) Rebind(query string) string {
	if d.dialect.postgres {
		return rebind(query)
	}
	return query
}

// Postgres reports whether the database is PostgreSQL.
func (d *DB) Postgres() bool { return d.dialect.postgres }
