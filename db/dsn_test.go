package db

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A path with "#", "?" or "%" in it is the file of that name, not the one
// named by the part before the "#" (what every fuzz seed's temporary
// directory, "…seed#0…", used to share).
func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "seed#0?x=1%20")
	if err := os.Mkdir(dir, 0o700); err != nil {
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
		t.Fatalf("the database is not at %s: %v", path, err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "seed")); err == nil {
		t.Fatal("the database was opened at the part of the path before #")
	}
}
