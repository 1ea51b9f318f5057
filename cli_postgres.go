package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"latchkey/db"
)

// migrateToPostgres copies the SQLite database at args[0] into the
// PostgreSQL database d (DATABASE_URL), which must be empty: the move of a
// product that outgrew one machine, without losing an account or signing
// anyone out. The SQLite file is brought to this release's migrations
// first, as "latchkey migrate" would, and is otherwise only read.
func migrateToPostgres(ctx context.Context, d *db.DB, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: latchkey migrate-to-postgres SQLITE_PATH (with DATABASE_URL naming the empty PostgreSQL database)")
	}
	if !d.Postgres() {
		return errors.New("migrate-to-postgres: DATABASE_URL must name the PostgreSQL database to copy into")
	}
	path := args[0]
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("migrate-to-postgres: %w", err)
	}
	src, err := db.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := src.Migrate(ctx); err != nil {
		return err
	}
	counts, err := db.CopyToPostgres(ctx, src, d)
	if err != nil {
		return err
	}
	tables := make([]string, 0, len(counts))
	for t := range counts {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(stdout, "%-14s %d rows\n", t, counts[t])
	}
	fmt.Fprintln(stdout, "copied", path, "into", d.Where())
	return nil
}
