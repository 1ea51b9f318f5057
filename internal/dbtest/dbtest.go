// Package dbtest gives each test a database of its own: a new SQLite file
// in t.TempDir(), or, when TEST_DATABASE_URL names a PostgreSQL server, a
// new schema on it that is dropped when the test ends. Tests that open
// their database through here run unchanged on both, in parallel, without
// seeing one another's rows.
//
// It imports no Latchkey package, so db's own tests can use it: open the
// database with db.Connect(ctx, Target(t)).
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	// The PostgreSQL driver, registered as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// URLEnv is the variable naming the PostgreSQL server the tests may use. Its
// database must exist; each test makes a schema in it.
const URLEnv = "TEST_DATABASE_URL"

// Postgres reports whether the tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(URLEnv) != "" }

// Target is where t's database is: a PostgreSQL URL (DATABASE_URL) for a
// new schema, or else the path of a new SQLite file (DATABASE_PATH), for a
// test that starts the real binary or opens the database itself. Exactly
// one of the two is set.
func Target(t testing.TB) (databaseURL, path string) {
	t.Helper()
	if !Postgres() {
		return "", filepath.Join(t.TempDir(), "test.db")
	}
	return Schema(t), ""
}

// Schema makes a new, empty schema on the test server and returns a URL
// whose connections use it (search_path); the schema is dropped, with
// whatever is in it, when t ends.
func Schema(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, drop, err := NewSchema(ctx, os.Getenv(URLEnv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := drop(ctx); err != nil {
			t.Error(err)
		}
	})
	return u
}

// NewSchema makes a new, empty schema on the server at base, for a program
// (bench) rather than a test: it returns the URL that uses it and the
// function that drops it.
func NewSchema(ctx context.Context, base string) (url string, drop func(context.Context) error, err error) {
	admin, err := adminDB(base)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop = func(ctx context.Context) error {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", name, err)
		}
		return nil
	}
	u, err := withSearchPath(base, name)
	if err != nil {
		_ = drop(ctx)
		return "", nil, err
	}
	return u, drop, nil
}

func withSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%s: %w", URLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// adminDB is one pool per test process for creating and dropping schemas.
func adminDB(base string) (*sql.DB, error) {
	admin.once.Do(func() {
		admin.db, admin.err = sql.Open("pgx", base)
		if admin.err == nil {
			admin.err = admin.db.Ping()
		}
		if admin.err != nil {
			admin.err = fmt.Errorf("%s: %w", URLEnv, admin.err)
		}
	})
	return admin.db, admin.err
}
