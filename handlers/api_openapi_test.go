package handlers

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestAPIMatchesOpenAPI: handlers/openapi.json is a valid OpenAPI 3.1
// document describing exactly the /api/ routes routes.go registers, and
// GET /api/openapi.json serves it. (Every API test's requests and answers
// are checked against it by apiCall: see api_kit_test.go.)
func TestAPIMatchesOpenAPI(t *testing.T) {
	apiSpec(t) // loads and validates the document
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", doc.OpenAPI)
	}
	var described []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described = append(described, method+" "+strings.ReplaceAll(strings.ReplaceAll(path, "{", ":"), "}", ""))
		}
	}
	app := newTestApp(t)
	e, err := app.h.Server()
	if err != nil {
		t.Fatal(err)
	}
	var routed []string
	for _, r := range e.Routes() {
		if isAPIPath(r.Path) {
			routed = append(routed, r.Method+" "+r.Path)
		}
	}
	slices.Sort(described)
	slices.Sort(routed)
	if !slices.Equal(described, routed) {
		t.Fatalf("handlers/openapi.json describes\n  %s\nbut routes.go has\n  %s", strings.Join(described, "\n  "), strings.Join(routed, "\n  "))
	}

	res := app.program().apiGet("/api/openapi.json", "")
	assertStatus(t, res, http.StatusOK)
	if res.body != string(openAPIDocument) {
		t.Fatal("GET /api/openapi.json is not the embedded document")
	}
}
