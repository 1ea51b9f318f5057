package main

import (
	"path/filepath"
	"strings"
	"testing"

	"latchkey/internal/dbtest"
)

// TestWrongDatabaseURL: a DATABASE_URL that is not PostgreSQL's, cannot be
// parsed or names no reachable server stops the start with one line that
// says what failed, and never echoes the password.
func TestWrongDatabaseURL(t *testing.T) {
	cases := []struct{ url, want string }{
		{"mysql://u:hunter2@localhost/x", "DATABASE_URL must be a postgres:// or postgresql:// URL"},
		{"postgres://u:hunter2@[::1/x", "DATABASE_URL"},
		{"postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2", "connect to PostgreSQL at 127.0.0.1:1/x"},
	}
	for _, c := range cases {
		cliEnv(t)
		t.Setenv("DATABASE_URL", c.url)
		_, err := runCLI(t, "migrate")
		if err == nil {
			t.Fatalf("%s: started", c.url)
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "hunter2") {
			t.Errorf("%s: %q, want one line with %q and no password", c.url, msg, c.want)
		}
	}
}

// TestPostgresOperatorCommands: on PostgreSQL, backup refuses and says to
// use pg_dump; migrate-to-postgres copies a SQLite database made by the
// same binary (an account made with "user create" is there afterwards),
// and refuses to copy into a database that is no longer empty.
func TestPostgresOperatorCommands(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skip("needs PostgreSQL (set " + dbtest.URLEnv + ")")
	}
	sqlitePath := cliEnv(t)
	mustRunCLI(t, "user", "create", "--email", "ada@example.com", "--name", "Ada Lovelace")

	t.Setenv("DATABASE_URL", dbtest.Schema(t))
	if _, err := runCLI(t, "backup", filepath.Join(t.TempDir(), "copy.db")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("backup on PostgreSQL: %v, want a refusal naming pg_dump", err)
	}
	out := mustRunCLI(t, "migrate-to-postgres", sqlitePath)
	if !strings.Contains(out, "users") || !strings.Contains(out, "copied") {
		t.Fatalf("migrate-to-postgres printed %q", out)
	}
	if list := mustRunCLI(t, "user", "list"); !strings.Contains(list, "ada@example.com") {
		t.Fatalf("after the move, user list = %q", list)
	}
	if _, err := runCLI(t, "migrate-to-postgres", sqlitePath); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a second copy: %v, want a refusal", err)
	}
}
