package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrBackupPostgres is why Backup refuses on PostgreSQL: a copy of a live
// server's database is pg_dump's job, and pretending otherwise would leave
// an operator with no backup.
var ErrBackupPostgres = errors.New("latchkey backup copies a SQLite database; on PostgreSQL use pg_dump (for example: pg_dump --format=custom --file=latchkey.dump \"$DATABASE_URL\")")

// IsPostgresURL reports whether s names a PostgreSQL server rather than a
// SQLite file.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Connect opens PostgreSQL when databaseURL is set and the SQLite file at
// path when it is not: the one place that decides which database runs.
func Connect(ctx context.Context, databaseURL, path string) (*DB, error) {
	if databaseURL == "" {
		return Open(path)
	}
	return OpenPostgres(ctx, databaseURL)
}

// connectTimeout bounds the first connection at start, so a wrong address
// fails in seconds with its reason rather than hanging.
const connectTimeout = 10 * time.Second

// OpenPostgres connects to the PostgreSQL server at url (postgres://…) and
// checks that it answers.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	if !IsPostgresURL(url) {
		return nil, errors.New("DATABASE_URL must start with postgres:// or postgresql://")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	// Pages hold a connection for a query or two; more connections than a
	// few per core only queue inside the server.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	// A dead server must not hang a request: a connection attempt gives up
	// after a few seconds, and the error page answers.
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 5*time.Second {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, oneLine(fmt.Errorf("connect to PostgreSQL at %s: %w", describe(cfg), err))
	}
	var version int
	if err := pool.QueryRow(pingCtx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", describe(cfg), err)
	}
	if version < 150000 {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL at %s is version %d.%d; Latchkey needs 15 or newer", describe(cfg), version/10000, version%10000)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	q := postgres.wrap(sqlDB)
	return &DB{Queries: Queries{r: q, w: q, d: postgres}, Write: sqlDB, Read: sqlDB, dialect: postgres, pool: pool, where: "PostgreSQL " + describe(cfg)}, nil
}

// oneLine keeps err (errors.Is and As still see through it) but says it in
// one line: pgx lists each address it tried on a line of its own, and a
// start that fails must say why in one.
func oneLine(err error) error {
	return lineError{msg: strings.Join(strings.Fields(err.Error()), " "), err: err}
}

type lineError struct {
	msg string
	err error
}

func (e lineError) Error() string { return e.msg }
func (e lineError) Unwrap() error { return e.err }

// describe names the server and database of cfg, without the password.
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s:%d/%s (user %s)", c.Host, c.Port, c.Database, c.User)
}

// Exclusively runs fn unless another instance is running the job called
// name, and reports whether it ran. On PostgreSQL the job holds a session
// advisory lock (pg_try_advisory_lock) on a connection of its own while fn
// runs, so instances never wait for one another: the one that finds it
// taken skips this round. The lock's key is name within the current
// schema, so the tests' schemas do not exclude each other. SQLite has one
// instance, which simply runs fn.
func (d *DB) Exclusively(ctx context.Context, name string, fn func(context.Context) error) (bool, error) {
	if !d.dialect.postgres {
		return true, fn(ctx)
	}
	conn, err := d.Write.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("%s: lock: %w", name, err)
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return false, fmt.Errorf("%s: lock: %w", name, err)
	}
	key := lockKey(schema + "\x00" + name)
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		return false, fmt.Errorf("%s: lock: %w", name, err)
	}
	if !got {
		return false, nil
	}
	defer unlock(ctx, conn, key)
	return true, fn(ctx)
}

// unlock releases the advisory lock; if that fails the connection is
// thrown away, which releases it too.
func unlock(ctx context.Context, conn *sql.Conn, key int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
		_ = conn.Raw(func(any) error { return errors.New("discard connection") })
	}
}

func lockKey(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64())
}
