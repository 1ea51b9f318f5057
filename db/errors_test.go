package db

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestIsUniqueViolation: a duplicate is told by the driver's error code, so
// the database's own duplicates count whatever their wording (wrapped too),
// and other constraint failures, other errors and mere look-alike messages
// do not.
func TestIsUniqueViolation(t *testing.T) {
	ctx := context.Background()
	d := openTestDB(t)
	exec := func(query string, args ...any) error {
		_, err := d.Write.ExecContext(ctx, query, args...)
		return err
	}
	for _, q := range []string{
		`CREATE TABLE dup_parent (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, n INTEGER NOT NULL CHECK (n > 0))`,
		`CREATE TABLE dup_named (name TEXT PRIMARY KEY)`,
		`CREATE TABLE dup_child (parent INTEGER NOT NULL REFERENCES dup_parent(id))`,
		`INSERT INTO dup_parent (id, key, n) VALUES (1, 'a', 1)`,
		`INSERT INTO dup_named (name) VALUES ('a')`,
	} {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	uniqueErr := exec(`INSERT INTO dup_parent (id, key, n) VALUES (2, 'a', 1)`)
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"unique column", uniqueErr, true},
		{"unique column, wrapped", fmt.Errorf("create thing: %w", uniqueErr), true},
		{"integer primary key", exec(`INSERT INTO dup_parent (id, key, n) VALUES (1, 'b', 1)`), true},
		{"text primary key", exec(`INSERT INTO dup_named (name) VALUES ('a')`), true},
		{"unique column on update", exec(`INSERT INTO dup_parent (id, key, n) VALUES (3, 'c', 1); UPDATE dup_parent SET key = 'a' WHERE id = 3`), true},
		{"not null", exec(`INSERT INTO dup_parent (id, key, n) VALUES (4, NULL, 1)`), false},
		{"check", exec(`INSERT INTO dup_parent (id, key, n) VALUES (5, 'e', 0)`), false},
		{"foreign key", exec(`INSERT INTO dup_child (parent) VALUES (99)`), false},
		{"syntax error", exec(`INSERT INTO`), false},
		{"no rows", d.Read.QueryRowContext(ctx, `SELECT id FROM dup_parent WHERE id = 99`).Scan(new(int)), false},
		{"a message that only looks like one", errors.New("UNIQUE constraint failed: users.email"), false},
		{"no error", nil, false},
	}
	for _, c := range cases {
		if c.err == nil && c.name != "no error" {
			t.Fatalf("%s: the statement succeeded, want an error", c.name)
		}
		if got := isUniqueViolation(c.err); got != c.want {
			t.Errorf("%s: isUniqueViolation(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
