package e2e

import (
	"io"
	"net/http"
	"regexp"
	"testing"
)

// loginBudget is the most the sign-in page may weigh, HTML and CSS
// together, uncompressed.
const loginBudget = 20 * 1024

var (
	stylesheetHref = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)"`)
	inlineScript   = regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`)
	scriptTag      = regexp.MustCompile(`<script [^>]*>`)
)

// TestLoginPageWeight keeps the sign-in page small: no framework, no
// inline script, and its script (progressive enhancement) deferred.
func TestLoginPageWeight(t *testing.T) {
	s := shared(t)
	html := fetch(t, s.URL+"/login")
	m := stylesheetHref.FindStringSubmatch(html)
	if m == nil {
		t.Fatal("the login page links no stylesheet")
	}
	css := fetch(t, s.URL+m[1])
	total := len(html) + len(css)
	t.Logf("GET /login: HTML %d bytes + CSS %d bytes = %d bytes (budget %d)", len(html), len(css), total, loginBudget)
	if total >= loginBudget {
		t.Fatalf("the login page weighs %d bytes with its CSS, over the %d-byte budget", total, loginBudget)
	}
	if inlineScript.MatchString(html) {
		t.Fatal("the login page has an inline script")
	}
	for _, tag := range scriptTag.FindAllString(html, -1) {
		if !regexp.MustCompile(`\bdefer\b`).MatchString(tag) {
			t.Fatalf("script %s blocks rendering; it must be deferred", tag)
		}
	}
}

func fetch(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Ask for the identity encoding so the size is the uncompressed one
	// whatever the server does.
	req.Header.Set("Accept-Encoding", "identity")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
