package db

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpenKeepsThePathAsGiven: SQLite reads the file name as a URI, so a
// '#', '?', '%' or space in the path must not cut it short or change it (a
// fuzz seed's temporary directory is named like FuzzX/seed#0: every seed
// shared the one file FuzzX).
func TestOpenKeepsThePathAsGiven(t *testing.T) {
	for _, name := range []string{"seed#0", "what?", "100%", "with space"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "test.db")
		d, err := Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := d.Migrate(t.Context()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: the database is not where it was asked to be: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "seed")); err == nil {
			t.Errorf("%s: a database was opened at the part of the path before the #", name)
		}
	}
}
