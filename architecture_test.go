package main

import (
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

	"latchkey/internal/mdtable"
)

// architectureDoc is the contract as the code implements it. Its route
// table is checked against the server by TestArchitectureRouteTable
// (handlers); the tests here check the rest.
const architectureDoc = "docs/ARCHITECTURE.md"

func readArchitecture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(architectureDoc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestArchitectureSettings: the settings table of docs/ARCHITECTURE.md
// holds every setting Config reads, each with the default of its envDefault
// tag ("empty" when it has none), and nothing else.
func TestArchitectureSettings(t *testing.T) {
	table, ok := mdtable.Find(readArchitecture(t), "setting", "default")
	if !ok {
		t.Fatalf("%s has no table with setting and default columns", architectureDoc)
	}
	rows := map[string]mdtable.Row{}
	for _, r := range table.Rows {
		name := mdtable.Code(r.Cell("setting"))
		if len(name) != 1 {
			t.Errorf("%s:%d: the setting must be one `code` span", architectureDoc, r.Line)
			continue
		}
		rows[name[0]] = r
	}
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		f := ct.Field(i)
		name := f.Tag.Get("env")
		if name == "" {
			continue
		}
		r, ok := rows[name]
		if !ok {
			t.Errorf("%s (Config.%s) is not in the settings table of %s", name, f.Name, architectureDoc)
			continue
		}
		delete(rows, name)
		want, has := f.Tag.Lookup("envDefault")
		got := r.Cell("default")
		switch {
		case !has || want == "":
			if got != "empty" {
				t.Errorf("%s:%d: %s has no default, so its default cell must say empty, not %q", architectureDoc, r.Line, name, got)
			}
		case !slices.Equal(mdtable.Code(got), []string{want}):
			t.Errorf("%s:%d: %s defaults to `%s` in config.go, not %s", architectureDoc, r.Line, name, want, got)
		}
	}
	for name, r := range rows {
		t.Errorf("%s:%d: %s is not a setting of Config", architectureDoc, r.Line, name)
	}
}

// TestArchitectureImportRules: the layers table of docs/ARCHITECTURE.md
// says of each package what importRules lets it import, and has a row for
// every package importRules knows (and main, which may import anything).
func TestArchitectureImportRules(t *testing.T) {
	table, ok := mdtable.Find(readArchitecture(t), "package", "may import")
	if !ok {
		t.Fatalf("%s has no table with package and may import columns", architectureDoc)
	}
	seen := map[string]bool{}
	for _, r := range table.Rows {
		name := mdtable.Code(r.Cell("package"))
		if len(name) != 1 {
			t.Errorf("%s:%d: the package must be one `code` span", architectureDoc, r.Line)
			continue
		}
		pkg := name[0]
		seen[pkg] = true
		if pkg == "main" {
			continue
		}
		allowed, known := importRules[pkg]
		if !known {
			t.Errorf("%s:%d: %s has no line in importRules", architectureDoc, r.Line, pkg)
			continue
		}
		got := mdtable.Code(r.Cell("may import"))
		if len(allowed) == 0 && r.Cell("may import") == "nothing" {
			continue
		}
		want := slices.Sorted(slices.Values(allowed))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s:%d: %s may import %q by importRules, not %q", architectureDoc, r.Line, pkg, want, got)
		}
	}
	for pkg := range importRules {
		if !seen[pkg] {
			t.Errorf("package %s is not in the layers table of %s", pkg, architectureDoc)
		}
	}
	if !seen["main"] {
		t.Errorf("package main is not in the layers table of %s", architectureDoc)
	}
}

// testName is how the document names a test, a fuzz target or a benchmark.
var testName = regexp.MustCompile(`\b(?:Test|Fuzz|Benchmark)[A-Z0-9_][A-Za-z0-9_]*`)

// TestArchitectureNamesRealTests: every test, fuzz target and benchmark
// that docs/ARCHITECTURE.md names as the proof of a rule exists in the
// tree, so a renamed or deleted test cannot leave a rule proved by nothing.
func TestArchitectureNamesRealTests(t *testing.T) {
	defined := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "tmp" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && testName.MatchString(fn.Name.Name) {
				defined[fn.Name.Name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for i, line := range strings.Split(readArchitecture(t), "\n") {
		for _, name := range testName.FindAllString(line, -1) {
			named++
			if !defined[name] {
				t.Errorf("%s:%d names %s, which no _test.go file defines", architectureDoc, i+1, name)
			}
		}
	}
	if named < 50 {
		t.Errorf("%s names only %d tests: the security rules should each name theirs", architectureDoc, named)
	}
}
