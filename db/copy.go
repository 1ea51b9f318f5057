package db

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotEmpty is why CopyToPostgres refused: the PostgreSQL database
// already holds rows, and a copy must never mix two databases' accounts.
var ErrNotEmpty = errors.New("the PostgreSQL database is not empty")

// CopyToPostgres copies every table of the SQLite database src into the
// PostgreSQL database dst, which must be migrated to the same version and
// hold no rows: users with their password hashes, sessions (so signed-in
// browsers stay signed in), one-time tokens, the outbox, notes and any
// table a fork added. It runs in one PostgreSQL transaction, so a failure
// leaves dst empty, and returns the rows copied per table.
//
// Tables are copied by the columns both have, parents before the tables
// that reference them; values are converted where the schemas differ in
// type (SQLite's 0/1 to boolean, sqlite3store's Julian-day expiry to a
// timestamp), and identity columns continue after the highest id copied.
func CopyToPostgres(ctx context.Context, src, dst *DB) (map[string]int64, error) {
	if src.dialect.postgres || !dst.dialect.postgres {
		return nil, errors.New("copy: the source must be SQLite and the destination PostgreSQL")
	}
	srcVersion, err := src.version(ctx)
	if err != nil {
		return nil, err
	}
	dstVersion, err := dst.version(ctx)
	if err != nil {
		return nil, err
	}
	if srcVersion != dstVersion {
		return nil, fmt.Errorf("copy: the SQLite database is at migration %d and PostgreSQL at %d; run this release's migrations on both", srcVersion, dstVersion)
	}
	tables, err := sqliteTables(ctx, src)
	if err != nil {
		return nil, err
	}
	tx, err := dst.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	defer tx.Rollback(ctx)
	pgCols, err := postgresColumns(ctx, tx)
	if err != nil {
		return nil, err
	}
	for table := range pgCols {
		var n int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			return nil, fmt.Errorf("copy: %w", err)
		}
		if n > 0 && table != "rate_limits" {
			return nil, fmt.Errorf("%w: table %s has %d rows", ErrNotEmpty, table, n)
		}
	}
	counts := map[string]int64{}
	for _, t := range tables {
		cols, ok := pgCols[t.name]
		if !ok {
			return nil, fmt.Errorf("copy: table %s is not in the PostgreSQL schema (a migration missing from migrations/postgres?)", t.name)
		}
		var common []string
		for _, c := range t.columns {
			if _, ok := cols[c]; ok {
				common = append(common, c)
			}
		}
		n, err := copyTable(ctx, src, tx, t.name, common, cols)
		if err != nil {
			return nil, err
		}
		counts[t.name] = n
	}
	if err := resetIdentities(ctx, tx); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("copy: commit: %w", err)
	}
	return counts, nil
}

func (d *DB) version(ctx context.Context) (int64, error) {
	p, err := d.migrations()
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read migration version of %s: %w", d.Where(), err)
	}
	return v, nil
}

type sqliteTable struct {
	name    string
	columns []string
	parents []string
}

// sqliteTables lists the application's tables, each after the tables its
// foreign keys point to.
func sqliteTables(ctx context.Context, d *DB) ([]sqliteTable, error) {
	rows, err := d.Read.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name != 'goose_db_version' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("copy: list tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("copy: list tables: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	byName := map[string]*sqliteTable{}
	for _, n := range names {
		t := &sqliteTable{name: n}
		if err := scanStrings(ctx, d, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, n, &t.columns); err != nil {
			return nil, fmt.Errorf("copy: columns of %s: %w", n, err)
		}
		if err := scanStrings(ctx, d, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, n, &t.parents); err != nil {
			return nil, fmt.Errorf("copy: foreign keys of %s: %w", n, err)
		}
		byName[n] = t
	}
	var out []sqliteTable
	done := map[string]bool{}
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		if done[n] {
			return nil
		}
		if slices.Contains(path, n) {
			return fmt.Errorf("copy: foreign keys form a cycle through %s", strings.Join(append(path, n), " → "))
		}
		t := byName[n]
		for _, p := range t.parents {
			if _, ok := byName[p]; ok && p != n {
				if err := visit(p, append(path, n)); err != nil {
					return err
				}
			}
		}
		done[n] = true
		out = append(out, *t)
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanStrings(ctx context.Context, d *DB, query, arg string, out *[]string) error {
	rows, err := d.Read.QueryContext(ctx, query, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*out = append(*out, s)
	}
	return rows.Err()
}

// postgresColumns is every table of the current schema with its columns'
// types.
func postgresColumns(ctx context.Context, tx pgx.Tx) (map[string]map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name != 'goose_db_version'`)
	if err != nil {
		return nil, fmt.Errorf("copy: read the PostgreSQL schema: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]string{}
	for rows.Next() {
		var table, col, typ string
		if err := rows.Scan(&table, &col, &typ); err != nil {
			return nil, fmt.Errorf("copy: read the PostgreSQL schema: %w", err)
		}
		if out[table] == nil {
			out[table] = map[string]string{}
		}
		out[table][col] = typ
	}
	return out, rows.Err()
}

// copyTable streams one table with COPY.
func copyTable(ctx context.Context, src *DB, tx pgx.Tx, table string, cols []string, types map[string]string) (int64, error) {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	rows, err := src.Read.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+table+`"`)
	if err != nil {
		return 0, fmt.Errorf("copy %s: read: %w", table, err)
	}
	defer rows.Close()
	var all [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return 0, fmt.Errorf("copy %s: read: %w", table, err)
		}
		for i, c := range cols {
			v, err := convert(vals[i], types[c])
			if err != nil {
				return 0, fmt.Errorf("copy %s.%s: %w", table, c, err)
			}
			vals[i] = v
		}
		all = append(all, vals)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("copy %s: read: %w", table, err)
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(all))
	if err != nil {
		return 0, fmt.Errorf("copy %s: write: %w", table, err)
	}
	return n, nil
}

// convert turns a value as SQLite gives it into one of PostgreSQL's type.
func convert(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "boolean":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case bool:
			return x, nil
		}
	case "timestamp with time zone", "timestamp without time zone":
		switch x := v.(type) {
		case float64: // sqlite3store's Julian day
			sec, frac := math.Modf((x - 2440587.5) * 86400)
			return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
		case int64: // Unix seconds
			return time.Unix(x, 0).UTC(), nil
		case time.Time:
			return x, nil
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case "text", "character varying":
		switch x := v.(type) {
		case []byte:
			return string(x), nil
		case string:
			return x, nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("cannot store %T as %s", v, pgType)
}

// resetIdentities moves each identity column's sequence past the ids
// copied, so the next row PostgreSQL numbers does not collide.
func resetIdentities(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("copy: identities: %w", err)
	}
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.column); err != nil {
			rows.Close()
			return fmt.Errorf("copy: identities: %w", err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	sort.Slice(cols, func(i, j int) bool { return cols[i].table < cols[j].table })
	for _, c := range cols {
		t, k := pgx.Identifier{c.table}.Sanitize(), pgx.Identifier{c.column}.Sanitize()
		_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(`+k+`) FROM `+t+`), 0) + 1, false)`,
			c.table, c.column)
		if err != nil {
			return fmt.Errorf("copy: identity of %s.%s: %w", c.table, c.column, err)
		}
	}
	return nil
}
