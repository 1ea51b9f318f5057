package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestBackupCommand runs `latchkey backup PATH` through the same entry point
// as the binary; TestBackupWhileServing (handlers) covers a backup taken
// while requests are being served.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DATABASE_PATH", filepath.Join(dir, "live.db"))
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"migrate"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"backup"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "usage: latchkey backup PATH") {
		t.Fatalf("backup without a path: %v, want the usage line", err)
	}
	out := filepath.Join(dir, "copy.db")
	if err := run(ctx, []string{"backup", out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "backup written to "+out) {
		t.Fatalf("stdout %q does not name the backup", stdout.String())
	}
	copyDB, err := sql.Open("sqlite3", "file:"+out+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var version int
	if err := copyDB.QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil {
		t.Fatalf("read the backup: %v", err)
	}
	if version < 2 {
		t.Fatalf("the backup is at migration %d, want every migration", version)
	}
	// An existing file is never overwritten.
	if err := run(ctx, []string{"backup", out}, &stdout, &stderr); err == nil {
		t.Fatal("a second backup to the same path succeeded")
	}
}

// TestEveryConfigSettingDocumented: each setting Config reads is in
// .env.example and in README.md's settings table, so a newcomer can find it.
func TestEveryConfigSettingDocumented(t *testing.T) {
	example, err := os.ReadFile(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		name := ct.Field(i).Tag.Get("env")
		if name == "" {
			continue
		}
		if !regexp.MustCompile(`(?m)^#?\s*` + name + `=`).Match(example) {
			t.Errorf("%s is not in .env.example", name)
		}
		if !regexp.MustCompile("(?m)^\\| `" + name + "` \\|").Match(readme) {
			t.Errorf("%s is not in README.md's settings table", name)
		}
	}
}
