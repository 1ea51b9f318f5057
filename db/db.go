// Package db opens Latchkey's database, SQLite (the default) or PostgreSQL
// (DATABASE_URL), applies the embedded migrations and holds the queries,
// one file per table, in plain database/sql. The queries are written once
// for both databases; what differs is in dialect.go.
//
// It may import migrations (the embedded SQL), goose, scs's stores, the
// SQLite and PostgreSQL drivers and auth's email keys, and nothing else of
// Latchkey: it
// knows nothing of HTTP, accounts or mail, and never imports echo. The one
// piece of auth it uses, auth.EmailKey, is what the schema holds unique
// (users.email_key), so the queries compute it themselves from the address
// they are given: no caller can store an address under the wrong key.
// Callers pass the current time in, so tests can move the clock.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	// The SQLite driver, registered as "sqlite3".
	_ "github.com/mattn/go-sqlite3"

	"latchkey/migrations"
)

// DB is the database: one connection for writes and a pool for reads.
//
// SQLite allows one writer at a time. Funnelling every write through one
// connection, whose transactions start with BEGIN IMMEDIATE, means writers
// queue in Go instead of failing with SQLITE_BUSY, while WAL lets any number
// of readers run beside the writer.
//
// On PostgreSQL, Write and Read are one pool (the server has no single
// writer to protect), drawn from pool, which scs's pgxstore shares.
type DB struct {
	Queries
	Write *sql.DB
	Read  *sql.DB

	dialect *dialect
	pool    *pgxpool.Pool
	where   string
}

// Where names the database for messages and logs: the SQLite file, or the
// PostgreSQL server and database (never the password).
func (d *DB) Where() string { return d.where }

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries holds every query. Outside a transaction reads go to the reader
// pool and writes to the writer; inside one (InTx) both go to the transaction.
type Queries struct {
	r, w querier
	d    *dialect
}

// Open opens (creating if needed) the SQLite file at path.
func Open(path string) (*DB, error) {
	w, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open %s for writing: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	return &DB{Queries: Queries{r: r, w: w, d: sqlite}, Write: w, Read: r, dialect: sqlite, where: path}, nil
}

// dsn sets the pragmas a web app needs on every connection: WAL so readers
// never wait for the writer, foreign keys on, a busy timeout for other
// processes (the CLI, a backup), synchronous=NORMAL, which is durable
// across application crashes in WAL mode and much faster than FULL, and a
// cache of prepared statements.
func dsn(path string, readOnly bool) string {
	v := url.Values{}
	v.Set("_journal_mode", "WAL")
	v.Set("_foreign_keys", "on")
	v.Set("_busy_timeout", "10000")
	v.Set("_synchronous", "NORMAL")
	// Each connection keeps its prepared statements: the queries of a page
	// view are the same every time, and preparing one cost as much as
	// running it.
	v.Set("_stmt_cache_size", "64")
	if readOnly {
		v.Set("_query_only", "true")
	} else {
		v.Set("_txlock", "immediate")
	}
	return "file:" + uriPath.Replace(path) + "?" + v.Encode()
}

// uriPath escapes what a file: URI would read as its own: a path holding
// "#" (every fuzz seed's t.TempDir(), "…seed#0…") otherwise opens the file
// named by what comes before it, one file shared by every seed and every
// process on the machine.
var uriPath = strings.NewReplacer("%", "%25", "#", "%23", "?", "%3f")

// Close closes both pools.
func (d *DB) Close() error {
	if d.pool != nil {
		err := d.Write.Close()
		d.pool.Close()
		return err
	}
	return errors.Join(d.Read.Close(), d.Write.Close())
}

// Ping checks that the database answers a query.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.Read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Migrate applies every migration not yet applied. Each runs in its own
// transaction: one that fails leaves the database as the one before it left
// it.
func (d *DB) Migrate(ctx context.Context) error {
	p, err := d.migrations()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		slog.Info("migration applied", "version", r.Source.Version, "type", r.Source.Type, "file", r.Source.Path, "took", r.Duration.Round(time.Millisecond))
	}
	return nil
}

// MigrateDownTo undoes the applied migrations newer than version, newest
// first: the way back to an older release, which cannot undo migrations it
// does not know.
func (d *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := d.migrations()
	if err != nil {
		return err
	}
	results, err := p.DownTo(ctx, version)
	if err != nil {
		return fmt.Errorf("undo migrations: %w", err)
	}
	for _, r := range results {
		slog.Info("migration undone", "version", r.Source.Version, "took", r.Duration.Round(time.Millisecond))
	}
	return nil
}

// migrations are the embedded SQL files and the Go migrations beside them
// (a Go migration is for a backfill that SQL cannot compute).
func (d *DB) migrations() (*goose.Provider, error) {
	var files fs.FS = migrations.FS
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if d.dialect.postgres {
		sub, err := fs.Sub(migrations.Postgres, "postgres")
		if err != nil {
			return nil, err
		}
		files = sub
		// Instances started together must not apply the same migration
		// twice: goose holds a PostgreSQL advisory lock while it migrates.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("prepare migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	} else {
		opts = append(opts, goose.WithGoMigrations(emailKeysMigration()))
	}
	p, err := goose.NewProvider(d.dialect.goose(), d.Write, files, opts...)
	if err != nil {
		return nil, fmt.Errorf("prepare migrations: %w", err)
	}
	return p, nil
}

// Backup writes a consistent copy of the live database to path with
// VACUUM INTO, which reads one snapshot while requests go on.
func (d *DB) Backup(ctx context.Context, path string) error {
	if d.dialect.postgres {
		return ErrBackupPostgres
	}
	if _, err := d.Write.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	return nil
}

// tx runs fn in one write transaction, committing when fn returns nil.
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// InTx runs fn inside one write transaction, for queries that must commit
// together or not at all (a token and the mail that carries it; a consumed
// token and its effect).
func (d *DB) InTx(ctx context.Context, fn func(q *Queries) error) error {
	return d.tx(ctx, func(t *sql.Tx) error {
		q := d.dialect.wrap(t)
		return fn(&Queries{r: q, w: q, d: d.dialect})
	})
}

func unix(t time.Time) int64 { return t.Unix() }

func fromUnix(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(n.Int64, 0)
}

var errNoRows = sql.ErrNoRows

type nullInt = sql.NullInt64
