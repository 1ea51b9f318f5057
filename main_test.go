package main

import (
	"bytes"
	"context"
	"database/sql"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestBackupCommand runs `latchkey backup PATH` through the same entry point
// as the binary; TestBackupWhileServing (handlers) covers a backup taken
// while requests are being served.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DATABASE_PATH", filepath.Join(dir, "live.db"))
	t.Setenv("APP_ENV", "development") // the default, production, would need https and mail
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

// importRules is the data flow of docs/ARCHITECTURE.md ("Layers"), one
// line per package: which Latchkey packages it may import. Each package's
// doc comment says the same in words, and so does the layers table of
// ARCHITECTURE.md (TestArchitectureImportRules).
var importRules = map[string][]string{
	"accounts":          {"auth", "db", "device", "mail", "internal/timetext"},
	"device":            {},
	"auth":              {},
	"bench":             {"auth", "internal/apptest", "internal/dbtest"},
	"db":                {"migrations", "auth"}, // auth.EmailKey: users.email_key is unique, so db computes it
	"handlers":          {"accounts", "auth", "db", "device", "static", "views", "internal/timetext"},
	"internal/smtptest": {},
	"loadtest":          {"db", "internal/apptest"},
	"scaletest":         {"db", "internal/apptest", "internal/dbtest", "internal/smtptest"},
	"e2e":               {"internal/apptest", "internal/smtptest"},
	"mail":              {"db", "internal/timetext"},
	"migrations":        {},
	"static":            {},
	"views":             {"static"},

	// How pages and emails write moments and durations, for every layer
	// that writes text for people.
	"internal/timetext": {},

	// What tests share (and bench, which runs the binary as they do).
	"internal/apptest":   {"internal/logtest"},
	"internal/clocktest": {},
	"internal/dbtest":    {},
	"internal/logtest":   {},
	"internal/mdtable":   {}, // reads docs/ARCHITECTURE.md's tables for the tests that keep it true
}

// TestPackagesKeepTheDataFlow: no package imports what its rules forbid,
// only handlers imports echo, and every package has a doc comment that
// says what it may import. A new package must be added to importRules.
func TestPackagesKeepTheDataFlow(t *testing.T) {
	dirs := map[string][]*ast.File{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "tmp" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, files := range dirs {
		allowed, known := importRules[dir]
		if !known && dir != "." {
			t.Errorf("package %s has no import rules: add it to importRules and say in its doc comment what it may import", dir)
			continue
		}
		documented := false
		for _, f := range files {
			if f.Doc != nil && strings.Contains(f.Doc.Text(), "import") {
				documented = true
			}
			if dir == "." {
				continue // main wires everything together
			}
			for _, imp := range f.Imports {
				path := strings.Trim(imp.Path.Value, `"`)
				// bench's baseline is bare Echo: it serves no page of ours.
				if strings.HasPrefix(path, "github.com/labstack/echo") && dir != "handlers" && dir != "bench" {
					t.Errorf("%s imports %s: only handlers knows HTTP", fset.Position(imp.Pos()).Filename, path)
				}
				if name, ok := strings.CutPrefix(path, "latchkey/"); ok && !slices.Contains(allowed, name) {
					t.Errorf("%s imports %s, which package %s may not import", fset.Position(imp.Pos()).Filename, path, dir)
				}
			}
		}
		if !documented {
			t.Errorf("package %s has no doc comment saying what it may import", dir)
		}
	}
}

// handlersMayAskTheDB is what handlers may ask the database directly: the
// notes example's plain reads and writes, the health check and the
// development mailbox, and on PostgreSQL the rate limiter's shared buckets
// (the limiter runs before any handler, as middleware). Users, sessions,
// tokens, identities and factors go through accounts.
var handlersMayAskTheDB = []string{"Ping", "RecentMail", "CreateNote", "NotesByUser", "NoteByID", "UpdateNote", "DeleteNote",
	"TakeRateToken", "PeekRateTokens", "DeleteIdleRateBuckets"}

// TestOnlyAccountsReachesUsersSessionsAndTokens: no handler calls a db
// query of its own beyond handlersMayAskTheDB, and nothing outside
// accounts reaches through the service to its database (acc.DB.…), so
// every change to an account goes through the one door that sends its
// notices and keeps its rules.
func TestOnlyAccountsReachesUsersSessionsAndTokens(t *testing.T) {
	fset := token.NewFileSet()
	check := func(path string, visit func(*ast.SelectorExpr)) {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				visit(sel)
			}
			return true
		})
	}
	files, err := filepath.Glob("handlers/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no handler files: %v", err)
	}
	mainFiles, _ := filepath.Glob("*.go")
	calls := 0
	for _, path := range append(files, mainFiles...) {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		check(path, func(sel *ast.SelectorExpr) {
			inner, ok := sel.X.(*ast.SelectorExpr)
			if !ok {
				return
			}
			pos := fset.Position(sel.Pos())
			switch {
			case inner.Sel.Name == "db" && strings.HasPrefix(path, "handlers"):
				calls++
				if !slices.Contains(handlersMayAskTheDB, sel.Sel.Name) {
					t.Errorf("%s: a handler calls db.%s; users, sessions and tokens go through accounts", pos, sel.Sel.Name)
				}
			case inner.Sel.Name == "DB":
				t.Errorf("%s: %s reaches through accounts to its database (….DB.%s): give accounts a function for it", pos, path, sel.Sel.Name)
			}
		})
	}
	if calls == 0 {
		t.Fatal("found no h.db call at all: the check is looking in the wrong place")
	}
}
