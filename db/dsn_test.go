package db

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenPathWithURICharacters: a file whose path has "#", "?" or "%" is
// opened at that path, not at the part before the "#" (where every fuzz
// seed's t.TempDir() used to share one file).
func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "seed#0 50% ?x")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "test.db")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at its path: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(path)) + "/seed"); err == nil {
		t.Fatal("a file was made at the path cut at the #")
	}
}
