package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"latchkey/internal/mdtable"
)

// architectureDoc is the document whose route table this test keeps true.
const architectureDoc = "../docs/ARCHITECTURE.md"

// docRoute is one row of the route table of docs/ARCHITECTURE.md.
type docRoute struct {
	line    int
	handler string
	guards  []string
	devOnly bool
}

// TestArchitectureRouteTable: the route table of docs/ARCHITECTURE.md is
// the server's, row for row. Every route Echo registers is in the table
// with its handler, every row is a route Echo registers, the guards of a
// row are the ones routes.go gives the route, in its order, and the rows
// marked "development only" are exactly the routes a production server
// does not have. The message names each route missing from either side.
func TestArchitectureRouteTable(t *testing.T) {
	text, err := os.ReadFile(architectureDoc)
	if err != nil {
		t.Fatal(err)
	}
	table, ok := mdtable.Find(string(text), "method", "path", "handler", "guards")
	if !ok {
		t.Fatalf("%s has no table with method, path, handler and guards columns", architectureDoc)
	}
	doc := map[string]docRoute{}
	for _, row := range table.Rows {
		path := mdtable.Code(row.Cell("path"))
		handler := mdtable.Code(row.Cell("handler"))
		if len(path) != 1 || len(handler) != 1 {
			t.Errorf("%s:%d: the path and the handler must each be one `code` span", architectureDoc, row.Line)
			continue
		}
		key := row.Cell("method") + " " + path[0]
		if _, dup := doc[key]; dup {
			t.Errorf("%s:%d: %s is in the table twice", architectureDoc, row.Line, key)
		}
		doc[key] = docRoute{line: row.Line, handler: handler[0], guards: mdtable.Code(row.Cell("guards")),
			devOnly: strings.Contains(row.Cell("guards"), "development only")}
	}

	// The registered routes, in development (every route) and production.
	registered := func(dev bool) map[string]string {
		app := newTestApp(t, func(c *testConfig) { c.handlers.Dev = dev })
		e, err := app.h.Server()
		if err != nil {
			t.Fatal(err)
		}
		routes := map[string]string{}
		for _, r := range e.Routes() {
			routes[r.Method+" "+r.Path] = handlerName(r.Name)
		}
		return routes
	}
	dev, prod := registered(true), registered(false)
	guards := routeGuards(t, "routes.go")

	var missing, extra []string
	for key, handler := range dev {
		d, ok := doc[key]
		if !ok {
			missing = append(missing, key)
			continue
		}
		if d.handler != handler {
			t.Errorf("%s:%d: %s is handled by %s, not %s", architectureDoc, d.line, key, handler, d.handler)
		}
		if want := guards[key]; !slices.Equal(d.guards, want) {
			t.Errorf("%s:%d: %s has the guards %q in routes.go, not %q", architectureDoc, d.line, key, want, d.guards)
		}
		switch _, inProd := prod[key]; {
		case inProd && d.devOnly:
			t.Errorf("%s:%d: %s is marked development only, but production has it too", architectureDoc, d.line, key)
		case !inProd && !d.devOnly:
			t.Errorf("%s:%d: %s is not registered in production: mark it development only in its guards", architectureDoc, d.line, key)
		}
	}
	for key := range doc {
		if _, ok := dev[key]; !ok {
			extra = append(extra, key)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("routes registered by routes.go but missing from the route table of %s:\n  %s", architectureDoc, strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("routes in the route table of %s that routes.go does not register:\n  %s", architectureDoc, strings.Join(extra, "\n  "))
	}
}

// handlerName is the function's own name in an Echo route name:
// "latchkey/handlers.(*Handlers).signup-fm" is "signup".
func handlerName(routeName string) string {
	name := routeName[strings.LastIndex(routeName, ".")+1:]
	return strings.TrimSuffix(name, "-fm")
}

// routeGuards reads the guards each route is given in routes.go, by their
// names there ("perIP", "me", "perUser", "loopbackOnly"), keyed by
// "METHOD /path". Echo keeps no record of a route's middleware, so they
// are read from the source.
func routeGuards(t *testing.T, file string) map[string][]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	guards := map[string][]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 2 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || strings.ToUpper(sel.Sel.Name) != sel.Sel.Name {
			return true // not e.GET, e.POST …
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		path, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, g := range call.Args[2:] {
			names = append(names, guardName(g))
		}
		guards[sel.Sel.Name+" "+path] = names
		return true
	})
	return guards
}

// guardName is a guard's last name: h.limits.perIP and perIP are "perIP";
// h.RequireUser is "me", the name routes.go gives it.
func guardName(e ast.Expr) string {
	var name string
	switch g := e.(type) {
	case *ast.Ident:
		name = g.Name
	case *ast.SelectorExpr:
		name = g.Sel.Name
	default:
		return "?"
	}
	if name == "RequireUser" {
		return "me"
	}
	return name
}
